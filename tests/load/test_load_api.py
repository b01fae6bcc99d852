"""The load speaking each API preset, streamed and not, to a real agent process on loopback
(tests/load/api_agent.py), driven by the real LoadRunner: first-token times on streamed
records, reply text read back into the next turn's history, failures recorded as before."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.load.config import LoadConfig
from harness.load.runner import LoadRunner
from harness.measure.run_data import IN_FLIGHT_ERROR, read_jsonl
from harness.netutil import LOOPBACK, free_port

pytestmark = pytest.mark.integration
AGENT = Path(__file__).with_name("api_agent.py")
# users 0, 1, 2 get acme, globex, initech (sorted tenants, seed 0); initech's key is refused,
# globex's streams break off after their first text
TENANTS = {"acme": "key-acme", "globex": "key-globex", "initech": "key-unknown"}


@pytest.fixture(scope="module")
def agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The test agent as its own process; yields its URL and its request log."""
    workdir = tmp_path_factory.mktemp("api-agent")
    port = free_port()
    with (workdir / "agent.err").open("wb") as err:
        proc = subprocess.Popen([sys.executable, str(AGENT), "--port", str(port),
                                 "--log", str(workdir / "requests.jsonl")], stderr=err)  # fmt: skip
    url = f"http://{LOOPBACK}:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, (workdir / "agent.err").read_text()
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the test agent never answered /healthz"
            time.sleep(0.05)
        yield url, workdir / "requests.jsonl"
    finally:
        proc.terminate()
        proc.wait(10)


def run_load(url: str, records_dir: Path, api: dict[str, Any]) -> list[dict[str, Any]]:
    config = LoadConfig(target_url=url, api=api, users=3, spawn_rate=3, run_time_s=3,
                        tenants=TENANTS, think_time_s=0.02, records_dir=records_dir)  # fmt: skip
    with LoadRunner(config, records_dir / "locust.log") as runner:
        assert runner.wait(90) == 0, (records_dir / "locust.log").read_text()[-3000:]
    return [r for r in read_jsonl(records_dir / "requests.jsonl")
            if r["error"] != IN_FLIGHT_ERROR]  # fmt: skip


def sent(log: Path) -> dict[str, dict[str, Any]]:
    """What the agent received, by the request id the load sent."""
    return {row["headers"]["x-request-id"]: row for row in read_jsonl(log)}


def by_tenant(records: list[dict[str, Any]], tenant: str) -> list[dict[str, Any]]:
    found = [r for r in records if r["tenant"] == tenant]
    assert found, f"no record of {tenant}"
    return found


def check_refused(records: list[dict[str, Any]]) -> None:
    for r in by_tenant(records, "initech"):
        assert (r["status"], r["ok"], r["error"]) == (401, False, "HTTP 401: authentication_error")
        assert "ttft_ms" not in r


def check_streamed(records: list[dict[str, Any]], breaks_after_text: bool = True) -> None:
    for r in by_tenant(records, "acme"):
        assert (r["status"], r["ok"], r["error"]) == (200, True, None)
        assert 0 < r["ttfb_ms"] <= r["ttft_ms"] <= r["latency_ms"]
    for r in by_tenant(records, "globex"):  # broken off: not ok, the status as answered
        assert (r["status"], r["ok"]) == (200, False)
        assert r["error"] in ("BadResponse", "ConnectionClosed", "ConnectionReset"), r["error"]
        assert r["ttfb_ms"] > 0
        assert ("ttft_ms" in r) == breaks_after_text
    check_refused(records)


def check_history(records: list[dict[str, Any]], log: Path) -> None:
    """acme's conversations: turn k carried the k earlier exchanges, each reply exactly the
    agent's text (read from its JSON or its stream)."""
    bodies = sent(log)
    later = 0
    for r in by_tenant(records, "acme"):
        messages = bodies[r["request_id"]]["body"]["messages"]
        assert len(messages) == 2 * r["turn"] + 1, (r["turn"], messages)
        for k in range(r["turn"]):
            user, reply = messages[2 * k], messages[2 * k + 1]
            assert (user["role"], reply["role"]) == ("user", "assistant")
            expected = f"acme turn after {2 * k} earlier: {user['content'][:40]}"
            assert reply["content"] == expected
            later += 1
    assert later, "no second turn in any session"


@pytest.mark.parametrize("stream", ["none", "sse"])
@pytest.mark.parametrize("preset", ["openai-chat", "anthropic-messages"])
def test_chat_apis_get_their_history_and_stream(
    agent: tuple[str, Path], tmp_path: Path, preset: str, stream: str
) -> None:
    url, log = agent
    records = run_load(url, tmp_path, {"preset": preset, "stream": stream})
    check_history(records, log)
    if stream == "none":
        assert all("ttft_ms" not in r and "ttfb_ms" not in r for r in records)
        assert all(r["ok"] for r in by_tenant(records, "globex"))
        check_refused(records)
    else:
        # openai: the second event is the first text; anthropic: the third
        check_streamed(records, breaks_after_text=preset == "openai-chat")
    headers = sent(log)[by_tenant(records, "acme")[0]["request_id"]]["headers"]
    if preset == "openai-chat":
        assert headers["authorization"].startswith("Bearer key-")
    else:
        assert headers["anthropic-version"] == "2023-06-01"


@pytest.mark.parametrize("stream", ["sse", "chunked"])
def test_harness_contract_streamed(agent: tuple[str, Path], tmp_path: Path, stream: str) -> None:
    url, log = agent
    api = {"path": f"/{stream}/v1/chat", "stream": stream, "stream_text": "text"}
    records = run_load(url, tmp_path, api)
    check_streamed(records)
    bodies = sent(log)
    for r in by_tenant(records, "acme"):
        assert bodies[r["request_id"]]["body"]["session_id"] == r["session"]
        if stream == "chunked":  # the first chunk is the first text
            assert r["ttfb_ms"] == pytest.approx(r["ttft_ms"], abs=5.0)
