"""A request still unanswered when the run time is up is recorded, with how long it waited."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from load_standin import standin_config

from harness.load.runner import LoadRunner
from harness.measure import load_run
from harness.measure.run_data import IN_FLIGHT_ERROR
from harness.netutil import LOOPBACK
from harness.slo import evaluate


@pytest.fixture
def silent_url() -> Iterator[str]:
    """An HTTP server that reads requests and never answers: an agent hung to the end."""
    listener = socket.create_server((LOOPBACK, 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://{LOOPBACK}:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(5)
        for conn in held:
            conn.close()
        listener.close()


def test_a_hung_agent_leaves_one_in_flight_record_per_user(
    tmp_path: Path, silent_url: str
) -> None:
    config = standin_config(silent_url, tmp_path, users=3, spawn_rate=3, run_time_s=3,
                            request_timeout_s=30.0, think_time_s=0)  # fmt: skip
    with LoadRunner(config, tmp_path / "locust.log") as runner:
        assert runner.wait(60) == 0
    log = (tmp_path / "locust.log").read_text()
    assert "Traceback" not in log, log
    data = load_run(tmp_path)
    assert data.requests.empty  # nothing was answered
    pending = data.in_flight
    assert sorted(pending["user"]) == [0, 1, 2] and set(pending["error"]) == {IN_FLIGHT_ERROR}
    assert set(pending["status"]) == {0} and not pending["ok"].any()
    # each user sent once, at spawn, and waited until the run time was up
    assert (pending["latency_ms"] > 1500).all() and (pending["latency_ms"] < 20_000).all()
    waited_s = pending["ts_end"] - pending["ts_start"]
    assert (waited_s - pending["latency_ms"] / 1000).abs().max() < 1e-3
    report = evaluate({"latency_p50": "<= 1s"}, data)
    assert report.slos[0].detail == {"in_flight_past_objective": 3}
