"""What every fault shares: the context it acts through, the base class, the registry by kind.

A fault is one small object built from its scenario entry (a `FaultSpec`): `apply(ctx)` starts
it, `revert(ctx)` undoes exactly what `apply` did and nothing else (also after an `apply` that
failed half-way: the scheduler reverts those too), `describe()` says it in words. A family
registers the spec classes it implements (`@register(NetworkFault)`): a kind is served by the
implementation registered for its spec class or the nearest base of it, so the kinds come from
`harness.scenario.fault_specs` alone and the scheduler only ever calls `build_fault(index, spec)`.
"""

from __future__ import annotations

import importlib
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, TypeVar

from harness.errors import FaultError
from harness.scenario.fault_specs import FAULT_SPECS, FaultSpec

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
    """One scheduled fault. Subclasses implement one family; `specs` lists the spec classes
    they serve (set by `@register`)."""

    specs: ClassVar[tuple[type[FaultSpec], ...]] = ()

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
    def revert(self, ctx: FaultContext) -> None:
        """Undo what `apply` did; called after a failed `apply` too, so it must also hold when
        `apply` did only part of its work, or none."""

    def describe(self) -> str:
        params = ", ".join(f"{k}={v}" for k, v in self.spec.params().items())
        return f"{self.spec.kind} on {self.spec.target}" + (f" ({params})" if params else "")


_REGISTRY: dict[type[FaultSpec], type[Fault]] = {}
F = TypeVar("F", bound=type[Fault])


def register(*specs: type[FaultSpec]) -> Callable[[F], F]:
    """Class decorator: `cls` implements these spec classes and every subclass of them."""

    def decorate(cls: F) -> F:
        for spec in specs:
            if spec in _REGISTRY:
                raise ValueError(f"fault spec {spec.__name__} registered twice: "
                                 f"{_REGISTRY[spec].__name__} and {cls.__name__}")
            _REGISTRY[spec] = cls
        cls.specs = specs
        return cls

    return decorate


def implementation(spec: type[FaultSpec]) -> type[Fault] | None:
    """The Fault class registered for `spec` or its nearest base (families loaded first)."""
    _load_families()
    return next((_REGISTRY[base] for base in spec.__mro__ if base in _REGISTRY), None)


def registry() -> dict[str, type[Fault]]:
    """kind -> Fault class for every kind of the scenario schema. Raises FaultError naming
    every kind that has none, so a missing implementation stops a run before it starts."""
    found = {spec.KIND: implementation(spec) for spec in FAULT_SPECS}
    missing = sorted(kind for kind, cls in found.items() if cls is None)
    if missing:
        raise FaultError(f"no fault implements kind(s) {', '.join(missing)}; register one "
                         "in harness/faults (docs/extending.md)")
    return {kind: cls for kind, cls in found.items() if cls is not None}


def _load_families() -> None:
    for module in _FAMILY_MODULES:
        importlib.import_module(f"harness.faults.{module}")


def build_fault(index: int, spec: FaultSpec) -> Fault:
    cls = implementation(type(spec))
    if cls is None:
        raise FaultError(f"no fault implements kind {spec.kind!r}")
    return cls(index, spec)
