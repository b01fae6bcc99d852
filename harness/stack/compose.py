"""The compose stack: docker-compose.yml brought up and down, container faults via the docker SDK.

Same surface as `LocalStack` (`urls`, `proxy_urls`, `agent_url`, `describe()`, the
`ProcessControl` methods, `collect_alerts`, `on_event`), so the fault scheduler and the runner
need no other code path:

    kill     -> container.kill()          (Docker counts that as a manual stop: no restart
                                           policy brings it back; the crash fault's revert
                                           restarts it, as it does on the local stack for
                                           every process but the agent)
    freeze   -> container.pause()         (cgroup freezer: the process holds its sockets;
                                           runc's "unable to freeze" is retried for a few
                                           seconds, then the run is a rig failure)
    thaw     -> container.unpause()
    restart  -> container.restart(), or for the agent with flag overrides a recreate:
                `docker compose up -d --no-deps --force-recreate agent` with AGENT_FLAGS set
    wait_healthy -> the container runs and its health URL answers 200, probed from the
                    host through the fault-free control proxies every 0.1 s as the local stack
                    does (the LLMs, the tool server); else the container's HEALTHCHECK status

The compose files: `ComposeConfig.compose_files`, else HARNESS_COMPOSE_FILE, else
COMPOSE_FILE (both `:`-separated lists, as Compose reads them), else Compose's default names in
the project directory (the override file included), else the checkout this package lives in.
The run directory receives what the containers wrote (`collect_evidence`): the LLM ledgers,
the tool log and every container's log, as the local stack writes them.

The processes in the compose stack share one network namespace (the `pod` service), so
every server still binds 127.0.0.1 as on the local stack; Toxiproxy publishes what the
harness needs on the host's loopback (ports below, also checked against docker-compose.yml
by tests/deploy).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shlex
import subprocess
import tarfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import docker
import httpx
from docker.errors import APIError, DockerException, NotFound
from docker.models.containers import Container

from harness.errors import StackError, UsageError
from harness.netutil import LOOPBACK
from harness.stack.base import Endpoints, EventHub, RigFailure, StackConfig
from harness.targets import Target
from harness.targets.reference import ReferenceTarget
from harness.targets.reference import flag_args as set_flag_args

__all__ = ["COMPOSE_PORTS", "ComposeConfig", "ComposeStack", "compose_command",
           "resolve_compose_files"]

# Host ports (bound to 127.0.0.1) the harness talks to; docker-compose.yml publishes these.
COMPOSE_PORTS: dict[str, int] = {
    "toxiproxy": 8474,        # Toxiproxy HTTP API
    "agent_proxy": 18000,     # load enters here: proxy `agent` -> the agent
    "llm_control": 28100,     # fake LLM (us) control API, through a fault-free proxy
    "llm_eu_control": 28101,  # fake LLM (eu) control API
    "tools_control": 28200,   # tool server control API
    "prometheus": 9090,
    "grafana": 3000,
    "locust": 8089,
}
# Listen addresses of the proxies inside the pod (toxiproxy.json).
POD_PROXIES: dict[str, int] = {"agent": 18000, "llm": 18001, "llm_eu": 18002, "tools": 18003}
# Service names of the containers that faults may target.
SERVICES: dict[str, str] = {"agent": "agent", "llm": "fake-llm", "llm_eu": "fake-llm-eu",
                            "tools": "tools", "toxiproxy": "toxiproxy", "postgres": "postgres"}
# What the containers write to the shared `run-data` volume: (harness name, file in /data).
EVIDENCE: tuple[tuple[str, str], ...] = (("llm", "llm_calls.us.jsonl"),
                                         ("llm_eu", "llm_calls.eu.jsonl"),
                                         ("tools", "tool_calls.jsonl"))
DATA_DIR = "/data"
# Health URLs the harness probes from the host (`urls` key, path), through the fault-free
# `*_control` proxies: recovery is seen within 0.1 s, not at Docker's next 5 s health check.
HEALTH_PROBES: dict[str, tuple[str, str]] = {"llm": ("llm", "/_control/health"),
                                             "llm_eu": ("llm_eu", "/_control/health"),
                                             "tools": ("tools", "/healthz")}
# runc gives up freezing a cgroup v1 whose tasks do not reach the freezer within ~0.2 s (a
# busy machine) and thaws it again ("unable to freeze"); a retry is safe. How long to retry:
FREEZE_RETRY_S = 5.0
_UNABLE_TO_FREEZE = "unable to freeze"
AGENT_FLAGS_ENV = "AGENT_FLAGS"
# Compose's own default file names, in its order of preference, and their override files.
DEFAULT_FILES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
# Prometheus for runs of seconds (as the local stack: windows / 60, 1s scrapes) or production.
PROMETHEUS_SHORT = {"PROMETHEUS_CONFIG": "short.yml", "PROMETHEUS_LOOKBACK": "30s"}
PROMETHEUS_PRODUCTION = {"PROMETHEUS_CONFIG": "prometheus.yml", "PROMETHEUS_LOOKBACK": "5m"}
_CHECKOUT = Path(__file__).resolve().parents[2]  # the repository, for a source checkout


def _format_flags(overrides: dict[str, Any]) -> str:
    return shlex.join(set_flag_args(overrides))


@dataclass
class ComposeConfig:
    project_dir: Path | None = None  # default: the directory of the first compose file
    # Compose files, in order (later ones override); default: see resolve_compose_files.
    compose_files: list[Path] = field(default_factory=list)
    project: str = "agent-chaos"
    docker_base_url: str | None = None  # default: DOCKER_HOST or the local socket
    agent_overrides: dict[str, Any] = field(default_factory=dict)
    start_timeout_s: float = 300.0
    run_compose: bool = True  # False: the stack is already up (and stays up)
    profile: str = "hardened"  # the reference agent's profile (AGENT_PROFILE)
    run_dir: Path | None = None  # where alerts.jsonl, the ledgers and logs/ go
    seed: int | None = None  # SEED of the fake LLMs and the tool server
    short_prometheus: bool = True  # rules and scrapes for short runs (deploy/prometheus/short.yml)


def _split_paths(value: str) -> list[str]:
    sep = os.environ.get("COMPOSE_PATH_SEPARATOR") or os.pathsep
    return [p for p in value.split(sep) if p.strip()]


def resolve_compose_files(config: ComposeConfig,
                          env: Mapping[str, str] | None = None) -> tuple[list[Path], Path]:
    """(compose files, project directory), absolute. Relative files are read from the project
    directory when it is given, else from the working directory (as Compose does)."""
    env = os.environ if env is None else env
    base = Path(config.project_dir) if config.project_dir else Path.cwd()
    named: list[str | Path] = list(config.compose_files)
    source = "compose_files"
    for var in ("HARNESS_COMPOSE_FILE", "COMPOSE_FILE"):
        if not named and env.get(var):
            named, source = list(_split_paths(env[var])), var
    if named:
        files = [(base / p).resolve() for p in named]
        missing = [str(p) for p in files if not p.is_file()]
        if missing:
            raise StackError("compose", f"compose file not found ({source}): "
                                        f"{', '.join(missing)}")
    else:
        searched = [base] if config.project_dir else [base, _CHECKOUT]
        files = next((f for d in searched if (f := _default_files(d))), [])
        if not files:
            raise StackError("compose", "no compose file (" + ", ".join(DEFAULT_FILES)
                             + ") in " + " or ".join(str(d) for d in searched)
                             + "; name one with --compose-file or HARNESS_COMPOSE_FILE, or "
                               "the directory with --compose-dir")
    project_dir = Path(config.project_dir).resolve() if config.project_dir else files[0].parent
    return files, project_dir


def _default_files(directory: Path) -> list[Path]:
    for name in DEFAULT_FILES:
        main = directory / name
        if main.is_file():
            stem, suffix = name.rsplit(".", 1)
            override = directory / f"{stem}.override.{suffix}"
            return [main.resolve()] + ([override.resolve()] if override.is_file() else [])
    return []


def _version(argv: list[str]) -> str | None:
    try:
        done = subprocess.run([*argv, "version", "--short"], capture_output=True, text=True,
                              timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip().lstrip("v") if done.returncode == 0 and done.stdout.strip() else None


def compose_command() -> tuple[list[str], str]:
    """The Compose v2 command (`docker compose`, or a standalone v2 `docker-compose`) and its
    version; a StackError (exit 3) that says what to install when there is none."""
    found_v1 = None
    for argv in (["docker", "compose"], ["docker-compose"]):
        version = _version(argv)
        if version is None:
            continue
        major = re.match(r"(\d+)\.(\d+)", version)
        if major and (int(major.group(1)), int(major.group(2))) >= (2, 1):
            return argv, version
        found_v1 = f"{shlex.join(argv)} {version}"
    what = (f"found only {found_v1}, which cannot read docker-compose.yml (Compose v1, e.g. "
            "Debian bookworm's docker-compose package)" if found_v1 else "found no Compose")
    raise StackError("compose", f"--stack compose needs Docker Compose v2.1 or later "
                                f"(`docker compose`); {what}. Install the v2 CLI plugin, e.g. "
                                f"Debian trixie's docker-compose package or Docker's "
                                f"docker-compose-plugin: see docs/compose.md")


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")).geturl()


class ComposeStack:
    """Brings the compose project up (`docker compose up -d --wait`) and down; a context manager.
    A `harness.stack.base.Stack` (`open_stack("compose", StackConfig(...))`)."""

    name = "compose"

    def __init__(self, config: ComposeConfig, client: docker.DockerClient | None = None,
                 target: ReferenceTarget | None = None) -> None:
        self.config = config
        self.hub = EventHub()
        self._target = target or ReferenceTarget(config.profile, dict(config.agent_overrides),
                                                 config.seed or 1)
        self._client = client
        self._files: tuple[list[Path], Path] | None = None
        self._compose_argv: list[str] | None = None
        self.compose_version: str | None = None
        self.events: list[dict[str, Any]] = []
        self.on_event: Callable[[dict[str, Any]], None] | None = None
        self._started_at: float | None = None
        self._collected = False
        self._recreations = 0
        self._failure: RigFailure | None = None
        base = f"http://{LOOPBACK}"
        p = COMPOSE_PORTS
        self.urls: dict[str, str] = {
            "toxiproxy": f"{base}:{p['toxiproxy']}",
            "llm": f"{base}:{p['llm_control']}",
            "llm_eu": f"{base}:{p['llm_eu_control']}",
            "tools": f"{base}:{p['tools_control']}",
            "prometheus": f"{base}:{p['prometheus']}",
            "grafana": f"{base}:{p['grafana']}",
        }
        # Only `agent` is reachable from the host; the others are addresses inside the pod.
        self.proxy_urls: dict[str, str] = {
            name: f"{base}:{port}" for name, port in POD_PROXIES.items()}
        self.agent_overrides: dict[str, Any] = dict(config.agent_overrides)

    @classmethod
    def from_config(cls, config: StackConfig) -> ComposeStack:
        """The runner's StackConfig: the reference agent only (its image); `options` may name
        `compose_files` and `compose_dir`."""
        target = config.target
        if target.upstreams():  # its proxies are fixed in deploy/toxiproxy/toxiproxy.json
            raise UsageError("--stack compose cannot put agent.upstreams behind its Toxiproxy; "
                             "run scenarios with upstreams on the local stack (--stack local)")
        if not isinstance(target, ReferenceTarget):
            raise UsageError("--stack compose runs the reference agent image; for your own "
                             "agent use the local stack (agent.command / agent.url)")
        options = config.options
        compose_dir = options.get("compose_dir")
        return cls(ComposeConfig(
            project_dir=Path(compose_dir) if compose_dir else None,
            compose_files=[Path(f) for f in options.get("compose_files") or []],
            profile=target.profile, agent_overrides=dict(target.flags), seed=config.seed,
            run_dir=config.run_dir), target=target)

    @property
    def endpoints(self) -> Endpoints:
        return Endpoints(agent=self.agent_url, toxiproxy=self.urls["toxiproxy"],
                         llm={"llm": self.urls["llm"], "llm_eu": self.urls["llm_eu"]},
                         tools=self.urls["tools"], prometheus=self.urls["prometheus"])

    @property
    def running(self) -> Target:
        """The agent as it runs now (a `deploy` fault recreates it with other flags)."""
        return ReferenceTarget(self._target.profile, dict(self.agent_overrides),
                               self._target.seed, self._target.health)

    def failure(self) -> RigFailure | None:
        """A fault the container runtime could not apply (a freeze runc cannot make). The
        containers themselves are not watched: their health checks and restart policy are
        Docker's, and a dead dependency shows in the run's records and logs."""
        return self._failure

    @property
    def compose_files(self) -> list[Path]:
        return self._resolved()[0]

    @property
    def project_dir(self) -> Path:
        return self._resolved()[1]

    def _resolved(self) -> tuple[list[Path], Path]:
        if self._files is None:
            self._files = resolve_compose_files(self.config)
        return self._files

    # -- docker ---------------------------------------------------------------------------

    @property
    def client(self) -> docker.DockerClient:
        if self._client is None:
            try:
                if self.config.docker_base_url:
                    self._client = docker.DockerClient(base_url=self.config.docker_base_url)
                else:
                    self._client = docker.from_env()
            except DockerException as exc:
                raise StackError("docker", f"cannot reach the Docker engine: {exc}") from exc
        return self._client

    def _containers(self, service: str | None = None) -> list[Container]:
        labels = [f"com.docker.compose.project={self.config.project}"]
        if service is not None:
            labels.append(f"com.docker.compose.service={service}")
        try:
            return self.client.containers.list(all=True, filters={"label": labels})
        except DockerException as exc:
            raise StackError(service or "compose", f"cannot list containers: {exc}") from exc

    def _container(self, name: str) -> Container:
        service = SERVICES.get(name, name)
        found = self._containers(service)
        if not found:
            raise StackError(name, f"no container for service {service!r} in project "
                                   f"{self.config.project!r}")
        return found[0]

    def _act(self, name: str, action: str, **kwargs: Any) -> None:
        container = self._container(name)
        try:
            getattr(container, action)(**kwargs)
        except DockerException as exc:
            raise StackError(name, f"docker {action} failed: {exc}") from exc
        self._event(action, name, container=container.short_id)

    def _compose(self, *args: str, env: dict[str, str] | None = None,
                 timeout_s: float | None = None) -> None:
        if self._compose_argv is None:
            self._compose_argv, self.compose_version = compose_command()
        files, project_dir = self._resolved()
        argv = [*self._compose_argv, "--project-directory", str(project_dir),
                *(a for f in files for a in ("-f", str(f))), "-p", self.config.project, *args]
        try:
            done = subprocess.run(argv, cwd=project_dir, capture_output=True, text=True,
                                  env={**os.environ, **(env or {})},
                                  timeout=timeout_s or self.config.start_timeout_s)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise StackError("compose", f"{shlex.join(argv)}: {exc}") from exc
        if done.returncode != 0:
            raise StackError("compose", f"{shlex.join(argv)} exited {done.returncode}",
                             (done.stderr or done.stdout)[-4000:])

    def _env(self) -> dict[str, str]:
        env = {AGENT_FLAGS_ENV: _format_flags(self.agent_overrides),
               "AGENT_PROFILE": self.config.profile,
               **(PROMETHEUS_SHORT if self.config.short_prometheus else PROMETHEUS_PRODUCTION)}
        if self.config.seed is not None:
            env["SEED"] = str(self.config.seed)
        return env

    # -- life cycle -----------------------------------------------------------------------

    def __enter__(self) -> ComposeStack:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        """`docker compose up -d --wait`: returns when every HEALTHCHECK passes."""
        self._started_at = time.time()
        if self.config.run_compose:
            self._compose("up", "-d", "--build", "--wait", env=self._env())

    def close(self) -> None:
        """Collect the evidence (if not done yet), then `docker compose down -v`; never raises
        (a failure is recorded as an event)."""
        if not self._collected and self._started_at is not None:
            self.collect_evidence()
        if not self.config.run_compose:
            return
        try:
            # Containers left paused by an interrupted freeze fault cannot be stopped.
            for container in self._containers():
                if container.status == "paused":
                    try:
                        container.unpause()
                    except DockerException:
                        continue
            self._compose("down", "-v", "--remove-orphans", timeout_s=120)
        except StackError as exc:
            self._event("down_failed", "compose", error=str(exc))

    # -- ProcessControl -------------------------------------------------------------------

    def kill(self, name: str) -> None:
        self._act(name, "kill")

    def freeze(self, name: str) -> None:
        """`docker pause`, retried while runc answers "unable to freeze" (it thaws the cgroup
        before it says so) for up to FREEZE_RETRY_S; after that the freeze cannot be made here
        and the run is a rig failure (no verdict), not a run without its fault."""
        container = self._container(name)
        started = time.monotonic()
        attempts = 0
        while True:
            attempts += 1
            try:
                container.pause()
                break
            except APIError as exc:
                waited = time.monotonic() - started
                if _UNABLE_TO_FREEZE not in str(exc):
                    raise StackError(name, f"docker pause failed: {exc}") from exc
                if waited >= FREEZE_RETRY_S:
                    self._failure = RigFailure(
                        name, f"docker pause failed {attempts} times in {waited:.1f}s (runc: "
                              f"{_UNABLE_TO_FREEZE}; the cgroup freezer cannot freeze the "
                              f"container on this machine now): the freeze fault did not happen")
                    self._event("pause_failed", name, container=container.short_id,
                                attempts=attempts, error=str(exc))
                    raise self._failure from exc
                time.sleep(0.1)
            except DockerException as exc:
                raise StackError(name, f"docker pause failed: {exc}") from exc
        self._event("pause", name, container=container.short_id, attempts=attempts)

    def thaw(self, name: str) -> None:
        self._act(name, "unpause")

    def restart(self, name: str, overrides: dict[str, Any] | None = None) -> None:
        """Planned restart; for the agent, `overrides` (flag -> value) recreate its container."""
        if name == "agent" and overrides is not None:
            # The recreated container replaces this one, and its log with it.
            self._recreations += 1
            self._save_logs(self._container(name), f"agent.{self._recreations}")
            self.agent_overrides = {**self.config.agent_overrides, **overrides}
            self._compose("up", "-d", "--no-deps", "--force-recreate", "--wait",
                          SERVICES["agent"], env=self._env())
            self._event("recreated", name, overrides=overrides)
            return
        self._act(name, "restart", timeout=10)

    def wait_healthy(self, name: str, timeout_s: float = 30.0) -> None:
        """Until the container runs and is healthy: its health URL answers 200 when the
        harness can reach one (HEALTH_PROBES, polled every 0.1 s), else its HEALTHCHECK (if
        any) says healthy."""
        deadline = time.monotonic() + timeout_s
        probe = self.health_url(name)
        state: dict[str, Any] = {}
        last = "no answer"
        with httpx.Client(timeout=1.0) as http:
            while True:
                if probe is not None:
                    last = _probe(http, probe)
                if probe is None or last == "200":
                    container = self._container(name)
                    state = container.attrs.get("State", {})
                    health = (state.get("Health") or {}).get("Status")
                    if state.get("Status") == "running" and (probe is not None
                                                             or health in (None, "healthy")):
                        return
                if time.monotonic() >= deadline:
                    break
                time.sleep(0.1 if probe is not None else 0.5)
        if not state:
            with contextlib.suppress(StackError):
                state = self._container(name).attrs.get("State", {})
        seen = f"{probe}: {last}; " if probe is not None else ""
        raise StackError(name, f"not healthy within {timeout_s:.0f}s ({seen}state: "
                               f"{state.get('Status')}, health: "
                               f"{(state.get('Health') or {}).get('Status')})")

    def health_url(self, name: str) -> str | None:
        """The URL wait_healthy probes for `name`, when the host can reach it."""
        if name not in HEALTH_PROBES:
            return None
        key, path = HEALTH_PROBES[name]
        return f"{self.urls[key]}{path}"

    # -- addresses ------------------------------------------------------------------------

    @property
    def agent_url(self) -> str:
        """Where load goes: the agent, through its proxy."""
        return self.proxy_urls["agent"]

    def describe(self) -> dict[str, Any]:
        """What ran: compose files, Compose version, the tool server's store and every
        container's image with its id and registry digests (none for a locally built image)."""
        try:
            files: Any = [str(f) for f in self.compose_files]
            project_dir: str | None = str(self.project_dir)
        except StackError as exc:  # a stack we did not bring up may have no file here
            files, project_dir = f"unknown: {exc}", None
        out: dict[str, Any] = {
            "stack": "compose", "project": self.config.project, "compose_files": files,
            "project_dir": project_dir, "compose_version": self.compose_version,
            "urls": dict(self.urls), "proxies": dict(self.proxy_urls),
            "profile": self.config.profile, "agent_overrides": dict(self.agent_overrides),
            "prometheus": self._env()["PROMETHEUS_CONFIG"],
        }
        try:
            containers = self._containers()
            out["services"] = {_service(c): self._image_of(c) for c in containers}
            out["tools_store"] = self._tools_store(containers)
        except (StackError, DockerException) as exc:
            out["services_error"] = str(exc)
        return out

    def _image_of(self, container: Container) -> dict[str, Any]:
        image_id = container.attrs.get("Image")
        found: dict[str, Any] = {"image": container.attrs.get("Config", {}).get("Image"),
                                 "image_id": image_id, "repo_digests": [],
                                 "container": container.short_id}
        with contextlib.suppress(DockerException):  # the image may be gone: no digests
            found["repo_digests"] = self.client.images.get(image_id).attrs.get("RepoDigests")
        return found

    def _tools_store(self, containers: list[Container]) -> str:
        for container in containers:
            if _service(container) != SERVICES["tools"]:
                continue
            env = dict(e.split("=", 1) for e in container.attrs["Config"].get("Env") or []
                       if "=" in e)
            store = env.get("TOOLS_STORE") or "sqlite://"
            if store.startswith("postgresql"):
                return f"postgresql (row-level security): {_without_password(store)}"
            return f"sqlite: {store}"
        return "unknown (no tools container)"

    def _event(self, event: str, process: str, **extra: Any) -> None:
        record = self.hub.emit(event, process, **extra)
        self.events.append(record)
        if self.on_event is not None:
            self.on_event(record)

    # -- evidence -------------------------------------------------------------------------

    def collect_alerts(self, start: float) -> None:
        """Write the alerts the compose Prometheus saw since `start` to `run_dir`/alerts.jsonl."""
        if self.config.run_dir is None:
            return
        from harness.measure.prometheus import collect_alerts

        try:
            collect_alerts(self.urls["prometheus"], self.config.run_dir, start=start)
        except Exception as exc:  # unreadable evidence must not hide the run's own
            self._event("alerts_failed", "prometheus", error=repr(exc))

    def collect_evidence(self, start: float | None = None) -> None:
        """The alerts since `start` (when given), then what the containers wrote, copied
        into `run_dir` as the local stack lays it out: the
        LLM ledgers and the tool log (from the `run-data` volume) and each container's log
        (logs/<process>.log). A stack the harness did not bring up keeps files of earlier
        runs: only rows written since this run's start are kept. A file that is not there is
        left absent (and its SLOs inconclusive), recorded as an `evidence_missing` event."""
        self._collected = True
        run_dir = self.config.run_dir
        if run_dir is None:
            return
        if start is not None:
            self.collect_alerts(start)
        since = None if self.config.run_compose else self._started_at
        for name, filename in EVIDENCE:
            try:
                data = self._read_file(self._container(name), f"{DATA_DIR}/{filename}")
            except (StackError, DockerException) as exc:
                self._event("evidence_missing", name, file=filename, error=str(exc))
                continue
            if since is not None:
                data = _rows_since(data, since)
            (run_dir / filename).write_bytes(data)
        try:
            containers = self._containers()
        except StackError as exc:
            self._event("evidence_missing", "compose", file="logs", error=str(exc))
            return
        for container in containers:
            number = container.labels.get("com.docker.compose.container-number", "1")
            name = _process_name(_service(container))
            self._save_logs(container, name if number == "1" else f"{name}-{number}")

    def _read_file(self, container: Container, path: str) -> bytes:
        try:
            stream, _ = container.get_archive(path)
        except NotFound as exc:
            raise StackError(container.name, f"{path} does not exist in the container") from exc
        with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
            member = tar.next()
            handle = tar.extractfile(member) if member is not None else None
            if handle is None:
                raise StackError(container.name, f"{path} is not a file")
            return handle.read()

    def _save_logs(self, container: Container, name: str) -> None:
        if self.config.run_dir is None:
            return
        logs = self.config.run_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        try:
            text = container.logs(stdout=True, stderr=True)
        except DockerException as exc:
            self._event("evidence_missing", name, file=f"logs/{name}.log", error=str(exc))
            return
        (logs / f"{name}.log").write_bytes(text)


def _probe(http: httpx.Client, url: str) -> str:
    """"200", or what came back instead (a status code or the error's type)."""
    try:
        return str(http.get(url).status_code)
    except httpx.HTTPError as exc:
        return type(exc).__name__


def _service(container: Container) -> str:
    return str(container.labels.get("com.docker.compose.service", container.name))


def _process_name(service: str) -> str:
    """The local stack's name for a service (fake-llm -> llm), else the service's own."""
    return next((name for name, svc in SERVICES.items() if svc == service), service)


def _rows_since(data: bytes, since: float) -> bytes:
    """The JSON lines of `data` whose `ts` is at or after `since` (unparsable lines kept)."""
    kept = []
    for line in data.splitlines(keepends=True):
        try:
            ts = json.loads(line).get("ts")
        except (ValueError, AttributeError):
            kept.append(line)
            continue
        if not isinstance(ts, int | float) or ts >= since:
            kept.append(line)
    return b"".join(kept)
