"""The reference agent as a target: the one harness module that imports `reference_agent`.

It also knows the reference tool server (started by module name) and the reference tenants,
which an agent of your own that names no tenants borrows.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.targets.base import Dependencies, Launch, Tenant, Upstream, sdk_environment

PROFILES = ("naive", "hardened")
TOOL_SERVER_MODULE = "reference_agent.tools"
AGENT_MODULE = "reference_agent"


def reference_tenants(seed: int) -> dict[str, Tenant]:
    """The reference tenants (acme, globex, initech) with their canaries for `seed`."""
    from reference_agent import tenants as registry

    canaries = registry.canaries(seed)
    return {name: Tenant(name, t.api_key, t.region, tuple(canaries.get(name, ())))
            for name, t in registry.TENANTS.items()}


def reference_tenant_names() -> tuple[str, ...]:
    from reference_agent.tenants import TENANTS

    return tuple(TENANTS)


def reference_load_data(tenants: list[str]) -> dict[str, Any]:
    """Ids of the reference tenants' seeded rows, for the task library's order lookups."""
    from reference_agent import tenants as registry

    known = [t for t in tenants if t in registry.TENANTS]
    return {"order_ids": {t: list(registry.order_ids(t)) for t in known},
            "customer_ids": {t: list(registry.customer_ids(t)) for t in known}}


def validate_flags(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Typed flag overrides; ValueError naming the flag and its allowed values."""
    from reference_agent.config import parse_overrides

    return parse_overrides(dict(overrides))


def pattern_flags() -> list[str]:
    """The book's patterns: bool flags on in hardened and off in naive (for --ablate)."""
    from reference_agent.config import flag_table

    return [name for name, info in flag_table().items()
            if info.type == "bool" and info.hardened is True and info.naive is False]


def flag_args(overrides: Mapping[str, Any]) -> list[str]:
    """`--set name=value` arguments (booleans as true/false)."""
    argv: list[str] = []
    for name, value in overrides.items():
        text = str(value).lower() if isinstance(value, bool) else str(value)
        argv += ["--set", f"{name}={text}"]
    return argv


def tool_server_argv(seed: int, log: Path, store: str | None) -> list[str]:
    """The reference tool server (MCP over the tenant store) on a port of its choosing."""
    argv = [sys.executable, "-m", TOOL_SERVER_MODULE, "--port", "0", "--seed", str(seed),
            "--log", str(log)]
    return argv + (["--store", store] if store else [])


@dataclass(frozen=True)
class ReferenceTarget:
    """`python -m reference_agent --profile P --set ...` started by the stack."""

    profile: str = "hardened"
    flags: dict[str, Any] = field(default_factory=dict)
    seed: int = 1
    health: str = "/healthz"
    kind: str = "reference"

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise ValueError(f"unknown profile {self.profile!r}; allowed: {', '.join(PROFILES)}")

    @property
    def label(self) -> str:
        return self.profile

    @property
    def overrides(self) -> dict[str, Any]:
        return dict(self.flags)

    def tenants(self) -> dict[str, Tenant]:
        return reference_tenants(self.seed)

    def load_data(self, tenants: list[str]) -> dict[str, Any]:
        return reference_load_data(tenants)

    def url(self) -> str | None:
        return None

    def upstreams(self) -> dict[str, Upstream]:
        return {}  # its one dependency of its own, the tool server, is built into the stack

    def launch(self, port: int, deps: Dependencies) -> Launch:
        argv = [sys.executable, "-m", AGENT_MODULE, "--profile", self.profile,
                "--host", deps.host, "--port", str(port), "--tools-url", deps.tools,
                "--llm-eu-url", deps.llm_eu, *flag_args(self.flags)]
        return Launch(argv=argv, url=f"http://{deps.host}:{port}", health=self.health,
                      env=sdk_environment(deps, None))

    def with_overrides(self, overrides: Mapping[str, Any]) -> ReferenceTarget:
        """The configured flags with `overrides` on top ({}: back to the configured ones)."""
        return ReferenceTarget(self.profile, {**self.flags, **overrides}, self.seed, self.health)

    def auto_rollback(self) -> bool:
        from reference_agent.config import build_config

        return bool(build_config(self.profile, self.flags).auto_rollback)

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "profile": self.profile, "overrides": dict(self.flags)}
