"""The embedded local stack: every component a subprocess on 127.0.0.1, wired through Toxiproxy.

    load ─> [proxy agent] ─> agent ─┬─> [proxy llm]    ─> fake LLM (us)
                                    ├─> [proxy llm_eu] ─> fake LLM (eu)
                                    ├─> [proxy tools]  ─> tool server
                                    └─> [proxy <name>] ─> each of the agent's `upstreams`

The supervisor health-checks each process before load starts and keeps watching all of them
for the whole run: the agent under test is restarted when it dies outside a planned stop
(like a container restart policy, counted by the SLOs); any other process that dies or stops
answering, unless a fault did it, is a rig failure (`failure()`). Teardown always runs.

An upstream given by `command` is one of those processes (`upstream-<name>`, on a port the
stack picks); one given by URL must accept connections (and answer its `health`, if given)
before the agent starts. The agent gets each one's proxied URL in HARNESS_UPSTREAM_<NAME>_URL.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import httpx

from harness.errors import StackError
from harness.netutil import LOOPBACK, free_port, require_loopback
from harness.stack.base import Endpoints, EventHub, RigFailure, StackConfig
from harness.stack.process import ManagedProcess
from harness.targets import Dependencies, Target, Upstream
from harness.targets.reference import tool_server_argv

AGENT = "agent"
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _hostport(url: str) -> str:
    parts = urlsplit(url)
    if parts.hostname is None or parts.port is None:
        raise StackError(AGENT, f"agent url {url!r} needs a host and a port")
    require_loopback(parts.hostname)
    return f"{parts.hostname}:{parts.port}"


def upstream_process(name: str) -> str:
    """The supervisor's name (and log file) of an upstream started from its command."""
    return f"upstream-{name}"


def _upstream_address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    host = parts.hostname or LOOPBACK
    require_loopback(host)
    return host, parts.port or _DEFAULT_PORTS[parts.scheme]


def proxied_url(url: str, listen: str) -> str:
    """`url` with its host and port replaced by the proxy's `listen` address (path kept). An
    https upstream keeps its host name, so its certificate still matches (a name that
    resolves to loopback reaches the proxy, which listens on 127.0.0.1)."""
    parts = urlsplit(url)
    listen_host, port = listen.rsplit(":", 1)
    host = parts.hostname if parts.scheme == "https" and parts.hostname else listen_host
    host = f"[{host}]" if ":" in host else host
    return parts._replace(netloc=f"{host}:{port}").geturl()


class LocalStack:
    """Starts, supervises and tears down the embedded stack. Use as a context manager."""

    name = "local"

    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.hub = EventHub()
        self.logs = config.run_dir / "logs"
        self.processes: dict[str, ManagedProcess] = {}
        self.urls: dict[str, str] = {}  # component name -> base URL (its control API)
        self.proxy_urls: dict[str, str] = {}  # proxy name -> http://listen
        self.upstream_urls: dict[str, str] = {}  # upstream name -> its proxied URL
        self._running: Target = config.target
        # The parent-death signal fires when the *thread* that forked a child exits, so every
        # spawn (including restarts requested by faults on other threads) happens on one thread.
        self._spawner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stack-spawner")
        self._lock = threading.RLock()
        self._closing = threading.Event()
        self._monitor: threading.Thread | None = None
        self._planned: set[str] = set()  # being restarted on purpose
        self._faulted: set[str] = set()  # killed or frozen by a fault: not a rig failure
        self._failure: RigFailure | None = None

    @classmethod
    def from_config(cls, config: StackConfig) -> LocalStack:
        return cls(config)

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
        for name, region in (("llm", "us"), ("llm_eu", "eu")):
            self._spawn(name, [py, "-m", "harness", "serve", "fake-llm", "--port", "0",
                               "--region", region, "--seed", seed,
                               "--ledger", str(run_dir / f"llm_calls.{region}.jsonl"),
                               *self.config.model_args],
                        health="/_control/health", wait=False)
        self._spawn("tools", tool_server_argv(self.config.seed, run_dir / "tool_calls.jsonl",
                                              self.config.tools_store),
                    health="/healthz", wait=False)
        self._spawn("toxiproxy", [py, "-m", "harness", "serve", "toxiproxy", "--port", "0",
                                  "--seed", seed], health="/version", wait=False)
        upstreams = self.config.target.upstreams()
        for upstream in upstreams.values():
            if upstream.command is not None:
                port = free_port()
                self._spawn(upstream_process(upstream.name), upstream.argv(LOOPBACK, port),
                            health=upstream.health, env=upstream.env,
                            url=f"http://{LOOPBACK}:{port}", wait=False,
                            start_timeout_s=upstream.start_timeout_s)
        # Each start timeout runs from its spawn: the upstreams (the user's timeouts) are waited
        # for first, while the harness's own servers keep starting.
        mine = [upstream_process(name) for name in upstreams if upstream_process(name)
                in self.processes]
        for name in [*mine, *(n for n in self.processes if n not in mine)]:
            self.urls[name] = self.processes[name].wait_ready()
        for upstream in upstreams.values():
            if upstream.url is not None:
                self._wait_running_upstream(upstream)
        target = self.config.target
        given = target.url()
        port = 0 if given else free_port()
        agent_upstream = _hostport(given) if given else f"{LOOPBACK}:{port}"
        self._create_proxies(agent_upstream)
        launch = target.launch(port, self._dependencies())
        if launch is not None:
            self._spawn(AGENT, launch.argv, health=launch.health, env=launch.env,
                        url=launch.url, start_timeout_s=launch.start_timeout_s,
                        ready=launch.ready)
        else:
            self._wait_running_agent(f"http://{agent_upstream}", target.health)
        if self.config.prometheus:
            self._start_prometheus(f"http://{agent_upstream}")
        self._monitor = threading.Thread(target=self._watch, name="stack-monitor", daemon=True)
        self._monitor.start()

    def _dependencies(self) -> Dependencies:
        return Dependencies(llm=self.proxy_urls["llm"], llm_eu=self.proxy_urls["llm_eu"],
                            tools=self.proxy_urls["tools"], host=LOOPBACK,
                            upstreams=dict(self.upstream_urls))

    def _upstream_url(self, upstream: Upstream) -> str:
        """Where the upstream itself listens (not its proxy)."""
        if upstream.url is not None:
            return upstream.url
        return self.urls[upstream_process(upstream.name)]

    def _wait_running_upstream(self, upstream: Upstream) -> None:
        """An upstream given by URL must accept connections (and answer `health` with 200,
        if it has one) before the agent starts: else exit 3 naming it."""
        assert upstream.url is not None
        name, url = f"upstream {upstream.name}", upstream.url.rstrip("/")
        deadline = time.monotonic() + upstream.start_timeout_s
        last = "no answer"
        while time.monotonic() < deadline:
            try:
                if upstream.health is None:
                    with socket.create_connection(_upstream_address(url), timeout=2):
                        return
                response = httpx.get(f"{url}{upstream.health}", timeout=2, verify=False)
                if response.status_code == 200:
                    return
                last = f"HTTP {response.status_code}"
            except (OSError, httpx.HTTPError) as exc:
                last = type(exc).__name__
            time.sleep(0.1)
        probe = f"{url}{upstream.health}" if upstream.health else f"a connection to {url}"
        raise StackError(name, f"{probe} not ready within {upstream.start_timeout_s:g}s "
                               f"(last answer: {last}); agent.upstreams.{upstream.name} must "
                               "be running before the run starts")

    def _wait_running_agent(self, url: str, health: str) -> None:
        """An agent given by URL must answer its health path before load starts."""
        deadline = time.monotonic() + self.config.start_timeout_s
        last = "no answer"
        while time.monotonic() < deadline:
            try:
                response = httpx.get(f"{url}{health}", timeout=2)
                if response.status_code == 200:
                    return
                last = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                last = type(exc).__name__
            time.sleep(0.1)
        raise StackError(AGENT, f"{url}{health} not healthy within "
                                f"{self.config.start_timeout_s:g}s (last answer: {last})")

    def _start_prometheus(self, agent_url: str) -> None:
        from harness.stack.prometheus import start_prometheus

        # A failed start stops its own process (ManagedProcess.wait_ready) and raises.
        proc = start_prometheus(self.config.run_dir, {AGENT: agent_url},
                                spawn=self._on_spawner,
                                start_timeout_s=self.config.start_timeout_s)
        self.processes["prometheus"] = proc
        self.urls["prometheus"] = proc.url or ""

    def _spawn(self, name: str, argv: list[str], health: str | None,
               env: dict[str, str] | None = None, url: str | None = None,
               wait: bool = True, start_timeout_s: float | None = None,
               ready: str | None = None) -> None:
        proc = ManagedProcess(name, argv, self.logs / f"{name}.log", env=env, health=health,
                              url=url, ready=ready,
                              start_timeout_s=start_timeout_s or self.config.start_timeout_s)
        self.processes[name] = proc
        self._on_spawner(proc.spawn)
        if wait:
            self.urls[name] = proc.wait_ready()

    def _on_spawner(self, fn: Callable[[], Any]) -> Any:
        return self._spawner.submit(fn).result()

    def _create_proxies(self, agent_upstream: str) -> None:
        upstreams = {
            AGENT: agent_upstream,
            "llm": urlsplit(self.urls["llm"]).netloc,
            "llm_eu": urlsplit(self.urls["llm_eu"]).netloc,
            "tools": urlsplit(self.urls["tools"]).netloc,
        }
        own = self.config.target.upstreams()
        for name, upstream in own.items():
            host, port = _upstream_address(self._upstream_url(upstream))
            upstreams[name] = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
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
            if proxy["name"] in own:
                self.upstream_urls[proxy["name"]] = proxied_url(
                    self._upstream_url(own[proxy["name"]]), proxy["listen"])

    # -- supervision ------------------------------------------------------------------------------

    def _watch(self) -> None:
        """Restart the agent when it dies outside a planned stop; note any other process that
        dies or keeps failing its health check (unless a fault did it) as a rig failure."""
        misses: dict[str, int] = {}
        next_probe = time.monotonic() + self.config.watch_interval_s
        while not self._closing.wait(0.1):
            try:
                self._watch_agent()
                probe = time.monotonic() >= next_probe
                if probe:
                    next_probe = time.monotonic() + self.config.watch_interval_s
                self._watch_dependencies(misses, probe)
            except Exception as exc:  # supervision itself must never stop
                self.hub.emit("monitor_error", "stack", error=repr(exc))
                time.sleep(0.5)

    def _watch_agent(self) -> None:
        proc = self.processes.get(AGENT)
        if proc is None or proc.alive():
            return
        with self._lock:
            if self._closing.is_set() or AGENT in self._planned or proc.alive():
                return
            self.hub.emit("exited", AGENT, code=proc.proc.returncode if proc.proc else None)
            time.sleep(self.config.restart_delay_s)
            if self._closing.is_set():
                return
            try:
                self._on_spawner(proc.start)
                proc.restarts += 1
                self._faulted.discard(AGENT)
                self.hub.emit("restarted", AGENT)
            except StackError as exc:
                self.hub.emit("restart_failed", AGENT, error=str(exc))
                time.sleep(1.0)

    def _watch_dependencies(self, misses: dict[str, int], probe: bool) -> None:
        for name, proc in list(self.processes.items()):
            if name == AGENT or self._failure is not None:
                continue
            with self._lock:
                excused = name in self._planned or name in self._faulted
            if excused or self._closing.is_set():
                misses.pop(name, None)
                continue
            if not proc.alive():
                code = proc.proc.returncode if proc.proc else None
                self._fail(name, f"died unexpectedly (exit code {code})", proc)
                continue
            if not probe:
                continue
            if proc.healthy(timeout_s=self.config.watch_interval_s * 2):
                misses.pop(name, None)
                continue
            misses[name] = misses.get(name, 0) + 1
            if misses[name] >= self.config.watch_failures:
                self._fail(name, f"failed {misses[name]} health checks in a row "
                                 f"({proc.url}{proc.health or ''})", proc)

    def _fail(self, name: str, message: str, proc: ManagedProcess) -> None:
        if self._closing.is_set():
            return
        self._failure = RigFailure(name, message, proc.log_tail())
        self.hub.emit("rig_failure", name, error=message)

    def failure(self) -> RigFailure | None:
        return self._failure

    # -- ProcessControl (used by process faults) ----------------------------------------------

    def _proc(self, name: str) -> ManagedProcess:
        if name not in self.processes:
            raise StackError(name, f"no such process; running: {', '.join(self.processes)}")
        return self.processes[name]

    def kill(self, name: str) -> None:
        proc = self._proc(name)
        with self._lock:
            self._faulted.add(name)
        self.hub.emit("killed", name)  # before the monitor can see the exit
        proc.kill()

    def freeze(self, name: str) -> None:
        with self._lock:
            self._faulted.add(name)
        self._proc(name).freeze()
        self.hub.emit("frozen", name)

    def thaw(self, name: str) -> None:
        self._proc(name).thaw()
        with self._lock:
            self._faulted.discard(name)
        self.hub.emit("thawed", name)

    def restart(self, name: str, overrides: dict[str, Any] | None = None) -> None:
        """Planned restart; for the agent, `overrides` replace its flag overrides ({} = back
        to the configured ones)."""
        proc = self._proc(name)
        with self._lock:
            self._planned.add(name)
            try:
                proc.stop()
                if name == AGENT and overrides is not None:
                    self._running = self.config.target.with_overrides(overrides)
                    port = urlsplit(proc.url or "").port or free_port()
                    launch = self._running.launch(port, self._dependencies())
                    if launch is not None:
                        proc.argv = launch.argv
                self._on_spawner(proc.start)
                proc.restarts += 1
                self._faulted.discard(name)
                self.hub.emit("restarted", name, overrides=overrides)
            finally:
                self._planned.discard(name)

    def wait_healthy(self, name: str, timeout_s: float = 30.0) -> None:
        proc = self._proc(name)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if proc.alive() and proc.url:
                try:
                    if httpx.get(f"{proc.url}{proc.health or '/'}", timeout=1).status_code == 200:
                        with self._lock:
                            self._faulted.discard(name)
                        return
                except httpx.HTTPError:
                    pass
            time.sleep(0.05)
        raise StackError(name, f"not healthy within {timeout_s:.0f}s", proc.log_tail())

    # -- addresses ------------------------------------------------------------------------

    @property
    def endpoints(self) -> Endpoints:
        return Endpoints(agent=self.proxy_urls[AGENT], toxiproxy=self.urls["toxiproxy"],
                         llm={"llm": self.urls["llm"], "llm_eu": self.urls["llm_eu"]},
                         tools=self.urls.get("tools"), prometheus=self.urls.get("prometheus"))

    @property
    def running(self) -> Target:
        return self._running

    @property
    def agent_url(self) -> str:
        """Where load goes: the agent, through its proxy."""
        return self.proxy_urls[AGENT]

    def describe(self) -> dict[str, Any]:
        described = {"stack": self.name, "processes": dict(self.urls),
                     "proxies": dict(self.proxy_urls), "agent": self._running.describe(),
                     "tools_store": _store(self.config.tools_store)}
        if self.upstream_urls:
            described["upstreams"] = dict(self.upstream_urls)  # name -> proxied URL
        return described

    def collect_evidence(self, start: float) -> None:
        """Write the alerts Prometheus saw since `start` to alerts.jsonl (if it runs); the
        ledgers and logs are already in the run directory."""
        if "prometheus" not in self.urls:
            return
        from harness.stack.prometheus import collect_alerts

        try:
            collect_alerts(self.urls["prometheus"], self.config.run_dir, start=start)
        except Exception as exc:  # evidence we could not read must not hide the run's own
            self.hub.emit("alerts_failed", "prometheus", error=repr(exc))

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
        others = [name for name in reversed(list(self.processes)) if name != AGENT]
        for group in ([AGENT] if AGENT in self.processes else [], others):
            for name in group:
                self.processes[name].terminate()
            for name in group:
                try:
                    self.processes[name].stop()
                except Exception as exc:  # a failing stop must not hide the others
                    self.hub.emit("stop_failed", name, error=repr(exc))
        self._spawner.shutdown(wait=True)


def _store(url: str | None) -> str:
    """The tool server's tenant store as run.json states it (no password)."""
    if not url:
        return "sqlite (in memory)"
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")).geturl()
