"""The incident library itself: every scenario validates, has teeth (naive: fail) and a cure
(hardened: pass), a runbook and a row in scenarios/README.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.scenario import load_scenario

LIBRARY = Path(__file__).resolve().parents[2] / "scenarios"
FILES = sorted(LIBRARY.glob("*.yaml"))


def test_the_readme_lists_exactly_the_library():
    listed = set(re.findall(r"`([a-z0-9-]+\.yaml)`", (LIBRARY / "README.md").read_text()))
    assert FILES, "no scenario files"
    assert listed == {p.name for p in FILES}


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
