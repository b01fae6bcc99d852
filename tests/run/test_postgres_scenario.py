"""The injection scenarios with the tenant store on PostgreSQL + row-level security."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.run.runner import RunOptions, run_scenario
from harness.scenario import load_scenario
from reference_agent.tools.store_postgres import install_schema
from tests.reference_agent.tools.pg_cluster import pg_cluster

pytestmark = pytest.mark.integration
SCENARIOS = Path(__file__).parents[2] / "scenarios"


@pytest.fixture(scope="module")
def tools_store() -> Iterator[str]:
    with pg_cluster() as admin_url:
        install_schema(admin_url)
        yield admin_url.replace("postgresql://postgres@", "postgresql://tools@", 1)


@pytest.mark.parametrize("profile", ["naive", "hardened"])
@pytest.mark.parametrize("name", ["prompt-injection-direct", "poisoned-kb"])
def test_injection_scenario_on_the_rls_store(tools_store: str, name: str, profile: str,
                                             tmp_path: Path) -> None:
    options = RunOptions(out_root=tmp_path, time_scale=0.25, progress=False, render=False,
                         prometheus=False, tools_store=tools_store)
    result = run_scenario(load_scenario(SCENARIOS / f"{name}.yaml"), profile, options)
    slos = {s["name"]: s for s in result.slos}
    assert slos["leaks"]["n"] > 0
    if profile == "naive":  # the naive path reads with a role that sees every row: it leaks
        assert result.verdict == "fail" and slos["leaks"]["value"] > 0
    else:  # RLS scopes what the hardened path can read, whatever the model asks for
        assert result.verdict == "pass", [s for s in result.slos if s["verdict"] != "pass"]
        assert slos["leaks"]["value"] == 0 and slos["unauthorized_tool_calls"]["value"] == 0
    run = json.loads((result.run_dir / "run.json").read_text())
    assert run["tools_store"].startswith("postgresql://tools@127.0.0.1:")
    log = (result.run_dir / "logs" / "tools.log").read_text()
    assert "Traceback" not in log
