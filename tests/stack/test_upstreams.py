"""`agent.upstreams` on the local stack: each dependency behind its own proxy, faults on it
seen by the agent's own client, and a dependency that breaks is the rig's failure (exit 3)."""

from __future__ import annotations

import http.server
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from harness.errors import StackError, UsageError
from harness.faults.base import FaultContext, build_fault
from harness.scenario.fault_specs import fault_adapter
from harness.stack.base import RigFailure, StackConfig
from harness.stack.local import LocalStack, proxied_url, upstream_process
from harness.targets import Upstream
from harness.targets.own import CommandTarget
from tests.http_thread import serving
from tests.stack.upstream_programs import AGENT, UPSTREAM

pytestmark = pytest.mark.integration
PY = sys.executable
SLOW = 180.0  # the rig's own start-up on a busy machine (upstream timeouts are their own)


def _descendants() -> set[int]:
    return {p.pid for p in psutil.Process().children(recursive=True)}


@pytest.fixture
def programs(tmp_path: Path) -> dict[str, Path]:
    paths = {"agent": tmp_path / "agent.py", "upstream": tmp_path / "upstream.py"}
    paths["agent"].write_text(AGENT, encoding="utf-8")
    paths["upstream"].write_text(UPSTREAM, encoding="utf-8")
    return paths


@pytest.fixture
def running_upstream() -> Iterator[str]:
    """An upstream already running (in this process) before the stack starts."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            body = f"crm answers {self.path}".encode()
            self.send_response(200)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    with serving(Handler) as port:
        yield f"http://127.0.0.1:{port}/api"


def _agent(programs: dict[str, Path], **upstreams: Upstream) -> CommandTarget:
    return CommandTarget(command=f"{PY} {programs['agent']} {{port}}", known_tenants={},
                         start_timeout_s=30, known_upstreams=upstreams)


def _kb(programs: dict[str, Path], **kw: object) -> Upstream:
    return Upstream("kb", command=f"{PY} {programs['upstream']} {{port}} kb",
                    health="/healthz", start_timeout_s=30, **kw)  # type: ignore[arg-type]


def _fault(entry: dict) -> object:
    return fault_adapter.validate_python(entry)


def test_each_upstream_gets_its_own_proxy_and_the_agent_its_proxied_url(
    tmp_path: Path, programs: dict[str, Path], running_upstream: str,
) -> None:
    agent = _agent(programs, kb=_kb(programs), crm=Upstream("crm", url=running_upstream))
    with LocalStack(StackConfig(run_dir=tmp_path, target=agent, start_timeout_s=SLOW)) as stack:
        env = httpx.get(f"{stack.agent_url}/env", timeout=10).json()
        assert env == {"HARNESS_UPSTREAM_KB_URL": stack.upstream_urls["kb"],
                       "HARNESS_UPSTREAM_CRM_URL": stack.upstream_urls["crm"]}
        proxies = httpx.get(f"{stack.urls['toxiproxy']}/proxies", timeout=5).json()
        # The agent's URL is the proxy's listen address, never the upstream's own.
        assert proxies["kb"]["upstream"] == stack.urls[upstream_process("kb")].split("//")[1]
        assert env["HARNESS_UPSTREAM_KB_URL"] == f"http://{proxies['kb']['listen']}"
        assert proxies["crm"]["upstream"] == running_upstream.split("//")[1].split("/")[0]
        assert env["HARNESS_UPSTREAM_CRM_URL"] == f"http://{proxies['crm']['listen']}/api"
        via_kb = httpx.get(f"{stack.agent_url}/via/kb/doc/1", timeout=10)
        assert (via_kb.status_code, via_kb.text) == (200, "kb says hi from /doc/1")
        via_crm = httpx.get(f"{stack.agent_url}/via/crm/customer/7", timeout=10)
        assert (via_crm.status_code, via_crm.text) == (200, "crm answers /api/customer/7")
        assert stack.describe()["upstreams"] == stack.upstream_urls
        assert (tmp_path / "logs" / "upstream-kb.log").exists()


def test_network_faults_on_an_upstream_reach_the_agents_own_client(
    tmp_path: Path, programs: dict[str, Path],
) -> None:
    with LocalStack(StackConfig(run_dir=tmp_path, target=_agent(programs, kb=_kb(programs)),
                                start_timeout_s=SLOW)
                    ) as stack:
        ctx = FaultContext(toxiproxy_url=stack.urls["toxiproxy"])
        via = f"{stack.agent_url}/via/kb/x"

        def timed() -> tuple[int, float]:
            started = time.monotonic()
            answer = httpx.get(via, timeout=30)
            return answer.status_code, time.monotonic() - started

        latency = build_fault(0, _fault({"kind": "latency", "target": "kb",
                                         "latency_ms": 1500}))  # type: ignore[arg-type]
        latency.apply(ctx)
        try:
            status, slow = timed()
        finally:
            latency.revert(ctx)
        assert status == 200 and slow >= 1.4  # the toxic holds every reply >= 1.5 s

        reset = build_fault(1, _fault({"kind": "reset_peer", "target": "kb"}))  # type: ignore[arg-type]
        reset.apply(ctx)
        try:
            broken = httpx.get(via, timeout=30)
        finally:
            reset.revert(ctx)
        assert broken.status_code == 502, broken.text  # the agent's urllib saw the reset

        down = build_fault(2, _fault({"kind": "down", "target": "kb"}))  # type: ignore[arg-type]
        down.apply(ctx)
        try:
            refused = httpx.get(via, timeout=30)
        finally:
            down.revert(ctx)
        assert (refused.status_code, refused.text) == (502, "URLError")
        healed = httpx.get(via, timeout=30)
        assert (healed.status_code, healed.text) == (200, "kb says hi from /x")
        # Another upstream's fault never touches the agent's LLM proxy.
        assert httpx.get(f"{stack.urls['toxiproxy']}/proxies/llm/toxics", timeout=5).json() == []


def test_a_command_upstream_that_dies_mid_run_is_a_rig_failure(
    tmp_path: Path, programs: dict[str, Path],
) -> None:
    config = StackConfig(run_dir=tmp_path, target=_agent(programs, kb=_kb(programs)),
                         watch_interval_s=0.2, start_timeout_s=SLOW)
    with LocalStack(config) as stack:
        kb = stack.processes[upstream_process("kb")]
        assert kb.proc is not None
        os.killpg(kb.proc.pid, signal.SIGKILL)  # not a fault: nobody planned it
        deadline = time.monotonic() + 30
        while stack.failure() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        failure = stack.failure()
    assert isinstance(failure, RigFailure)
    assert failure.process == "upstream-kb" and failure.exit_code == 3
    assert "died unexpectedly" in str(failure)


def test_an_upstream_url_that_is_not_running_stops_the_start_with_exit_3(
    tmp_path: Path, programs: dict[str, Path],
) -> None:
    before = _descendants()
    agent = _agent(programs, crm=Upstream("crm", url="http://127.0.0.1:9/api",
                                          start_timeout_s=2))
    with pytest.raises(StackError) as excinfo, LocalStack(
        StackConfig(run_dir=tmp_path, target=agent, start_timeout_s=SLOW)
    ):
        pass
    assert excinfo.value.process == "upstream crm" and excinfo.value.exit_code == 3
    assert "a connection to http://127.0.0.1:9/api not ready within 2s" in str(excinfo.value)
    assert "ConnectionRefusedError" in str(excinfo.value)
    deadline = time.monotonic() + 10
    while not _descendants() <= before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _descendants() <= before


def test_a_command_upstream_that_never_gets_healthy_names_itself(
    tmp_path: Path, programs: dict[str, Path],
) -> None:
    sleeper = Upstream("kb", command=f"{PY} -c 'import time; time.sleep(60)' {{port}}",
                       health="/healthz", start_timeout_s=2)
    with pytest.raises(StackError) as excinfo, LocalStack(
        StackConfig(run_dir=tmp_path, target=_agent(programs, kb=sleeper), start_timeout_s=SLOW)
    ):
        pass
    assert excinfo.value.process == "upstream-kb" and excinfo.value.exit_code == 3
    assert "/healthz not healthy within 2s" in str(excinfo.value)
    assert "time.sleep(60)" in str(excinfo.value)


def test_the_compose_stack_refuses_upstreams_with_a_usage_error(
    tmp_path: Path, programs: dict[str, Path],
) -> None:
    from harness.stack.compose import ComposeStack

    agent = _agent(programs, crm=Upstream("crm", url="http://127.0.0.1:9100"))
    with pytest.raises(UsageError) as excinfo:
        ComposeStack.from_config(StackConfig(run_dir=tmp_path, target=agent, start_timeout_s=SLOW))
    assert excinfo.value.exit_code == 2
    assert "agent.upstreams" in str(excinfo.value) and "--stack local" in str(excinfo.value)


@pytest.mark.parametrize(("url", "listen", "expected"), [
    ("http://127.0.0.1:9100/api/v2?x=1", "127.0.0.1:40001", "http://127.0.0.1:40001/api/v2?x=1"),
    ("http://localhost:9100", "127.0.0.1:40001", "http://127.0.0.1:40001"),
    ("https://localhost:9443/", "127.0.0.1:40001", "https://localhost:40001/"),
    ("http://[::1]:9100/x", "127.0.0.1:40001", "http://127.0.0.1:40001/x"),
])
def test_the_proxied_url_keeps_the_path_and_an_https_host_name(
    url: str, listen: str, expected: str,
) -> None:
    assert proxied_url(url, listen) == expected
