"""Scenario files: schema, loader with file:line errors, durations, time scale.

    from harness.scenario import load_scenario
    scenario = load_scenario("scenarios/claude-api-hiccup.yaml").scaled(0.5)
"""

from harness.scenario.duration import format_duration, parse_duration
from harness.scenario.fault_specs import FAULT_KINDS, FaultSpec
from harness.scenario.loader import load_scenario, load_scenarios, parse_scenario, scenario_files
from harness.scenario.schema import Scenario

__all__ = [
    "FAULT_KINDS",
    "FaultSpec",
    "Scenario",
    "format_duration",
    "load_scenario",
    "load_scenarios",
    "parse_duration",
    "parse_scenario",
    "scenario_files",
]
