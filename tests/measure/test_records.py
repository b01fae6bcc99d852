"""harness.records: one declaration per record, one writer per file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.measure import load_run
from harness.records import (
    LLM_CALL_COLUMNS,
    AlertEpisode,
    StackEventLog,
    write_alerts,
)


def test_the_fake_llms_row_builder_fills_every_declared_column() -> None:
    # The fake's tests hold real rows to ROW_FIELDS; ROW_FIELDS is the declaration's.
    from harness.fake_llm.ledger import ROW_FIELDS

    assert tuple(LLM_CALL_COLUMNS) == ROW_FIELDS and "trace_id" in ROW_FIELDS


def _episode(source: str | None, ts: float) -> AlertEpisode:
    labels = {"source": source} if source else {}
    return AlertEpisode(alert="A", severity="page", labels=labels, ts=ts, ts_end=ts + 1,
                        step_s=1.0)


def test_each_source_owns_its_alert_rows(tmp_path: Path) -> None:
    write_alerts(tmp_path, "deploy-watcher", [_episode("deploy-watcher", 5.0)])
    write_alerts(tmp_path, "prometheus", [_episode(None, 1.0), _episode(None, 2.0)])
    write_alerts(tmp_path, "prometheus", [_episode(None, 1.0)])  # collected again: replaced
    rows = [json.loads(x) for x in (tmp_path / "alerts.jsonl").read_text().splitlines()]
    assert [(r["labels"].get("source"), r["ts"]) for r in rows] == [
        ("deploy-watcher", 5.0), (None, 1.0)]
    assert "detail" not in rows[0]  # omitted while null
    with pytest.raises(ValueError, match="deploy-watcher"):
        write_alerts(tmp_path, "prometheus", [_episode("deploy-watcher", 9.0)])


def test_stack_events_are_written_and_read_back(tmp_path: Path) -> None:
    log = StackEventLog(tmp_path)
    log({"ts": 1.0, "event": "exited", "process": "agent", "code": -9})
    log({"ts": 2.0, "event": "recreated", "process": "agent", "overrides": {"fail_rate": 0.5}})
    log.close()
    rows = [json.loads(x) for x in (tmp_path / "stack_events.jsonl").read_text().splitlines()]
    assert rows == [{"ts": 1.0, "event": "exited", "process": "agent", "code": -9},
                    {"ts": 2.0, "event": "recreated", "process": "agent",
                     "detail": {"overrides": {"fail_rate": 0.5}}}]
    events = load_run(tmp_path).stack_events
    assert list(events["event"]) == ["exited", "recreated"]
    with pytest.raises(ValueError, match="process"):
        StackEventLog(tmp_path)({"ts": 3.0, "event": "exited"})
