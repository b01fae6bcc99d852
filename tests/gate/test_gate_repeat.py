"""`harness run --repeat`: pass^N and the t-interval across runs."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from harness.gate.repeat import aggregate, repeat_markdown, t_interval
from harness.report.repeats import render_repeats


def test_t_interval_matches_a_textbook_value():
    # mean 5, s = sqrt(2.5), n = 5: t(0.975, 4) = 2.776445, half-width 2.776445 * s / sqrt(5).
    mean, low, high = t_interval([3, 4, 5, 6, 7])
    half = 2.776445105 * math.sqrt(2.5) / math.sqrt(5)
    assert mean == 5 and (low, high) == pytest.approx((5 - half, 5 + half))


def test_t_interval_of_one_or_equal_values():
    assert math.isnan(t_interval([1.0])[1])
    assert t_interval([2.0, 2.0, 2.0]) == (2.0, 2.0, 2.0)
    assert math.isnan(t_interval([])[0])


@dataclass
class _Scenario:
    name: str = "hiccup"
    title: str = "Hiccup"


@dataclass
class _Result:
    run_dir: Path
    verdict: str
    slos: list[dict] = field(default_factory=list)
    scenario: _Scenario = field(default_factory=_Scenario)
    profile: str = "hardened"


def _slo(value: float, verdict: str) -> dict:
    return {"name": "availability", "objective": ">= 99%", "unit": "ratio", "value": value,
            "verdict": verdict}


def test_pass_k_needs_every_run(tmp_path):
    runs = []
    for i, (value, verdict) in enumerate([(1.0, "pass"), (0.995, "pass"), (0.97, "fail")]):
        run_dir = tmp_path / f"r{i}"
        run_dir.mkdir()
        (run_dir / "run.json").write_text(f'{{"seed": {7 + i}}}')
        runs.append(_Result(run_dir, verdict, [_slo(value, verdict)]))
    [group] = aggregate(runs)
    assert group.verdict == "fail" and group.passed == 2
    assert [r["seed"] for r in group.runs] == [7, 8, 9]
    [row] = group.rows
    assert row.values == [1.0, 0.995, 0.97] and row.passed == 2 and row.verdict == "fail"
    assert row.low < row.mean < row.high
    [green] = aggregate(runs[:2])
    assert green.verdict == "pass"
    markdown = repeat_markdown([group])
    assert "pass^3 FAIL (2/3 runs passed)" in markdown and "| `availability` |" in markdown
    html = render_repeats([group], tmp_path / "repeats.html").read_text()
    assert "pass^3" in html and "r2/report.html" in html
