//! When a failed request is tried again.
//!
//! Retry safety belongs to the call, not to the HTTP method: SMS and voice
//! requests are GETs that send a message, so they are never repeated. Only
//! calls marked [`Retry::Safe`] are retried, only after a connection error, a
//! timeout, HTTP 429, or a 502/503/504 that is not an Authy answer (a 503 with
//! `error_code` 60006 or 60007 means "feature disabled", not "outage").

use std::time::Duration;

use reqwest::StatusCode;

/// Whether repeating a call is harmless.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retry {
    /// Reading, or idempotent: a repeat cannot send a second message or burn a code.
    Safe,
    /// Sends a message, push or code, or consumes one: never repeated.
    Never,
}

/// How many times, and how long to wait between tries.
///
/// ```
/// use std::time::Duration;
/// use authy::RetryPolicy;
/// let patient = RetryPolicy::default().max_retries(4).initial_backoff(Duration::from_millis(500));
/// let none = RetryPolicy::none();
/// # let _ = (patient, none);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    pub(crate) max_retries: u32,
    pub(crate) initial_backoff: Duration,
    pub(crate) max_backoff: Duration,
    pub(crate) max_retry_after: Duration,
}

impl Default for RetryPolicy {
    /// Two retries, backing off from 250 ms up to 4 s, and waiting for a
    /// `Retry-After` of up to 30 s.
    fn default() -> Self {
        RetryPolicy {
            max_retries: 2,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(4),
            max_retry_after: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// Never retry anything.
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        }
    }

    /// Retries after the first try (0 turns retries off).
    pub fn max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }

    /// The wait before the first retry; it doubles for each further one.
    pub fn initial_backoff(mut self, d: Duration) -> Self {
        self.initial_backoff = d;
        self
    }

    /// The longest wait between two tries when the server gives no `Retry-After`.
    pub fn max_backoff(mut self, d: Duration) -> Self {
        self.max_backoff = d;
        self
    }

    /// The longest `Retry-After` the client will wait; a longer one ends the call
    /// with the server's answer.
    pub fn max_retry_after(mut self, d: Duration) -> Self {
        self.max_retry_after = d;
        self
    }
}

/// What happened on one try.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The request may not have reached the server, or no answer was read.
    Unreachable,
    /// No answer within the timeout.
    TimedOut,
    /// An answer arrived.
    Answered {
        status: StatusCode,
        retry_after: Option<Duration>,
        /// The body is an Authy error with an `error_code`: a real answer.
        authy_error: bool,
    },
}

/// What to do next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    Stop,
    RetryAfter(Duration),
}

/// Decides after try number `retries_done + 1`. `jitter` in `[0, 1)` spreads
/// waits between half and all of the exponential backoff, so many clients do
/// not retry in step. Pure, so the rules are tested as a table.
pub(crate) fn decide(
    retry: Retry,
    retries_done: u32,
    outcome: Outcome,
    policy: &RetryPolicy,
    jitter: f64,
) -> Decision {
    if retry == Retry::Never || retries_done >= policy.max_retries {
        return Decision::Stop;
    }
    let backoff = || {
        let exponential = policy
            .initial_backoff
            .saturating_mul(1u32 << retries_done.min(16));
        exponential
            .min(policy.max_backoff)
            .mul_f64(0.5 + jitter.clamp(0.0, 1.0) / 2.0)
    };
    match outcome {
        Outcome::Unreachable | Outcome::TimedOut => Decision::RetryAfter(backoff()),
        Outcome::Answered {
            status,
            retry_after,
            authy_error,
        } => {
            let transient = status == StatusCode::TOO_MANY_REQUESTS
                || (matches!(status.as_u16(), 502..=504) && !authy_error);
            match (transient, retry_after) {
                (false, _) => Decision::Stop,
                (true, Some(wait)) if wait > policy.max_retry_after => Decision::Stop,
                (true, Some(wait)) => Decision::RetryAfter(wait),
                (true, None) => Decision::RetryAfter(backoff()),
            }
        }
    }
}

/// Reads `Retry-After` as whole seconds (the form Authy and proxies use).
pub(crate) fn parse_retry_after(value: Option<&str>) -> Option<Duration> {
    value?.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    fn answered(status: u16, retry_after: Option<u64>, authy_error: bool) -> Outcome {
        Outcome::Answered {
            status: StatusCode::from_u16(status).unwrap(),
            retry_after: retry_after.map(Duration::from_secs),
            authy_error,
        }
    }

    #[test]
    fn decision_table() {
        let p = RetryPolicy::default();
        use Decision::*;
        use Retry::*;
        let cases = [
            // (retry, retries_done, outcome, expected) with jitter 1.0 → the full backoff
            (Safe, 0, Outcome::Unreachable, RetryAfter(MS(250))),
            (Safe, 1, Outcome::TimedOut, RetryAfter(MS(500))),
            (Safe, 2, Outcome::Unreachable, Stop),
            (Never, 0, Outcome::Unreachable, Stop),
            (Never, 0, answered(503, None, false), Stop),
            (Safe, 0, answered(503, None, false), RetryAfter(MS(250))),
            (Safe, 0, answered(502, None, false), RetryAfter(MS(250))),
            (Safe, 0, answered(503, None, true), Stop),
            (Safe, 0, answered(429, Some(3), true), RetryAfter(MS(3000))),
            (Safe, 0, answered(503, Some(0), false), RetryAfter(MS(0))),
            (Safe, 0, answered(429, Some(31), true), Stop),
            (Safe, 0, answered(500, None, false), Stop),
            (Safe, 0, answered(404, None, true), Stop),
            (Safe, 0, answered(200, None, false), Stop),
        ];
        for (retry, done, outcome, expected) in cases {
            assert_eq!(
                decide(retry, done, outcome, &p, 1.0),
                expected,
                "{retry:?} {done} {outcome:?}"
            );
        }
    }

    #[test]
    fn backoff_is_capped_jittered_and_can_be_turned_off() {
        let p = RetryPolicy::default().max_retries(10);
        assert_eq!(
            decide(Retry::Safe, 9, Outcome::Unreachable, &p, 1.0),
            Decision::RetryAfter(Duration::from_secs(4))
        );
        assert_eq!(
            decide(Retry::Safe, 0, Outcome::Unreachable, &p, 0.0),
            Decision::RetryAfter(MS(125))
        );
        assert_eq!(
            decide(
                Retry::Safe,
                0,
                Outcome::Unreachable,
                &RetryPolicy::none(),
                1.0
            ),
            Decision::Stop
        );
    }

    #[test]
    fn retry_after_is_whole_seconds() {
        assert_eq!(parse_retry_after(Some(" 7 ")), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after(Some("Wed, 21 Oct 2015 07:28:00 GMT")),
            None
        );
        assert_eq!(parse_retry_after(None), None);
    }
}
