"""`harness run` with the local stack's real Prometheus: time to detect read from its alert."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.run.runner import RunOptions, run_scenario
from harness.scenario import parse_scenario
from harness.stack.prometheus import find_prometheus
from tests.requires import require_binary

pytestmark = pytest.mark.integration

SCENARIO = """\
name: deploy-paged
title: "A bad deploy pages the on-call through the burn-rate alert"
seed: 3
duration: 20s              # the page fired about 3 s after the deploy here
agent: {profile: naive}      # no deploy controller: only Prometheus is watching
load: {users: 6, spawn_rate: 6, tenants: [acme, globex], mix: {chat: 1}, think_time: 100ms}
faults:
  - {at: 5s, target: agent, kind: deploy, set: {fail_rate: 0.6}}
slos:
  time_to_detect[alert=AgentAvailabilityBurnPage]: "<= 15s"
  requests: ">= 50"
"""


def test_time_to_detect_is_read_from_a_real_prometheus_alert(tmp_path: Path) -> None:
    require_binary("prometheus")
    assert find_prometheus() is not None
    scenario = parse_scenario(SCENARIO, "deploy-paged.yaml")
    options = RunOptions(out_root=tmp_path, progress=False, render=False, prometheus=True)
    result = run_scenario(scenario, "naive", options)
    slos = {s["measure"]: s for s in result.slos}
    assert slos["time_to_detect"]["verdict"] == "pass", slos["time_to_detect"]
    assert 0 < slos["time_to_detect"]["value"] <= 15
    alerts = [json.loads(x) for x in (result.run_dir / "alerts.jsonl").read_text().splitlines()]
    page = [a for a in alerts if a["alert"] == "AgentAvailabilityBurnPage"]
    assert page and page[0]["severity"] == "page"
    assert (result.run_dir / "prometheus" / "prometheus.yml").exists()
