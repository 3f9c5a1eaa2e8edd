"""The coding CLIs, installed from npm at pinned versions (tests/clients), run headless against
`sluice serve` with the mock upstream behind it: a prompt answered, and a turn where the model
asks for a tool, the CLI runs it, and the result goes back. Each CLI's own traffic to its vendor
is switched off by its documented settings, and its home is a temporary folder."""

import json
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, unique
from test_anthropic import anthropic_toml

BIN = ROOT / "tests" / "clients" / "node_modules" / ".bin"


@pytest.fixture
def sluice(sluice_factory, mock):
    return sluice_factory(raw=anthropic_toml(mock))


def claude(sluice, tmp_path, model, prompt):
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "CLAUDE_CONFIG_DIR": str(home / ".claude"),
        "ANTHROPIC_BASE_URL": sluice.url,
        "ANTHROPIC_AUTH_TOKEN": sluice.token,
        # No telemetry, error reports, update checks or other calls to Anthropic.
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_TELEMETRY": "1",
        "DISABLE_ERROR_REPORTING": "1",
        "DISABLE_AUTOUPDATER": "1",
    }
    done = subprocess.run([str(BIN / "claude"), "-p", prompt, "--model", model, "--output-format", "json"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(done.stdout)
    assert not result["is_error"], result
    return result


@pytest.mark.parametrize("target", ["anth", "mock"])
def test_claude_code_answers_through_sluice(sluice, tmp_path, target):
    word = unique("hello")
    result = claude(sluice, tmp_path, f"{target}/claude-code", f"say {word}")
    assert result["result"].startswith("Echo: ") and word in result["result"]
    row = sluice.log(1)[0]
    assert (row["client_api"], row["provider"], row["status"]) == ("anthropic-messages", target, 200)


@pytest.mark.parametrize("target", ["anth", "mock"])
def test_claude_code_runs_a_tool_and_sends_the_result_back(sluice, tmp_path, target):
    secret = unique("marker")
    marker = tmp_path / "marker.txt"
    marker.write_text(secret + "\n")
    prompt = "CALLTOOL Read " + json.dumps({"file_path": str(marker)})
    result = claude(sluice, tmp_path, f"{target}/claude-code-tool", prompt)
    assert result["result"].startswith("Tool said: ") and secret in result["result"], result["result"]
    assert result["num_turns"] == 2
    rows = sluice.log(2)
    assert all(r["client_api"] == "anthropic-messages" and r["provider"] == target for r in rows)
