"""report.html from fixture runs, checked as text: content, self-containment, atomicity."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from report_runs import LEAKED, SLOS

from harness.errors import UsageError
from harness.report import render, render_run


def _html(run_dir: Path) -> str:
    return render_run(run_dir).read_text(encoding="utf-8")


def test_report_shows_verdict_incident_slos_and_faults(run_copy) -> None:
    run_dir = run_copy("naive")
    html = _html(run_dir)
    slo = json.loads((run_dir / "slo.json").read_text())
    word = slo["verdict"].upper()
    assert '<div class="word">' in html and word in html
    assert "99.9% uptime becomes 97% when the Claude API hiccups" in html
    assert "harness run scenarios/claude-api-hiccup.yaml --profile naive --seed 2" in html
    for name in SLOS:
        assert f'data-slo="{name}"' in html
    for label in ("http_error@llm", "latency@llm"):
        assert html.count(label) >= 6  # fault table + shaded and labelled on all 5 timelines
    for section in ("By task", "By tenant", "By status and error", "Retry amplification",
                    "Leaks and attacks", "Versions and configuration"):
        assert section in html
    assert "inj-00" in html and "indirect" in html
    assert "anthropic" in html and "2.14.0" in html


def test_report_is_self_contained(run_copy) -> None:
    html = _html(run_copy("hardened"))
    assert "<script" not in html.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "@import" not in html
    assert not re.search(r"url\((?!#)", html)  # only in-page references like url(#clip1)
    # Every chart is inline SVG.
    assert html.count("<svg") == 6


def test_canaries_never_appear_unmasked(run_copy) -> None:
    html = _html(run_copy("hardened"))
    assert LEAKED not in html
    assert "CANARY-globex-••••••••" in html
    assert "2 LEAKING REPLIES" in html


def test_killed_run_without_slo_json_still_renders(runs, tmp_path: Path) -> None:
    out = render_run(runs["killed"], tmp_path / "report.html")
    html = out.read_text()
    assert "INCONCLUSIVE" in html
    assert "no slo.json" in html.lower()
    assert "down@llm" in html and "still active at the end" in html
    assert "ConnectError: connection refused" in html
    assert "harness run scenarios/killed.yaml --seed 7" in html
    assert "still says the run is running" in html
    # The timeline ends at the last record, not at the scheduled 600 s that never happened.
    assert "duration 5.00 s" in html


def test_empty_directory_renders_a_report_saying_so(tmp_path: Path) -> None:
    run_dir = tmp_path / "empty-run"
    run_dir.mkdir()
    html = _html(run_dir)
    assert "INCONCLUSIVE" in html
    assert "No request records" in html
    assert "run.json is missing" in html


def test_not_a_directory_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        render_run(tmp_path / "nope")


def test_a_crash_mid_render_keeps_the_old_report_and_leaves_no_temp_file(
    run_copy, monkeypatch: pytest.MonkeyPatch,
) -> None:
    run_dir = run_copy("hardened")
    report = render_run(run_dir)
    before = report.read_bytes()

    def boom(view):
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr(render, "render_view", boom)
    with pytest.raises(RuntimeError):
        render_run(run_dir)
    assert report.read_bytes() == before
    assert [p.name for p in run_dir.iterdir() if p.name.endswith(".tmp")] == []


def test_write_is_atomic_on_write_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from harness import atomic as _atomic

    target = tmp_path / "report.html"
    target.write_text("old")

    def fail_fsync(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(_atomic.os, "fsync", fail_fsync)
    with pytest.raises(OSError):
        _atomic.write_atomic(target, "new" * 1000)
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_report_size_does_not_grow_with_the_number_of_records() -> None:
    from harness.measure.synthetic import synthetic_run
    from harness.report.view import build_view

    small = render.render_view(build_view(synthetic_run(2_000, duration_s=600.0)))
    large = render.render_view(build_view(synthetic_run(50_000, duration_s=600.0)))
    assert len(large) < 1.3 * len(small)
    assert len(large) < 1_000_000


def test_requests_in_flight_at_the_end_are_a_note_not_failures(tmp_path: Path) -> None:
    from harness.measure.run_data import IN_FLIGHT_ERROR

    run_dir = tmp_path / "hung-run"
    run_dir.mkdir()
    rows = [
        {"ts_start": 1000.0 + i, "ts_end": 1000.1 + i, "latency_ms": 100.0, "status": 200,
         "ok": True, "error": None, "tenant": "acme", "task": "chat", "request_id": f"r{i}",
         "user": 0}
        for i in range(5)
    ] + [
        {"ts_start": 1001.0 + i, "ts_end": 1006.0, "latency_ms": (5.0 - i) * 1000, "status": 0,
         "ok": False, "error": IN_FLIGHT_ERROR, "tenant": "acme", "task": "chat",
         "request_id": f"p{i}", "user": 1 + i}
        for i in range(2)
    ]  # fmt: skip
    (run_dir / "requests.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    html = _html(run_dir)
    assert "2 requests were still in flight when the load stopped" in html
    assert "waited 5.0 s" in html
    assert IN_FLIGHT_ERROR not in html  # not among the errors


def test_crashes_and_restarts_are_on_the_timeline(run_copy) -> None:
    from harness.records import StackEventLog

    run_dir = run_copy("hardened")
    t0 = json.loads((run_dir / "run.json").read_text())["started"]
    log = StackEventLog(run_dir)
    log({"ts": t0 + 10.0, "event": "killed", "process": "agent"})
    log({"ts": t0 + 10.1, "event": "exited", "process": "agent", "code": -9})
    log({"ts": t0 + 11.5, "event": "restarted", "process": "agent"})
    log.close()
    html = _html(run_dir)
    assert "Stack events" in html and "exit code -9" in html
    assert "solid line: a process crashed or was killed" in html
    assert html.count("agent restarted") >= 5  # labelled on every timeline
    assert "2 process crashes or kills" in html


def test_the_runner_hands_over_its_data_and_slo_report(run_copy) -> None:
    from harness.measure import load_run
    from harness.slo import evaluate

    run_dir = run_copy("naive")
    data = load_run(run_dir)
    (run_dir / "slo.json").unlink()  # not read back: the report comes from what is handed
    report = evaluate({"availability": ">= 99.9%"}, data)
    html = render_run(run_dir, data=data, slo=report).read_text(encoding="utf-8")
    assert 'data-slo="availability"' in html and 'data-slo="leaks"' not in html
    assert "no slo.json" not in html.lower()
