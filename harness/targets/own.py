"""Your own agent as a target: a command the harness starts, or a URL already running."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.targets.base import (
    Dependencies,
    Launch,
    TargetError,
    Tenant,
    Upstream,
    sdk_environment,
)

PLACEHOLDERS = ("{host}", "{port}")


def _no_flags(kind: str) -> TargetError:
    return TargetError(f"an agent given by `{kind}` has no flags to redeploy with "
                       "(kind 'deploy' needs the reference agent)")


class _OwnAgent:
    """What your agent answers however it runs: its tenants and data, no flags to redeploy."""

    known_tenants: dict[str, Tenant]
    extra_load_data: dict[str, Any]

    @property
    def overrides(self) -> dict[str, Any]:
        return {}

    def tenants(self) -> dict[str, Tenant]:
        return dict(self.known_tenants)

    def load_data(self, tenants: list[str]) -> dict[str, Any]:
        # Only the tenants that send load: the load refuses data of tenants it does not know.
        wanted = set(tenants)
        return {key: {t: v for t, v in value.items() if t in wanted}
                for key, value in self.extra_load_data.items()}

    def auto_rollback(self) -> bool:
        return False

    def upstreams(self) -> dict[str, Upstream]:
        return {}


@dataclass(frozen=True)
class CommandTarget(_OwnAgent):
    """`agent.command`, started by the stack on a port it picks ({host}, {port} replaced)."""

    command: str
    known_tenants: dict[str, Tenant]
    extra_load_data: dict[str, Any] = field(default_factory=dict)
    health: str = "/healthz"
    env: dict[str, str] = field(default_factory=dict)
    start_timeout_s: float = 60.0
    ready: str | None = None
    known_upstreams: dict[str, Upstream] = field(default_factory=dict)
    kind: str = "command"
    label: str = "own"

    def argv(self, host: str, port: int) -> list[str]:
        text = self.command.replace("{host}", host).replace("{port}", str(port))
        try:
            return shlex.split(text)
        except ValueError as exc:
            raise TargetError(f"agent.command {self.command!r} cannot be parsed: {exc}") from exc

    def upstreams(self) -> dict[str, Upstream]:
        return dict(self.known_upstreams)

    def url(self) -> str | None:
        return None

    def launch(self, port: int, deps: Dependencies) -> Launch:
        env = {**sdk_environment(deps, self.env.get("ANTHROPIC_API_KEY")), **self.env}
        return Launch(argv=self.argv(deps.host, port), url=f"http://{deps.host}:{port}",
                      health=self.health, env=env, start_timeout_s=self.start_timeout_s,
                      ready=self.ready)

    def with_overrides(self, overrides: Mapping[str, Any]) -> CommandTarget:
        if overrides:
            raise _no_flags("command")
        return self


    def describe(self) -> dict[str, Any]:
        described = {"kind": self.kind, "command": self.command, "health": self.health,
                     "env": sorted(self.env)}
        if self.known_upstreams:
            described["upstreams"] = {n: u.describe() for n, u in self.known_upstreams.items()}
        return described


@dataclass(frozen=True)
class URLTarget(_OwnAgent):
    """`agent.url`: an agent already running on loopback; the harness only sends it load."""

    address: str
    known_tenants: dict[str, Tenant]
    extra_load_data: dict[str, Any] = field(default_factory=dict)
    health: str = "/healthz"
    kind: str = "url"
    label: str = "own"


    def url(self) -> str | None:
        return self.address

    def launch(self, port: int, deps: Dependencies) -> None:
        return None

    def with_overrides(self, overrides: Mapping[str, Any]) -> URLTarget:
        if overrides:
            raise _no_flags("url")
        return self


    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "url": self.address, "health": self.health}
