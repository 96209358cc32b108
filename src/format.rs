//! Human-readable numbers shared by the CLI tables and the GUI panes.

/// Bytes in DevTools' style: `0 B`, `999 B`, `1.2 kB`, `34 MB` (powers of 1000).
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["kB", "MB", "GB", "TB", "PB"];
    if n < 1000 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1000.0;
    let mut unit = 0;
    while value >= 999.95 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    if value < 10.0 {
        format!("{value:.1} {}", UNITS[unit])
    } else {
        format!("{value:.0} {}", UNITS[unit])
    }
}

/// An integer with thin thousands separators: `1 234 567`.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{2009}');
        }
        out.push(c);
    }
    out
}

/// A distance as DevTools shows it: `−` for unreachable or system-only objects.
pub fn distance(d: i32) -> String {
    if !(0..crate::snapshot::BASE_SYSTEM_DISTANCE).contains(&d) {
        "\u{2212}".to_owned()
    } else {
        d.to_string()
    }
}

/// A percentage of `total` with one decimal (`0.0 %` for an empty total).
pub fn percent(part: u64, total: u64) -> String {
    if total == 0 {
        return "0.0 %".to_owned();
    }
    format!("{:.1} %", part as f64 * 100.0 / total as f64)
}

/// `20261206-081502` (UTC) for file names, e.g. captured snapshots.
pub fn timestamp_for_file_name(at: std::time::SystemTime) -> String {
    let secs = at
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs()) as i64;
    let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    format!(
        "{year:04}{month:02}{day:02}-{:02}{:02}{:02}",
        rem / 3_600,
        rem % 3_600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (year, month, day), H. Hinnant's
/// algorithm.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m as u32, d as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_name_timestamps_are_utc_civil_dates() {
        let at = |secs| std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
        assert_eq!(timestamp_for_file_name(at(0)), "19700101-000000");
        // 2026-12-06 08:15:02 UTC.
        assert_eq!(
            timestamp_for_file_name(at(1_796_544_902)),
            "20261206-081502"
        );
        // A leap day.
        assert_eq!(timestamp_for_file_name(at(951_782_400)), "20000229-000000");
    }

    #[test]
    fn bytes_are_human() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(999), "999 B");
        assert_eq!(bytes(1_234), "1.2 kB");
        assert_eq!(bytes(84_000), "84 kB");
        assert_eq!(bytes(3_160_216), "3.2 MB");
        assert_eq!(bytes(1_080_000_000), "1.1 GB");
    }

    #[test]
    fn counts_and_distances() {
        assert_eq!(count(1234567), "1\u{2009}234\u{2009}567");
        assert_eq!(count(12), "12");
        assert_eq!(distance(3), "3");
        assert_eq!(distance(-5), "\u{2212}");
        assert_eq!(distance(100_000_001), "\u{2212}");
        assert_eq!(percent(1, 4), "25.0 %");
    }
}
