//! `itunes:duration` in all its forms: `HH:MM:SS`, `MM:SS`, plain seconds (with or without a
//! fraction), and the occasional `1h 2m 3s`. Garbage is `None`.

/// Parses a duration to seconds.
pub fn parse(raw: &str) -> Option<f64> {
    let s = raw.trim();
    if s.is_empty() {
        return None;
    }
    if s.contains(':') {
        let parts: Vec<&str> = s.split(':').map(str::trim).collect();
        if parts.len() > 3 {
            return None;
        }
        let mut total = 0.0;
        for p in &parts {
            let v: f64 = p.parse().ok().filter(|v: &f64| v.is_finite() && *v >= 0.0)?;
            total = total * 60.0 + v;
        }
        return Some(total);
    }
    if let Ok(v) = s.parse::<f64>() {
        return (v.is_finite() && v >= 0.0).then_some(v);
    }
    // "1h 2m 3s", "45 min", "90s"
    let mut total = 0.0;
    let mut matched = false;
    let lower = s.to_ascii_lowercase();
    let mut num = String::new();
    let mut chars = lower.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            num.push(c);
            continue;
        }
        if c.is_whitespace() && num.is_empty() {
            continue;
        }
        if c.is_whitespace() {
            continue;
        }
        let mut unit = String::from(c);
        while let Some(&n) = chars.peek() {
            if n.is_ascii_alphabetic() {
                unit.push(n);
                chars.next();
            } else {
                break;
            }
        }
        let v: f64 = num.parse().ok()?;
        num.clear();
        total += v * match unit.as_str() {
            "h" | "hr" | "hrs" | "hour" | "hours" => 3600.0,
            "m" | "min" | "mins" | "minute" | "minutes" => 60.0,
            "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
            _ => return None,
        };
        matched = true;
    }
    (matched && num.is_empty()).then_some(total)
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn forms() {
        assert_eq!(parse("01:00:00"), Some(3600.0));
        assert_eq!(parse("1:02:03"), Some(3723.0));
        assert_eq!(parse("62:03"), Some(3723.0));
        assert_eq!(parse("3723"), Some(3723.0));
        assert_eq!(parse(" 12.5 "), Some(12.5));
        assert_eq!(parse("1h 2m 3s"), Some(3723.0));
        assert_eq!(parse("45 min"), Some(2700.0));
        assert_eq!(parse("abc"), None);
        assert_eq!(parse("1:2:3:4"), None);
        assert_eq!(parse("-5"), None);
        assert_eq!(parse(""), None);
    }
}
