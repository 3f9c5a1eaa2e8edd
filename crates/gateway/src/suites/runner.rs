//! Suite runs inside the gateway (started from the UI or the admin API): each runs as a task
//! that calls the gateway over loopback like any client, stores every answer and grade as it
//! comes in, and can be cancelled. A run the process did not finish (a restart, kill -9) is
//! still `running` in the database and resumes at start-up, asking only what it lacks.

use super::case::Suite;
use super::report::CaseResult;
use super::run::{self, Client, Event, Prior, Reply};
use super::store::{self, RunState};
use crate::store::{Store, StoreError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

/// The runs this process is running, by id.
#[derive(Default, Clone)]
pub struct Runner {
    running: Arc<Mutex<HashMap<i64, AbortHandle>>>,
}

/// A write a run's task hands its writer, so storing never holds up the calls.
enum Write {
    Reply(String, String, Result<Reply, String>),
    Result(Box<CaseResult>),
}

impl Runner {
    /// Runs (or resumes) run `id` in the background; a run already going is left alone.
    pub fn start(&self, store: Arc<Store>, client: Arc<Client>, id: i64) {
        let mut running = self.running.lock().expect("runner lock");
        if running.contains_key(&id) {
            return;
        }
        let this = self.clone();
        let task = tokio::spawn(async move {
            if let Err(e) = drive(&store, &client, id).await {
                tracing::error!(run = id, "a suite run stopped: {e}");
            }
            this.running.lock().expect("runner lock").remove(&id);
        });
        running.insert(id, task.abort_handle());
    }

    /// Stops run `id` (its calls in flight are dropped) and marks it cancelled; what it has
    /// so far stays. `false` when it was not running.
    pub async fn cancel(&self, store: &Store, id: i64) -> Result<bool, StoreError> {
        if let Some(task) = self.running.lock().expect("runner lock").remove(&id) {
            task.abort();
        }
        store.write(move |c| store::finish(c, id, RunState::Cancelled, None)).await
    }

    /// Stops every run without ending it, for shutdown: each resumes at the next start instead
    /// of recording the refusals of a gateway that has stopped taking calls.
    pub fn halt(&self) {
        for (_, task) in self.running.lock().expect("runner lock").drain() {
            task.abort();
        }
    }

    /// Resumes every run a restart interrupted.
    pub async fn resume_all(&self, store: Arc<Store>, client: Arc<Client>) -> Result<(), StoreError> {
        for id in store.read(store::unfinished).await? {
            tracing::info!(run = id, "resuming a suite run a restart interrupted");
            self.start(store.clone(), client.clone(), id);
        }
        Ok(())
    }
}

async fn drive(store: &Arc<Store>, client: &Client, id: i64) -> Result<(), StoreError> {
    let Some(record) = store.read(move |c| store::run(c, id)).await? else {
        return Ok(());
    };
    let suite = Suite::from_specs(&record.plan.suite, &record.plan.specs);
    let prior = Prior {
        replies: record.replies.into_iter().map(|(case, target, reply)| ((case, target), reply)).collect(),
        results: record.results.into_iter().map(|r| ((r.case.clone(), r.target.clone()), r)).collect(),
    };
    let (tx, mut rx) = mpsc::unbounded_channel::<Write>();
    let writer = {
        let store = store.clone();
        tokio::spawn(async move {
            while let Some(write) = rx.recv().await {
                let written = match write {
                    Write::Reply(case, target, reply) => store.write(move |c| store::record_reply(c, id, &case, &target, &reply)).await,
                    Write::Result(result) => store.write(move |c| store::record_result(c, id, &result)).await,
                };
                // Not stored means asked again after a restart: worth a log line, not a stop.
                if let Err(e) = written {
                    tracing::warn!(run = id, "could not store a suite answer: {e}");
                }
            }
        })
    };
    let on = |event: Event| {
        let write = match event {
            Event::Answered { case, target, reply } => Write::Reply(case.to_owned(), target.to_owned(), reply.clone()),
            Event::Graded(result) => Write::Result(Box::new(result.clone())),
        };
        let _ = tx.send(write);
    };
    let report = run::run(client, &suite, &record.plan.options, prior, &on).await;
    drop(tx);
    let _ = writer.await;
    store.write(move |c| store::finish(c, id, RunState::Done, Some(&report.totals))).await?;
    Ok(())
}
