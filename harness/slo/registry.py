"""The measure table: one `@measure(...)` on each function of `harness.slo.catalogue` declares
the measure and its row (unit, selectors, minimum sample, description, the records it needs).

    @measure("ratio", ALL, 10, "ok requests / requests")
    def availability(scope, spec, ctx) -> Measurement: ...

`MEASURES` (name -> MeasureInfo, in declaration order) is what the parser and the evaluator
read; it is complete once `harness.slo` is imported (its `__init__` loads the catalogue).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal, TypeVar

if TYPE_CHECKING:
    from harness.slo.catalogue import Context, Measurement
    from harness.slo.scope import Scope
    from harness.slo.spec import SLOSpec

__all__ = ["MEASURES", "Measure", "MeasureInfo", "Record", "Unit", "measure"]

# ratio: 0..1 ("99.9%" or "0.999"); seconds ("5s", "250ms"); usd ("$0.02"); count;
# per_second (requests/s); number (dimensionless, e.g. calls per request).
Unit = Literal["ratio", "seconds", "usd", "count", "per_second", "number"]
# The record files of a run a measure reads (harness.measure.run_data.RECORDS).
Record = Literal["requests", "llm_calls", "tool_calls", "alerts"]
Measure = Callable[["Scope", "SLOSpec", "Context"], "Measurement"]
M = TypeVar("M", bound=Measure)


@dataclass(frozen=True)
class MeasureInfo:
    """What a measure is: its unit, the selectors it accepts and when it can decide."""

    unit: Unit
    selectors: tuple[str, ...]
    # Below this many samples (n) the default verdict is "inconclusive".
    min_n: int
    description: str
    fn: Measure = field(repr=False, compare=False)
    # False for measures where an empty sample is itself a verdict (e.g. `requests >= 100`).
    empty_is_inconclusive: bool = True
    # Record files the measure reads; one missing from the run: inconclusive, with the reason.
    needs: tuple[Record, ...] = ("requests",)
    # The record the measure ties to requests by correlation id: when it has rows but none
    # matches a request, the measure is inconclusive. `orphans`: without row selectors the
    # measure also counts rows matching no request, so only a selected one needs the join.
    joins: Record | None = None
    orphans: bool = False


_MEASURES: dict[str, MeasureInfo] = {}
MEASURES: MappingProxyType[str, MeasureInfo] = MappingProxyType(_MEASURES)


def measure(unit: Unit, selectors: tuple[str, ...], min_n: int, description: str, *,
            name: str | None = None, empty_is_inconclusive: bool = True,
            needs: tuple[Record, ...] = ("requests",), joins: Record | None = None,
            orphans: bool = False) -> Callable[[M], M]:
    """Declare the decorated function as the measure `name` (default: the function's name)."""

    def declare(fn: M) -> M:
        key = name or fn.__name__
        if key in _MEASURES:
            raise ValueError(f"SLO measure {key!r} declared twice")
        if not fn.__doc__:
            raise ValueError(f"SLO measure {key!r} must document its formula (a docstring)")
        _MEASURES[key] = MeasureInfo(unit, selectors, min_n, description, fn,
                                     empty_is_inconclusive, needs, joins, orphans)
        return fn

    return declare
