//! A back-off for wrong tokens. The token is 128 random bits, so guessing is hopeless; this
//! keeps it so and keeps a misbehaving local process from hammering the check. After `FREE`
//! wrong tokens within a minute, further wrong tokens are refused with 429 and a Retry-After
//! until that minute is over. A right token is never held back.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Wrong tokens allowed per window before the back-off starts (a client with a stale token
/// retrying a few times stays within it).
const FREE: u32 = 10;
const WINDOW: Duration = Duration::from_secs(60);

#[derive(Default)]
pub struct WrongTokens {
    /// When the current window began, and the wrong tokens seen in it.
    window: Mutex<Option<(Instant, u32)>>,
}

impl WrongTokens {
    /// Counts a wrong token seen `now`; `Some(wait)` when it is past the free ones.
    pub fn strike(&self, now: Instant) -> Option<Duration> {
        let mut window = self.window.lock().expect("wrong tokens lock");
        let (start, count) = match *window {
            Some((start, count)) if now.duration_since(start) < WINDOW => (start, count + 1),
            _ => (now, 1),
        };
        *window = Some((start, count));
        (count > FREE).then(|| WINDOW.saturating_sub(now.duration_since(start)).max(Duration::from_secs(1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_back_off_starts_after_the_free_strikes_and_ends_with_the_window() {
        let w = WrongTokens::default();
        let t0 = Instant::now();
        for i in 0..FREE {
            assert_eq!(w.strike(t0 + Duration::from_secs(u64::from(i))), None);
        }
        assert_eq!(w.strike(t0 + Duration::from_secs(20)), Some(Duration::from_secs(40)));
        assert_eq!(w.strike(t0 + Duration::from_millis(59_900)), Some(Duration::from_secs(1)), "at least a second");
        assert_eq!(w.strike(t0 + WINDOW), None, "a new window");
    }
}
