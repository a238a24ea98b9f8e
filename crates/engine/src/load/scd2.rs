//! SCD type 2: turns a change log (full state per change, by natural id and date) into
//! versions with non-overlapping `[effective_from, effective_to)` ranges and exactly one
//! current version per id.

use std::collections::BTreeMap;

use chrono::NaiveDate;

pub const OPEN_END: (i32, u32, u32) = (9999, 12, 31);

pub struct Change<T> {
    pub id: String,
    pub date: NaiveDate,
    /// Hash of the SCD2-tracked attributes.
    pub hash: String,
    pub attrs: T,
}

pub struct Version<T> {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub current: bool,
    pub version_no: i16,
    pub hash: String,
    pub attrs: T,
}

/// Versions by id (ids in order), each id's versions by date. A change whose tracked
/// attributes equal the previous version's starts no new version (its other attributes
/// are kept on the open version).
pub fn versions<T>(changes: Vec<Change<T>>) -> BTreeMap<String, Vec<Version<T>>> {
    let open_end =
        NaiveDate::from_ymd_opt(OPEN_END.0, OPEN_END.1, OPEN_END.2).unwrap_or(NaiveDate::MAX);
    let mut by_id: BTreeMap<String, Vec<Change<T>>> = BTreeMap::new();
    for c in changes {
        by_id.entry(c.id.clone()).or_default().push(c);
    }
    let mut out = BTreeMap::new();
    for (id, mut list) in by_id {
        list.sort_by_key(|c| c.date);
        let mut versions: Vec<Version<T>> = Vec::new();
        for c in list {
            match versions.last_mut() {
                Some(last) if last.hash == c.hash => last.attrs = c.attrs,
                _ => versions.push(Version {
                    from: c.date,
                    to: open_end,
                    current: false,
                    version_no: 0,
                    hash: c.hash,
                    attrs: c.attrs,
                }),
            }
        }
        let n = versions.len();
        for i in 0..n {
            versions[i].version_no = (i + 1) as i16;
            versions[i].current = i + 1 == n;
            if i + 1 < n {
                versions[i].to = versions[i + 1].from;
            }
        }
        out.insert(id, versions);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, m, day).unwrap_or_default()
    }

    #[test]
    fn ranges_do_not_overlap_and_one_is_current() {
        let ch = |date, hash: &str, attrs: u8| Change {
            id: "S1".into(),
            date,
            hash: hash.into(),
            attrs,
        };
        let v = versions(vec![
            ch(d(9, 1), "b", 2),
            ch(d(1, 1), "a", 1),
            ch(d(5, 1), "a", 3),
            ch(d(10, 1), "c", 4),
        ]);
        let s1 = &v["S1"];
        assert_eq!(s1.len(), 3);
        assert_eq!((s1[0].from, s1[0].to, s1[0].attrs), (d(1, 1), d(9, 1), 3));
        assert_eq!((s1[1].from, s1[1].to), (d(9, 1), d(10, 1)));
        assert!(s1[2].current && !s1[0].current && !s1[1].current);
        assert_eq!(
            s1.iter().map(|v| v.version_no).collect::<Vec<_>>(),
            [1, 2, 3]
        );
    }
}
