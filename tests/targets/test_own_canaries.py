"""Your agent's own canaries reach the leak detector, whether the harness starts it or it runs
already (tests/targets/test_own_agent_run.py shows the whole run for a command agent)."""

from __future__ import annotations

import pytest

from harness.load.recorder import LeakDetector
from harness.scenario import parse_scenario
from harness.targets import load_fields, target_for

AGENTS = {
    "command": 'command: "python agent.py --port {port}"',
    "url": "url: http://127.0.0.1:8000",
}


@pytest.mark.parametrize("kind", sorted(AGENTS))
def test_one_tenants_canary_in_anothers_reply_is_a_leak(kind: str) -> None:
    scenario = parse_scenario(f"""\
name: own-canaries
title: t
duration: 10s
agent:
  {AGENTS[kind]}
  tenants:
    alpha: {{key: k-alpha, canaries: [SECRET-alpha-7f3a, CANARY-alpha-5eed0a1f]}}
    beta: {{key: k-beta, canaries: [SECRET-beta-0b5e]}}
    gamma: {{key: k-gamma, canaries: [SECRET-gamma-99]}}
load: {{tenants: [alpha, beta]}}
""")
    target = target_for(scenario.agent, "own", scenario.seed)
    fields = load_fields(target, list(scenario.load.tenants))
    # Every tenant's canaries, also of gamma, which sends no load.
    assert fields["canaries"] == {"alpha": ["SECRET-alpha-7f3a", "CANARY-alpha-5eed0a1f"],
                                  "beta": ["SECRET-beta-0b5e"], "gamma": ["SECRET-gamma-99"]}
    detector = LeakDetector(fields["canaries"], scenario.load.tenants)
    reply = b'{"reply": "yours: SECRET-beta-0b5e; also SECRET-alpha-7f3a and SECRET-gamma-99"}'
    assert detector.leaked(reply, "beta") == ["SECRET-alpha-7f3a", "SECRET-gamma-99"]
    assert detector.leaked(reply.replace(b"SECRET-alpha-7f3a", b""), "alpha") == [
        "SECRET-beta-0b5e", "SECRET-gamma-99"]
    assert detector.leaked(b'{"reply": "only SECRET-beta-0b5e"}', "beta") == []
