//! Versioned migrations, applied in order; `PRAGMA user_version` records how far a file got.

use rusqlite::Connection;

const MIGRATIONS: &[&str] = &[
    // 1: request log and exact cache.
    "CREATE TABLE requests (
        id TEXT PRIMARY KEY,
        ts INTEGER NOT NULL,
        model_requested TEXT NOT NULL,
        provider TEXT,
        model TEXT,
        cache TEXT NOT NULL,
        status INTEGER NOT NULL,
        latency_ms REAL NOT NULL,
        ttft_ms REAL,
        stream INTEGER NOT NULL,
        prompt_tokens INTEGER,
        completion_tokens INTEGER,
        cached_tokens INTEGER,
        tokens_estimated INTEGER NOT NULL DEFAULT 0,
        cost_usd REAL,
        saved_usd REAL,
        error TEXT,
        cache_key BLOB,
        request_body TEXT,
        response_body TEXT
    );
    CREATE INDEX requests_ts ON requests(ts);
    CREATE TABLE attempts (
        request_id TEXT NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        provider TEXT NOT NULL,
        model TEXT NOT NULL,
        status INTEGER,
        error TEXT,
        latency_ms REAL NOT NULL,
        PRIMARY KEY (request_id, seq)
    ) WITHOUT ROWID;
    CREATE TABLE cache_entries (
        key BLOB PRIMARY KEY,
        model_requested TEXT NOT NULL,
        provider TEXT NOT NULL,
        model TEXT NOT NULL,
        response BLOB NOT NULL,
        chunks BLOB,
        prompt_tokens INTEGER NOT NULL,
        completion_tokens INTEGER NOT NULL,
        cached_tokens INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER,
        hits INTEGER NOT NULL DEFAULT 0,
        last_hit_at INTEGER
    );
    CREATE INDEX cache_entries_expiry ON cache_entries(expires_at) WHERE expires_at IS NOT NULL;",
    // 2: the semantic cache. An entry that may answer near-duplicates keeps the question it
    // answered, its partition and its embedding; `cache_vectors` (sqlite-vec) holds the sign
    // bits of that embedding under the entry's rowid for a fast Hamming prefilter, and the
    // float vector in `cache_entries` rescores the survivors. The trigger keeps both tables in
    // step however an entry goes (expiry, invalidation, clear); inserts go through
    // `vectors::insert`, and the writer's upsert keeps the rowid.
    "ALTER TABLE cache_entries ADD COLUMN question TEXT;
    ALTER TABLE cache_entries ADD COLUMN partition TEXT;
    ALTER TABLE cache_entries ADD COLUMN embedding BLOB;
    CREATE VIRTUAL TABLE cache_vectors USING vec0(partition TEXT PARTITION KEY, bits BIT[384]);
    CREATE TRIGGER cache_entries_vector_gone AFTER DELETE ON cache_entries WHEN OLD.embedding IS NOT NULL
    BEGIN DELETE FROM cache_vectors WHERE rowid = OLD.rowid; END;
    ALTER TABLE requests ADD COLUMN matched_key BLOB;
    ALTER TABLE requests ADD COLUMN matched_question TEXT;
    ALTER TABLE requests ADD COLUMN question TEXT;
    CREATE TABLE cache_feedback (
        ts INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('invalidated', 'likely_wrong')),
        key BLOB,
        request_id TEXT
    );
    CREATE INDEX requests_exact_hits ON requests(cache_key) WHERE cache = 'hit-exact';
    CREATE INDEX requests_semantic_hits ON requests(matched_key) WHERE matched_key IS NOT NULL;",
    // 3: several client APIs and prompt-cache writes. Rows from before were all OpenAI chat.
    // `left_out`: what a target of another API answered without (comma-separated fields).
    "ALTER TABLE requests ADD COLUMN client_api TEXT NOT NULL DEFAULT 'openai-chat';
    ALTER TABLE requests ADD COLUMN cache_write_tokens INTEGER;
    ALTER TABLE requests ADD COLUMN left_out TEXT;
    ALTER TABLE cache_entries ADD COLUMN cache_write_tokens INTEGER NOT NULL DEFAULT 0;",
    // 4: rules. `rule`: the rule that decided (`default` for rows from before, when only the
    // model name did); `difficulty`: the difficulty router's score when a rule asked for it;
    // `tags`: comma-separated.
    "ALTER TABLE requests ADD COLUMN rule TEXT NOT NULL DEFAULT 'default';
    ALTER TABLE requests ADD COLUMN difficulty REAL;
    ALTER TABLE requests ADD COLUMN tags TEXT;",
    // 5: prompt suites and their runs. A case is stored as its spec (JSON, as in a suite
    // file). A run keeps what it ran (the specs, targets, judge, prices at the start) so it
    // reads the same after the suite changes, and one row per answer and per grade as they
    // come in, so a run interrupted by a restart resumes where it was. `totals`: each target's
    // totals once the run is done, for the suite's history.
    "CREATE TABLE suites (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        created_ms INTEGER NOT NULL,
        updated_ms INTEGER NOT NULL
    );
    CREATE TABLE suite_cases (
        suite_id INTEGER NOT NULL REFERENCES suites(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        spec TEXT NOT NULL,
        PRIMARY KEY (suite_id, position)
    ) WITHOUT ROWID;
    CREATE TABLE suite_runs (
        id INTEGER PRIMARY KEY,
        suite_id INTEGER NOT NULL REFERENCES suites(id) ON DELETE CASCADE,
        started_ms INTEGER NOT NULL,
        finished_ms INTEGER,
        state TEXT NOT NULL CHECK (state IN ('running', 'done', 'cancelled')),
        plan TEXT NOT NULL,
        totals TEXT
    );
    CREATE INDEX suite_runs_suite ON suite_runs(suite_id, started_ms);
    CREATE TABLE suite_answers (
        run_id INTEGER NOT NULL REFERENCES suite_runs(id) ON DELETE CASCADE,
        case_id TEXT NOT NULL,
        target TEXT NOT NULL,
        reply TEXT NOT NULL,
        result TEXT,
        PRIMARY KEY (run_id, case_id, target)
    ) WITHOUT ROWID;",
    // 6: compression. Input tokens of what was compressed before and after, the input cost it
    // saved (against the request unchanged, the provider's prompt cache counted), what was kept
    // and dropped (JSON), and why a request compression was on for was left alone.
    "ALTER TABLE requests ADD COLUMN compressed_from INTEGER;
    ALTER TABLE requests ADD COLUMN compressed_to INTEGER;
    ALTER TABLE requests ADD COLUMN compress_saved_usd REAL;
    ALTER TABLE requests ADD COLUMN compress_detail TEXT;
    ALTER TABLE requests ADD COLUMN compress_note TEXT;",
    // 7: feedback on answers, from people (the UI) and tools (the admin API).
    "CREATE TABLE request_feedback (
        request_id TEXT PRIMARY KEY REFERENCES requests(id) ON DELETE CASCADE,
        ts INTEGER NOT NULL,
        verdict TEXT NOT NULL CHECK (verdict IN ('good', 'bad')),
        note TEXT
    ) WITHOUT ROWID;",
    // 8: the quality loop. A verdict per sampled request (the cheap answer against the
    // reference's, by the judge) with what it cost and what the request saved; and every move
    // of a cache partition's semantic threshold, with its reason (an undo is a move too); and
    // the prompts verdicts labelled for the difficulty router (kept beyond the log's retention).
    "CREATE TABLE quality_verdicts (
        request_id TEXT PRIMARY KEY REFERENCES requests(id) ON DELETE CASCADE,
        ts INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('semantic', 'cheaper', 'compressed')),
        rule TEXT NOT NULL,
        target TEXT NOT NULL,
        reference TEXT NOT NULL,
        partition TEXT,
        similarity REAL,
        verdict TEXT NOT NULL CHECK (verdict IN ('agree', 'disagree', 'unknown')),
        reason TEXT NOT NULL,
        question TEXT NOT NULL,
        answer TEXT NOT NULL,
        reference_answer TEXT,
        cost_usd REAL NOT NULL,
        saved_usd REAL
    ) WITHOUT ROWID;
    CREATE INDEX quality_verdicts_ts ON quality_verdicts(ts);
    CREATE TABLE threshold_changes (
        id INTEGER PRIMARY KEY,
        ts INTEGER NOT NULL,
        partition TEXT NOT NULL,
        rule TEXT NOT NULL,
        from_value REAL NOT NULL,
        to_value REAL NOT NULL,
        reason TEXT NOT NULL,
        request_id TEXT,
        undoes INTEGER REFERENCES threshold_changes(id)
    );
    CREATE INDEX threshold_changes_partition ON threshold_changes(partition, id);
    CREATE TABLE difficulty_examples (
        request_id TEXT PRIMARY KEY,
        ts INTEGER NOT NULL,
        embedding BLOB NOT NULL,
        needs_strong INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX difficulty_examples_ts ON difficulty_examples(ts);",
];

/// Makes sqlite-vec available to every connection opened after this (the schema needs it).
pub fn load_vector_extension() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: sqlite3_vec_init has the signature sqlite3_auto_extension expects; the
        // transmute only erases its argument types, as sqlite-vec's own docs do.
        unsafe {
            #[allow(clippy::missing_transmute_annotations)]
            rusqlite::ffi::sqlite3_auto_extension(Some(std::mem::transmute(sqlite_vec::sqlite3_vec_init as *const ())));
        }
    });
}

pub fn prepare(conn: &mut Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    let version: usize = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version > MIGRATIONS.len() {
        // Opening a newer schema with older code could lose data it does not know about.
        return Err(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CANTOPEN),
            Some(format!("the database is from a newer Sluice (schema {version}, this build knows {}); upgrade Sluice", MIGRATIONS.len())),
        ));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i + 1)?;
        tx.commit()?;
    }
    Ok(())
}
