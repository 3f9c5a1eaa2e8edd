//! Budgets: USD caps per local day or month, over all spend, one provider's or one rule's.
//!
//! Spend is summed in memory as requests are logged, and read back from the request log when
//! Sluice starts, so the counters survive restarts and a request pays only for reading them.
//! At 80 % a budget warns (`x-sluice-budget`, the log, a banner in the UI); at 100 % it acts
//! as configured: refuse with a 429 naming the budget, or let the request go on without what
//! the budget covers (its rule is passed over, its provider's targets are skipped).

use crate::config::{BudgetConfig, OnExceed, Period};
use chrono::{Datelike, Local, TimeZone};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Mutex;

/// Spent share at which a budget warns.
pub const WARN_AT: f64 = 0.8;

/// What a budget counts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    All,
    Provider(String),
    Rule(String),
}

impl Scope {
    fn of(b: &BudgetConfig) -> Scope {
        match (&b.provider, &b.rule) {
            (Some(p), _) => Scope::Provider(p.clone()),
            (None, Some(r)) => Scope::Rule(r.clone()),
            (None, None) => Scope::All,
        }
    }
}

/// Spend so far in the current day and month, by scope.
pub struct Spend {
    windows: Mutex<[Window; 2]>,
}

struct Window {
    period: Period,
    start_ms: i64,
    end_ms: i64,
    by: HashMap<Scope, f64>,
}

/// One logged request's cost and what it counts against.
pub struct Cost<'a> {
    pub ts_ms: i64,
    pub usd: f64,
    pub provider: Option<&'a str>,
    pub rule: &'a str,
}

impl Window {
    fn new(period: Period, now_ms: i64) -> Window {
        let (start_ms, end_ms) = period_bounds(period, now_ms);
        Window { period, start_ms, end_ms, by: HashMap::new() }
    }

    /// Starts a new period when `now_ms` is past this one.
    fn roll(&mut self, now_ms: i64) {
        if now_ms >= self.end_ms {
            *self = Window::new(self.period, now_ms);
        }
    }

    fn add(&mut self, c: &Cost) {
        if c.ts_ms < self.start_ms {
            return;
        }
        let scopes = [Some(Scope::All), c.provider.map(|p| Scope::Provider(p.to_owned())), Some(Scope::Rule(c.rule.to_owned()))];
        for s in scopes.into_iter().flatten() {
            *self.by.entry(s).or_default() += c.usd;
        }
    }
}

impl Spend {
    /// Counters for the current periods, from the costs logged since the month began.
    pub fn new(now_ms: i64, logged: impl IntoIterator<Item = (i64, f64, Option<String>, String)>) -> Spend {
        let mut windows = [Window::new(Period::Day, now_ms), Window::new(Period::Month, now_ms)];
        for (ts_ms, usd, provider, rule) in logged {
            let cost = Cost { ts_ms, usd, provider: provider.as_deref(), rule: &rule };
            windows.iter_mut().for_each(|w| w.add(&cost));
        }
        Spend { windows: Mutex::new(windows) }
    }

    /// When the month began, for reading back what was spent since.
    pub fn month_start_ms(now_ms: i64) -> i64 {
        period_bounds(Period::Month, now_ms).0
    }

    pub fn add(&self, cost: Cost) {
        if cost.usd <= 0.0 {
            return;
        }
        let mut windows = self.windows.lock().expect("spend lock");
        for w in windows.iter_mut() {
            w.roll(cost.ts_ms);
            w.add(&cost);
        }
    }

    fn spent(&self, scope: &Scope, period: Period, now_ms: i64) -> f64 {
        let mut windows = self.windows.lock().expect("spend lock");
        let w = windows.iter_mut().find(|w| w.period == period).expect("a window per period");
        w.roll(now_ms);
        w.by.get(scope).copied().unwrap_or(0.0)
    }
}

/// One budget's state now, for the admin API, explain and the UI's banner.
#[derive(Debug, Clone, Serialize)]
pub struct BudgetState {
    pub name: String,
    pub usd: f64,
    pub period: Period,
    pub spent_usd: f64,
    pub share: f64,
    pub on_exceed: OnExceed,
    /// `ok`, `warning` (≥ 80 %) or `exceeded` (≥ 100 %).
    pub state: &'static str,
}

/// The budgets of one config.
#[derive(Debug, Clone, Default)]
pub struct Budgets {
    list: Vec<(BudgetConfig, Scope)>,
}

impl Budgets {
    pub fn new(config: &[BudgetConfig]) -> Budgets {
        Budgets { list: config.iter().map(|b| (b.clone(), Scope::of(b))).collect() }
    }

    fn state(&self, (b, scope): &(BudgetConfig, Scope), spend: &Spend, now_ms: i64) -> BudgetState {
        let spent = spend.spent(scope, b.period, now_ms);
        let share = if b.usd > 0.0 { spent / b.usd } else if spent > 0.0 { f64::INFINITY } else { 1.0 };
        let state = if share >= 1.0 { "exceeded" } else if share >= WARN_AT { "warning" } else { "ok" };
        BudgetState { name: b.name.clone(), usd: b.usd, period: b.period, spent_usd: spent, share, on_exceed: b.on_exceed, state }
    }

    pub fn states(&self, spend: &Spend, now_ms: i64) -> Vec<BudgetState> {
        self.list.iter().map(|b| self.state(b, spend, now_ms)).collect()
    }

    /// The spent share of the budget named `name` (0 when there is none).
    pub fn share(&self, name: &str, spend: &Spend, now_ms: i64) -> f64 {
        self.list.iter().find(|(b, _)| b.name == name).map_or(0.0, |b| self.state(b, spend, now_ms).share)
    }

    /// Used-up budgets that cover a scope, with what each does about it.
    fn exceeded<'a>(&'a self, scope: &'a Scope, spend: &'a Spend, now_ms: i64) -> impl Iterator<Item = BudgetState> + 'a {
        self.list.iter().filter(move |(_, s)| s == scope).map(move |b| self.state(b, spend, now_ms)).filter(|s| s.share >= 1.0)
    }

    /// A used-up budget that refuses requests of this scope.
    pub fn refusing(&self, scope: &Scope, spend: &Spend, now_ms: i64) -> Option<BudgetState> {
        self.exceeded(scope, spend, now_ms).find(|s| s.on_exceed == OnExceed::Reject)
    }

    /// A used-up budget that lets requests of this scope fall through to what comes next.
    pub fn yielding(&self, scope: &Scope, spend: &Spend, now_ms: i64) -> Option<BudgetState> {
        self.exceeded(scope, spend, now_ms).find(|s| s.on_exceed == OnExceed::FallThrough)
    }

    /// The fullest budget at or past the warning share among those that cover these scopes.
    pub fn warning(&self, scopes: &[Scope], spend: &Spend, now_ms: i64) -> Option<BudgetState> {
        self.list
            .iter()
            .filter(|(_, s)| scopes.contains(s))
            .map(|b| self.state(b, spend, now_ms))
            .filter(|s| s.share >= WARN_AT)
            .max_by(|a, b| a.share.total_cmp(&b.share))
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

/// The local day or month around `now_ms`, as [start, end) in Unix milliseconds.
fn period_bounds(period: Period, now_ms: i64) -> (i64, i64) {
    let now = Local.timestamp_millis_opt(now_ms).earliest().unwrap_or_else(Local::now);
    let day = now.date_naive();
    let (start, end) = match period {
        Period::Day => (day, day.succ_opt().unwrap_or(day)),
        Period::Month => {
            let first = day.with_day(1).unwrap_or(day);
            let next = if first.month() == 12 { first.with_year(first.year() + 1).and_then(|d| d.with_month(1)) } else { first.with_month(first.month() + 1) };
            (first, next.unwrap_or(first))
        }
    };
    // A midnight that does not exist (a DST jump) starts at the first instant that does.
    let ms = |d: chrono::NaiveDate| Local.from_local_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight")).earliest().map_or(now_ms, |t| t.timestamp_millis());
    (ms(start), ms(end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(name: &str, usd: f64, provider: Option<&str>, rule: Option<&str>, on_exceed: OnExceed) -> BudgetConfig {
        BudgetConfig { name: name.into(), usd, period: Period::Day, provider: provider.map(Into::into), rule: rule.map(Into::into), on_exceed }
    }

    #[test]
    fn spend_counts_by_scope_and_period() {
        let now = crate::now_ms();
        let yesterday = period_bounds(Period::Day, now).0 - 1;
        let spend = Spend::new(now, [(now, 1.0, Some("openai".into()), "cheap".into()), (yesterday, 5.0, Some("openai".into()), "cheap".into())]);
        spend.add(Cost { ts_ms: now, usd: 0.5, provider: Some("anthropic"), rule: "hard" });
        let budgets = Budgets::new(&[
            budget("all", 2.0, None, None, OnExceed::Reject),
            budget("openai", 1.0, Some("openai"), None, OnExceed::FallThrough),
            budget("hard", 0.6, None, Some("hard"), OnExceed::Reject),
        ]);
        let states = budgets.states(&spend, now);
        assert_eq!(states[0].spent_usd, 1.5, "yesterday's spend is not today's");
        assert_eq!(states[1].state, "exceeded");
        assert_eq!(states[2].state, "warning", "0.5 of 0.6 is past 80 %");
        assert!(budgets.yielding(&Scope::Provider("openai".into()), &spend, now).is_some());
        assert!(budgets.refusing(&Scope::Provider("openai".into()), &spend, now).is_none());
        assert_eq!(budgets.warning(&[Scope::All, Scope::Rule("hard".into())], &spend, now).unwrap().name, "hard", "`all` is at 75 %, under the warning share");
        assert!(budgets.warning(&[Scope::All], &spend, now).is_none());
        let month = Budgets::new(&[BudgetConfig { period: Period::Month, ..budget("m", 10.0, None, None, OnExceed::Reject) }]);
        let month_spent = month.states(&spend, now)[0].spent_usd;
        let same_month = period_bounds(Period::Month, now).0 <= yesterday;
        assert_eq!(month_spent, if same_month { 6.5 } else { 1.5 });
    }

    #[test]
    fn a_new_day_starts_from_zero() {
        let now = crate::now_ms();
        let spend = Spend::new(now, [(now, 3.0, None, "default".into())]);
        let tomorrow = period_bounds(Period::Day, now).1 + 1000;
        assert_eq!(spend.spent(&Scope::All, Period::Day, tomorrow), 0.0);
    }
}
