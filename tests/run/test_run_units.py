"""Unit tests of the runner's small parts: JUnit, the live record tail, profile choice."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from harness.run.junit import junit_xml, slo_line
from harness.run.runner import profiles_for, rerun_command
from harness.run.tail import RecordTail
from harness.scenario import parse_scenario

SLOS = [
    {"name": "availability", "objective": ">= 99.9%", "unit": "ratio", "value": 0.97,
     "ci_low": 0.96, "ci_high": 0.98, "n": 1200, "verdict": "fail"},
    {"name": "latency_p95", "objective": "<= 5s", "unit": "seconds", "value": 0.25,
     "ci_low": 0.2, "ci_high": 0.3, "n": 1200, "verdict": "pass"},
    {"name": "cost_per_request", "objective": "<= $0.02", "unit": "usd", "value": None,
     "ci_low": None, "ci_high": None, "n": 0, "verdict": "inconclusive"},
]


def test_slo_line_formats_units_and_interval() -> None:
    assert slo_line(SLOS[0]) == ("availability >= 99.9%: measured 97.00% [96.00%, 98.00%] "
                                 "n=1200 -> fail")
    assert "measured 250 ms [200 ms, 300 ms]" in slo_line(SLOS[1])
    assert "measured — n=0 -> inconclusive" in slo_line(SLOS[2])


def test_junit_has_a_case_per_slo_with_failures_and_skips() -> None:
    root = ET.fromstring(junit_xml([{"suite": "hiccup[naive]", "run_dir": "/r", "verdict": "fail",
                                     "expected": "fail", "slos": SLOS}]))
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures")) == ("3", "1")
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert cases["availability"].find("failure") is not None
    assert cases["latency_p95"].find("failure") is None
    assert cases["cost_per_request"].find("skipped") is not None
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props == {"run_dir": "/r", "verdict": "fail", "expected": "fail"}


def test_record_tail_reads_only_complete_new_lines(tmp_path: Path) -> None:
    path = tmp_path / "requests.jsonl"
    rows = [{"ts_end": 100.0 + i, "ok": i % 4 != 0, "latency_ms": 100.0 * (i + 1)}
            for i in range(8)]
    text = "".join(json.dumps(r) + "\n" for r in rows)
    path.write_text(text[:-10])  # the last line is still being written
    tail = RecordTail(tmp_path, window_s=10.0)
    tail.poll()
    assert tail.total == 7
    with path.open("a") as fh:
        fh.write(text[-10:])
    tail.poll()
    stats = tail.stats(now=108.0)
    assert (stats.total, stats.failed) == (8, 2)
    assert stats.rps == 0.8 and stats.error_rate == 0.25
    assert stats.p95_s is not None and 0.7 < stats.p95_s <= 0.8
    assert tail.stats(now=500.0).rps == 0.0  # the window moved past every record


def test_record_tail_leaves_out_requests_in_flight_at_the_end(tmp_path: Path) -> None:
    from harness.measure.run_data import IN_FLIGHT_ERROR

    rows = [{"ts_end": 100.0, "ok": True, "latency_ms": 50.0, "error": None},
            {"ts_end": 101.0, "ok": False, "latency_ms": 900.0, "error": IN_FLIGHT_ERROR}]
    (tmp_path / "requests.w0.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    tail = RecordTail(tmp_path, window_s=10.0)
    tail.poll()
    assert (tail.total, tail.failed) == (1, 0)


SCENARIO = """\
name: choose
title: t
duration: 10s
expect: {naive: fail, hardened: pass}
"""


def test_profiles_follow_cli_then_scenario_then_expect() -> None:
    scenario = parse_scenario(SCENARIO, "choose.yaml")
    assert profiles_for(scenario, None) == ["naive", "hardened"]
    assert profiles_for(scenario, "all") == ["naive", "hardened"]
    assert profiles_for(scenario, "naive") == ["naive"]
    own_text = SCENARIO.replace("{naive: fail, hardened: pass}", "{own: pass}")
    own = parse_scenario(own_text + "agent: {url: 'http://127.0.0.1:9'}\n", "own.yaml")
    assert profiles_for(own, "all") == ["own"]
    assert rerun_command(scenario, "naive", 7, 0.25).endswith(
        "--seed 7 --profile naive --time-scale 0.25")
