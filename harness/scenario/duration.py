"""The one duration grammar, for scenario keys and SLO text alike: `250ms`, `15s`, `1.5s`,
`2m` (or `2min`), `1h`, `30sec`, or bare seconds."""

from __future__ import annotations

import math
import re

UNITS = {"ms": 0.001, "s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}
"""Unit -> seconds (SLO objectives use it for their time units too)."""
_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|sec|s|min|m|h)?\s*$")


def parse_duration(value: object) -> float:
    """Seconds as a float. Raises ValueError with the accepted forms when `value` is not one."""
    if isinstance(value, bool):  # bool is an int subclass; `true` is never a duration
        raise ValueError(_bad(value))
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and (match := _PATTERN.match(value)):
        seconds = float(match.group(1)) * UNITS[match.group(2) or "s"]
    else:
        raise ValueError(_bad(value))
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(_bad(value))
    return seconds


def format_duration(seconds: float) -> str:
    """The shortest exact spelling parse_duration reads back: 0.25 -> '250ms', 90 -> '90s'."""
    if seconds and seconds < 1:
        return f"{seconds * 1000:g}ms"
    for unit, size in (("h", 3600.0), ("m", 60.0)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"


def _bad(value: object) -> str:
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
    return (
        f"invalid duration {shown}; use a number with a unit: ms, s, m, h "
        "(e.g. 250ms, 15s, 1.5s, 2m, 1h) or a bare number of seconds"
    )
