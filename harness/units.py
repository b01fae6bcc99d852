"""The one unit formatter: SLO values and numbers for humans, in the console, JUnit, the
Markdown summary and the HTML reports alike."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

DASH = "—"
VERDICT_WORDS = {"pass": "PASS", "fail": "FAIL", "inconclusive": "INCONCLUSIVE"}
VERDICT_SYMBOLS = {"pass": "✓", "fail": "✗", "inconclusive": "?"}


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def normalise_verdict(value: Any) -> str:
    text = str(value or "").strip().lower()
    if text in ("pass", "passed", "ok", "met"):
        return "pass"
    if text in ("fail", "failed", "missed"):
        return "fail"
    return "inconclusive"


def verdict_word(value: Any) -> str:
    return VERDICT_WORDS[normalise_verdict(value)]


def pct(value: Any, digits: int = 2) -> str:
    if _missing(value):
        return DASH
    return f"{float(value) * 100:.{digits}f}%"


def ms(value: Any) -> str:
    """Milliseconds, switching to seconds above one second."""
    if _missing(value):
        return DASH
    value = float(value)
    if abs(value) >= 1000:
        return f"{value / 1000:.2f} s"
    return f"{value:.0f} ms"


def seconds(value: Any) -> str:
    if _missing(value):
        return DASH
    value = float(value)
    if abs(value) < 1:
        return f"{value * 1000:.0f} ms"
    if abs(value) < 120:
        return f"{value:.2f} s"
    return f"{value / 60:.1f} min"


def usd(value: Any) -> str:
    if _missing(value):
        return DASH
    value = float(value)
    if value == 0:
        return "$0"
    if abs(value) < 0.01:
        return f"${value:.5f}"
    if abs(value) < 1:
        return f"${value:.4f}"
    if abs(value) < 1000:
        return f"${value:,.2f}"
    return f"${value:,.0f}"


def num(value: Any, digits: int = 3) -> str:
    if _missing(value):
        return DASH
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()
                                  and abs(value) < 1e15):
        return f"{int(value):,}"
    return f"{float(value):.{digits}g}"


def offset(value: Any) -> str:
    """Seconds since the run's start, e.g. `+12.5 s` or `+3m05s`."""
    if _missing(value):
        return DASH
    value = float(value)
    if value < 120:
        return f"+{value:.1f} s"
    minutes, secs = divmod(round(value), 60)
    return f"+{minutes}m{secs:02d}s"


def when(epoch: Any) -> str:
    if _missing(epoch):
        return DASH
    return datetime.fromtimestamp(float(epoch), tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def slo_value(value: Any, unit: Any) -> str:
    """An SLO value in its unit (contract: ratios 0..1, seconds, USD; others as given)."""
    if _missing(value):
        return DASH
    u = str(unit or "").strip().lower()
    if u in ("ratio", "fraction", "%", "percent", "share"):
        return pct(value, 3 if 0.99 <= float(value) < 1 else 2)
    if u in ("s", "sec", "second", "seconds"):
        return seconds(value)
    if u in ("usd", "$", "dollar", "dollars"):
        return usd(value)
    if u == "per_second":
        return f"{num(value)}/s"
    if u in ("count", "number"):
        return num(value)
    if u.startswith("usd/") or u.startswith("$/"):
        return f"{usd(value)}/{u.split('/', 1)[1]}"
    return f"{num(value)} {unit}".strip() if unit else num(value)


def budget(value: Any) -> str:
    """Error budget left (1 = untouched, 0 = spent, < 0 = overspent) in words past zero."""
    if _missing(value):
        return DASH
    value = float(value)
    if value >= 0:
        return pct(value, 1)
    return f"overspent: {1 - value:.3g}× the budget"
