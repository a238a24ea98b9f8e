//! Names of relations as PostgreSQL resolves them: the search path, qualified names with
//! PostgreSQL's identifier rules, and visibility.

use super::super::relations::{Model, Relation};
use crate::session::SessionInfo;

/// The schemas unqualified names are looked up in: `pg_catalog`, then the search path.
pub(super) fn search_path(session: &SessionInfo) -> Vec<String> {
    let path = session.settings().get("search_path").unwrap_or_default();
    let mut schemas = vec!["pg_catalog".to_string()];
    schemas.extend(
        path.split(',')
            .map(|p| p.trim().trim_matches('"').to_string())
            .filter(|p| !p.is_empty() && p != "$user" && p != "pg_catalog"),
    );
    schemas
}

/// The OID of a relation named `schema.name` or `name` (found along the search path),
/// with PostgreSQL's identifier rules (unquoted names fold to lower case).
pub fn relation_by_name(model: &Model, path: &[String], name: &str) -> Option<i32> {
    let parts: Vec<String> = split_qualified(name)?;
    match parts.as_slice() {
        [schema, table] => model.relation_oid(schema, table),
        [table] => path
            .iter()
            .find_map(|schema| model.relation_oid(schema, table)),
        _ => None,
    }
}

/// `a.b`, `"A".b`: the parts of a qualified name, folded and unquoted.
fn split_qualified(name: &str) -> Option<Vec<String>> {
    let mut parts = Vec::new();
    let mut chars = name.trim().chars().peekable();
    loop {
        let mut part = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next()? {
                    '"' if chars.peek() == Some(&'"') => {
                        chars.next();
                        part.push('"');
                    }
                    '"' => break,
                    c => part.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == '.' {
                    break;
                }
                part.extend(c.to_lowercase());
                chars.next();
            }
        }
        parts.push(part);
        match chars.next() {
            None => return Some(parts),
            Some('.') => continue,
            Some(_) => return None,
        }
    }
}

/// A relation is visible when no relation of the same name comes earlier in the path.
pub(super) fn visible(model: &Model, path: &[String], relation: &Relation) -> bool {
    path.iter()
        .find(|schema| {
            model
                .relations
                .values()
                .any(|r| &r.schema == *schema && r.name == relation.name)
        })
        .is_some_and(|first| *first == relation.schema)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qualified_names_fold_unless_quoted() {
        assert_eq!(
            split_qualified("Public.Fact_Enrollment"),
            Some(vec!["public".into(), "fact_enrollment".into()])
        );
        assert_eq!(
            split_qualified("\"My\"\"T\".x"),
            Some(vec!["My\"T".into(), "x".into()])
        );
        assert_eq!(
            split_qualified("a.b c"),
            Some(vec!["a".into(), "b c".into()])
        );
        assert_eq!(split_qualified("\"open"), None);
    }
}
