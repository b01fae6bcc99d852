"""What every stack offers the runner and the faults, whatever runs it (processes, compose).

    with open_stack("local", StackConfig(run_dir, target, seed=7)) as stack:
        stack.endpoints.agent          # where load goes (the agent, through its proxy)
        stack.endpoints.toxiproxy      # the Toxiproxy HTTP API
        stack.kill("agent")            # ProcessControl, used by process faults
        stack.failure()                # a dependency that died or stopped answering, if any

The runner never branches on the stack's type: stacks are looked up by name in `STACKS`.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from harness.errors import StackError, UsageError
from harness.targets import Target

__all__ = ["STACKS", "Endpoints", "EventHub", "RigFailure", "Stack", "StackConfig",
           "open_stack"]

_log = logging.getLogger(__name__)

StackEventListener = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class Endpoints:
    """Typed addresses of a running stack (all on loopback)."""

    agent: str  # load enters here: the agent, through its Toxiproxy proxy
    toxiproxy: str  # the Toxiproxy HTTP API
    llm: Mapping[str, str]  # fault target ("llm", "llm_eu") -> that fake LLM's control API
    tools: str | None  # the tool server's control API
    prometheus: str | None = None


@dataclass
class StackConfig:
    """What to run: the agent under test (`target`) and the harness's side of the stack."""

    run_dir: Path
    target: Target
    seed: int = 1
    restart_delay_s: float = 0.5
    # A bound, not a wait: at load 16 on 2 cores a fake LLM once took > 60 s to start.
    start_timeout_s: float = 120.0
    prometheus: bool = False  # a real Prometheus scraping the agent, with the SLO alert rules
    tools_store: str | None = None  # tenant store URL for the tool server (postgresql://...)
    # Health probes of the dependencies during the run; this many failures in a row (or an
    # unplanned exit) is a rig failure.
    watch_interval_s: float = 2.0
    watch_failures: int = 4
    options: dict[str, Any] = field(default_factory=dict)  # stack-specific (compose file...)
    model_args: list[str] = field(default_factory=list)  # the fake LLM's model knobs (CLI)


class RigFailure(StackError):
    """A process of the stack other than the agent under test died or stopped answering
    during the run: a broken rig, not a broken release (exit 3, no verdict)."""

    def __init__(self, process: str, message: str, log_tail: str = "",
                 ts: float | None = None) -> None:
        self.ts = time.time() if ts is None else ts
        stamp = time.strftime("%H:%M:%S", time.localtime(self.ts))
        super().__init__(process, f"{message} at {stamp} (rig failure: no verdict)", log_tail)


class EventHub:
    """Stack events to every listener; a failing listener is logged and counted, and never
    stops the caller (the supervisor's monitor thread, a fault)."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.listener_failures = 0
        self._listeners: list[StackEventListener] = []
        self._lock = threading.Lock()

    def add_listener(self, listener: StackEventListener) -> None:
        self._listeners.append(listener)

    def emit(self, event: str, process: str, **extra: Any) -> dict[str, Any]:
        record = {"ts": time.time(), "event": event, "process": process, **extra}
        with self._lock:
            self.events.append(record)
        for listener in list(self._listeners):
            try:
                listener(record)
            except Exception:
                self.listener_failures += 1
                _log.exception("stack event listener %r failed on %s", listener, event)
        return record


@runtime_checkable
class Stack(Protocol):
    """A running stack: a context manager that always tears everything down."""

    name: str
    config: StackConfig
    hub: EventHub

    @property
    def endpoints(self) -> Endpoints: ...

    @property
    def running(self) -> Target:
        """The agent as it runs now (a `deploy` fault changes its flags)."""
        ...

    def __enter__(self) -> Stack: ...
    def __exit__(self, *exc: object) -> None: ...

    def failure(self) -> RigFailure | None:
        """The first dependency failure seen while watching, if any."""
        ...

    def describe(self) -> dict[str, Any]: ...

    def collect_evidence(self, start: float) -> None:
        """Bring every record the stack holds into the run directory (alerts, ledgers)."""
        ...

    # ProcessControl (harness.faults.base), used by process faults
    def kill(self, name: str) -> None: ...
    def freeze(self, name: str) -> None: ...
    def thaw(self, name: str) -> None: ...
    def restart(self, name: str, overrides: dict[str, Any] | None = None) -> None: ...
    def wait_healthy(self, name: str, timeout_s: float = 30.0) -> None: ...


STACKS: dict[str, str] = {
    "local": "harness.stack.local:LocalStack",
    "compose": "harness.stack.compose:ComposeStack",
}
"""Stack name -> `module:Class`; each class is built from a `StackConfig` (`from_config`)."""


def open_stack(name: str, config: StackConfig) -> Stack:
    """The stack called `name`, configured (not started: use it as a context manager)."""
    if name not in STACKS:
        raise UsageError(f"unknown stack {name!r}; allowed: {', '.join(STACKS)}")
    module, _, cls = STACKS[name].partition(":")
    stack: Stack = getattr(importlib.import_module(module), cls).from_config(config)
    return stack
