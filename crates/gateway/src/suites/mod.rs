//! Prompt suites: named cases (a prompt or a conversation with `{{variables}}`, parameters and
//! checks) run against several targets through the gateway, graded by local checks and an LLM
//! judge, and summed up per target with a recommendation. `sluice eval prompts` runs them
//! headless.

mod case;
mod checks;
mod judge;
mod report;
mod run;

pub use case::{Case, Problem, Suite};
pub use checks::{Check, CheckOutcome, CheckSpec};
pub use judge::Preference;
pub use report::{CaseResult, Recommendation, Report, TargetTotals};
pub use run::{run, Client, RunOptions, JUDGE_TAG, SUITE_TAG};
