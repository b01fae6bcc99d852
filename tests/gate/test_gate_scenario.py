"""The scenario's `gate:` block: loads, and every problem names file:line and what is allowed."""

from __future__ import annotations

import pytest

from harness.errors import ScenarioError
from harness.gate.judge import min_effects
from harness.scenario import parse_scenario

HEAD = """name: g
title: Gate block
duration: 10s
slos:
  availability: ">= 99%"
  latency_p95: "<= 2s"
"""


def problems(gate: str) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(HEAD + gate, "g.yaml")
    return [str(p) for p in info.value.problems]


def test_a_gate_block_loads_with_both_sides_and_min_effects():
    scenario = parse_scenario(HEAD + """gate:
  baseline: {spec: hardened}
  candidate: {spec: "hardened:retries=false,circuit_breaker=false"}
  min_effect: {latency_p95: 250ms, availability: 1pp}
""", "g.yaml")
    assert scenario.gate is not None and scenario.gate.candidate is not None
    assert scenario.gate.candidate.spec == "hardened:retries=false,circuit_breaker=false"
    effects = min_effects(scenario)
    assert effects["latency_p95"].threshold(0.1) == pytest.approx(0.25)
    assert effects["availability"].threshold(0.99) == pytest.approx(0.01)


def test_own_agent_sides_load():
    scenario = parse_scenario(HEAD + """gate:
  baseline: {url: "http://127.0.0.1:8000"}
  candidate: {command: "python new_agent.py --port {port}", env: {MODE: new}}
""", "g.yaml")
    assert scenario.gate.baseline.url == "http://127.0.0.1:8000"
    assert scenario.gate.candidate.env == {"MODE": "new"}


def test_a_bad_flag_in_a_spec_names_the_flag_and_allowed_values():
    [problem] = problems("gate:\n  baseline: {spec: hardened}\n"
                         "  candidate: {spec: \"hardened:retries=maybe\"}\n")
    assert problem.startswith("g.yaml:9:14: gate.candidate: ")
    assert "agent flag retries: got 'maybe', allowed: true or false" in problem


def test_an_unknown_profile_lists_the_profiles():
    [problem] = problems("gate:\n  baseline: {spec: harden}\n")
    assert problem.startswith("g.yaml:8:13: gate.baseline: ")
    assert "unknown profile 'harden'; allowed: naive | hardened" in problem


def test_a_side_needs_exactly_one_kind():
    [problem] = problems("gate:\n  baseline: {spec: hardened, url: \"http://127.0.0.1:1\"}\n")
    assert problem.startswith("g.yaml:8:13: gate.baseline: ")
    assert "exactly one of `spec`" in problem


def test_a_command_without_port_and_a_remote_url_are_refused():
    found = problems("gate:\n  baseline: {command: \"python a.py\"}\n"
                     "  candidate: {url: \"http://example.com\"}\n")
    assert any(p.startswith("g.yaml:8:13: gate.baseline: ") and "{port}" in p for p in found)
    assert any(p.startswith("g.yaml:9:14: gate.candidate: ") and "loopback" in p for p in found)


def test_unknown_keys_list_the_allowed_ones():
    [problem] = problems("gate:\n  basline: {spec: hardened}\n")
    assert problem.startswith("g.yaml:8:3: gate.basline: unknown key 'basline'; allowed: ")
    assert "baseline, candidate, min_effect" in problem


def test_a_min_effect_in_the_wrong_unit_names_the_forms():
    [problem] = problems("gate:\n  min_effect: {latency_p95: 1pp}\n")
    assert problem.startswith("g.yaml:8:15: gate.min_effect: ")
    assert "latency_p95" in problem and "250ms" in problem


def test_an_unreadable_min_effect_points_at_its_value():
    [problem] = problems("gate:\n  min_effect: {availability: lots}\n")
    assert problem.startswith("g.yaml:8:30: gate.min_effect.availability: ")
    assert "cannot read 'lots'" in problem


def test_a_min_effect_must_name_an_slo_of_the_scenario():
    [problem] = problems("gate:\n  min_effect: {latency_p99: 2s}\n")
    assert problem.startswith("g.yaml:8:3: gate: ")
    assert "'latency_p99', not an SLO of this scenario; its SLOs: availability, latency_p95" \
        in problem
