"""The embedded local stack: every component a subprocess on 127.0.0.1, wired through Toxiproxy.

    load ─> [proxy agent] ─> agent ─┬─> [proxy llm]    ─> fake LLM (us)
                                    ├─> [proxy llm_eu] ─> fake LLM (eu)
                                    └─> [proxy tools]  ─> tool server

The supervisor health-checks each process, restarts the agent when it dies outside a
planned stop (like a container restart policy), and always tears everything down.
"""

from __future__ import annotations

import contextlib
import shlex
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from harness.errors import StackError
from harness.netutil import LOOPBACK, free_port, require_loopback
from harness.stack.process import ManagedProcess

PROXIES = ("agent", "llm", "llm_eu", "tools")


@dataclass
class AgentSpec:
    """What to run as the agent under test (one of: reference profile, command, url)."""

    profile: str | None = "hardened"
    overrides: dict[str, Any] = field(default_factory=dict)
    command: str | None = None  # the user's own agent; `{port}` is replaced
    url: str | None = None  # an agent that is already running
    health: str = "/healthz"
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class StackConfig:
    run_dir: Path
    agent: AgentSpec
    seed: int = 1
    restart_delay_s: float = 0.5
    start_timeout_s: float = 60.0
    prometheus: bool = False  # a real Prometheus scraping the agent, with the SLO alert rules
    tools_store: str | None = None  # tenant store URL for the tool server (postgresql://...)


def _hostport(url: str) -> str:
    parts = urlsplit(url)
    if parts.hostname is None or parts.port is None:
        raise StackError("agent", f"agent url {url!r} needs a host and a port")
    require_loopback(parts.hostname)
    return f"{parts.hostname}:{parts.port}"


def set_flag_args(overrides: dict[str, Any]) -> list[str]:
    """`--set name=value` arguments of the reference agent (booleans as true/false)."""
    argv: list[str] = []
    for name, value in overrides.items():
        text = str(value).lower() if isinstance(value, bool) else str(value)
        argv += ["--set", f"{name}={text}"]
    return argv


class LocalStack:
    """Starts, supervises and tears down the embedded stack. Use as a context manager."""

    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.logs = config.run_dir / "logs"
        self.processes: dict[str, ManagedProcess] = {}
        self.urls: dict[str, str] = {}  # component name -> base URL
        self.proxy_urls: dict[str, str] = {}  # proxy name -> http://listen
        self.events: list[dict[str, Any]] = []  # restarts and unexpected exits
        self.on_event: Callable[[dict[str, Any]], None] | None = None
        # PR_SET_PDEATHSIG fires when the *thread* that forked a child exits, so every spawn
        # (including restarts requested by faults on other threads) happens on this one thread.
        self._spawner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stack-spawner")
        self._lock = threading.RLock()
        self._closing = threading.Event()
        self._monitor: threading.Thread | None = None
        self._planned: set[str] = set()
        self.agent_overrides: dict[str, Any] = dict(config.agent.overrides)

    # -- start ----------------------------------------------------------------------------------

    def __enter__(self) -> LocalStack:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        run_dir, seed = self.config.run_dir, str(self.config.seed)
        py = sys.executable
        # The four dependencies start in parallel (each takes seconds to import), then wait.
        self._spawn("llm", [py, "-m", "harness", "serve", "fake-llm", "--port", "0",
                            "--region", "us", "--seed", seed,
                            "--ledger", str(run_dir / "llm_calls.us.jsonl")],
                    health="/_control/health", wait=False)
        self._spawn("llm_eu", [py, "-m", "harness", "serve", "fake-llm", "--port", "0",
                               "--region", "eu", "--seed", seed,
                               "--ledger", str(run_dir / "llm_calls.eu.jsonl")],
                    health="/_control/health", wait=False)
        store = ["--store", self.config.tools_store] if self.config.tools_store else []
        self._spawn("tools", [py, "-m", "reference_agent.tools", "--port", "0", "--seed", seed,
                              "--log", str(run_dir / "tool_calls.jsonl"), *store],
                    health="/healthz", wait=False)
        self._spawn("toxiproxy", [py, "-m", "harness", "serve", "toxiproxy", "--port", "0",
                                  "--seed", seed], health="/version", wait=False)
        for name, proc in self.processes.items():
            self.urls[name] = proc.wait_ready()
        agent = self.config.agent
        if agent.url:
            agent_upstream = _hostport(agent.url)
        else:
            agent_port = free_port()
            agent_upstream = f"{LOOPBACK}:{agent_port}"
        self._create_proxies(agent_upstream)
        if not agent.url:
            self._spawn("agent", self._agent_argv(agent_port), health=agent.health,
                        env=self._agent_env(), url=f"http://{agent_upstream}")
        if self.config.prometheus:
            self._start_prometheus(f"http://{agent_upstream}")
        self._monitor = threading.Thread(target=self._watch, name="stack-monitor", daemon=True)
        self._monitor.start()

    def _start_prometheus(self, agent_url: str) -> None:
        from harness.stack.prometheus import start_prometheus

        # A failed start stops its own process (ManagedProcess.wait_ready) and raises.
        proc = start_prometheus(self.config.run_dir, {"agent": agent_url},
                                spawn=self._on_spawner,
                                start_timeout_s=self.config.start_timeout_s)
        self.processes["prometheus"] = proc
        self.urls["prometheus"] = proc.url or ""

    def collect_alerts(self, start: float) -> None:
        """Write the alerts Prometheus saw since `start` to alerts.jsonl (if it runs)."""
        if "prometheus" not in self.urls:
            return
        from harness.stack.prometheus import collect_alerts

        try:
            collect_alerts(self.urls["prometheus"], self.config.run_dir, start=start)
        except Exception as exc:  # evidence we could not read must not hide the run's own
            self._event("alerts_failed", "prometheus", error=repr(exc))

    def _spawn(self, name: str, argv: list[str], health: str | None,
               env: dict[str, str] | None = None, url: str | None = None,
               wait: bool = True) -> None:
        proc = ManagedProcess(name, argv, self.logs / f"{name}.log", env=env, health=health,
                              url=url, start_timeout_s=self.config.start_timeout_s)
        self.processes[name] = proc
        self._on_spawner(proc.spawn)
        if wait:
            self.urls[name] = proc.wait_ready()

    def _on_spawner(self, fn: Callable[[], Any]) -> Any:
        return self._spawner.submit(fn).result()

    def _agent_argv(self, port: int) -> list[str]:
        agent = self.config.agent
        if agent.command:
            try:
                argv = shlex.split(agent.command.replace("{port}", str(port)))
            except ValueError as exc:
                raise StackError("agent", f"cannot parse agent command: {exc}") from exc
            return argv
        return [sys.executable, "-m", "reference_agent", "--profile", agent.profile or "hardened",
                "--host", LOOPBACK, "--port", str(port),
                "--tools-url", self.proxy_urls["tools"],
                "--llm-eu-url", self.proxy_urls["llm_eu"],
                *set_flag_args(self.agent_overrides)]

    def _agent_env(self) -> dict[str, str]:
        return {
            "ANTHROPIC_BASE_URL": self.proxy_urls["llm"],
            "ANTHROPIC_API_KEY": "sk-ant-harness-local",
            # For the user's own agent: where the other proxied dependencies are.
            "HARNESS_LLM_EU_URL": self.proxy_urls["llm_eu"],
            "HARNESS_TOOLS_URL": self.proxy_urls["tools"],
            **self.config.agent.env,
        }

    def _create_proxies(self, agent_upstream: str) -> None:
        upstreams = {
            "agent": agent_upstream,
            "llm": urlsplit(self.urls["llm"]).netloc,
            "llm_eu": urlsplit(self.urls["llm_eu"]).netloc,
            "tools": urlsplit(self.urls["tools"]).netloc,
        }
        body = [{"name": n, "listen": f"{LOOPBACK}:0", "upstream": u, "enabled": True}
                for n, u in upstreams.items()]
        try:
            response = httpx.post(f"{self.urls['toxiproxy']}/populate", json=body, timeout=10)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise StackError("toxiproxy", f"cannot create proxies: {exc}",
                             self.processes["toxiproxy"].log_tail()) from exc
        for proxy in response.json()["proxies"]:
            self.proxy_urls[proxy["name"]] = f"http://{proxy['listen']}"

    # -- supervision ------------------------------------------------------------------------------

    def _watch(self) -> None:
        """Restart the agent (and only it) when it dies outside a planned stop."""
        while not self._closing.wait(0.1):
            proc = self.processes.get("agent")
            if proc is None or proc.alive():
                continue
            with self._lock:
                if self._closing.is_set() or "agent" in self._planned or proc.alive():
                    continue
                self._event("exited", "agent", code=proc.proc.returncode if proc.proc else None)
                time.sleep(self.config.restart_delay_s)
                if self._closing.is_set():
                    return
                try:
                    self._on_spawner(proc.start)
                    proc.restarts += 1
                    self._event("restarted", "agent")
                except StackError as exc:
                    self._event("restart_failed", "agent", error=str(exc))
                    time.sleep(1.0)

    def _event(self, event: str, process: str, **extra: Any) -> None:
        record = {"ts": time.time(), "event": event, "process": process, **extra}
        self.events.append(record)
        if self.on_event is not None:
            self.on_event(record)

    # -- ProcessControl (used by process faults) ----------------------------------------------

    def _proc(self, name: str) -> ManagedProcess:
        if name not in self.processes:
            raise StackError(name, f"no such process; running: {', '.join(self.processes)}")
        return self.processes[name]

    def kill(self, name: str) -> None:
        proc = self._proc(name)
        self._event("killed", name)  # before the monitor can see the exit
        proc.kill()

    def freeze(self, name: str) -> None:
        self._proc(name).freeze()
        self._event("frozen", name)

    def thaw(self, name: str) -> None:
        self._proc(name).thaw()
        self._event("thawed", name)

    def restart(self, name: str, overrides: dict[str, Any] | None = None) -> None:
        """Planned restart; for the reference agent, `overrides` replace its flag overrides."""
        proc = self._proc(name)
        with self._lock:
            self._planned.add(name)
            try:
                proc.stop()
                if name == "agent" and overrides is not None and not self.config.agent.command:
                    self.agent_overrides = {**self.config.agent.overrides, **overrides}
                    port = urlsplit(proc.url or "").port or free_port()
                    proc.argv = self._agent_argv(port)
                self._on_spawner(proc.start)
                proc.restarts += 1
                self._event("restarted", name, overrides=overrides)
            finally:
                self._planned.discard(name)

    def wait_healthy(self, name: str, timeout_s: float = 30.0) -> None:
        proc = self._proc(name)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if proc.alive() and proc.url:
                try:
                    if httpx.get(f"{proc.url}{proc.health or '/'}", timeout=1).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
            time.sleep(0.05)
        raise StackError(name, f"not healthy within {timeout_s:.0f}s", proc.log_tail())

    # -- addresses ------------------------------------------------------------------------

    @property
    def agent_url(self) -> str:
        """Where load goes: the agent, through its proxy."""
        return self.proxy_urls["agent"]

    def describe(self) -> dict[str, Any]:
        return {"processes": dict(self.urls), "proxies": dict(self.proxy_urls),
                "agent_overrides": dict(self.agent_overrides)}

    # -- teardown -------------------------------------------------------------------------

    def close(self) -> None:
        """Stop everything in reverse start order; never raises. Idempotent."""
        self._closing.set()
        if self._monitor is not None and self._monitor is not threading.current_thread():
            self._monitor.join(timeout=10)
        toxiproxy = self.urls.get("toxiproxy")
        if toxiproxy:
            # Leave no toxic behind, even though the proxy process goes away too.
            with contextlib.suppress(httpx.HTTPError):
                httpx.post(f"{toxiproxy}/reset", timeout=2)
        # The agent first (it holds connections to the others), then the rest all at once.
        ordered = list(reversed(list(self.processes)))
        for group in (ordered[:1], ordered[1:]):
            for name in group:
                self.processes[name].terminate()
            for name in group:
                try:
                    self.processes[name].stop()
                except Exception as exc:  # a failing stop must not hide the others
                    self._event("stop_failed", name, error=repr(exc))
        self._spawner.shutdown(wait=True)
