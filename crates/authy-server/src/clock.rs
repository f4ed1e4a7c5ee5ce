//! Time is injected: the server reads the clock through [`Clock`], and each
//! application adds its sandbox offset (`POST /sandbox/clock`), stored in the
//! database so every instance agrees.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// Unix seconds now.
pub trait Clock: Send + Sync + 'static {
    /// Seconds since the Unix epoch.
    fn now_unix(&self) -> i64;
}

/// The machine's clock.
#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_unix(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or_default()
    }
}

/// A clock that tests set and move.
#[derive(Debug, Default, Clone)]
pub struct FakeClock(Arc<AtomicI64>);

impl FakeClock {
    /// A clock reading `now`.
    pub fn at(now: i64) -> Self {
        FakeClock(Arc::new(AtomicI64::new(now)))
    }

    /// Moves the clock by `seconds`.
    pub fn advance(&self, seconds: i64) {
        self.0.fetch_add(seconds, Ordering::SeqCst);
    }
}

impl Clock for FakeClock {
    fn now_unix(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// RFC 3339 UTC with seconds and `Z`, as WIRE.md §3.17 and SANDBOX.md use.
pub fn rfc3339(unix: i64) -> String {
    let t =
        time::OffsetDateTime::from_unix_timestamp(unix).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    t.format(time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
    ))
    .unwrap_or_default()
}

/// `YYYY-MM-DD HH:MM:SS`, as in `Phone number information as of ... UTC`.
pub fn date_time(unix: i64) -> String {
    let t =
        time::OffsetDateTime::from_unix_timestamp(unix).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    t.format(time::macros::format_description!(
        "[year]-[month]-[day] [hour]:[minute]:[second]"
    ))
    .unwrap_or_default()
}

/// The (year, month 1–12) of a Unix time, UTC.
pub fn year_month(unix: i64) -> (i32, u8) {
    let t =
        time::OffsetDateTime::from_unix_timestamp(unix).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    (t.year(), u8::from(t.month()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_times_as_the_wire_does() {
        assert_eq!(rfc3339(1486688992), "2017-02-10T01:09:52Z");
        assert_eq!(date_time(1511652099), "2017-11-25 23:21:39");
        assert_eq!(year_month(1486688992), (2017, 2));
        let clock = FakeClock::at(100);
        clock.advance(30);
        assert_eq!(clock.now_unix(), 130);
    }
}
