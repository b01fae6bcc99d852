"""ComposeStack's docker-SDK driver against a loopback stand-in for the Docker Engine API.

The stand-in answers the endpoints docker-py calls (list, inspect, kill, pause, unpause,
restart, archive, logs, image inspect) and keeps container state, so the faults' effects and
the evidence copied into the run directory can be checked end to end through the real
`docker` client over HTTP. The `docker compose` command lines are checked against a stand-in
`docker` executable on PATH that records them. (deploy/compose-test.sh runs the real thing.)"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import struct
import sys
import tarfile
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import docker
import pytest

from harness.errors import StackError
from harness.faults import FaultContext, FaultScheduler
from harness.scenario.fault_specs import fault_adapter
from harness.stack.base import RigFailure
from harness.stack.compose import (
    ComposeConfig,
    ComposeStack,
    compose_command,
    resolve_compose_files,
)
from tests.http_thread import serving

PROJECT = "agent-chaos"
API = "1.44"


class Engine:
    """Containers by id: service name, state and health; every request is recorded."""

    def __init__(self) -> None:
        self.containers: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        for i, service in enumerate(("agent", "fake-llm", "fake-llm-eu", "tools", "toxiproxy")):
            cid = f"{i:02d}" + "ab" * 31
            self.containers[cid] = {"service": service, "project": PROJECT,
                                    "status": "running", "health": "healthy", "restarts": 0,
                                    "files": {}, "logs": f"{service} says hello\n", "env": []}
        self.containers["ff" * 32] = {"service": "agent", "project": "someone-else",
                                      "status": "running", "health": "healthy", "restarts": 0,
                                      "files": {}, "logs": "", "env": []}

    def summary(self, cid: str) -> dict[str, Any]:
        c = self.containers[cid]
        return {"Id": cid, "Names": [f"/{c['project']}-{c['service']}-1"], "State": c["status"],
                "Labels": {"com.docker.compose.project": c["project"],
                           "com.docker.compose.service": c["service"]}}

    def inspect(self, cid: str) -> dict[str, Any]:
        c = self.containers[cid]
        return {"Id": cid, "Name": f"/{c['project']}-{c['service']}-1",
                "Image": "sha256:" + "1" * 64,
                "Config": {"Labels": self.summary(cid)["Labels"], "Image": f"img/{c['service']}",
                           "Env": c["env"], "Tty": False},
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
                match = re.fullmatch(rf"/v{API}/containers/(\w+)/(json|archive|logs)", url.path)
                if match and match.group(1) in engine.containers:
                    what = match.group(2)
                    if what == "json":
                        self._send(200, engine.inspect(match.group(1)))
                    elif what == "archive":
                        self._archive(engine.containers[match.group(1)], parse_qs(url.query))
                    else:
                        self._logs(engine.containers[match.group(1)])
                    return
                if re.fullmatch(rf"/v{API}/images/[\w:]+/json", url.path):
                    self._send(200, {"Id": "sha256:" + "1" * 64, "RepoDigests": ["img@sha256:2"]})
                    return
            self._send(404, {"message": "no such endpoint"})

        def _archive(self, container: dict[str, Any], query: dict[str, list[str]]) -> None:
            path = query["path"][0]
            if path not in container["files"]:
                self._send(404, {"message": f"Could not find the file {path} in container"})
                return
            data = container["files"][path]
            buffer = io.BytesIO()
            with tarfile.open(fileobj=buffer, mode="w") as tar:
                info = tarfile.TarInfo(path.rsplit("/", 1)[1])
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            stat = base64.b64encode(json.dumps({"name": info.name, "size": len(data)}).encode())
            self.send_response(200)
            self.send_header("Content-Type", "application/x-tar")
            self.send_header("X-Docker-Container-Path-Stat", stat.decode())
            self.send_header("Content-Length", str(len(buffer.getvalue())))
            self.end_headers()
            self.wfile.write(buffer.getvalue())

        def _logs(self, container: dict[str, Any]) -> None:
            payload = container["logs"].encode()
            frame = struct.pack(">BxxxL", 1, len(payload)) + payload  # stdout, multiplexed
            self.send_response(200)
            self.send_header("Content-Type", "application/vnd.docker.raw-stream")
            self.send_header("Content-Length", str(len(frame)))
            self.end_headers()
            self.wfile.write(frame)

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
                if action == "pause" and c.get("freeze_failures", 0) > 0:
                    c["freeze_failures"] -= 1  # runc thawed it again: still running
                    self._send(500, {"message": f"Cannot pause container {match.group(1)}: "
                                                "OCI runtime pause failed: unable to freeze: "
                                                "unknown"})
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
    with serving(_handler(state)) as port:
        yield state, f"tcp://127.0.0.1:{port}"


@pytest.fixture
def client(engine: tuple[Engine, str]) -> Iterator[docker.DockerClient]:
    _, url = engine
    client = docker.DockerClient(base_url=url, version=API, timeout=5)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def stack(client: docker.DockerClient, tmp_path: Path) -> ComposeStack:
    return ComposeStack(ComposeConfig(project_dir=tmp_path, run_compose=False), client=client)


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
    """A service the host cannot probe (the agent: only through its faulted proxy)."""
    state, _ = engine
    assert stack.health_url("agent") is None
    _state(state, "agent")["health"] = "unhealthy"
    with pytest.raises(StackError, match="not healthy"):
        stack.wait_healthy("agent", timeout_s=1.0)
    _state(state, "agent")["health"] = "healthy"
    stack.wait_healthy("agent", timeout_s=5.0)


@pytest.fixture
def health_server() -> Iterator[tuple[dict[str, int], str]]:
    """A loopback server whose every path answers `answer["status"]`."""
    answer = {"status": 503}

    class Health(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(answer["status"])
            self.send_header("Content-Length", "0")
            self.end_headers()

    with serving(Health) as port:
        yield answer, f"http://127.0.0.1:{port}"


def test_wait_healthy_probes_the_health_url_not_dockers_last_check(engine, stack,
                                                                    health_server) -> None:
    """The tool server is back when its /healthz answers, whatever Docker's health check
    (every 5 s) said last; a container that does not run is never healthy."""
    state, _ = engine
    answer, url = health_server
    stack.urls["tools"] = url
    assert stack.health_url("tools") == f"{url}/healthz"
    _state(state, "tools")["health"] = "starting"
    with pytest.raises(StackError, match=r"/healthz: 503"):
        stack.wait_healthy("tools", timeout_s=0.5)
    answer["status"] = 200
    stack.wait_healthy("tools", timeout_s=5.0)
    _state(state, "tools")["status"] = "exited"
    with pytest.raises(StackError, match="state: exited"):
        stack.wait_healthy("tools", timeout_s=0.5)


def test_a_freeze_runc_gives_up_on_is_retried(engine, stack) -> None:
    state, _ = engine
    _state(state, "fake-llm")["freeze_failures"] = 2
    stack.freeze("llm")
    assert _state(state, "fake-llm")["status"] == "paused"
    assert stack.events[-1]["event"] == "pause"
    assert stack.events[-1]["attempts"] == 3
    assert stack.failure() is None


def test_a_freeze_that_cannot_be_made_is_a_rig_failure(engine, stack, monkeypatch) -> None:
    """Not a run that goes on to a verdict without its fault."""
    monkeypatch.setattr("harness.stack.compose.FREEZE_RETRY_S", 0.3)
    state, _ = engine
    _state(state, "fake-llm")["freeze_failures"] = 10_000
    with pytest.raises(RigFailure, match="unable to freeze") as raised:
        stack.freeze("llm")
    assert stack.failure() is raised.value
    assert _state(state, "fake-llm")["status"] == "running"
    assert stack.events[-1]["event"] == "pause_failed"
    assert stack.events[-1]["attempts"] >= 2


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
    with FaultScheduler([spec], ctx, log) as scheduler:
        # The timeline's own revert, at 200 ms, not the one leaving the block would do.
        deadline = time.monotonic() + 10
        while not any(e["event"] == "reverted" for e in scheduler.events):
            assert time.monotonic() < deadline, "the freeze was never reverted on schedule"
            time.sleep(0.02)
    events = [json.loads(line)["event"] for line in log.read_text().splitlines()]
    assert events == ["applied", "reverted"]
    assert _state(state, "agent")["status"] == "running"
    assert [p.rsplit("/", 1)[1] for m, p in state.requests if m == "POST"][-1] == "unpause"


def test_addresses_match_the_local_stack_surface(stack) -> None:
    assert stack.agent_url == "http://127.0.0.1:18000"
    assert set(stack.proxy_urls) == {"agent", "llm", "llm_eu", "tools"}
    assert {"toxiproxy", "llm", "llm_eu", "tools", "prometheus"} <= set(stack.urls)
    assert stack.describe()["stack"] == "compose"


def _put(engine: Engine, service: str, **fields: Any) -> None:
    _state(engine, service).update(fields)


def test_collect_evidence_copies_ledgers_tool_log_and_container_logs(engine, client,
                                                                     tmp_path: Path) -> None:
    state, _ = engine
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    us = b'{"ts": 1.0, "cost_usd": 0.5}\n{"ts": 2.0, "cost_usd": 0.25}\n'
    _put(state, "fake-llm", files={"/data/llm_calls.us.jsonl": us})
    _put(state, "fake-llm-eu", files={"/data/llm_calls.eu.jsonl": b'{"ts": 3.0}\n'})
    stack = ComposeStack(ComposeConfig(project_dir=tmp_path, run_dir=run_dir), client=client)
    events: list[dict[str, Any]] = []
    stack.on_event = events.append
    stack.collect_evidence()
    assert (run_dir / "llm_calls.us.jsonl").read_bytes() == us
    assert (run_dir / "llm_calls.eu.jsonl").read_bytes() == b'{"ts": 3.0}\n'
    # The tool server wrote nothing: no file (its SLOs inconclusive), and an event says so.
    assert not (run_dir / "tool_calls.jsonl").exists()
    assert [(e["event"], e["process"], e["file"]) for e in events] == [
        ("evidence_missing", "tools", "tool_calls.jsonl")]
    # Logs under the local stack's process names; another project's containers are not ours.
    logs = {p.name: p.read_text() for p in (run_dir / "logs").iterdir()}
    assert logs == {"agent.log": "agent says hello\n", "llm.log": "fake-llm says hello\n",
                    "llm_eu.log": "fake-llm-eu says hello\n", "tools.log": "tools says hello\n",
                    "toxiproxy.log": "toxiproxy says hello\n"}


def test_a_stack_left_up_gives_only_this_runs_rows(engine, client, tmp_path: Path) -> None:
    state, _ = engine
    stack = ComposeStack(ComposeConfig(project_dir=tmp_path, run_dir=tmp_path,
                                       run_compose=False), client=client)
    stack.start()
    assert stack._started_at is not None
    earlier, now = stack._started_at - 100, stack._started_at + 1
    rows = f'{{"ts": {earlier}}}\n{{"ts": {now}}}\n'.encode()
    _put(state, "tools", files={"/data/tool_calls.jsonl": rows})
    stack.collect_evidence()
    assert (tmp_path / "tool_calls.jsonl").read_bytes() == f'{{"ts": {now}}}\n'.encode()


def test_describe_states_the_store_and_every_image(engine, client, tmp_path: Path) -> None:
    state, _ = engine
    _put(state, "tools", env=["TOOLS_STORE=postgresql://tools:s3cret@postgres:5432/agent"])
    (tmp_path / "docker-compose.yml").write_text("services: {}\n")
    described = ComposeStack(ComposeConfig(project_dir=tmp_path, run_compose=False),
                             client=client).describe()
    assert described["tools_store"] == (
        "postgresql (row-level security): postgresql://tools:***@postgres:5432/agent")
    assert "s3cret" not in json.dumps(described)
    assert described["services"]["tools"] == {
        "image": "img/tools", "image_id": "sha256:" + "1" * 64,
        "repo_digests": ["img@sha256:2"], "container": "03" + "ab" * 5}
    assert set(described["services"]) == {"agent", "fake-llm", "fake-llm-eu", "tools",
                                          "toxiproxy"}
    assert described["compose_files"] == [str((tmp_path / "docker-compose.yml").resolve())]
    assert described["prometheus"] == "short.yml"


# -- compose files and the Compose command ------------------------------------------------


def test_compose_files_explicit_then_harness_then_compose_env_then_defaults(
        tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    for name in ("docker-compose.yml", "docker-compose.override.yml", "ci.yml", "more.yml"):
        (project / name).write_text("services: {}\n")
    config = ComposeConfig(project_dir=project)
    files, directory = resolve_compose_files(config, env={})
    assert [f.name for f in files] == ["docker-compose.yml", "docker-compose.override.yml"]
    assert directory == project.resolve()
    env = {"COMPOSE_FILE": os.pathsep.join(["docker-compose.yml", "ci.yml"])}
    assert [f.name for f in resolve_compose_files(config, env)[0]] == [
        "docker-compose.yml", "ci.yml"]
    env["HARNESS_COMPOSE_FILE"] = "more.yml"
    assert [f.name for f in resolve_compose_files(config, env)[0]] == ["more.yml"]
    explicit = ComposeConfig(compose_files=[project / "ci.yml"])
    files, directory = resolve_compose_files(explicit, env)
    assert files == [(project / "ci.yml").resolve()]
    assert directory == project.resolve()  # no project dir given: the first file's


def test_a_missing_compose_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(StackError, match=r"compose file not found \(HARNESS_COMPOSE_FILE\).*"
                                         r"nope\.yml"):
        resolve_compose_files(ComposeConfig(project_dir=tmp_path),
                              env={"HARNESS_COMPOSE_FILE": "nope.yml"})
    with pytest.raises(StackError, match="no compose file .* in " + re.escape(str(tmp_path))):
        resolve_compose_files(ComposeConfig(project_dir=tmp_path), env={})


def test_without_a_project_dir_the_checkout_is_found_from_anywhere(tmp_path: Path,
                                                                   monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    files, directory = resolve_compose_files(ComposeConfig(), env={})
    root = Path(__file__).resolve().parents[2]
    assert files[0] == root / "docker-compose.yml"
    assert directory == root


FAKE_DOCKER = """#!{python}
# Stand-in `docker` / `docker-compose`: answers `version --short`, records every other call.
import json, os, sys
args = sys.argv[1:]
name = os.path.basename(sys.argv[0])
if args[-2:] == ["version", "--short"]:
    version = os.environ.get("FAKE_VERSION_" + ("PLUGIN" if name == "docker" else "STANDALONE"))
    if not version:
        sys.exit(1)
    print(version)
    sys.exit(0)
with open(os.environ["FAKE_DOCKER_LOG"], "a") as fh:
    keep = ("AGENT_FLAGS", "AGENT_PROFILE", "SEED", "PROMETHEUS_CONFIG", "PROMETHEUS_LOOKBACK")
    fh.write(json.dumps({{"argv": [name, *args], "cwd": os.getcwd(),
                         "env": {{k: os.environ.get(k) for k in keep}}}}) + "\\n")
"""


@pytest.fixture
def fake_docker(tmp_path: Path, monkeypatch) -> Path:
    """A `docker` and a `docker-compose` on PATH that record their calls in the returned file."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("docker", "docker-compose"):
        exe = bin_dir / name
        exe.write_text(FAKE_DOCKER.format(python=sys.executable))
        exe.chmod(0o755)
    log = tmp_path / "calls.jsonl"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_DOCKER_LOG", str(log))
    monkeypatch.delenv("FAKE_VERSION_PLUGIN", raising=False)
    monkeypatch.delenv("FAKE_VERSION_STANDALONE", raising=False)
    return log


def test_compose_v1_alone_is_a_clear_stack_error(fake_docker: Path, monkeypatch) -> None:
    monkeypatch.setenv("FAKE_VERSION_STANDALONE", "1.29.2")
    with pytest.raises(StackError) as raised:
        compose_command()
    message = str(raised.value)
    assert raised.value.exit_code == 3
    assert "needs Docker Compose v2.1 or later" in message
    assert "found only docker-compose 1.29.2" in message and "Compose v1" in message
    monkeypatch.delenv("FAKE_VERSION_STANDALONE")
    with pytest.raises(StackError, match="found no Compose"):
        compose_command()


def test_a_standalone_compose_v2_is_used_when_there_is_no_plugin(fake_docker: Path,
                                                                 monkeypatch) -> None:
    monkeypatch.setenv("FAKE_VERSION_STANDALONE", "2.20.2")
    assert compose_command() == (["docker-compose"], "2.20.2")
    monkeypatch.setenv("FAKE_VERSION_PLUGIN", "v2.26.1")
    assert compose_command() == (["docker", "compose"], "2.26.1")


def test_up_and_down_name_every_file_and_the_project_dir(fake_docker: Path, engine, client,
                                                         tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("FAKE_VERSION_PLUGIN", "2.26.1")
    project = tmp_path / "project"
    project.mkdir()
    for name in ("compose.yaml", "compose.override.yaml"):
        (project / name).write_text("services: {}\n")
    monkeypatch.chdir(tmp_path)  # not the project: the driver must not depend on the cwd
    config = ComposeConfig(project_dir=project, seed=7, agent_overrides={"fail_rate": 0.5},
                           run_dir=tmp_path)
    with ComposeStack(config, client=client) as stack:
        assert stack.describe()["compose_version"] == "2.26.1"
    calls = [json.loads(line) for line in fake_docker.read_text().splitlines()]
    files = ["-f", str(project / "compose.yaml"), "-f", str(project / "compose.override.yaml")]
    prefix = ["docker", "compose", "--project-directory", str(project), *files, "-p", PROJECT]
    assert [c["argv"] for c in calls] == [
        [*prefix, "up", "-d", "--build", "--wait"],
        [*prefix, "down", "-v", "--remove-orphans"]]
    assert calls[0]["env"] == {"AGENT_FLAGS": "--set fail_rate=0.5", "AGENT_PROFILE": "hardened",
                               "SEED": "7", "PROMETHEUS_CONFIG": "short.yml",
                               "PROMETHEUS_LOOKBACK": "30s"}
    assert calls[0]["cwd"] == str(project)
    # The evidence was collected on the way down even though nobody asked for it.
    assert (tmp_path / "logs" / "agent.log").is_file()


def test_a_deploy_keeps_the_replaced_agents_log(fake_docker: Path, engine, client,
                                                tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("FAKE_VERSION_PLUGIN", "2.26.1")
    (tmp_path / "docker-compose.yml").write_text("services: {}\n")
    stack = ComposeStack(ComposeConfig(project_dir=tmp_path, run_dir=tmp_path,
                                       run_compose=False), client=client)
    stack.restart("agent", {"fail_rate": 0.5})
    stack.restart("agent", {})
    assert (tmp_path / "logs" / "agent.1.log").read_text() == "agent says hello\n"
    assert (tmp_path / "logs" / "agent.2.log").is_file()
    calls = [json.loads(line) for line in fake_docker.read_text().splitlines()]
    assert [c["argv"][-6:] for c in calls] == [
        ["up", "-d", "--no-deps", "--force-recreate", "--wait", "agent"]] * 2
    assert [c["env"]["AGENT_FLAGS"] for c in calls] == ["--set fail_rate=0.5", ""]


def test_the_runner_opens_it_by_name_from_its_stack_config(tmp_path: Path) -> None:
    from harness.errors import UsageError
    from harness.stack.base import Stack, StackConfig, open_stack
    from harness.targets.own import CommandTarget
    from harness.targets.reference import ReferenceTarget

    (tmp_path / "ci.yml").write_text("services: {}\n")
    target = ReferenceTarget("naive", {"fail_rate": 0.1}, seed=3)
    config = StackConfig(run_dir=tmp_path, target=target, seed=3,
                         options={"compose_files": ["ci.yml"], "compose_dir": tmp_path})
    stack = open_stack("compose", config)
    assert isinstance(stack, Stack) and isinstance(stack, ComposeStack)
    assert stack.compose_files == [(tmp_path / "ci.yml").resolve()]
    assert stack._env()["AGENT_PROFILE"] == "naive"
    assert stack._env()["AGENT_FLAGS"] == "--set fail_rate=0.1"
    assert stack._env()["SEED"] == "3"
    assert stack.endpoints.agent == "http://127.0.0.1:18000"
    assert stack.running.profile == "naive" and stack.running.flags == {"fail_rate": 0.1}
    stack.agent_overrides = {"fail_rate": 0.5}  # what a deploy fault leaves
    assert stack.running.flags == {"fail_rate": 0.5}
    own = StackConfig(run_dir=tmp_path, target=CommandTarget(command="x", known_tenants={}))
    with pytest.raises(UsageError, match="reference agent image"):
        open_stack("compose", own)
