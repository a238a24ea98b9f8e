//! Built-in lists for fake personal data (names, streets, cities) and email/phone helpers.

use std::collections::HashMap;

use super::rng::RngExt;

#[rustfmt::skip]
pub(crate) const FEMALE: &[&str] = &[
    "Olivia", "Emma", "Ava", "Sophia", "Isabella", "Mia", "Amelia", "Harper", "Evelyn", "Abigail",
    "Emily", "Ella", "Elizabeth", "Camila", "Luna", "Sofia", "Avery", "Mila", "Aria", "Scarlett",
    "Penelope", "Layla", "Chloe", "Victoria", "Madison", "Eleanor", "Grace", "Nora", "Riley",
    "Zoey", "Hannah", "Hazel", "Lily", "Ellie", "Violet", "Lillian", "Zoë", "Stella", "Aurora",
    "Natalie", "Emilia", "Everly", "Leah", "Aubrey", "Willow", "Addison", "Lucy", "Audrey",
    "Bella", "Nova", "Brooklyn", "Paisley", "Savannah", "Claire", "Skylar", "Isla", "Genesis",
    "Naomi", "Elena", "Caroline", "Renée", "Ximena", "Priya", "Aisha", "Mei", "Fatima", "Yuna",
    "Valentina", "Maya", "Jasmine", "Keisha", "Ngozi", "Ananya", "Lucía", "Chiara", "Ingrid",
];

#[rustfmt::skip]
pub(crate) const MALE: &[&str] = &[
    "Liam", "Noah", "Oliver", "Elijah", "James", "William", "Benjamin", "Lucas", "Henry",
    "Theodore", "Jack", "Levi", "Alexander", "Jackson", "Mateo", "Daniel", "Michael", "Mason",
    "Sebastian", "Ethan", "Logan", "Owen", "Samuel", "Jacob", "Asher", "Aiden", "John", "Joseph",
    "Wyatt", "David", "Leo", "Luke", "Julian", "Hudson", "Grayson", "Matthew", "Ezra", "Gabriel",
    "Carter", "Isaac", "Jayden", "Luca", "Anthony", "Dylan", "Lincoln", "Thomas", "Maverick",
    "Elias", "Josiah", "Charles", "Caleb", "Christopher", "Ezekiel", "Miles", "Jaxon", "Isaiah",
    "Andrew", "Joshua", "Nathan", "Nolan", "José", "Andrés", "Wei", "Hiroshi", "Arjun", "Omar",
    "Kwame", "Dmitri", "Björn", "Mohammed", "Diego", "Tariq", "Minh", "Rafael", "Santiago",
];

#[rustfmt::skip]
pub(crate) const LAST: &[&str] = &[
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott",
    "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera",
    "Campbell", "Mitchell", "Carter", "Roberts", "Gomez", "Phillips", "Evans", "Turner", "Diaz",
    "Parker", "Cruz", "Edwards", "Collins", "Reyes", "Stewart", "Morris", "Morales", "Murphy",
    "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper", "Peterson", "Bailey", "Reed",
    "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson", "Watson", "Brooks", "Chavez",
    "Wood", "James", "Bennett", "Gray", "Mendoza", "Ruiz", "Hughes", "Price", "Alvarez",
    "Castillo", "Sanders", "Patel", "Myers", "Long", "Ross", "Foster", "Jimenez", "O'Brien",
    "O'Connor", "McDonald", "Van der Berg", "Okafor", "Chen", "Wang", "Zhang", "Liu", "Yamamoto",
    "Tanaka", "Singh", "Kumar", "Shah", "Ali", "Haddad", "Kowalski", "Novak", "Schmidt", "Müller",
    "Rossi", "Silva", "Santos", "Nakamura", "Park", "Choi", "Le", "Tran", "Abebe", "Mensah",
    "Ivanova", "Petrov", "Larsen", "Dubois", "Fischer", "Hoffmann", "Núñez",
];

#[rustfmt::skip]
pub(crate) const NICKNAMES: &[&str] = &[
    "Alex", "Sam", "Jess", "Chris", "Kate", "Becca", "Mike", "Danny", "Liz", "Tony", "Andy",
    "Maddie", "Nate", "Josh", "Ben", "Abby", "Ellie", "Max", "Charlie", "Jo", "Teddy", "Izzy",
];

#[rustfmt::skip]
pub(crate) const STREETS: &[&str] = &[
    "Maple", "Oak", "Pine", "Cedar", "Elm", "Washington", "Lake", "Hill", "Park", "Main", "Walnut",
    "Sunset", "Lincoln", "Jefferson", "Highland", "Ridge", "River", "Spring", "Church", "Willow",
    "Chestnut", "Meadow", "Franklin", "College", "University", "Forest", "Valley", "Madison",
    "Adams", "Jackson", "Birch", "Aspen", "Magnolia", "Prospect", "Summit",
];

#[rustfmt::skip]
pub(crate) const STREET_KINDS: &[&str] = &[
    "St", "Ave", "Rd", "Blvd", "Ln", "Dr", "Ct", "Way", "Pl", "Terrace",
];

/// (city, first three digits of its postal codes)
#[rustfmt::skip]
pub(crate) const CITIES: &[(&str, &str)] = &[
    ("Lyceum City", "481"),
    ("Riverton", "482"),
    ("Fairview", "483"),
    ("Oak Harbor", "484"),
    ("Mill Creek", "485"),
    ("Brookfield", "486"),
    ("Cedar Falls", "487"),
    ("Greenville", "488"),
    ("Franklin", "489"),
    ("Springfield", "490"),
    ("Madison", "491"),
    ("Georgetown", "492"),
    ("Clinton", "493"),
    ("Salem", "494"),
    ("Ashland", "495"),
    ("Dover", "496"),
    ("Lakewood", "497"),
    ("Hillsboro", "498"),
    ("Westfield", "499"),
    ("Kingston", "470"),
    ("Marion", "471"),
    ("Burlington", "472"),
    ("Milton", "473"),
    ("Newport", "474"),
];

/// An ASCII, lower-case email local part for a name (`José O'Brien` → `jose.obrien`).
pub(crate) fn email_local(first: &str, last: &str) -> String {
    let mut out = String::with_capacity(first.len() + last.len() + 1);
    push_ascii(&mut out, first);
    out.push('.');
    push_ascii(&mut out, last);
    out
}

fn push_ascii(out: &mut String, s: &str) {
    for c in s.chars() {
        let mapped = match c {
            'á' | 'à' | 'ä' | 'â' | 'Á' => 'a',
            'é' | 'è' | 'ë' | 'ê' | 'É' => 'e',
            'í' | 'ì' | 'ï' | 'Í' => 'i',
            'ó' | 'ò' | 'ö' | 'ô' | 'Ó' => 'o',
            'ú' | 'ù' | 'ü' | 'Ú' => 'u',
            'ñ' | 'Ñ' => 'n',
            c if c.is_ascii_alphanumeric() => c.to_ascii_lowercase(),
            _ => continue,
        };
        out.push(mapped);
    }
}

/// Hands out unique emails `first.last{n}@domain` with a per-name counter.
#[derive(Default)]
pub(crate) struct EmailBook {
    counters: HashMap<String, u32>,
}

impl EmailBook {
    pub(crate) fn next(&mut self, first: &str, last: &str, domain: &str) -> String {
        let local = email_local(first, last);
        let n = self.counters.entry(local.clone()).or_insert(0);
        *n += 1;
        format!("{local}{n}@{domain}")
    }
}

/// A fake US phone number in the reserved 555 exchange.
pub(crate) fn phone(r: &mut impl RngExt) -> String {
    format!("{}-555-{:04}", r.between(201, 989), r.between(100, 9999))
}

/// A fake street address: (line1, city, postal code).
pub(crate) fn address(r: &mut impl RngExt) -> (String, &'static str, String) {
    let line1 = format!(
        "{} {} {}",
        r.between(1, 9899),
        r.pick(STREETS),
        r.pick(STREET_KINDS)
    );
    let &(city, zip3) = r.pick(CITIES);
    (line1, city, format!("{zip3}{:02}", r.between(1, 99)))
}
