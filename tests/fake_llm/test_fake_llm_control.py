"""Control API, ledger rows, determinism and the CLI process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import anthropic
import httpx
import pytest
from fake_llm_helpers import API_HEADERS, SONNET, TOOLS

from harness.fake_llm import FakeLLMServer
from harness.fake_llm.behaviour import FIELDS
from harness.fake_llm.ledger import ROW_FIELDS

USER = [{"role": "user", "content": "Please explain how your shipping options compare for Europe."}]


def test_behaviour_put_get_delete(llm: FakeLLMServer) -> None:
    with llm.control() as http:
        put = http.put("/_control/behaviour", json={"error_first_n": 2, "ttft_ms": 5})
        assert put.status_code == 200 and put.json()["error_first_n"] == 2
        assert http.get("/_control/behaviour").json()["ttft_ms"] == 5
        bad = http.put("/_control/behaviour", json={"error_first_n": 1, "explode": True})
        assert bad.status_code == 400
        message = bad.json()["error"]["message"]
        assert "explode" in message and all(name in message for name in FIELDS)
        assert http.put("/_control/behaviour", json={"error_probability": 3}).status_code == 400
        assert http.get("/_control/behaviour").json()["error_first_n"] == 2  # unchanged
        assert http.delete("/_control/behaviour").json()["error_first_n"] == 0


def test_error_first_n_counts_down(llm: FakeLLMServer, client: anthropic.Anthropic) -> None:
    with llm.control() as http:
        http.put("/_control/behaviour", json={"error_first_n": 2, "error_status": 500})
        for remaining in (1, 0):
            with pytest.raises(anthropic.InternalServerError):
                client.messages.create(model=SONNET, max_tokens=10, messages=USER)
            assert http.get("/_control/behaviour").json()["error_first_n"] == remaining
    assert client.messages.create(model=SONNET, max_tokens=10, messages=USER).content


def test_ledger_rows_follow_the_contract(llm: FakeLLMServer) -> None:
    with anthropic.Anthropic(
        base_url=llm.url,
        api_key="k",
        max_retries=0,
        default_headers={"x-correlation-id": "corr-1", "x-tenant-id": "acme"},
    ) as c:
        c.messages.create(
            model=SONNET,
            max_tokens=100,
            tools=TOOLS,
            messages=[{"role": "user", "content": "Where is ORD-1001?"}],
        )
    with llm.control() as http:
        rows = http.get("/_control/ledger").json()["calls"]
        assert len(rows) == 1
        row = rows[0]
        assert tuple(row) == ROW_FIELDS
        assert (row["correlation_id"], row["tenant"], row["region"]) == ("corr-1", "acme", "us")
        assert (row["status"], row["stop_reason"], row["tool_calls"]) == (200, "tool_use", 1)
        assert row["upstream"] is False and row["stream"] is False
        assert row["cost_usd"] > 0 and row["latency_ms"] >= 0
        http.delete("/_control/ledger")
        assert http.get("/_control/ledger").json() == {"calls": []}


def _outcomes(seed: int) -> list[tuple[int, str]]:
    with FakeLLMServer(seed=seed) as llm:
        llm.set_behaviour(error_probability=0.5, error_status=529)
        out = []
        with httpx.Client(base_url=llm.url, timeout=10, headers=API_HEADERS) as http:
            for i in range(12):
                body = {
                    "model": SONNET,
                    "max_tokens": 100,
                    "messages": [
                        {"role": "user", "content": f"Question number {i} about pricing?"}
                    ],
                }
                resp = http.post("/v1/messages", json=body)
                out.append((resp.status_code, resp.text if resp.status_code == 200 else ""))
        return out


def test_same_seed_same_outcomes() -> None:
    first, second = _outcomes(7), _outcomes(7)
    assert first == second
    assert {status for status, _ in first} == {200, 529}
    assert _outcomes(8) != first


@pytest.mark.integration
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_cli_announces_serves_writes_ledger_and_exits_0_on_signal(
    tmp_path: Path, sig: signal.Signals
) -> None:
    ledger = tmp_path / "calls.jsonl"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "harness",
            "serve",
            "fake-llm",
            "--port",
            "0",
            "--seed",
            "3",
            "--region",
            "eu",
            "--ledger",
            str(ledger),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        line = proc.stdout.readline().strip() if proc.stdout else ""
        assert line.startswith("listening on http://127.0.0.1:")
        url = line.removeprefix("listening on ")
        assert httpx.get(f"{url}/_control/health", timeout=10).status_code == 200
        with anthropic.Anthropic(base_url=url, api_key="k", max_retries=0) as c:
            c.messages.create(model=SONNET, max_tokens=20, messages=USER)
        rows = [json.loads(x) for x in ledger.read_text().splitlines()]
        assert len(rows) == 1 and rows[0]["region"] == "eu"
        proc.send_signal(sig)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_repeated_requests_match_and_follow_behaviour_changes(
    llm: FakeLLMServer, client: anthropic.Anthropic
) -> None:
    ask = {
        "model": SONNET,
        "max_tokens": 200,
        "tools": TOOLS,
        "messages": [{"role": "user", "content": "Where is ORD-1002?"}],
    }
    first = client.messages.create(**ask)  # type: ignore[arg-type]
    second = client.messages.create(**ask)  # type: ignore[arg-type]  (memoised)
    assert first.id != second.id and first.content[0].id != second.content[0].id
    assert first.content[0].input == second.content[0].input
    assert first.usage == second.usage
    rows = llm.ledger()
    assert rows[0]["cost_usd"] == rows[1]["cost_usd"] and rows[1]["tool_calls"] == 1
    llm.set_behaviour(error_first_n=1, error_status=500)
    with pytest.raises(anthropic.InternalServerError):
        client.messages.create(**ask)  # type: ignore[arg-type]
    llm.set_behaviour(output_tokens=50)
    forced = client.messages.create(**ask)  # type: ignore[arg-type]
    assert forced.usage.output_tokens == 50
