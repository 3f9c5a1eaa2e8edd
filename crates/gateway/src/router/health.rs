//! A small circuit breaker per target: after `failure_threshold` consecutive failures a target
//! is skipped for `cooldown`; after that one request may try it again (half-open), and its
//! result closes the circuit or opens it anew. A `Retry-After` from the upstream opens it for
//! as long as the upstream asked.

use super::Target;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Default)]
struct State {
    consecutive_failures: u32,
    open_until: Option<Instant>,
    last_error: Option<String>,
}

#[derive(Default)]
pub struct Health {
    targets: Mutex<HashMap<Target, State>>,
}

#[derive(Debug, Serialize)]
pub struct TargetHealth {
    pub target: String,
    /// `closed` (in use), `open` (skipped) or `half_open` (next request tries it).
    pub state: &'static str,
    pub consecutive_failures: u32,
    pub retry_in_secs: Option<f64>,
    pub last_error: Option<String>,
}

impl Health {
    /// Indices of `targets` to try, in order: those not cooling down; if all are, the one whose
    /// cooldown ends first, so a request is never refused without an attempt.
    pub fn order(&self, targets: &[Target], now: Instant) -> Vec<usize> {
        let map = self.targets.lock().expect("health lock");
        let open_until = |t: &Target| map.get(t).and_then(|s| s.open_until).filter(|u| *u > now);
        let usable: Vec<usize> = (0..targets.len()).filter(|&i| open_until(&targets[i]).is_none()).collect();
        if !usable.is_empty() {
            return usable;
        }
        (0..targets.len()).min_by_key(|&i| open_until(&targets[i])).into_iter().collect()
    }

    pub fn success(&self, target: &Target) {
        let mut map = self.targets.lock().expect("health lock");
        if let Some(s) = map.get_mut(target) {
            *s = State::default();
        }
    }

    pub fn failure(&self, target: &Target, error: &str, retry_after: Option<Duration>, threshold: u32, cooldown: Duration, now: Instant) {
        let mut map = self.targets.lock().expect("health lock");
        let s = map.entry(target.clone()).or_default();
        s.consecutive_failures += 1;
        s.last_error = Some(error.to_owned());
        let mut open = None;
        if s.consecutive_failures >= threshold {
            open = Some(now + cooldown);
        }
        if let Some(wait) = retry_after {
            open = open.max(Some(now + wait));
        }
        if open.is_some() {
            s.open_until = open;
        }
    }

    pub fn snapshot(&self, now: Instant) -> Vec<TargetHealth> {
        let map = self.targets.lock().expect("health lock");
        let mut out: Vec<TargetHealth> = map.iter().map(|(t, s)| describe(t, s, now)).collect();
        out.sort_by(|a, b| a.target.cmp(&b.target));
        out
    }

    /// One target's circuit (closed when it never failed).
    pub fn state(&self, target: &Target, now: Instant) -> TargetHealth {
        let map = self.targets.lock().expect("health lock");
        describe(target, map.get(target).unwrap_or(&State::default()), now)
    }
}

fn describe(t: &Target, s: &State, now: Instant) -> TargetHealth {
    let remaining = s.open_until.and_then(|u| u.checked_duration_since(now)).filter(|d| !d.is_zero());
    let state = match (remaining, s.open_until) {
        (Some(_), _) => "open",
        (None, Some(_)) => "half_open",
        (None, None) => "closed",
    };
    TargetHealth {
        target: t.to_string(),
        state,
        consecutive_failures: s.consecutive_failures,
        retry_in_secs: remaining.map(|d| d.as_secs_f64()),
        last_error: s.last_error.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Target {
        Target { provider: s.into(), model: "m".into() }
    }

    #[test]
    fn opens_after_threshold_and_half_opens_after_cooldown() {
        let h = Health::default();
        let targets = [t("a"), t("b")];
        let now = Instant::now();
        let cool = Duration::from_secs(30);
        h.failure(&targets[0], "503", None, 2, cool, now);
        assert_eq!(h.order(&targets, now), vec![0, 1], "one failure is not enough");
        h.failure(&targets[0], "503", None, 2, cool, now);
        assert_eq!(h.order(&targets, now), vec![1]);
        assert_eq!(h.snapshot(now)[0].state, "open");
        let later = now + cool + Duration::from_millis(1);
        assert_eq!(h.order(&targets, later), vec![0, 1]);
        assert_eq!(h.snapshot(later)[0].state, "half_open");
        h.success(&targets[0]);
        assert_eq!(h.snapshot(later)[0].state, "closed");
    }

    #[test]
    fn retry_after_opens_at_once_and_all_open_still_tries_one() {
        let h = Health::default();
        let targets = [t("a"), t("b")];
        let now = Instant::now();
        h.failure(&targets[0], "429", Some(Duration::from_secs(10)), 3, Duration::from_secs(30), now);
        h.failure(&targets[1], "429", Some(Duration::from_secs(5)), 3, Duration::from_secs(30), now);
        assert_eq!(h.order(&targets, now), vec![1], "the soonest to reopen");
    }
}
