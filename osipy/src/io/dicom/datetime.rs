//! DICOM dates and times (DA, TM, DT) as seconds, parsed by dicom-core
//! (`parse_date_partial`, `parse_time_partial`, `parse_datetime_partial`). A value that does not
//! parse, or a date without its day, is `None`.

use dicom_core::value::deserialize::{parse_date_partial, parse_datetime_partial, parse_time_partial};
use dicom_core::value::{DicomDate, DicomTime};

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// A full date as days since 1970.
fn days(d: &DicomDate) -> Option<i64> {
    let (m, dd) = (*d.month()?, *d.day()?);
    Some(days_from_civil(*d.year() as i64, m as i64, dd as i64))
}

/// A time as seconds since midnight (missing minutes and seconds are 0).
fn seconds(t: &DicomTime) -> f64 {
    let mut secs = 0.0;
    for (v, mult) in [
        (Some(*t.hour()), 3600.0),
        (t.minute().copied(), 60.0),
        (t.second().copied(), 1.0),
    ] {
        secs += v.unwrap_or(0) as f64 * mult;
    }
    if let Some(us) = t.fraction_micro() {
        secs += us as f64 / 1e6;
    }
    secs
}

/// A DA value `YYYYMMDD` (or the old `YYYY.MM.DD`) as days since 1970.
pub(super) fn parse_date(s: &str) -> Option<i64> {
    let s: String = s.chars().filter(|c| *c != '.').collect();
    match parse_date_partial(s.as_bytes()) {
        Ok((d, [])) => days(&d),
        _ => None,
    }
}

/// A TM value `HH[MM[SS[.F+]]]` (or the old `HH:MM:SS.F`) as seconds since midnight.
pub(super) fn parse_time(s: &str) -> Option<f64> {
    let s: String = s.chars().filter(|c| *c != ':').collect();
    match parse_time_partial(s.as_bytes()) {
        Ok((t, [])) => Some(seconds(&t)),
        _ => None,
    }
}

/// A DT value `YYYYMMDDHHMMSS.FFFFFF&ZZXX` as seconds since 1970 (the offset ignored).
pub(super) fn parse_datetime(s: &str) -> Option<f64> {
    let dt = parse_datetime_partial(s.as_bytes()).ok()?;
    let d = days(dt.date())?;
    Some(d as f64 * 86400.0 + dt.time().map(seconds).unwrap_or(0.0))
}

/// Date + time as seconds: `(days, time of day)`.
pub(super) type DateTime = (Option<i64>, Option<f64>);

/// Date + time as seconds (the date counts only when present).
pub(super) fn combine((days, tod): DateTime) -> Option<f64> {
    tod.map(|t| days.unwrap_or(0) as f64 * 86400.0 + t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_and_time_parsing() {
        assert_eq!(parse_time("235959.5"), Some(86399.5));
        assert_eq!(parse_time("10:20:30.25"), Some(37230.25));
        assert_eq!(parse_time("1020"), Some(37200.0));
        assert_eq!(parse_time("1x"), None);
        assert_eq!(parse_date("19700102"), Some(1));
        assert_eq!(parse_date("20000301"), Some(11017));
        assert_eq!(parse_date("2000.03.01"), Some(11017));
        assert_eq!(parse_date("200003"), None);
        assert_eq!(parse_datetime("19700102000001.5+0100"), Some(86401.5));
        assert_eq!(parse_datetime("19700101"), Some(0.0));
    }

    #[test]
    fn non_ascii_values_are_none_not_a_panic() {
        assert_eq!(parse_datetime("2024\u{e9}0101120000"), None);
        assert_eq!(parse_datetime("20240101\u{e9}"), None);
        assert_eq!(parse_datetime("2024010112\u{20ac}00"), None);
        assert_eq!(parse_time("12\u{e9}"), None);
        assert_eq!(parse_date("2024\u{e9}101"), None);
        assert_eq!(parse_datetime("\u{e9}"), None);
    }
}
