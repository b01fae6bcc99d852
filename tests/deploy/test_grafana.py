"""The provisioned Grafana dashboard: valid JSON, and every query names metrics that exist."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from prometheus_client.parser import text_string_to_metric_families

from harness.stack.alert_rules import rules
from reference_agent.metrics import AgentMetrics

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = json.loads((ROOT / "deploy" / "grafana" / "dashboards" / "agent.json").read_text())


def _exported_names() -> set[str]:
    """Every sample name the agent's /metrics can carry (counters, histogram series)."""
    from prometheus_client import generate_latest

    metrics = AgentMetrics()
    names: set[str] = set()
    for family in metrics.registry.collect():
        names.add(family.name)
        kind = family.type
        if kind == "counter":
            names.add(f"{family.name}_total")
        elif kind == "histogram":
            names |= {f"{family.name}_{s}" for s in ("bucket", "count", "sum")}
    # Parse the exposition too, so a renamed family cannot hide behind the naming rules.
    for family in text_string_to_metric_families(generate_latest(metrics.registry).decode()):
        names.add(family.name)
    return names


def _recorded() -> set[str]:
    return {r["record"] for g in rules()["groups"] for r in g["rules"] if "record" in r}


def test_dashboard_is_valid_and_uses_the_provisioned_datasource() -> None:
    assert DASHBOARD["uid"] and DASHBOARD["title"] and DASHBOARD["panels"]
    ids = [p["id"] for p in DASHBOARD["panels"]]
    assert len(ids) == len(set(ids))
    source = yaml.safe_load((ROOT / "deploy" / "grafana" / "provisioning" / "datasources" /
                             "prometheus.yml").read_text())["datasources"][0]
    for panel in DASHBOARD["panels"]:
        assert panel["datasource"]["uid"] == source["uid"]
        assert panel["targets"] and all(t["expr"].strip() for t in panel["targets"])


def test_every_query_names_metrics_the_agent_exports_or_the_rules_record() -> None:
    exported, recorded = _exported_names(), _recorded()
    used: set[str] = set()
    for panel in DASHBOARD["panels"]:
        for target in panel["targets"]:
            expr = target["expr"]
            for name in re.findall(r"\b(agent_[a-z_]+)\b", expr):
                assert name in exported, f"{panel['title']}: {name} is not exported"
                used.add(name)
            for name in re.findall(r"\b(agent:[a-z0-9_:]+)\b", expr):
                assert name in recorded, f"{panel['title']}: {name} is not recorded"
                used.add(name)
    assert {"agent_requests_total", "agent_llm_calls_total"} <= used


def test_rules_use_only_exported_metrics() -> None:
    exported = _exported_names()
    for group in rules()["groups"]:
        for rule in group["rules"]:
            for name in re.findall(r"\b(agent_[a-z_]+)\b", rule["expr"]):
                assert name in exported, f"{rule.get('record') or rule.get('alert')}: {name}"
