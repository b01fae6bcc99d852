"""A real Prometheus scraping a real agent: a bad deploy fires the burn-rate page, and the
time-to-detect SLO is read from that alert."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from harness.faults import FaultContext, FaultScheduler
from harness.measure import load_run
from harness.measure.prometheus import PrometheusReader, collect_alerts
from harness.scenario.fault_specs import fault_adapter
from harness.slo import evaluate
from harness.stack.base import StackConfig
from harness.stack.local import LocalStack
from harness.stack.prometheus import PrometheusProcess, start_prometheus, wait_for_scrape
from harness.targets.reference import ReferenceTarget
from tests.requires import require_binary

pytestmark = pytest.mark.integration

PAGE = "AgentAvailabilityBurnPage"


class _Load:
    """Sequential chats on one thread, bounded in count and time; writes request records."""

    def __init__(self, url: str, path: Path, max_requests: int = 2000,
                 max_s: float = 90.0) -> None:
        self.url, self.path = url, path
        self.max_requests, self.max_s = max_requests, max_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="test-load", daemon=True)

    def __enter__(self) -> _Load:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        deadline = time.monotonic() + self.max_s
        with httpx.Client(timeout=10) as client, self.path.open("a") as out:
            for i in range(self.max_requests):
                if self._stop.is_set() or time.monotonic() > deadline:
                    return
                start = time.time()
                try:
                    status = client.post(f"{self.url}/v1/chat", headers={"x-api-key": "key-acme"},
                                         json={"message": f"hello {i}"}).status_code
                except httpx.HTTPError:
                    status = 0
                end = time.time()
                out.write(json.dumps({
                    "ts_start": start, "ts_end": end, "latency_ms": (end - start) * 1000,
                    "status": status, "ok": 200 <= status < 300, "tenant": "acme",
                    "task": "chat", "request_id": f"r{i}", "user": 0}) + "\n")
                out.flush()
                self._stop.wait(0.05)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[LocalStack]:
    with LocalStack(StackConfig(run_dir=tmp_path, target=ReferenceTarget("naive"))) as s:
        yield s


@pytest.fixture
def prometheus(tmp_path: Path, stack: LocalStack) -> Iterator[PrometheusProcess]:
    require_binary("prometheus")
    proc = start_prometheus(tmp_path, {"agent": stack.urls["agent"]})
    try:
        yield proc
    finally:
        proc.stop()


def _wait_value(reader: PrometheusReader, promql: str, timeout_s: float = 20.0) -> float:
    deadline = time.monotonic() + timeout_s
    value: float | None = None
    while time.monotonic() < deadline and not value:
        value = reader.value(promql)
        time.sleep(0.3)
    assert value, f"{promql} stayed empty"
    return value


def _wait_firing(reader: PrometheusReader, alert: str, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if reader.query(f'ALERTS{{alertname="{alert}",alertstate="firing"}}'):
            return True
        time.sleep(0.5)
    return False


def _check_rules_and_config(run_dir: Path, url: str) -> None:
    rules = httpx.get(f"{url}/api/v1/rules", timeout=5).json()["data"]["groups"]
    names = {r["name"] for g in rules for r in g["rules"]}
    assert {PAGE, "AgentRunawayLLMCalls", "AgentCostBurn", "agent:error_ratio:rate1h"} <= names
    config = (run_dir / "prometheus" / "prometheus.yml").read_text()
    assert "127.0.0.1" in config and "/metrics" in config


def test_bad_deploy_fires_the_page_and_time_to_detect_reads_it(
        tmp_path: Path, stack: LocalStack, prometheus: PrometheusProcess) -> None:
    assert prometheus.url is not None
    reader = PrometheusReader(prometheus.url)
    started = time.time()
    _check_rules_and_config(tmp_path, prometheus.url)
    wait_for_scrape(prometheus.url, "agent")
    deploy = fault_adapter.validate_python(
        {"at": "0s", "target": "agent", "kind": "deploy", "set": {"fail_rate": 0.6}})
    ctx = FaultContext(toxiproxy_url=stack.urls["toxiproxy"], processes=stack)
    with _Load(stack.agent_url, tmp_path / "requests.jsonl"):
        _wait_value(reader, 'sum(agent_requests_total{status="200"})')
        time.sleep(2)  # a healthy baseline: the availability page must not fire
        assert not reader.query(f'ALERTS{{alertname="{PAGE}"}}')
        with FaultScheduler([deploy], ctx, tmp_path / "faults.jsonl"):
            fired = _wait_firing(reader, PAGE, timeout_s=45)
    assert fired, f"{PAGE} never fired; rules: {reader.query('agent:error_ratio:rate5m')}"
    ended = time.time()
    (tmp_path / "run.json").write_text(json.dumps({"started": started, "ended": ended}))
    path = collect_alerts(prometheus.url, tmp_path, started, ended)

    episodes = [json.loads(line) for line in path.read_text().splitlines()]
    page = [e for e in episodes if e["alert"] == PAGE]
    assert page and page[0]["severity"] == "page"
    assert page[0]["labels"]["slo"] == "availability"

    report = evaluate({f"time_to_detect[alert={PAGE}]": "<= 40s",
                       "time_to_detect[alert=AgentRunawayLLMCalls]": "<= 40s"},
                      load_run(tmp_path))
    detected, never = report.slos
    assert detected.verdict == "pass", detected
    assert detected.value is not None and 0 <= detected.value <= 40
    events = [json.loads(x) for x in (tmp_path / "faults.jsonl").read_text().splitlines()]
    applied = next(e["ts"] for e in events if e["event"] == "applied")
    assert detected.value == pytest.approx(page[0]["ts"] - applied)
    # No tool loop ran: the runaway alert never fired, so its detection SLO fails.
    assert never.verdict == "fail" and never.detail["detected"] is False
