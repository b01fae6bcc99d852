"""The agent under test, behind one protocol: the reference agent, a command, or a URL.

    target = target_for(scenario.agent, profile)      # profile: naive | hardened | own
    target.tenants()                                   # who sends load, with which key
    target.launch(port, deps)                          # how the stack starts it (None: running)

The harness never reaches into an agent's code: what it needs from the agent (tenants, keys,
canaries, extra load data for a seed, flag overrides, pattern flags, the deploy controller's
switch) comes through `Target`. Only `harness.targets.reference` imports `reference_agent`.
"""

from harness.targets.base import (
    Dependencies,
    Launch,
    Target,
    TargetError,
    Tenant,
    Upstream,
    load_fields,
    upstream_env_var,
)
from harness.targets.select import target_for

__all__ = ["Dependencies", "Launch", "Target", "TargetError", "Tenant", "Upstream", "load_fields",
           "target_for", "upstream_env_var"]
