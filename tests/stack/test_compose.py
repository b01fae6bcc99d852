"""ComposeStack's docker-SDK driver against a loopback stand-in for the Docker Engine API.

The stand-in answers the endpoints docker-py calls (list, inspect, kill, pause, unpause,
restart) and keeps container state, so the faults' effects can be checked end to end
through the real `docker` client over HTTP."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import docker
import pytest

from harness.errors import StackError
from harness.faults import FaultContext, FaultScheduler
from harness.scenario.fault_specs import fault_adapter
from harness.stack.compose import ComposeConfig, ComposeStack

PROJECT = "agent-chaos"
API = "1.44"


class Engine:
    """Containers by id: service name, state and health; every request is recorded."""

    def __init__(self) -> None:
        self.containers: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        for i, service in enumerate(("agent", "fake-llm", "tools", "toxiproxy")):
            cid = f"{i:02d}" + "ab" * 31
            self.containers[cid] = {"service": service, "project": PROJECT,
                                    "status": "running", "health": "healthy", "restarts": 0}
        self.containers["ff" * 32] = {"service": "agent", "project": "someone-else",
                                      "status": "running", "health": "healthy", "restarts": 0}

    def summary(self, cid: str) -> dict[str, Any]:
        c = self.containers[cid]
        return {"Id": cid, "Names": [f"/{c['project']}-{c['service']}-1"], "State": c["status"],
                "Labels": {"com.docker.compose.project": c["project"],
                           "com.docker.compose.service": c["service"]}}

    def inspect(self, cid: str) -> dict[str, Any]:
        c = self.containers[cid]
        return {"Id": cid, "Name": f"/{c['project']}-{c['service']}-1",
                "Config": {"Labels": self.summary(cid)["Labels"], "Image": "img"},
                "State": {"Status": c["status"], "Running": c["status"] == "running",
                          "Paused": c["status"] == "paused",
                          "Health": {"Status": c["health"]}}}

    def matches(self, cid: str, filters: dict[str, list[str]]) -> bool:
        labels = self.summary(cid)["Labels"]
        return all(labels.get(k) == v for k, _, v in
                   (f.partition("=") for f in filters.get("label", [])))


def _handler(engine: Engine) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, body: Any = None) -> None:
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            with engine.lock:
                engine.requests.append(("GET", url.path))
                if url.path == f"/v{API}/containers/json":
                    query = parse_qs(url.query)
                    filters = json.loads(query.get("filters", ["{}"])[0])
                    self._send(200, [engine.summary(c) for c in engine.containers
                                     if engine.matches(c, filters)])
                    return
                match = re.fullmatch(rf"/v{API}/containers/(\w+)/json", url.path)
                if match and match.group(1) in engine.containers:
                    self._send(200, engine.inspect(match.group(1)))
                    return
            self._send(404, {"message": "no such endpoint"})

        def do_POST(self) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            match = re.fullmatch(rf"/v{API}/containers/(\w+)/(kill|pause|unpause|restart)",
                                 url.path)
            with engine.lock:
                engine.requests.append(("POST", url.path))
                if not match or match.group(1) not in engine.containers:
                    self._send(404, {"message": "No such container"})
                    return
                c = engine.containers[match.group(1)]
                action = match.group(2)
                if action == "pause" and c["status"] != "running":
                    self._send(409, {"message": "container is not running"})
                    return
                c["status"] = {"kill": "exited", "pause": "paused", "unpause": "running",
                               "restart": "running"}[action]
                if action == "restart":
                    c["restarts"] += 1
            self._send(204)

    return Handler


@pytest.fixture
def engine() -> Iterator[tuple[Engine, str]]:
    state = Engine()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"tcp://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def stack(engine: tuple[Engine, str], tmp_path: Path) -> Iterator[ComposeStack]:
    _, url = engine
    client = docker.DockerClient(base_url=url, version=API, timeout=5)
    try:
        yield ComposeStack(ComposeConfig(project_dir=tmp_path, run_compose=False), client=client)
    finally:
        client.close()


def _state(engine: Engine, service: str) -> dict[str, Any]:
    return next(c for c in engine.containers.values()
                if c["service"] == service and c["project"] == PROJECT)


def test_process_control_acts_on_the_projects_container_only(engine, stack) -> None:
    state, _ = engine
    stack.freeze("agent")
    assert _state(state, "agent")["status"] == "paused"
    assert state.containers["ff" * 32]["status"] == "running"  # another project's agent
    stack.thaw("agent")
    assert _state(state, "agent")["status"] == "running"
    stack.kill("llm")  # harness name -> service fake-llm
    assert _state(state, "fake-llm")["status"] == "exited"
    stack.restart("llm")
    assert _state(state, "fake-llm") == {**_state(state, "fake-llm"), "status": "running",
                                         "restarts": 1}
    posts = [p for m, p in state.requests if m == "POST"]
    assert [p.rsplit("/", 1)[1] for p in posts] == ["pause", "unpause", "kill", "restart"]
    assert [e["event"] for e in stack.events] == ["pause", "unpause", "kill", "restart"]


def test_wait_healthy_reads_the_healthcheck_status(engine, stack) -> None:
    state, _ = engine
    _state(state, "tools")["health"] = "unhealthy"
    with pytest.raises(StackError, match="not healthy"):
        stack.wait_healthy("tools", timeout_s=1.0)
    _state(state, "tools")["health"] = "healthy"
    stack.wait_healthy("tools", timeout_s=5.0)


def test_unknown_service_and_engine_errors_are_stack_errors(engine, stack) -> None:
    with pytest.raises(StackError, match="no container for service 'grafana'"):
        stack.kill("grafana")
    stack.kill("agent")
    with pytest.raises(StackError, match="docker pause failed"):
        stack.freeze("agent")  # the engine answers 409: the container is not running


def test_freeze_fault_runs_unchanged_through_the_compose_stack(engine, stack,
                                                               tmp_path: Path) -> None:
    """The scheduler's freeze fault pauses the container for its window and unpauses it."""
    state, _ = engine
    spec = fault_adapter.validate_python(
        {"at": "0s", "for": "200ms", "target": "agent", "kind": "freeze"})
    ctx = FaultContext(toxiproxy_url=stack.urls["toxiproxy"], processes=stack)
    log = tmp_path / "faults.jsonl"
    with FaultScheduler([spec], ctx, log):
        time.sleep(1.0)  # the 200ms window ends inside the block
    events = [json.loads(line)["event"] for line in log.read_text().splitlines()]
    assert events[-1] == "reverted"
    assert _state(state, "agent")["status"] == "running"
    assert [p.rsplit("/", 1)[1] for m, p in state.requests if m == "POST"][-1] == "unpause"


def test_addresses_match_the_local_stack_surface(stack) -> None:
    assert stack.agent_url == "http://127.0.0.1:18000"
    assert set(stack.proxy_urls) == {"agent", "llm", "llm_eu", "tools"}
    assert {"toxiproxy", "llm", "llm_eu", "tools", "prometheus"} <= set(stack.urls)
    assert stack.describe()["stack"] == "compose"
