"""The target a scenario's `agent` block and a run's profile describe."""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.targets.base import Target, Tenant, Upstream
from harness.targets.own import CommandTarget, URLTarget
from harness.targets.reference import ReferenceTarget, reference_load_data, reference_tenants

if TYPE_CHECKING:
    from harness.scenario.schema import AgentSpec


def _own_tenants(agent: AgentSpec, seed: int) -> tuple[dict[str, Tenant], bool]:
    """(tenants, borrowed): the scenario's own tenants, else the reference ones."""
    if agent.tenants:
        return {name: Tenant(name, t.key, t.region, tuple(t.canaries))
                for name, t in agent.tenants.items()}, False
    return reference_tenants(seed), True


def _upstreams(agent: AgentSpec) -> dict[str, Upstream]:
    return {name: Upstream(name, url=u.url, command=u.command, health=u.health_path,
                           start_timeout_s=u.start_timeout, env=dict(u.env))
            for name, u in agent.upstreams.items()}


def target_for(agent: AgentSpec, profile: str, seed: int) -> Target:
    """`profile` is naive | hardened for the reference agent, `own` for yours."""
    if agent.kind == "reference":
        return ReferenceTarget(profile=profile, flags=dict(agent.set), seed=seed,
                               health=agent.health)
    tenants, borrowed = _own_tenants(agent, seed)
    extra = reference_load_data(list(tenants)) if borrowed else {}
    if agent.kind == "command":
        assert agent.command is not None
        return CommandTarget(command=agent.command, known_tenants=tenants,
                             extra_load_data=extra, health=agent.health, env=dict(agent.env),
                             start_timeout_s=agent.start_timeout, ready=agent.ready,
                             known_upstreams=_upstreams(agent))
    assert agent.url is not None
    return URLTarget(address=agent.url, known_tenants=tenants, extra_load_data=extra,
                     health=agent.health)
