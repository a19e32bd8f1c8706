//! Feed dates in the forms seen in the wild. An unreadable date is `None`, never an error: the item
//! is kept and ordered by its place in the feed.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

/// Parses RFC 2822 (RSS), RFC 3339 (Atom, Dublin Core) and a few common near-misses.
pub fn parse(raw: &str) -> Option<DateTime<Utc>> {
    let s = raw.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(s) {
        return Some(d.with_timezone(&Utc));
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    // Near-misses: full month names, no seconds, no weekday, a space instead of 'T'.
    let cleaned = s.replace("  ", " ");
    for fmt in [
        "%a, %d %B %Y %H:%M:%S %z",
        "%a, %d %b %Y %H:%M %z",
        "%d %b %Y %H:%M:%S %z",
        "%a %b %d %Y %H:%M:%S %z",
        "%Y-%m-%d %H:%M:%S %z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
    ] {
        if let Ok(d) = DateTime::parse_from_str(&cleaned, fmt) {
            return Some(d.with_timezone(&Utc));
        }
    }
    // A weekday that does not match the date makes RFC 2822 parsing fail: try without it.
    if let Some((_, rest)) = cleaned.split_once(", ") {
        if let Ok(d) = DateTime::parse_from_rfc2822(rest.trim()) {
            return Some(d.with_timezone(&Utc));
        }
    }
    for fmt in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%a, %d %b %Y %H:%M:%S"] {
        if let Ok(d) = NaiveDateTime::parse_from_str(&cleaned, fmt) {
            return Some(d.and_utc());
        }
    }
    NaiveDate::parse_from_str(&cleaned, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Option<i64> {
        parse(s).map(|d| d.timestamp())
    }

    #[test]
    fn common_forms() {
        assert_eq!(ts("Tue, 10 Jun 2003 04:00:00 GMT"), Some(1055217600));
        assert_eq!(ts("Tue, 10 Jun 2003 04:00:00 +0000"), Some(1055217600));
        assert_eq!(ts("2003-06-10T04:00:00Z"), Some(1055217600));
        assert_eq!(ts("Tue, 10 June 2003 04:00:00 +0000"), Some(1055217600));
        assert_eq!(ts("Wed, 10 Jun 2003 04:00:00 GMT"), Some(1055217600), "wrong weekday");
        assert_eq!(ts("2003-06-10"), Some(1055203200));
        assert_eq!(ts("next Tuesday"), None);
        assert_eq!(ts(""), None);
    }
}
