"""Compression through the proxy: a long system prompt cut to the chunks a question needs (OpenAI
and Anthropic shapes; the mock receives exactly those chunks, in order); pruning keeps tool calls
with their results; a conversation the provider has cached is left alone when compressing would
cost more (the numbers computed by hand from what was logged); `x-sluice-compress: off`; bad
budgets refused; `sluice eval compress` on a tiny file."""

import json
import re
import subprocess

import pytest

from conftest import _bin, unique

TOPICS = [
    ("lighthouse", "The old lighthouse keeper polished the brass lamp every evening before sunset. Ships passing the granite cape relied on its beam during winter storms. The keeper's logbook recorded fourteen rescues in one decade."),
    ("orchard", "The apple orchard on the southern slope produced crisp fruit each autumn. Pickers arrived from neighbouring villages to fill wooden crates by hand. Cider pressed from the windfalls was sold at the harvest market."),
    ("observatory", "The mountain observatory housed a refracting telescope with a brass tube. Astronomers there catalogued variable stars over many clear nights. Its copper dome rotated on iron wheels pushed by hand."),
    ("bakery", "The corner bakery opened at four in the morning to bake rye loaves. Its stone oven was fired with beech wood gathered from the valley. Customers queued for poppy seed rolls before the first tram."),
    ("railway", "The narrow gauge railway climbed through pine forests to the quarry. Its steam locomotive hauled slate wagons down to the river harbour. Passengers rode in a single wooden carriage on market days."),
    ("library", "The county library kept rare maps in a climate controlled vault. Scholars requested them a week ahead and wore cotton gloves. The oldest chart showed the coastline before the great flood."),
    ("vineyard", "The terraced vineyard faced the lake and caught the afternoon sun. Growers tended pinot vines trained along low stone walls. The cellar aged its wine in oak barrels for two winters."),
    ("foundry", "The bell foundry cast bronze bells for churches across the province. Molten metal was poured into clay moulds buried in sand pits. The largest bell weighed nine tonnes and rang in the cathedral."),
    ("marsh", "The salt marsh sheltered herons, egrets and migrating geese. Tides flooded its channels twice a day and left silver mud flats. Birdwatchers counted the flocks from a raised timber hide."),
    ("mill", "The water mill ground wheat into flour with two granite stones. A wooden wheel turned as the millrace rushed beneath it. Farmers paid the miller with a tenth of their grain."),
    ("glacier", "The valley glacier retreated several metres every summer. Researchers drilled ice cores to read the climate of past centuries. Meltwater fed a turquoise lake at the glacier's snout."),
    ("harbour", "The fishing harbour sheltered trawlers behind a curved stone breakwater. Auctioneers sold the morning catch on the quay at dawn. Gulls followed the boats from the open sea to the moorings."),
]
SYSTEM = "\n\n".join(f"# {name.title()}\n\n{text}" for name, text in TOPICS)
QUESTION = "How many rescues did the lighthouse keeper record in the logbook?"

COMPRESS = "\n[compress]\nretrieval = true\nratio = 0.2\nmin_tokens = 200\n"


def sent_system(mock):
    body = mock.requests()[-1]["body"]
    first = body["messages"][0]
    assert first["role"] == "system", body
    return first["content"]


def pieces(text):
    """The chunks a compressed prompt holds, in order (gaps are marked with a line of …)."""
    return [p.strip() for p in text.split("\n…\n") if p.strip()]


def check_kept_in_order(system):
    at = -1
    for piece in pieces(system):
        found = SYSTEM.find(piece)
        assert found > at, f"{piece!r} is not the original's next text"
        at = found


def test_a_long_system_prompt_keeps_what_the_question_needs(sluice_factory, mock):
    s = sluice_factory(COMPRESS)
    r = s.post("/v1/chat/completions", json={"model": "mock/m", "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": QUESTION}]})
    assert r.status_code == 200, r.text
    before, after = map(int, re.fullmatch(r"tokens=(\d+)->(\d+); levers=retrieval", r.headers["x-sluice-compressed"]).groups())
    assert after < 0.3 * before, "the system prompt at 20 %, with the question whole"
    system = sent_system(mock)
    assert "fourteen rescues" in system
    check_kept_in_order(system)
    assert len(system) < 0.3 * len(SYSTEM)
    detail = s.detail(r.headers["x-sluice-request-id"])
    c = detail["compressed"]
    assert (c["before"], c["after"], c["levers"]) == (before, after, ["retrieval"])
    # The detail lists the beginnings of what was kept (all of it here) and dropped.
    assert c["kept"] and all(k.rstrip("…") in system for k in c["kept"])
    assert len(c["dropped"]) > len(c["kept"]) and not any(d.rstrip("…") in system for d in c["dropped"])
    totals = s.stats()
    assert totals["compressed_requests"] == 1 and totals["compressed_tokens_saved"] == before - after

    # The client can say no.
    again = s.post("/v1/chat/completions", json={"model": "mock/m", "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": QUESTION}]}, headers={"x-sluice-compress": "off", "cache-control": "no-store"})
    assert "x-sluice-compressed" not in again.headers
    assert sent_system(mock) == SYSTEM


def test_the_anthropic_shape_is_compressed_too(sluice_factory, mock):
    s = sluice_factory(COMPRESS)
    question = "Which wood fires the stone oven of the corner bakery?"
    r = s.post("/v1/messages", json={"model": "mock/m", "max_tokens": 100, "system": SYSTEM, "messages": [{"role": "user", "content": question}]})
    assert r.status_code == 200, r.text
    assert r.json()["type"] == "message"
    assert r.headers["x-sluice-compressed"].endswith("levers=retrieval")
    system = sent_system(mock)
    assert "beech wood" in system
    check_kept_in_order(system)
    assert len(system) < 0.3 * len(SYSTEM)


def test_pruning_keeps_tool_calls_with_their_results(sluice_factory, mock):
    s = sluice_factory("\n[compress]\npruning = true\nwith_tools = true\nratio = 0.3\nmin_tokens = 200\nrecent_messages = 2\n")
    tools = [{"type": "function", "function": {"name": "weather", "parameters": {"type": "object"}}}]
    messages = [{"role": "system", "content": "You help with travel."}]
    for name, text in TOPICS:
        call_id = f"call_{name}"
        messages += [
            {"role": "user", "content": f"Tell me about the {name}."},
            {"role": "assistant", "content": None, "tool_calls": [{"id": call_id, "type": "function", "function": {"name": "weather", "arguments": json.dumps({"place": name})}}]},
            {"role": "tool", "tool_call_id": call_id, "content": text},
            {"role": "assistant", "content": f"Here is what I found about the {name}."},
        ]
    messages.append({"role": "user", "content": "Remind me: what did the old lighthouse keeper polish every evening?"})
    r = s.post("/v1/chat/completions", json={"model": "mock/m", "messages": messages, "tools": tools})
    assert r.status_code == 200, r.text
    assert r.headers["x-sluice-compressed"].endswith("levers=pruning")
    sent = mock.requests()[-1]["body"]["messages"]
    assert len(sent) < len(messages)
    for i, m in enumerate(sent):
        if m["role"] == "tool":
            ids = [c["id"] for c in sent[i - 1].get("tool_calls") or []]
            assert m["tool_call_id"] in ids, f"tool result {m['tool_call_id']} lost its call"
    assert any("polished the brass lamp" in (m.get("content") or "") for m in sent), "the relevant exchange stays"
    assert sent[0]["content"] == "You help with travel." and sent[-1] == messages[-1]


def test_a_cached_conversation_is_left_alone_when_compressing_costs_more(sluice_factory, mock):
    # 10 $/M input; the provider's cached tokens at 0.1 $/M (-a) or at full price (-b).
    prices = "".join(f'\n[[prices]]\nmodel = "mock/cached-100000-{v}"\ninput = 10.0\noutput = 10.0\ncached_input = {c}\n' for v, c in (("a", 0.1), ("b", 10.0)))
    s = sluice_factory("\n[compress]\nretrieval = true\nratio = 0.5\nmin_tokens = 200\n" + prices)
    system = SYSTEM + "\n\n" + unique("A note")  # a prompt no earlier test has sent

    def ask(model, **headers):
        r = s.post("/v1/chat/completions", json={"model": model, "messages": [{"role": "system", "content": system}, {"role": "user", "content": QUESTION}]}, headers={"cache-control": "no-store", **headers})
        assert r.status_code == 200, r.text
        return r

    first = ask("mock/cached-100000-a", **{"x-sluice-compress": "off"})
    cached = s.detail(first.headers["x-sluice-request-id"])["cached_tokens"]
    assert cached > 0
    kept = ask("mock/cached-100000-a")
    assert "x-sluice-compressed" not in kept.headers
    note = s.detail(kept.headers["x-sluice-request-id"])["compress_note"]
    compressed = ask("mock/cached-100000-b")
    before, after = map(int, re.fullmatch(r"tokens=(\d+)->(\d+); levers=retrieval", compressed.headers["x-sluice-compressed"]).groups())
    # By hand: as it is, the uncached tokens at $10/M and the cached ones at $0.10/M; compressed,
    # every kept token at $10/M (the provider has not seen that prompt).
    unchanged = ((before - cached) * 10.0 + cached * 0.1) / 1e6
    shrunk = after * 10.0 / 1e6
    assert unchanged < shrunk
    assert note == f"left uncompressed: with {cached} tokens cached at the provider it costs ${unchanged:.6f} as it is, ${shrunk:.6f} compressed"
    # With no discount for cached tokens, compressing is cheaper: it went out compressed.
    usd = s.detail(compressed.headers["x-sluice-request-id"])["compressed"]["usd"]
    assert usd == [pytest.approx(before * 10.0 / 1e6), pytest.approx(shrunk)]


def test_bad_budgets_are_refused_naming_the_field(sluice):
    config = sluice.get("/api/config").json()["config"]
    config["compress"] = {**config["compress"], "retrieval": True, "ratio": 1.5}
    r = sluice.http().put("/api/config", json={"config": config})
    assert r.status_code == 400 and r.json()["error"]["param"] == "config.compress.ratio", r.text
    config["compress"]["ratio"] = 0.2
    config["rules"] = [{"name": "squeeze", "then": {"compress": {"retrieval": True, "max_tokens": 0}}}]
    r = sluice.http().put("/api/config", json={"config": config})
    assert r.status_code == 400 and r.json()["error"]["param"] == "config.rules[0].then.compress.max_tokens", r.text
    assert sluice.get("/api/config").json()["config"]["compress"] == {}, "the old config (all defaults) stays"


def test_eval_compress_on_a_tiny_file(tmp_path):
    # Four sentences of about the same length; a budget of a quarter keeps one. The first
    # question shares its words with its answer's sentence; the second shares none with its
    # answer's, and all with another sentence: by hand, one of two answers is kept.
    article = {
        "title": "Tiny",
        "paragraphs": [
            "The harbour master rang the copper bell at noon every day.",
            "Fresh anchovies were salted in barrels along the quay.",
            "The night ferry to the island left from the northern pier.",
            "Harbour fees rose sharply when the new breakwater opened.",
        ],
        "questions": [
            {"question": "What did the harbour master ring at noon?", "answers": ["copper bell"], "paragraph": 0},
            {"question": "Which harbour fees rose when the new breakwater opened?", "answers": ["anchovies"], "paragraph": 1},
        ],
    }
    data = tmp_path / "tiny.jsonl"
    data.write_text(json.dumps(article) + "\n")
    out = subprocess.run([_bin("SLUICE_BIN", "sluice"), "eval", "compress", "--data", str(data), "--budget", "0.3"], capture_output=True, text=True, timeout=120, env={"PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    [r] = report["retrieval"]
    assert (report["questions"], report["ranking"], r["retention"]) == (2, "lexical (BM25)", 0.5)
    assert 0.15 < r["ratio"] <= 0.3


def conversation(question):
    messages = [{"role": "system", "content": "You help with travel."}]
    for name, text in TOPICS:
        messages += [{"role": "user", "content": f"Tell me about the {name}."}, {"role": "assistant", "content": text}]
    return messages + [{"role": "user", "content": question}]


SUMMARY = "\n[compress]\npruning = true\nratio = 0.3\nmin_tokens = 200\nrecent_messages = 2\nsummary_model = \"{model}\"\nsummary_timeout_secs = 1\n"


def test_pruned_turns_are_summarised_once_and_the_summary_reused(sluice_factory, mock):
    model = f"summary-{unique('s').split()[1]}"
    s = sluice_factory(SUMMARY.format(model=f"mock/{model}"))
    messages = conversation("What did the old lighthouse keeper polish every evening?")
    for _ in range(2):
        r = s.post("/v1/chat/completions", json={"model": "mock/m", "messages": messages}, headers={"cache-control": "no-store"})
        assert r.status_code == 200, r.text
        assert r.headers["x-sluice-compressed"].endswith("levers=pruning,summary")
        sent = mock.requests()[-1]["body"]["messages"]
        # The mock answers the summary request with an echo of its last line.
        assert sent[0]["content"] == "You help with travel.\n\nSummary of earlier turns, left out here:\nEcho: Write the summary."
        assert len(sent) < len(messages)
    assert mock.count(model) == 1, "the same pruned turns are summarised once"
    summary_call = [r for r in s.log() if r["tags"] == "compress-summary"]
    assert len(summary_call) == 1, "the summary is logged like any call"


def test_a_summary_that_fails_or_times_out_sends_the_request_uncompressed(sluice_factory, mock):
    s = sluice_factory(SUMMARY.format(model="mock/hang"))
    messages = conversation("What did the old lighthouse keeper polish every evening?")
    r = s.post("/v1/chat/completions", json={"model": "mock/m", "messages": messages})
    assert r.status_code == 200, r.text
    assert "x-sluice-compressed" not in r.headers
    assert mock.requests()[-1]["body"]["messages"] == messages
    note = s.detail(r.headers["x-sluice-request-id"])["compress_note"]
    assert note == "left uncompressed: the summary by mock/hang failed: took more than 1 s"


def test_a_document_pasted_into_the_question_is_compressed_too(sluice_factory, mock):
    s = sluice_factory(COMPRESS)
    content = [{"type": "text", "text": SYSTEM}, {"type": "text", "text": QUESTION}]
    r = s.post("/v1/chat/completions", json={"model": "mock/m", "messages": [{"role": "user", "content": content}]})
    assert r.status_code == 200, r.text
    assert r.headers["x-sluice-compressed"].endswith("levers=retrieval")
    sent = mock.requests()[-1]["body"]["messages"]
    document, question = [p["text"] for p in sent[0]["content"]]
    assert question == QUESTION and "fourteen rescues" in document and len(document) < 0.3 * len(SYSTEM)
    check_kept_in_order(document)


def test_follow_up_questions_the_same_chunks_answer_get_the_same_prompt(sluice_factory, mock):
    s = sluice_factory(COMPRESS)
    sent = []
    for question in (QUESTION, "What did the lighthouse keeper polish every evening before sunset?", "Which wood fires the stone oven of the corner bakery?"):
        r = s.post("/v1/chat/completions", json={"model": "mock/m", "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": question}]})
        assert r.status_code == 200, r.text
        sent.append(sent_system(mock))
    # The second question's best chunks were all sent for the first: the same prompt again, a
    # prefix the provider can cache. The third needs another paragraph.
    assert sent[1] == sent[0]
    assert sent[2] != sent[0] and "beech wood" in sent[2]
