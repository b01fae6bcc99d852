"""Parse an SLO as a scenario writes it: `name[selector,...]: "op threshold unit"`.

    parse_slo("latency_p95[tenant=globex]", "<= 5s")
      -> SLOSpec(measure="latency_p95", filters={"tenant": "globex"}, op="<=", threshold=5.0, ...)

Every problem raises `harness.errors.SLOError` whose message lists what is allowed (measures,
the measure's selectors and their values, objective forms), so a scenario author can fix the
file from the message alone. Which measures exist, their unit and their selectors come from
the measure table (`harness.slo.registry.MEASURES`, declared by `@measure` in the catalogue).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from harness.errors import SLOError
from harness.scenario.duration import UNITS, parse_duration
from harness.slo.registry import MEASURES, MeasureInfo, Unit

__all__ = [
    "DURING_VALUES",
    "MEASURES",
    "OPS",
    "ROWS",
    "ROWS_NO_DURING",
    "MeasureInfo",
    "Op",
    "SLOSpec",
    "Unit",
    "parse_slo",
]

Op = Literal[">=", "<=", ">", "<", "=="]
OPS: tuple[Op, ...] = (">=", "<=", "==", ">", "<")

# Selectors that narrow rows, and their allowed values (None = free text).
FILTERS: dict[str, tuple[str, ...] | None] = {
    "tenant": None,
    "task": None,
    "during": ("faults", "baseline", "recovery"),
    "attack": ("true", "false"),
    "region": None,
    # exclude: leave out a tenant's refusals over its own quota (HTTP 429 rate_limit_error)
    "refusals": ("include", "exclude"),
}
DURING_VALUES = FILTERS["during"]
# Selectors that are parameters of the measure, with what they take.
PARAMS: dict[str, str] = {
    "window": "a duration, e.g. 30s or 500ms",
    "target": "an availability, e.g. 99.9% or 0.999",
    "min_requests": "a whole number >= 1",
}
# Selectors that name something the measure looks up (kept in `selector` only).
NAMES: dict[str, str] = {
    "alert": "a Prometheus alert name, e.g. AgentAvailabilityBurnPage",
}
# The row selectors most measures take ("rows" in README.md).
ROWS = ("tenant", "task", "during", "attack", "region")
ROWS_NO_DURING = ("tenant", "task", "attack", "region")

_OBJECTIVE_FORMS = {
    "ratio": '">= 99.9%", ">= 0.999", "<= 1%"',
    "seconds": '"<= 5s", "< 250ms", "<= 2m"',
    "usd": '"<= $0.02", "<= 0.02"',
    "count": '"== 0", "<= 3", ">= 100"',
    "per_second": '">= 10", ">= 10/s"',
    "number": '"<= 3", "<= 3x", ">= 0.5"',
}

_NAME_RE = re.compile(r"^\s*([a-z0-9_]+)\s*(?:\[(.*)\])?\s*$")
_OBJ_RE = re.compile(r"^\s*(>=|<=|==|>|<)\s*(\$)?\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)"
                     r"\s*([a-z%/]*)\s*$", re.IGNORECASE)
_TIME_UNITS = UNITS  # one grammar with scenario durations (harness.scenario.duration)


@dataclass(frozen=True)
class SLOSpec:
    """One parsed SLO. `threshold` and `params` are in SI units (ratios 0..1, seconds, USD)."""

    name: str
    measure: str
    objective: str
    op: Op
    threshold: float
    unit: Unit
    selector: dict[str, str] = field(default_factory=dict)  # as written
    filters: dict[str, str] = field(default_factory=dict)  # row selectors
    params: dict[str, float] = field(default_factory=dict)  # window, target, min_requests

    @property
    def info(self) -> MeasureInfo:
        return MEASURES[self.measure]


def _allowed_selectors(measure: str) -> str:
    parts = []
    for key in MEASURES[measure].selectors:
        values = FILTERS.get(key)
        if key in PARAMS:
            parts.append(f"{key} ({PARAMS[key]})")
        elif key in NAMES:
            parts.append(f"{key}=<name> ({NAMES[key]})")
        elif values:
            parts.append(f"{key}={'|'.join(values)}")
        else:
            parts.append(f"{key}=<name>")
    return ", ".join(parts)


def parse_ratio(text: str) -> float:
    """`"99.9%"` -> 0.999, `"0.999"` -> 0.999; a bare number must lie in 0..1."""
    text = text.strip()
    try:
        if text.endswith("%"):
            value = round(float(text[:-1]) / 100.0, 12)
        else:
            value = float(text)
            if not 0.0 <= value <= 1.0:
                raise ValueError
    except ValueError:
        raise ValueError(f"not a ratio: {text!r} (use e.g. 99.9% or 0.999)") from None
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"ratio out of range 0..100%: {text!r}")
    return value


def _parse_selector(name: str, measure: str, body: str) -> tuple[dict[str, str], dict[str, str],
                                                                 dict[str, float]]:
    selector: dict[str, str] = {}
    filters: dict[str, str] = {}
    params: dict[str, float] = {}
    allowed = MEASURES[measure].selectors
    for part in (p.strip() for p in body.split(",")):
        if not part:
            continue
        key, eq, value = (s.strip() for s in part.partition("="))
        if not eq or not value:
            raise SLOError(f"SLO {name!r}: selector {part!r} must be key=value; "
                           f"allowed for {measure}: {_allowed_selectors(measure)}")
        if key not in allowed:
            raise SLOError(f"SLO {name!r}: unknown selector {key!r} for {measure}; "
                           f"allowed: {_allowed_selectors(measure)}")
        if key in selector:
            raise SLOError(f"SLO {name!r}: selector {key!r} given twice")
        selector[key] = value
        if key in NAMES:
            continue
        if key in PARAMS:
            try:
                if key == "window":
                    params[key] = parse_duration(value)
                    if params[key] <= 0:
                        raise ValueError("window must be > 0")
                elif key == "target":
                    params[key] = parse_ratio(value)
                    if params[key] >= 1.0:
                        raise ValueError("target must be below 100% (no error budget at 100%)")
                else:
                    params[key] = float(int(value))
                    if params[key] < 1:
                        raise ValueError("min_requests must be >= 1")
            except ValueError as exc:
                raise SLOError(f"SLO {name!r}: bad {key}={value!r}: {exc}; "
                               f"{key} takes {PARAMS[key]}") from None
        else:
            choices = FILTERS[key]
            value = value.lower() if choices else value
            if choices and value not in choices:
                raise SLOError(f"SLO {name!r}: {key}={value!r} is not allowed; "
                               f"{key} takes one of: {', '.join(choices)}")
            filters[key] = value
    return selector, filters, params


def _parse_objective(name: str, measure: str, objective: str) -> tuple[Op, float]:
    unit = MEASURES[measure].unit
    forms = f"objective forms for {measure} ({unit}): {_OBJECTIVE_FORMS[unit]}"
    match = _OBJ_RE.match(str(objective))
    if not match:
        raise SLOError(f"SLO {name!r}: cannot read objective {objective!r}; operators: "
                       f"{', '.join(OPS)}; {forms}")
    op, dollar, number, suffix = match.groups()
    value, suffix = float(number), suffix.lower()

    def bad(why: str) -> SLOError:
        return SLOError(f"SLO {name!r}: objective {objective!r}: {why}; {forms}")

    if dollar and unit != "usd":
        raise bad(f"$ is a cost, but {measure} is measured in {unit}")
    if unit == "ratio":
        if suffix == "%":
            value = round(value / 100.0, 12)
        elif suffix:
            raise bad(f"unit {suffix!r} does not fit a ratio")
        elif not value <= 1.0:
            raise bad(f"a ratio without % must be at most 1 (did you mean {number}%?)")
    elif unit == "seconds":
        if suffix not in _TIME_UNITS:
            raise bad("a time needs a unit: ms, s, m or h" if not suffix
                      else f"unit {suffix!r} is not a time unit (ms, s, m, h)")
        value *= _TIME_UNITS[suffix]
    elif unit == "usd":
        if suffix:
            raise bad(f"unit {suffix!r} does not fit a cost in USD")
    elif unit == "per_second":
        if suffix not in ("", "/s", "rps"):
            raise bad(f"unit {suffix!r} does not fit requests per second")
    elif unit == "number":
        if suffix not in ("", "x"):
            raise bad(f"unit {suffix!r} does not fit a plain number")
    elif suffix:  # count
        raise bad(f"a count takes no unit, got {suffix!r}")
    return op, value  # type: ignore[return-value]


def parse_slo(name: str, objective: str) -> SLOSpec:
    """Parse `name` (measure plus optional `[key=value,...]`) and its objective string."""
    match = _NAME_RE.match(str(name))
    if not match:
        raise SLOError(f"SLO {name!r}: expected measure or measure[key=value,...]; "
                       f"measures: {', '.join(MEASURES)}")
    measure, body = match.group(1), match.group(2)
    if measure not in MEASURES:
        raise SLOError(f"SLO {name!r}: unknown measure {measure!r}; "
                       f"measures: {', '.join(MEASURES)}")
    selector, filters, params = _parse_selector(name, measure, body or "")
    op, threshold = _parse_objective(name, measure, objective)
    return SLOSpec(name=str(name).strip(), measure=measure, objective=str(objective).strip(),
                   op=op, threshold=threshold, unit=MEASURES[measure].unit,
                   selector=selector, filters=filters, params=params)
