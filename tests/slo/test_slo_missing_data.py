"""Missing data is never a pass: a record file the measure needs, or rows it must tie to
requests, absent from the run make the SLO inconclusive with the reason."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from slo_run import make_faults, make_ledger, make_requests, make_run, make_tool_calls

from harness.measure import RunData, load_run
from harness.slo import SLOResult, evaluate

LEDGER_MEASURES = {
    "cost_per_request": "<= $0.02", "cost_per_1k_requests": "<= $20",
    "cost_per_hour": "<= $50", "cache_hit_ratio": ">= 0%", "llm_calls_per_request": "<= 4",
    "max_llm_calls_per_request": "<= 10", "retry_amplification": "<= 3",
    "residency_violations": "== 0",
}
TOOL_MEASURES = {"unauthorized_tool_calls": "== 0", "blocked_tool_calls": ">= 0"}


def one(data: RunData, name: str, objective: str) -> SLOResult:
    return evaluate({name: objective}, data).slos[0]


def without(**missing: None) -> RunData:
    records: dict[str, Any] = {"llm_calls": make_ledger(), "tool_calls": make_tool_calls()}
    records.update(missing)
    return RunData.from_records(make_requests(), faults=make_faults(), run=make_run().run,
                                **records)


@pytest.mark.parametrize(("name", "objective"), LEDGER_MEASURES.items())
def test_no_llm_ledger_is_inconclusive_never_a_zero(name: str, objective: str) -> None:
    assert one(make_run(), name, objective).value is not None  # measured when the ledger is there
    r = one(without(llm_calls=None), name, objective)
    assert (r.value, r.n, r.verdict) == (None, 0, "inconclusive")
    assert r.detail["reason"] == "no LLM ledger (llm_calls.jsonl) in the run"


@pytest.mark.parametrize(("name", "objective"), TOOL_MEASURES.items())
def test_no_tool_log_is_inconclusive(name: str, objective: str) -> None:
    assert one(make_run(), name, objective).value is not None
    r = one(without(tool_calls=None), name, objective)
    assert (r.value, r.verdict) == (None, "inconclusive")
    assert r.detail["reason"] == "no tool log (tool_calls.jsonl) in the run"


@pytest.mark.parametrize(("name", "objective"), [
    ("requests", "<= 1000"), ("availability", ">= 0%"), ("leaks", "== 0"),
    ("latency_p95", "<= 60s")])
def test_no_request_records_is_inconclusive(name: str, objective: str) -> None:
    data = RunData.from_records([], llm_calls=make_ledger(), present={"llm_calls"})
    r = one(data, name, objective)
    assert r.verdict == "inconclusive"
    assert r.detail["reason"] == "no request records (requests.jsonl) in the run"


def test_no_alerts_is_inconclusive_with_the_reason() -> None:
    r = one(make_run(), "time_to_detect", "<= 30s")
    assert r.verdict == "inconclusive"
    assert r.detail["reason"] == "no alerts.jsonl (the run had no Prometheus) in the run"


def test_a_ledger_with_no_row_tied_to_a_request() -> None:
    unjoined = [{**row, "correlation_id": None} for row in make_ledger()]
    data = without(llm_calls=unjoined)
    for name in ("llm_calls_per_request", "max_llm_calls_per_request", "retry_amplification",
                 "cost_per_request[tenant=acme]", "cache_hit_ratio[during=faults]"):
        r = one(data, name, ">= 0")
        assert r.verdict == "inconclusive", name
        assert r.detail["reason"].startswith("none of the 37 rows of the LLM ledger"), name
    # Without selectors cost counts every ledger row: the total needs no join.
    r = one(data, "cost_per_request", "<= $1")
    assert r.value == pytest.approx((36 * 0.01 + 0.5) / 20) and r.verdict == "pass"
    # Residency reads the ledger's own tenant: no join needed either.
    assert one(data, "residency_violations", "== 0").value == 1


def test_a_tool_log_with_no_row_tied_to_a_request() -> None:
    data = without(tool_calls=[{**row, "correlation_id": "nobody"} for row in make_tool_calls()])
    r = one(data, "unauthorized_tool_calls", "== 0")
    assert r.verdict == "inconclusive" and "tool log" in r.detail["reason"]
    assert one(data, "blocked_tool_calls", ">= 0").value == 1  # unselected: every call counts
    assert one(data, "blocked_tool_calls[tenant=globex]", ">= 0").verdict == "inconclusive"


def test_an_empty_ledger_that_exists_is_a_measured_zero() -> None:
    """The fake LLM opens its ledger at start: an empty file means no call was made."""
    r = one(without(llm_calls=[]), "cost_per_request", "<= $0.02")
    assert (r.value, r.verdict) == (0.0, "pass")


def _write(path: Path, rows: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))


def test_load_run_names_the_files_that_existed(tmp_path: Path) -> None:
    _write(tmp_path / "requests.jsonl", make_requests())
    (tmp_path / "run.json").write_text(json.dumps({"started": 1000.0, "ended": 1100.0}))
    data = load_run(tmp_path)
    assert data.present == {"requests"}
    # The runaway bill measured on a stack whose ledgers never reached the run directory.
    r = one(data, "cost_per_request", "<= $0.02")
    assert r.verdict == "inconclusive" and "LLM ledger" in r.detail["reason"]
    _write(tmp_path / "llm_calls.us.jsonl", make_ledger())
    (tmp_path / "tool_calls.jsonl").touch()
    (tmp_path / "alerts.jsonl").touch()
    data = load_run(tmp_path)
    assert data.present == {"requests", "llm_calls", "tool_calls", "alerts"}
    assert one(data, "cost_per_request", ">= 0").value == pytest.approx((36 * 0.01 + 0.5) / 20)


def test_empty_tool_log_and_ledger_say_why_there_is_no_verdict() -> None:
    data = without(llm_calls=[], tool_calls=[])
    for name, reason in (("unauthorized_tool_calls", "the tool log holds no tool call"),
                         ("blocked_tool_calls", "the tool log holds no tool call"),
                         ("residency_violations", "the ledger holds no call")):
        r = one(data, name, "== 0")
        assert (r.verdict, r.detail["reason"]) == ("inconclusive", reason), name
