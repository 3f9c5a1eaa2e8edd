"""Getting the embedding model onto a machine without it: a checked download (from a loopback
server laid out like Hugging Face, via SLUICE_MODEL_URL), a refused tampered download, and an
import from a folder."""

import http.server
import shutil
import threading
import time

import pytest

from test_semantic import MODEL_DIR, PARAPHRASE, QUESTION, ask, settle, wait_until_ready

FILES = ["config.json", "tokenizer.json", "model.safetensors"]


@pytest.fixture
def model_server(tmp_path):
    """Serves `<base>/resolve/<revision>/<file>` from a folder the test may tamper with."""
    folder = tmp_path / "served"
    folder.mkdir()
    for f in FILES:
        shutil.copy(MODEL_DIR / f, folder / f)
    requested = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def translate_path(self, path):
            requested.append(path)
            return str(folder / path.rsplit("/", 1)[-1])

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/sentence-transformers/all-MiniLM-L6-v2", folder, requested
    server.shutdown()


def status(s):
    return s.get("/api/cache/status").json()["model"]


def wait_for(s, states, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        model = status(s)
        if model["state"] in states:
            return model
        time.sleep(0.05)
    raise TimeoutError(f"model still {status(s)}")


def test_a_checked_download_turns_semantic_caching_on(sluice_factory, model_server):
    url, _, requested = model_server
    s = sluice_factory(env={"SLUICE_MODEL_URL": url})
    missing = status(s)
    assert missing["state"] == "missing"
    started = s.post("/api/cache/model")
    assert started.status_code == 202, started.text
    assert s.post("/api/cache/model").status_code == 409, "one fetch at a time"
    wait_until_ready(s)
    assert status(s)["dir"] == missing["dir"]
    assert sorted(p.rsplit("/", 1)[-1] for p in requested) == sorted(FILES)
    assert all("/resolve/" in p and len(p.split("/resolve/")[1].split("/")[0]) == 40 for p in requested), "a pinned revision"
    ask(s, "mock/ok-fetch-a", QUESTION)
    settle(s)
    assert ask(s, "mock/ok-fetch-a", PARAPHRASE).headers["x-sluice-cache"] == "hit-semantic"
    models = s.data_dir / "models"
    assert sorted(p.name for p in models.iterdir()) == ["all-MiniLM-L6-v2"], "no .partial folder left"


def test_a_tampered_file_is_refused_and_nothing_installed(sluice_factory, model_server):
    url, folder, _ = model_server
    with open(folder / "tokenizer.json", "ab") as f:
        f.write(b" ")
    s = sluice_factory(env={"SLUICE_MODEL_URL": url})
    assert s.post("/api/cache/model").status_code == 202
    failed = wait_for(s, {"failed", "ready"})
    assert failed["state"] == "failed"
    assert "tokenizer.json does not match its checksum" in failed["error"] and "nothing was installed" in failed["error"]
    assert not (s.data_dir / "models").exists() or list((s.data_dir / "models").iterdir()) == []
    r = ask(s, "mock/ok-fetch-b", QUESTION)
    assert r.status_code == 200 and r.headers["x-sluice-cache"] == "miss", "exact caching carries on"


def test_import_from_a_folder_into_a_folder_of_the_users(sluice_factory, tmp_path):
    mine = tmp_path / "my-models"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    s = sluice_factory(env={"SLUICE_EMBED_MODEL_DIR": str(mine)})
    assert status(s) == {"state": "missing", "dir": str(mine)}
    bad = s.post("/api/cache/model", json={"from": str(tmp_path / "nowhere")})
    assert bad.status_code == 400 and "is not a folder" in bad.json()["error"]["message"]
    incomplete = tmp_path / "incomplete"
    incomplete.mkdir()
    shutil.copy(MODEL_DIR / "config.json", incomplete / "config.json")
    assert s.post("/api/cache/model", json={"from": str(incomplete)}).status_code == 202
    failed = wait_for(s, {"failed"})
    assert "is missing tokenizer.json" in failed["error"]
    assert s.post("/api/cache/model", json={"from": str(MODEL_DIR)}).status_code == 202
    wait_until_ready(s)
    assert s.post("/api/cache/model", json={"from": str(MODEL_DIR)}).status_code == 409
    assert (mine / "notes.txt").read_text() == "keep me", "only the model's files are written"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("my-models")) == ["my-models"], "no staging folder left"
    ask(s, "mock/ok-fetch-c", QUESTION)
    settle(s)
    assert ask(s, "mock/ok-fetch-c", PARAPHRASE).headers["x-sluice-cache"] == "hit-semantic"
