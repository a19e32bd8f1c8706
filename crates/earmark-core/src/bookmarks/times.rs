//! Times as people type and read them: `12:30`, `1:02:03.5`, `754.2`. Parsing is strict (a typo
//! is an error, never a silently different moment); formatting gives `H:MM:SS` for reading and a
//! lossless form that parses back to the same millisecond.

/// Why a typed time was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    /// Nothing was typed.
    #[error("empty time (use 12:30, 1:02:03.5 or seconds)")]
    Empty,
    /// A minus sign: episodes start at zero.
    #[error("{0:?} is negative; times count from the start of the episode")]
    Negative(String),
    /// Not a time at all.
    #[error("{0:?} is not a time (use 12:30, 1:02:03.5 or seconds)")]
    Malformed(String),
    /// Minutes or seconds of 60 or more after a colon (`1:75:00`).
    #[error("{0:?}: minutes and seconds after a colon must be below 60")]
    OutOfRange(String),
}

/// Parses `SS[.f]`, `M:SS[.f]` or `H:MM:SS[.f]` to seconds. The first field may be any size
/// (`90:00` is ninety minutes); the fields after a colon must be below 60; only the last may
/// carry a fraction.
pub fn parse(input: &str) -> Result<f64, TimeError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(TimeError::Empty);
    }
    if s.starts_with('-') {
        return Err(TimeError::Negative(s.to_owned()));
    }
    let malformed = || TimeError::Malformed(s.to_owned());
    let parts: Vec<&str> = s.split(':').collect();
    if parts.len() > 3 {
        return Err(malformed());
    }
    let last = parts.len() - 1;
    let mut total = 0.0f64;
    for (i, part) in parts.iter().enumerate() {
        let digits_ok = !part.is_empty()
            && part.chars().all(|c| c.is_ascii_digit() || (i == last && c == '.'))
            && part.matches('.').count() <= 1
            && !part.starts_with('.')
            && !part.ends_with('.');
        if !digits_ok {
            return Err(malformed());
        }
        let v: f64 = part.parse().map_err(|_| malformed())?;
        if i > 0 && v >= 60.0 {
            return Err(TimeError::OutOfRange(s.to_owned()));
        }
        total = total * 60.0 + v;
    }
    if !total.is_finite() {
        return Err(malformed());
    }
    Ok(total)
}

/// `H:MM:SS`, whole seconds rounded down: how exports and listings show a moment.
pub fn format_hms(secs: f64) -> String {
    let s = if secs.is_finite() && secs > 0.0 {
        secs.floor() as u64
    } else {
        0
    };
    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// `H:MM:SS` with the fraction kept to the millisecond when there is one (`0:12:30.25`), so the
/// text parses back to the same moment.
pub fn format_precise(secs: f64) -> String {
    let ms = if secs.is_finite() && secs > 0.0 {
        (secs * 1000.0).round() as u64
    } else {
        0
    };
    let whole = format_hms((ms / 1000) as f64);
    match ms % 1000 {
        0 => whole,
        frac => {
            let f = format!("{frac:03}");
            format!("{whole}.{}", f.trim_end_matches('0'))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_forms_people_type() {
        assert_eq!(parse("12:30"), Ok(750.0));
        assert_eq!(parse("1:02:03.5"), Ok(3723.5));
        assert_eq!(parse("754.2"), Ok(754.2));
        assert_eq!(parse(" 0 "), Ok(0.0));
        assert_eq!(parse("90:00"), Ok(5400.0));
        assert_eq!(parse("0:00:07"), Ok(7.0));
    }

    #[test]
    fn refuses_typos_with_the_reason() {
        assert_eq!(parse(""), Err(TimeError::Empty));
        assert_eq!(parse("   "), Err(TimeError::Empty));
        assert!(matches!(parse("-5"), Err(TimeError::Negative(_))));
        assert!(matches!(parse("-0:05"), Err(TimeError::Negative(_))));
        for bad in [
            "abc", "12:", ":30", "1:2:3:4", "1.5:30", "12:30.", "1e3", "12::30", "1..2", "12,5", "inf", "NaN",
        ] {
            assert!(matches!(parse(bad), Err(TimeError::Malformed(_))), "{bad}");
        }
        assert!(matches!(parse("1:75:00"), Err(TimeError::OutOfRange(_))));
        assert!(matches!(parse("12:60"), Err(TimeError::OutOfRange(_))));
    }

    #[test]
    fn formats_for_reading_and_losslessly() {
        assert_eq!(format_hms(0.0), "0:00:00");
        assert_eq!(format_hms(750.9), "0:12:30");
        assert_eq!(format_hms(3723.5), "1:02:03");
        assert_eq!(format_hms(-3.0), "0:00:00");
        assert_eq!(format_hms(f64::NAN), "0:00:00");
        assert_eq!(format_precise(3723.5), "1:02:03.5");
        assert_eq!(format_precise(750.0), "0:12:30");
        assert_eq!(format_precise(1.25), "0:00:01.25");
        for v in [0.0, 1.001, 59.999, 754.2, 3723.5, 86_400.125] {
            let back = parse(&format_precise(v)).expect("parses back");
            assert!((back - v).abs() < 0.0005, "{v} -> {back}");
        }
    }
}
