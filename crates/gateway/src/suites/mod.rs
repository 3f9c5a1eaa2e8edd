//! Prompt suites: named cases (a prompt or a conversation with `{{variables}}`, parameters and
//! checks) run against several targets through the gateway, graded by local checks and an LLM
//! judge, and summed up per target with a recommendation. The UI keeps suites and their runs
//! in SQLite (`store`, `runner`); `sluice eval prompts` runs a suite file headless.

mod case;
mod checks;
pub mod judge;
pub mod report;
mod run;
mod runner;
pub mod store;

pub use case::{read_jsonl, read_values, read_yaml, write_jsonl, write_yaml, Case, CaseSpec, Item, Problem, Suite};
pub use checks::{Check, CheckOutcome, CheckSpec};
pub use judge::Preference;
pub use report::{falls, CaseResult, Fall, Recommendation, Report, TargetTotals};
pub use runner::Runner;
pub use run::{run, Client, Event, Prior, Reply, RunOptions, JUDGE_TAG, SUITE_TAG};
