"""`sluice eval cache`: the semantic decision on labelled pairs, as one JSON object."""

import json
import os
import subprocess

from conftest import MOCK_KEY, ROOT, _bin

MODEL = ROOT.parent / "shared" / "models" / "all-MiniLM-L6-v2"
PAIRS = [
    {"a": "exchange rate from USD to JPY", "b": "exchange rate from JPY to USD", "label": 0},
    {"a": "How do I split a €20 bill three ways?", "b": "How do I split a €25 bill three ways?", "label": 0},
    {"a": "What is the capital of France?", "b": "What's the capital city of France?", "label": 1},
    {"a": "How do I learn to cook?", "b": "Which car should I buy?", "label": 0},
]


def test_eval_cache_reports_the_decision(tmp_path):
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text("\n".join(json.dumps(p) for p in PAIRS) + "\n")
    out = subprocess.run([_bin("SLUICE_BIN", "sluice"), "eval", "cache", "--pairs", str(pairs), "--model-dir", str(MODEL), "--threshold", "0.9"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["pairs"] == 4
    assert result["false_hits"] == 0, "hard negatives never hit"
    assert result["true_hits"] == 1 and result["precision"] == 1.0 and result["recall"] == 1.0 and result["fpr"] == 0.0
    assert result["settings"]["threshold"] == 0.9


def test_eval_names_a_bad_line(tmp_path):
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text('{"a": "x", "b": "y", "label": 1}\n{"a": "x"}\n')
    out = subprocess.run([_bin("SLUICE_BIN", "sluice"), "eval", "cache", "--pairs", str(pairs), "--model-dir", str(MODEL)], capture_output=True, text=True, timeout=120)
    assert out.returncode != 0 and "line 2" in out.stderr


def test_simulate_stores_every_a_and_asks_every_b(tmp_path):
    pairs = tmp_path / "pairs.jsonl"
    rows = [
        {"a": "What is the capital of France?", "b": "What's the capital city of France?", "label": 1},
        {"a": "How do I bake sourdough bread?", "b": "What is the recipe for sourdough bread?", "label": 1},
        {"a": "exchange rate from USD to JPY", "b": "exchange rate from JPY to USD", "label": 0},
        {"a": "Who painted the Mona Lisa?", "b": "How tall is Mount Everest?", "label": 1},
    ]
    pairs.write_text("\n".join(json.dumps(p) for p in rows) + "\n")
    out = subprocess.run([_bin("SLUICE_BIN", "sluice"), "eval", "cache", "--simulate", "--pairs", str(pairs), "--model-dir", str(MODEL), "--threshold", "0.85"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert (result["queries"], result["entries"]) == (4, 4)
    assert result["wrong_hits"] == 0, "the swapped currencies must not hit the USD→JPY entry"
    assert result["right_hits"] >= 1 and result["right_hits"] + result["misses"] == 4


def test_a_remote_embedder_can_be_evaluated(tmp_path, mock):
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text("\n".join(json.dumps(p) for p in PAIRS) + "\n")
    remote = ["--embedder-url", mock.api, "--embedder-model", "emb-eval", "--embedder-key-env", "EVAL_EMBED_KEY"]
    env = {k: v for k, v in os.environ.items() if k != "SLUICE_EMBED_MODEL_DIR"}
    out = subprocess.run([_bin("SLUICE_BIN", "sluice"), "eval", "cache", "--pairs", str(pairs), *remote],
                         capture_output=True, text=True, timeout=120, env={**env, "EVAL_EMBED_KEY": MOCK_KEY})
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["pairs"] == 4 and result["settings"]["embedder"] == "embedder/emb-eval"
    assert mock.count("emb-eval") == 8, "each distinct text embedded once, by the remote model"

    refused = subprocess.run([_bin("SLUICE_BIN", "sluice"), "eval", "cache", "--pairs", str(pairs), *remote],
                             capture_output=True, text=True, timeout=120, env={**env, "EVAL_EMBED_KEY": "sk-wrong"})
    assert refused.returncode != 0 and "emb-eval" in refused.stderr and "401" in refused.stderr, refused.stderr
    assert "sk-wrong" not in refused.stderr + refused.stdout, "the key never shows"
