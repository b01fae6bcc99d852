"""What one side of a gate runs: a reference-agent SPEC, a command, or a URL.

The only module of the gate that knows `reference_agent`: a SPEC is `PROFILE[:flag=value,...]`,
e.g. `hardened` or `hardened:retries=false,circuit_breaker=false`, validated like a scenario's
`agent.set` (reference_agent.config.parse_overrides names the flag and its allowed values).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.scenario import Scenario

__all__ = ["Side", "parse_spec", "variant"]


@dataclass(frozen=True)
class Side:
    """One side of the gate. `label` names it in reports (the SPEC, command or URL)."""

    label: str
    profile: str | None = None  # reference agent
    overrides: dict[str, Any] = field(default_factory=dict)
    command: str | None = None  # your agent, started by the harness
    url: str | None = None  # your agent, already running
    env: dict[str, str] = field(default_factory=dict)

    @property
    def run_profile(self) -> str:
        """The profile name run_scenario takes (`own` for your agent)."""
        return self.profile or "own"


def parse_spec(text: str) -> Side:
    """`hardened:retries=false,max_retries=2` -> Side; ValueError naming what is allowed."""
    from reference_agent.config import PROFILES, parse_overrides

    head, _, tail = str(text).strip().partition(":")
    profile = head.strip()
    if profile not in PROFILES:
        raise ValueError(f"SPEC {text!r}: unknown profile {profile!r}; allowed: "
                         f"{' | '.join(PROFILES)}, optionally followed by :flag=value,...")
    mapping: dict[str, str] = {}
    for item in (p.strip() for p in tail.split(",")) if tail.strip() else ():
        name, eq, value = (s.strip() for s in item.partition("="))
        if not eq or not name or not value:
            raise ValueError(f"SPEC {text!r}: {item!r} must be flag=value, e.g. "
                             f"{profile}:retries=false,circuit_breaker=false")
        if name in mapping:
            raise ValueError(f"SPEC {text!r}: flag {name!r} given twice")
        mapping[name] = value
    try:
        overrides = parse_overrides(mapping)
    except ValueError as exc:
        raise ValueError(f"SPEC {text!r}: {exc}") from None
    return Side(label=str(text).strip(), profile=profile, overrides=overrides)


def variant(scenario: Scenario, side: Side) -> Scenario:
    """`scenario` with its agent replaced by `side` (the scenario's own flags stay underneath
    a SPEC's; its tenants, health path and chat path stay for your agent)."""
    agent = scenario.agent
    if side.profile is not None:
        if agent.kind != "reference":
            raise ValueError(f"{scenario.name}: SPEC {side.label!r} runs the reference agent, "
                             f"but the scenario tests your own agent ({agent.kind}); use "
                             "--baseline-command/--candidate-command or URLs")
        update: dict[str, Any] = {"profile": side.profile,
                                  "set": {**agent.set, **side.overrides}}
    else:
        update = {"profile": None, "set": {}, "command": side.command, "url": side.url,
                  "env": dict(side.env) if side.command else {}}
    return scenario.model_copy(update={"agent": agent.model_copy(update=update)})
