"""kill -9 under load: the database stays intact and every answer a client got is logged. A database
that cannot be used at start: the proxy answers anyway, and nothing is lost."""

import os
import sqlite3
import threading
import time

import httpx

from conftest import unique


def test_kill_9_under_load_loses_no_answered_request(sluice):
    answered = []
    stop = threading.Event()

    def worker(n):
        with httpx.Client(headers=sluice.headers, timeout=5) as c:
            i = 0
            while not stop.is_set():
                i += 1
                body = {"model": "mock/ok-crash", "stream": i % 3 == 0, "messages": [{"role": "user", "content": unique(f"w{n}")}]}
                try:
                    r = c.post(sluice.api + "/chat/completions", json=body)
                    if r.status_code == 200 and (not body["stream"] or "[DONE]" in r.text):
                        answered.append(r.headers["x-sluice-request-id"])
                except httpx.HTTPError:
                    return

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    time.sleep(1.5)
    sluice.kill9()
    stop.set()
    for t in threads:
        t.join(10)
    assert len(answered) > 50, "the load was real"

    db = sqlite3.connect(sluice.data_dir / "sluice.db")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()

    # Records answered but not yet committed are in the journal; the restart replays them.
    sluice.start()
    db = sqlite3.connect(sluice.data_dir / "sluice.db")
    logged = {row[0] for row in db.execute("SELECT id FROM requests")}
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    missing = [i for i in answered if i not in logged]
    assert not missing, f"{len(missing)} of {len(answered)} answered requests are not in the log"
    assert sluice.stats()["requests"] == len(logged)


def test_a_corrupt_database_leaves_the_proxy_answering_and_loses_nothing(sluice):
    before = sluice.chat("mock/ok", unique("before")).headers["x-sluice-request-id"]
    sluice.stop()
    aside = sluice.dir / "aside"
    aside.mkdir()
    files = [f for f in sluice.data_dir.iterdir() if f.name.startswith("sluice.db")]
    for f in files:
        f.rename(aside / f.name)
    garbage = b"not sqlite " + os.urandom(64_000)
    db = sluice.data_dir / "sluice.db"
    db.write_bytes(garbage)

    sluice.start()
    during = sluice.chat("mock/ok", unique("during"))
    assert during.status_code == 200, "the proxy answers without its database"
    log = sluice.get("/api/health").json()["log"]
    assert log["ok"] is False
    assert str(db) in log["problem"] and "not a database" in log["problem"] and "kept in memory" in log["problem"]
    assert during.headers["x-sluice-request-id"] in {r["id"] for r in sluice.log()}, "this run's log, in memory"
    sluice.stop()
    assert db.read_bytes() == garbage, "the unusable file is left as it was"

    # The file is restored: the next start adds the degraded run's requests to it.
    for f in sluice.data_dir.iterdir():
        if f.name.startswith("sluice.db"):
            f.unlink()
    for f in files:
        (aside / f.name).rename(f)
    sluice.start()
    assert sluice.get("/api/health").json()["log"] == {"ok": True, "problem": None}
    assert {r["id"] for r in sluice.log()} == {before, during.headers["x-sluice-request-id"]}
