//! The organisation: 8 colleges, 50 departments, ~150 programs and the course catalog.

use super::rng::{RngExt, Tag, cumulative, rng};

pub(crate) struct College {
    pub code: &'static str,
    pub name: &'static str,
    pub division: &'static str,
}

#[rustfmt::skip]
pub(crate) const COLLEGES: [College; 8] = [
    College { code: "COE", name: "College of Engineering", division: "STEM" },
    College { code: "CNS", name: "College of Natural Sciences", division: "STEM" },
    College { code: "CAH", name: "College of Arts and Humanities", division: "HUMANITIES" },
    College { code: "CSBS", name: "College of Social and Behavioral Sciences", division: "SOCIAL_SCI" },
    College { code: "SOB", name: "School of Business", division: "PROFESSIONAL" },
    College { code: "SOE", name: "School of Education", division: "PROFESSIONAL" },
    College { code: "CHS", name: "College of Health Sciences", division: "HEALTH" },
    College { code: "SCM", name: "School of Communication and Media", division: "PROFESSIONAL" },
];

/// (code, name, college index, popularity weight, degrees offered, CIP code, lab science)
type DeptRow = (
    &'static str,
    &'static str,
    usize,
    f64,
    &'static str,
    &'static str,
    bool,
);

#[rustfmt::skip]
const DEPARTMENTS: [DeptRow; 50] = [
    ("CE", "Civil and Environmental Engineering", 0, 3.0, "BS MS PHD CERT", "14.0801", true),
    ("ME", "Mechanical Engineering", 0, 4.0, "BS MS PHD", "14.1901", true),
    ("EE", "Electrical and Computer Engineering", 0, 4.0, "BS MS PHD CERT", "14.1001", true),
    ("CHE", "Chemical Engineering", 0, 2.0, "BS MS PHD", "14.0701", true),
    ("BME", "Biomedical Engineering", 0, 2.0, "BS MS PHD", "14.0501", true),
    ("CS", "Computer Science", 0, 8.0, "BS MS PHD CERT", "11.0701", false),
    ("IE", "Industrial and Systems Engineering", 0, 2.0, "BS MS CERT", "14.3501", false),
    ("MATH", "Mathematics", 1, 3.0, "BS BA MS PHD", "27.0101", false),
    ("STAT", "Statistics", 1, 2.0, "BS MS CERT", "27.0501", false),
    ("PHYS", "Physics", 1, 2.0, "BS BA MS PHD", "40.0801", true),
    ("CHEM", "Chemistry", 1, 3.0, "BS BA MS PHD", "40.0501", true),
    ("BIOL", "Biology", 1, 8.0, "BS BA MS PHD", "26.0101", true),
    ("GEOL", "Earth and Planetary Sciences", 1, 1.0, "BS MS", "40.0601", true),
    ("ASTR", "Astronomy", 1, 1.0, "BS", "40.0201", true),
    ("ENVS", "Environmental Science", 1, 2.0, "BS MS CERT", "03.0104", true),
    ("NEUR", "Neuroscience", 1, 3.0, "BS PHD", "26.1501", true),
    ("ENGL", "English", 2, 3.0, "BA MA PHD CERT", "23.0101", false),
    ("HIST", "History", 2, 2.0, "BA MA PHD CERT", "54.0101", false),
    ("PHIL", "Philosophy", 2, 1.0, "BA MA", "38.0101", false),
    ("LING", "Linguistics", 2, 1.0, "BA MA CERT", "16.0102", false),
    ("ARTH", "Art History", 2, 1.0, "BA MA", "50.0703", false),
    ("ART", "Studio Art", 2, 2.0, "BFA MFA", "50.0702", false),
    ("MUS", "Music", 2, 2.0, "BM MM CERT", "50.0901", false),
    ("THEA", "Theatre and Dance", 2, 1.0, "BFA", "50.0501", false),
    ("SPAN", "Spanish and Portuguese", 2, 1.0, "BA MA", "16.0905", false),
    ("CLAS", "Classics", 2, 1.0, "BA", "16.1200", false),
    ("PSYC", "Psychology", 3, 8.0, "BA BS MS PHD CERT", "42.0101", false),
    ("SOC", "Sociology", 3, 2.0, "BA MA PHD CERT", "45.1101", false),
    ("ECON", "Economics", 3, 4.0, "BA BS MA PHD", "45.0601", false),
    ("POLS", "Political Science", 3, 3.0, "BA MA CERT", "45.1001", false),
    ("ANTH", "Anthropology", 3, 1.0, "BA MA PHD", "45.0201", false),
    ("GEOG", "Geography", 3, 1.0, "BA MS CERT", "45.0701", false),
    ("CRIM", "Criminology and Criminal Justice", 3, 3.0, "BA MS AS", "43.0104", false),
    ("SOWK", "Social Work", 3, 2.0, "BSW MSW", "44.0701", false),
    ("ACCT", "Accounting", 4, 4.0, "BBA MACC CERT", "52.0301", false),
    ("FIN", "Finance", 4, 4.0, "BBA MS CERT", "52.0801", false),
    ("MGMT", "Management", 4, 5.0, "BBA MBA PHD CERT AS", "52.0201", false),
    ("MKTG", "Marketing", 4, 3.0, "BBA MS CERT", "52.1401", false),
    ("ISYS", "Information Systems", 4, 2.0, "BS MS CERT", "52.1201", false),
    ("EDUC", "Teacher Education", 5, 3.0, "BSED MED CERT", "13.1206", false),
    ("EDLD", "Educational Leadership", 5, 1.0, "MED EDD", "13.0401", false),
    ("SPED", "Special Education", 5, 1.0, "BSED MED CERT", "13.1001", false),
    ("NURS", "Nursing", 6, 7.0, "BSN MSN DNP AS", "51.3801", true),
    ("PUBH", "Public Health", 6, 3.0, "BS MPH CERT", "51.2201", false),
    ("KINE", "Kinesiology", 6, 3.0, "BS MS CERT", "31.0505", true),
    ("NUTR", "Nutrition and Dietetics", 6, 1.0, "BS MS CERT", "51.3101", true),
    ("CSD", "Communication Sciences and Disorders", 6, 1.0, "BS MS", "51.0201", false),
    ("COMM", "Communication Studies", 7, 3.0, "BA MA CERT", "09.0101", false),
    ("JOUR", "Journalism and Media", 7, 2.0, "BA AA", "09.0401", false),
    ("FILM", "Film and Digital Media", 7, 1.0, "BFA CERT", "50.0601", false),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DegreeLevel {
    Associate,
    Bachelor,
    Master,
    Doctoral,
    Cert,
}

impl DegreeLevel {
    pub(crate) fn code(self) -> &'static str {
        match self {
            DegreeLevel::Associate => "ASSOCIATE",
            DegreeLevel::Bachelor => "BACHELOR",
            DegreeLevel::Master => "MASTER",
            DegreeLevel::Doctoral => "DOCTORAL",
            DegreeLevel::Cert => "CERT",
        }
    }
    pub(crate) fn normal_time_terms(self) -> u32 {
        match self {
            DegreeLevel::Associate => 4,
            DegreeLevel::Bachelor => 8,
            DegreeLevel::Master => 4,
            DegreeLevel::Doctoral => 10,
            DegreeLevel::Cert => 2,
        }
    }
    /// Credits needed to graduate.
    pub(crate) fn credits_required(self) -> f32 {
        match self {
            DegreeLevel::Associate => 60.0,
            DegreeLevel::Bachelor => 120.0,
            DegreeLevel::Master => 30.0,
            DegreeLevel::Doctoral => 60.0,
            DegreeLevel::Cert => 12.0,
        }
    }
    pub(crate) fn graduate(self) -> bool {
        matches!(
            self,
            DegreeLevel::Master | DegreeLevel::Doctoral | DegreeLevel::Cert
        )
    }
}

fn degree_info(abbr: &str) -> (DegreeLevel, &'static str) {
    match abbr {
        "BS" => (DegreeLevel::Bachelor, "Bachelor of Science"),
        "BA" => (DegreeLevel::Bachelor, "Bachelor of Arts"),
        "BFA" => (DegreeLevel::Bachelor, "Bachelor of Fine Arts"),
        "BM" => (DegreeLevel::Bachelor, "Bachelor of Music"),
        "BSW" => (DegreeLevel::Bachelor, "Bachelor of Social Work"),
        "BBA" => (DegreeLevel::Bachelor, "Bachelor of Business Administration"),
        "BSED" => (DegreeLevel::Bachelor, "Bachelor of Science in Education"),
        "BSN" => (DegreeLevel::Bachelor, "Bachelor of Science in Nursing"),
        "MS" => (DegreeLevel::Master, "Master of Science"),
        "MA" => (DegreeLevel::Master, "Master of Arts"),
        "MFA" => (DegreeLevel::Master, "Master of Fine Arts"),
        "MM" => (DegreeLevel::Master, "Master of Music"),
        "MSW" => (DegreeLevel::Master, "Master of Social Work"),
        "MACC" => (DegreeLevel::Master, "Master of Accountancy"),
        "MBA" => (DegreeLevel::Master, "Master of Business Administration"),
        "MED" => (DegreeLevel::Master, "Master of Education"),
        "MSN" => (DegreeLevel::Master, "Master of Science in Nursing"),
        "MPH" => (DegreeLevel::Master, "Master of Public Health"),
        "PHD" => (DegreeLevel::Doctoral, "Doctor of Philosophy"),
        "EDD" => (DegreeLevel::Doctoral, "Doctor of Education"),
        "DNP" => (DegreeLevel::Doctoral, "Doctor of Nursing Practice"),
        "AS" => (DegreeLevel::Associate, "Associate of Science"),
        "AA" => (DegreeLevel::Associate, "Associate of Arts"),
        _ => (DegreeLevel::Cert, "Graduate Certificate"),
    }
}

pub(crate) struct Department {
    pub code: &'static str,
    pub name: &'static str,
    pub college: usize,
    pub weight: f64,
    pub lab: bool,
}

pub(crate) struct Program {
    pub code: String,
    pub name: String,
    pub cip: &'static str,
    pub level: DegreeLevel,
    pub dept: usize,
}

impl Program {
    pub(crate) fn is_stem(&self) -> bool {
        COLLEGES[DEPARTMENTS[self.dept].2].division == "STEM"
    }
}

pub(crate) struct Course {
    pub id: String,
    pub number: u32,
    pub title: String,
    pub dept: usize,
    /// Credit hours × 10.
    pub credits10: u16,
    pub level: u32,
    pub gateway: bool,
    pub pass_fail: bool,
    /// Added to the grade model's latent: higher is harder.
    pub difficulty: f64,
    pub capacity: u16,
}

pub(crate) struct Catalog {
    pub depts: Vec<Department>,
    pub programs: Vec<Program>,
    pub courses: Vec<Course>,
    /// Per department: indices of its courses by band (lower, upper, graduate).
    pub lower: Vec<Vec<u32>>,
    pub upper: Vec<Vec<u32>>,
    pub grad: Vec<Vec<u32>>,
    pub gateways: Vec<u32>,
    pub gateway_cum: Vec<f64>,
    /// All lower-division courses weighted by department popularity (general education).
    pub gen_ed: Vec<u32>,
    pub gen_ed_cum: Vec<f64>,
    pub dept_cum: Vec<f64>,
    /// Bachelor / associate programs and their weights (first-year majors).
    pub ug_programs: Vec<u16>,
    pub ug_cum: Vec<f64>,
    pub grad_programs: Vec<u16>,
    pub grad_cum: Vec<f64>,
}

#[rustfmt::skip]
const TITLES: [&[&str]; 7] = [
    &["Introduction to", "Foundations of", "Principles of", "Survey of", "Perspectives in"],
    &["Intermediate", "Methods in", "Quantitative", "Writing in", "Practice of"],
    &["Theory of", "Research Methods in", "Topics in", "Applied", "Issues in"],
    &["Advanced", "Senior Seminar in", "Capstone in", "Special Topics in"],
    &["Graduate Studies in", "Proseminar in", "Advanced Methods in"],
    &["Graduate Seminar in", "Research Design in", "Contemporary"],
    &["Doctoral Seminar in", "Dissertation Research in"],
];

const ROMAN: [&str; 8] = ["", " II", " III", " IV", " V", " VI", " VII", " VIII"];

struct DeptCtx {
    di: usize,
    code: &'static str,
    name: &'static str,
    weight: f64,
    lab: bool,
    stem: bool,
}

fn add_course(
    courses: &mut Vec<Course>,
    d: &DeptCtx,
    level: u32,
    k: usize,
    band: &mut Vec<u32>,
    r: &mut rand_chacha::ChaCha8Rng,
    seminar: bool,
) {
    let titles = TITLES[(level / 1000 - 1) as usize];
    let title = if seminar {
        format!("First-Year Seminar in {}", d.name)
    } else {
        format!(
            "{} {}{}",
            titles[k % titles.len()],
            d.name,
            ROMAN[(k / titles.len()).min(ROMAN.len() - 1)]
        )
    };
    let number = level + 10 * (k as u32 + 1);
    let gateway = !seminar && level == 1000 && (k == 0 || (k == 1 && d.weight >= 4.0));
    let pass_fail = seminar || (!gateway && level < 5000 && r.chance(0.03));
    let credits10 = if pass_fail {
        10
    } else if d.lab && level <= 2000 && r.chance(0.3) {
        40
    } else {
        30
    };
    let mut difficulty = 0.25 * r.normal();
    if gateway {
        difficulty += 0.45;
    }
    if level >= 5000 {
        difficulty -= 0.55;
    }
    if d.stem {
        difficulty += 0.12;
    }
    let capacity = if gateway {
        150
    } else if pass_fail {
        20
    } else if level >= 5000 {
        25
    } else if level <= 2000 {
        45
    } else {
        40
    };
    band.push(courses.len() as u32);
    courses.push(Course {
        id: format!("{}-{number}", d.code),
        number,
        title,
        dept: d.di,
        credits10,
        level,
        gateway,
        pass_fail,
        difficulty,
        capacity,
    });
}

impl Catalog {
    /// Builds the catalog for a scale factor (courses are linear in the scale, with every
    /// department keeping at least an intro, a lower, an upper and, where it has graduate
    /// programs, a graduate course).
    pub(crate) fn new(seed: u64, scale: f64) -> Self {
        let mut r = rng(seed, Tag::Catalog, 0, 0);
        let total_weight: f64 = DEPARTMENTS.iter().map(|d| d.3).sum();
        let mut depts = Vec::new();
        let mut programs = Vec::new();
        let mut courses: Vec<Course> = Vec::new();
        let (mut lower, mut upper, mut grad) = (Vec::new(), Vec::new(), Vec::new());
        for (di, &(code, name, college, weight, degrees, cip, lab)) in
            DEPARTMENTS.iter().enumerate()
        {
            depts.push(Department {
                code,
                name,
                college,
                weight,
                lab,
            });
            let mut has_grad = false;
            let mut doctoral = false;
            for abbr in degrees.split_whitespace() {
                let (level, long) = degree_info(abbr);
                has_grad |= level.graduate();
                doctoral |= level == DegreeLevel::Doctoral;
                let name = if level == DegreeLevel::Cert {
                    format!("{name} Graduate Certificate")
                } else {
                    format!("{long} in {name}")
                };
                programs.push(Program {
                    code: format!("{code}-{abbr}"),
                    name,
                    cip,
                    level,
                    dept: di,
                });
            }
            let target = (3000.0 * scale * weight / total_weight).round() as usize;
            let n = target.max(if has_grad { 3 } else { 2 });
            let n_grad = if has_grad {
                ((n as f64 * 0.25).round() as usize).max(1)
            } else {
                0
            };
            let n_lower = ((n as f64 * 0.38).round() as usize).max(1);
            let n_upper = n.saturating_sub(n_lower + n_grad).max(1);
            let stem = COLLEGES[college].division == "STEM";
            let (mut lo, mut up, mut gr) = (Vec::new(), Vec::new(), Vec::new());
            let ctx = DeptCtx {
                di,
                code,
                name,
                weight,
                lab,
                stem,
            };
            for k in 0..n_lower {
                let level = if k % 2 == 0 { 1000 } else { 2000 };
                add_course(&mut courses, &ctx, level, k / 2, &mut lo, &mut r, false);
            }
            if di % 5 == 0 {
                // A one-credit pass/fail first-year seminar in every fifth department.
                add_course(
                    &mut courses,
                    &ctx,
                    1000,
                    n_lower.div_ceil(2),
                    &mut lo,
                    &mut r,
                    true,
                );
            }
            for k in 0..n_upper {
                let level = if k % 2 == 0 { 3000 } else { 4000 };
                add_course(&mut courses, &ctx, level, k / 2, &mut up, &mut r, false);
            }
            for k in 0..n_grad {
                let level = if doctoral && k % 5 == 4 {
                    7000
                } else if k % 2 == 0 {
                    5000
                } else {
                    6000
                };
                add_course(&mut courses, &ctx, level, k / 2, &mut gr, &mut r, false);
            }
            lower.push(lo);
            upper.push(up);
            grad.push(gr);
        }
        let gateways: Vec<u32> = (0..courses.len() as u32)
            .filter(|&c| courses[c as usize].gateway)
            .collect();
        let gateway_cum = cumulative(
            gateways
                .iter()
                .map(|&c| depts[courses[c as usize].dept].weight + 2.0),
        );
        let gen_ed: Vec<u32> = lower.iter().flatten().copied().collect();
        let gen_ed_cum = cumulative(gen_ed.iter().map(|&c| {
            let course = &courses[c as usize];
            let w = depts[course.dept].weight + 1.0;
            if course.gateway { w * 0.3 } else { w }
        }));
        let dept_cum = cumulative(depts.iter().map(|d| d.weight));
        let ug_programs: Vec<u16> = (0..programs.len() as u16)
            .filter(|&p| !programs[p as usize].level.graduate())
            .collect();
        let ug_cum = cumulative(ug_programs.iter().map(|&p| {
            let p = &programs[p as usize];
            let w = depts[p.dept].weight;
            if p.level == DegreeLevel::Associate {
                w * 0.15
            } else {
                w
            }
        }));
        let grad_programs: Vec<u16> = (0..programs.len() as u16)
            .filter(|&p| programs[p as usize].level.graduate())
            .collect();
        let grad_cum = cumulative(grad_programs.iter().map(|&p| {
            let p = &programs[p as usize];
            let w = depts[p.dept].weight;
            match p.level {
                DegreeLevel::Doctoral => w * 0.35,
                DegreeLevel::Cert => w * 0.25,
                _ => w,
            }
        }));
        Catalog {
            depts,
            programs,
            courses,
            lower,
            upper,
            grad,
            gateways,
            gateway_cum,
            gen_ed,
            gen_ed_cum,
            dept_cum,
            ug_programs,
            ug_cum,
            grad_programs,
            grad_cum,
        }
    }

    pub(crate) fn college_of(&self, dept: usize) -> &'static College {
        &COLLEGES[self.depts[dept].college]
    }

    /// Another bachelor program (for major switching).
    pub(crate) fn other_bachelor(&self, r: &mut impl RngExt, current: u16) -> u16 {
        for _ in 0..8 {
            let p = self.ug_programs[r.weighted(&self.ug_cum)];
            if p != current && self.programs[p as usize].level == DegreeLevel::Bachelor {
                return p;
            }
        }
        current
    }
}
