"""The incident library itself: every scenario validates, has teeth (naive: fail) and a cure
(hardened: pass), a runbook and a row in scenarios/README.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.scenario import load_scenario

LIBRARY = Path(__file__).resolve().parents[2] / "scenarios"
FILES = sorted(LIBRARY.glob("*.yaml"))


def test_the_library_has_the_thirteen_incidents():
    assert len(FILES) == 13


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_scenario_is_valid_and_expects_naive_fail_hardened_pass(path: Path):
    scenario = load_scenario(path)  # raises ScenarioError with file:line on any problem
    assert scenario.name == path.stem
    assert scenario.expect == {"naive": "fail", "hardened": "pass"}
    assert scenario.agent.kind == "reference" and scenario.agent.profile is None
    assert scenario.slos, "a scenario without SLOs cannot fail"
    assert scenario.chapter is not None and scenario.description


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_scenario_has_a_runbook_and_a_row_in_the_readme(path: Path):
    runbook = LIBRARY / "runbooks" / f"{path.stem}.md"
    assert runbook.is_file(), f"missing {runbook}"
    text = runbook.read_text()
    for heading in ("What happened", "How the scenario reproduces it", "Hardened patterns",
                    "Where the report shows it"):
        assert heading in text, f"{runbook.name}: no '{heading}' section"
    assert f"`{path.name}`" in (LIBRARY / "README.md").read_text()


def test_scenarios_are_short_enough_for_ci():
    # 26 runs at --time-scale 0.25 must fit in 10 minutes with 10-15 s of fixed cost each:
    # about 5 minutes of load at most (bad-deploy is the long one: two agent restarts).
    total = 0.0
    for path in FILES:
        scenario = load_scenario(path)
        total += scenario.duration
        assert scenario.duration <= 140, f"{path.name}: {scenario.duration}s"
        assert scenario.load.users <= 32, f"{path.name}: {scenario.load.users} users"
    assert 2 * 0.25 * total <= 330, f"{2 * 0.25 * total:.0f}s of load at --time-scale 0.25"
