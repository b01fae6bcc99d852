"""The compose stack: docker-compose.yml brought up and down, container faults via the docker SDK.

Same surface as `LocalStack` (`urls`, `proxy_urls`, `agent_url`, `describe()`, and the
`ProcessControl` methods), so the fault scheduler and the runner need no other code path:

    kill     -> container.kill()          (restart policy / revert brings it back)
    freeze   -> container.pause()         (cgroup freezer: the process holds its sockets)
    thaw     -> container.unpause()
    restart  -> container.restart(), or for the agent with flag overrides a recreate:
                `docker compose up -d --no-deps --force-recreate agent` with AGENT_FLAGS set
    wait_healthy -> the container's HEALTHCHECK status

The processes in the compose stack share one network namespace (the `pod` service), so
every server still binds 127.0.0.1 as on the local stack; Toxiproxy publishes what the
harness needs on the host's loopback (ports below, also checked against docker-compose.yml
by tests/deploy).
"""

from __future__ import annotations

import os
import shlex
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
from docker.errors import DockerException
from docker.models.containers import Container

from harness.errors import StackError
from harness.netutil import LOOPBACK
from harness.targets.reference import flag_args as set_flag_args

__all__ = ["COMPOSE_PORTS", "ComposeConfig", "ComposeStack"]

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
AGENT_FLAGS_ENV = "AGENT_FLAGS"


def _format_flags(overrides: dict[str, Any]) -> str:
    return shlex.join(set_flag_args(overrides))


@dataclass
class ComposeConfig:
    project_dir: Path
    compose_file: Path | None = None  # default: project_dir/docker-compose.yml
    project: str = "agent-chaos"
    docker_base_url: str | None = None  # default: DOCKER_HOST or the local socket
    agent_overrides: dict[str, Any] = field(default_factory=dict)
    start_timeout_s: float = 300.0
    run_compose: bool = True  # False: the stack is already up (and stays up)
    profile: str = "hardened"  # the reference agent's profile (AGENT_PROFILE)
    run_dir: Path | None = None  # where alerts.jsonl goes


class ComposeStack:
    """Brings the compose project up (`docker compose up -d --wait`) and down; a context manager."""

    def __init__(self, config: ComposeConfig, client: docker.DockerClient | None = None) -> None:
        self.config = config
        self.compose_file = config.compose_file or config.project_dir / "docker-compose.yml"
        self._client = client
        self.events: list[dict[str, Any]] = []
        self.on_event: Callable[[dict[str, Any]], None] | None = None
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

    def _container(self, name: str) -> Container:
        service = SERVICES.get(name, name)
        labels = [f"com.docker.compose.project={self.config.project}",
                  f"com.docker.compose.service={service}"]
        try:
            found = self.client.containers.list(all=True, filters={"label": labels})
        except DockerException as exc:
            raise StackError(name, f"cannot list containers: {exc}") from exc
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
        argv = ["docker", "compose", "-f", str(self.compose_file), "-p", self.config.project,
                *args]
        try:
            done = subprocess.run(argv, cwd=self.config.project_dir, capture_output=True,
                                  text=True, env={**os.environ, **(env or {})},
                                  timeout=timeout_s or self.config.start_timeout_s)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise StackError("compose", f"{shlex.join(argv)}: {exc}") from exc
        if done.returncode != 0:
            raise StackError("compose", f"{shlex.join(argv)} exited {done.returncode}",
                             (done.stderr or done.stdout)[-4000:])

    def _env(self) -> dict[str, str]:
        return {AGENT_FLAGS_ENV: _format_flags(self.agent_overrides),
                "AGENT_PROFILE": self.config.profile}

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
        if self.config.run_compose:
            self._compose("up", "-d", "--build", "--wait", env=self._env())

    def close(self) -> None:
        """`docker compose down -v`; never raises (a failure is recorded as an event)."""
        if not self.config.run_compose:
            return
        try:
            # Containers left paused by an interrupted freeze fault cannot be stopped.
            for name in SERVICES:
                try:
                    container = self._container(name)
                    if container.status == "paused":
                        container.unpause()
                except (StackError, DockerException):
                    continue
            self._compose("down", "-v", "--remove-orphans", timeout_s=120)
        except StackError as exc:
            self._event("down_failed", "compose", error=str(exc))

    # -- ProcessControl -------------------------------------------------------------------

    def kill(self, name: str) -> None:
        self._act(name, "kill")

    def freeze(self, name: str) -> None:
        self._act(name, "pause")

    def thaw(self, name: str) -> None:
        self._act(name, "unpause")

    def restart(self, name: str, overrides: dict[str, Any] | None = None) -> None:
        """Planned restart; for the agent, `overrides` (flag -> value) recreate its container."""
        if name == "agent" and overrides is not None:
            self.agent_overrides = {**self.config.agent_overrides, **overrides}
            self._compose("up", "-d", "--no-deps", "--force-recreate", "--wait",
                          SERVICES["agent"], env=self._env())
            self._event("recreated", name, overrides=overrides)
            return
        self._act(name, "restart", timeout=10)

    def wait_healthy(self, name: str, timeout_s: float = 30.0) -> None:
        """Until the container runs and its HEALTHCHECK (if any) says healthy."""
        deadline = time.monotonic() + timeout_s
        state: dict[str, Any] = {}
        while time.monotonic() < deadline:
            container = self._container(name)
            state = container.attrs.get("State", {})
            health = (state.get("Health") or {}).get("Status")
            if state.get("Status") == "running" and health in (None, "healthy"):
                return
            time.sleep(0.5)
        raise StackError(name, f"not healthy within {timeout_s:.0f}s (state: "
                               f"{state.get('Status')}, health: "
                               f"{(state.get('Health') or {}).get('Status')})")

    # -- addresses ------------------------------------------------------------------------

    @property
    def agent_url(self) -> str:
        """Where load goes: the agent, through its proxy."""
        return self.proxy_urls["agent"]

    def describe(self) -> dict[str, Any]:
        return {"stack": "compose", "project": self.config.project,
                "compose_file": str(self.compose_file), "urls": dict(self.urls),
                "proxies": dict(self.proxy_urls), "agent_overrides": dict(self.agent_overrides)}

    def _event(self, event: str, process: str, **extra: Any) -> None:
        record = {"ts": time.time(), "event": event, "process": process, **extra}
        self.events.append(record)
        if self.on_event is not None:
            self.on_event(record)

    def collect_alerts(self, start: float) -> None:
        """Write the alerts the compose Prometheus saw since `start` to `run_dir`/alerts.jsonl."""
        if self.config.run_dir is None:
            return
        from harness.measure.prometheus import collect_alerts

        try:
            collect_alerts(self.urls["prometheus"], self.config.run_dir, start=start)
        except Exception as exc:  # unreadable evidence must not hide the run's own
            self._event("alerts_failed", "prometheus", error=repr(exc))
