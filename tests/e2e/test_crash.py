"""kill -9 under load: the database stays intact and every answer a client got is logged."""

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
