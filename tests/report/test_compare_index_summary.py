"""Comparison deltas, suite index and Markdown summary, plus the two CLI commands."""

from __future__ import annotations

import json
from pathlib import Path

from report_runs import SLOS

from harness.cli import main as harness_main
from harness.report import render_compare, render_index, summary_markdown
from harness.report.compare import _direction, slo_deltas
from harness.report.index import suite_verdict
from harness.report.view import load_view, summarise


def _slo(run: Path) -> dict:
    return {s["name"]: s for s in json.loads((run / "slo.json").read_text())["slos"]}


def test_slo_deltas_are_b_minus_a_with_direction(runs) -> None:
    naive, hardened = load_view(runs["naive"]), load_view(runs["hardened"])
    deltas = {d.name: d for d in slo_deltas(naive, hardened)}
    assert list(deltas) == list(SLOS)
    avail = deltas["availability"]
    a, b = _slo(runs["naive"])["availability"], _slo(runs["hardened"])["availability"]
    assert b["value"] > a["value"]  # the hardened fixture fails less during the fault
    assert avail.delta == f"{(b['value'] - a['value']) * 100:+.3g} pp"
    assert avail.direction == "better"


def test_delta_direction_follows_the_objective() -> None:
    assert _direction(">=", 0.01) == "better" and _direction(">=", -0.01) == "worse"
    assert _direction("<=", 0.5) == "worse" and _direction("<=", -0.5) == "better"
    assert _direction("==", 1.0) == "worse" and _direction("<=", 0.0) == "same"


def test_compare_html_shows_both_runs_and_every_slo(runs, tmp_path: Path) -> None:
    html = render_compare(runs["naive"], runs["hardened"], tmp_path / "c.html").read_text()
    assert "A: " in html and "B: " in html
    assert "naive" in html and "hardened" in html
    for name in SLOS:
        assert f'data-slo="{name}"' in html
    assert html.count("<svg") == 6


def test_compare_with_a_killed_run_renders(runs, tmp_path: Path) -> None:
    html = render_compare(runs["killed"], runs["hardened"], tmp_path / "c.html").read_text()
    assert "not measured" in html
    assert "INCONCLUSIVE" in html


def test_index_links_every_run_with_its_verdict(runs, tmp_path: Path) -> None:
    dirs = [runs["naive"], runs["hardened"], runs["killed"]]
    html = render_index(dirs, tmp_path / "suite" / "index.html").read_text()
    for d in dirs:
        assert f'data-run="{d.name}"' in html
    verdicts = [summarise(d).verdict for d in dirs]
    assert verdicts[2] == "inconclusive"
    assert suite_verdict([summarise(d) for d in dirs]) == (
        "fail" if "fail" in verdicts else "inconclusive")
    # Reports not rendered yet: named, not linked to a missing file.
    assert "(no report.html)" in html


def test_suite_verdict_rules(runs) -> None:
    assert suite_verdict([]) == "inconclusive"
    killed = summarise(runs["killed"])
    assert suite_verdict([killed]) == "inconclusive"


def test_summary_markdown_lists_runs_and_slo_tables(runs) -> None:
    text = summary_markdown([runs["naive"], runs["killed"]])
    first = text.splitlines()[0]
    assert first.startswith("## ") and "2 runs" in first
    assert "| verdict | scenario | profile | SLOs missed |" in text
    assert "INCONCLUSIVE" in text and "no slo.json" in text
    for name in SLOS:
        assert f"| `{name}` |" in text
    assert "Rerun: `harness run scenarios/claude-api-hiccup.yaml --profile naive --seed 2`" in text
    # Only run rows and SLO rows are table lines; every one has the same cell count per table.
    assert "\n\n\n" not in text


def test_harness_report_command_renders_and_appends_summary(run_copy, tmp_path, capsys) -> None:
    run = run_copy("killed")
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    assert harness_main(["report", str(run), "--summary-md", str(summary)]) == 0
    assert (run / "report.html").exists()
    assert summary.read_text().startswith("earlier step\n## ")
    assert str(run / "report.html") in capsys.readouterr().out


def test_harness_report_on_a_missing_dir_exits_2(tmp_path: Path, capsys) -> None:
    assert harness_main(["report", str(tmp_path / "missing")]) == 2
    assert "not a run directory" in capsys.readouterr().err


def test_harness_compare_command(runs, tmp_path: Path) -> None:
    out = tmp_path / "cmp.html"
    assert harness_main(["compare", str(runs["naive"]), str(runs["killed"]), "--out",
                         str(out)]) == 0
    assert "SLO deltas" in out.read_text()


def test_suite_verdict_judges_runs_against_their_expectation(runs) -> None:
    import dataclasses

    naive = summarise(runs["naive"])
    assert naive.verdict == "fail"
    expected_fail = dataclasses.replace(naive, run={**naive.run, "expected": "fail"})
    expected_pass = dataclasses.replace(naive, run={**naive.run, "expected": "pass"})
    assert (expected_fail.outcome, expected_pass.outcome) == ("pass", "fail")
    assert suite_verdict([naive]) == "fail"  # no expectation: the verdict itself
    assert suite_verdict([expected_fail]) == "pass"  # failing as the scenario expects
    assert suite_verdict([expected_fail, expected_pass]) == "fail"
