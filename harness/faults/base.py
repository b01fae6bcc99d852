"""What every fault shares: the context it acts through, the base class, the registry by kind.

A fault is one small object built from its scenario entry (a `FaultSpec`): `apply(ctx)` starts
it, `revert(ctx)` undoes exactly what `apply` did and nothing else, `describe()` says it in
words. Families register the kinds they implement (`@register("latency", ...)`), so the
scheduler only ever calls `build_fault(index, spec)`.
"""

from __future__ import annotations

import importlib
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, TypeVar

from harness.errors import FaultError
from harness.scenario.fault_specs import FaultSpec

_FAMILY_MODULES = ("network", "llm", "tools", "process")


class ProcessControl(Protocol):
    """What process faults need from the stack supervisor (harness.stack provides it)."""

    def kill(self, name: str) -> None: ...
    def freeze(self, name: str) -> None: ...
    def thaw(self, name: str) -> None: ...
    def restart(self, name: str, overrides: dict[str, Any] | None = None) -> None: ...
    def wait_healthy(self, name: str, timeout_s: float) -> None: ...


@dataclass
class FaultContext:
    """Where faults act: the Toxiproxy API, each fake LLM's and the tool server's control API,
    and the supervisor's process control. It also keeps the state that lets overlapping faults
    on one control API revert without undoing each other."""

    toxiproxy_url: str
    llm_control: dict[str, str] = field(default_factory=dict)  # "llm" / "llm_eu" -> base URL
    tools_url: str | None = None
    processes: ProcessControl | None = None
    http_timeout_s: float = 10.0
    _shared: dict[str, Any] = field(default_factory=dict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def shared(self, key: str, make: Callable[[], Any]) -> Any:
        """Per-context state of a family (created once, thread safe)."""
        with self._lock:
            if key not in self._shared:
                self._shared[key] = make()
            return self._shared[key]

    def llm_url(self, target: str) -> str:
        if target not in self.llm_control:
            raise FaultError(f"no fake LLM control URL for target {target!r}; "
                             f"known: {', '.join(self.llm_control) or 'none'}")
        return self.llm_control[target].rstrip("/")

    def require_tools(self) -> str:
        if not self.tools_url:
            raise FaultError("tool faults need the tool server's URL (FaultContext.tools_url)")
        return self.tools_url.rstrip("/")

    def require_processes(self) -> ProcessControl:
        if self.processes is None:
            raise FaultError("process faults need the stack supervisor (FaultContext.processes)")
        return self.processes


class Fault(ABC):
    """One scheduled fault. Subclasses implement one family; `kinds` lists the kinds they serve."""

    kinds: ClassVar[tuple[str, ...]] = ()

    def __init__(self, index: int, spec: FaultSpec) -> None:
        self.index = index
        self.spec = spec

    @property
    def id(self) -> str:
        """Unique within a run: `f<index>_<kind>` (also the Toxiproxy toxic's name)."""
        return f"f{self.index}_{self.spec.kind}"

    @abstractmethod
    def apply(self, ctx: FaultContext) -> None: ...

    @abstractmethod
    def revert(self, ctx: FaultContext) -> None: ...

    def describe(self) -> str:
        params = ", ".join(f"{k}={v}" for k, v in self.spec.params().items())
        return f"{self.spec.kind} on {self.spec.target}" + (f" ({params})" if params else "")


_REGISTRY: dict[str, type[Fault]] = {}
F = TypeVar("F", bound=type[Fault])


def register(*kinds: str) -> Callable[[F], F]:
    def decorate(cls: F) -> F:
        for kind in kinds:
            if kind in _REGISTRY:
                raise ValueError(f"fault kind {kind!r} registered twice")
            _REGISTRY[kind] = cls
        cls.kinds = kinds
        return cls

    return decorate


def registry() -> dict[str, type[Fault]]:
    """kind -> Fault class, with every family loaded."""
    for module in _FAMILY_MODULES:
        importlib.import_module(f"harness.faults.{module}")
    return dict(_REGISTRY)


def build_fault(index: int, spec: FaultSpec) -> Fault:
    classes = registry()
    if spec.kind not in classes:
        raise FaultError(f"no fault implements kind {spec.kind!r}")
    return classes[spec.kind](index, spec)
