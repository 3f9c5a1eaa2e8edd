"""The coding CLIs, installed from npm at pinned versions (tests/clients), run headless against
`sluice serve` with the mock upstream behind it: a prompt answered, and a turn where the model
asks for a tool, the CLI runs it, and the result goes back. Each CLI's own traffic to its vendor
is switched off by its documented settings, and its home is a temporary folder."""

import json
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, unique
from test_gemini import gemini_toml

BIN = ROOT / "tests" / "clients" / "node_modules" / ".bin"


@pytest.fixture
def sluice(sluice_factory, mock):
    return sluice_factory(raw=gemini_toml(mock))


def run(args, tmp_path, env):
    done = subprocess.run([str(a) for a in args], cwd=tmp_path, env={"PATH": "/usr/local/bin:/usr/bin:/bin", **env}, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def marker_prompt(tmp_path, tool, argument):
    """A prompt the mock answers with a call to `tool`, reading a file only this test wrote."""
    secret = unique("marker")
    marker = tmp_path / "marker.txt"
    marker.write_text(secret + "\n")
    return secret, "CALLTOOL " + tool + " " + json.dumps({argument: str(marker)})


def claude(sluice, tmp_path, model, prompt):
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {
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
    result = json.loads(run([BIN / "claude", "-p", prompt, "--model", model, "--output-format", "json"], tmp_path, env))
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
    secret, prompt = marker_prompt(tmp_path, "Read", "file_path")
    result = claude(sluice, tmp_path, f"{target}/claude-code-agent", prompt)
    assert result["result"].startswith("Tool said: ") and secret in result["result"], result["result"]
    assert result["num_turns"] == 2
    rows = sluice.log(2)
    assert all(r["client_api"] == "anthropic-messages" and r["provider"] == target for r in rows)


def gemini(sluice, tmp_path, model, prompt):
    home = tmp_path / "gemini-home"
    (home / ".gemini").mkdir(parents=True, exist_ok=True)
    # No usage statistics, telemetry or update checks: nothing goes to Google.
    (home / ".gemini" / "settings.json").write_text(json.dumps({
        "general": {"enableAutoUpdate": False, "enableAutoUpdateNotification": False},
        "privacy": {"usageStatisticsEnabled": False},
        "telemetry": {"enabled": False},
        "security": {"auth": {"selectedType": "gemini-api-key"}},
    }))
    env = {"HOME": str(home), "GOOGLE_GEMINI_BASE_URL": sluice.url, "GEMINI_API_KEY": sluice.token,
           "GEMINI_TELEMETRY_ENABLED": "false", "GEMINI_CLI_TRUST_WORKSPACE": "true"}
    return json.loads(run([BIN / "gemini", "-p", prompt, "--model", model, "--output-format", "json"], tmp_path, env))


@pytest.mark.parametrize("target", ["gem", "mock"])
def test_gemini_cli_answers_and_runs_a_tool(sluice, tmp_path, target):
    word = unique("hello")
    answer = gemini(sluice, tmp_path, f"{target}/gemini-cli", f"say {word}")
    assert answer["response"].startswith("Echo: ") and word in answer["response"]
    secret, prompt = marker_prompt(tmp_path, "read_file", "file_path")
    answer = gemini(sluice, tmp_path, f"{target}/gemini-cli-agent", prompt)
    assert answer["response"].startswith("Tool said: ") and secret in answer["response"], answer["response"]
    rows = sluice.log(3)
    assert all(r["client_api"] == "gemini" and r["provider"] == target and r["status"] == 200 for r in rows)


def codex(sluice, tmp_path, model, prompt):
    home = tmp_path / "codex-home"
    home.mkdir(exist_ok=True)
    # A provider of Sluice's own, no update checks, no analytics: nothing goes to OpenAI.
    (home / "config.toml").write_text(f"""
model = "{model}"
model_provider = "sluice"
check_for_update_on_startup = false

[model_providers.sluice]
name = "Sluice"
base_url = "{sluice.api}"
env_key = "SLUICE_TOKEN"
wire_api = "responses"

[analytics]
enabled = false
""")
    env = {"HOME": str(home), "CODEX_HOME": str(home), "SLUICE_TOKEN": sluice.token}
    # Codex's own sandbox cannot start from a temporary folder; the test's command only reads.
    out = run([BIN / "codex", "exec", "--skip-git-repo-check", "--sandbox", "danger-full-access", prompt], tmp_path, env)
    return out.strip()


@pytest.mark.parametrize("target", ["oai", "mock"])
def test_codex_answers_and_runs_a_tool(sluice, tmp_path, target):
    word = unique("hello")
    assert codex(sluice, tmp_path, f"{target}/codex", f"say {word}") == f"Echo: say {word}"
    secret, _ = marker_prompt(tmp_path, "exec_command", "cmd")
    prompt = "CALLTOOL exec_command " + json.dumps({"cmd": f"cat {tmp_path / 'marker.txt'}"})
    answer = codex(sluice, tmp_path, f"{target}/codex-agent", prompt)
    assert answer.startswith("Tool said: ") and secret in answer, answer
    rows = sluice.log(3)
    assert all(r["client_api"] == "openai-responses" and r["provider"] == target and r["status"] == 200 for r in rows)
