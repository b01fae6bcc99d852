"""What every target shares: the protocol, and the plain data it hands the stack and the load."""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from harness.errors import UsageError

ANTHROPIC_PLACEHOLDER_KEY = "sk-ant-harness-local"
"""The API key an agent gets when the scenario gives none: the fake LLM accepts any key."""


class TargetError(UsageError):
    """A target was asked for something it does not have (e.g. flags of your own agent)."""


@dataclass(frozen=True)
class Tenant:
    """A tenant of the agent under test: the key its users send, its data region, and the
    canaries planted in its data (seen in another tenant's reply = a leak)."""

    name: str
    key: str
    region: str = "us"
    canaries: tuple[str, ...] = ()


@dataclass(frozen=True)
class Upstream:
    """One of the agent's own HTTP dependencies (`agent.upstreams`): already running at `url`,
    or started by the stack from `command` ({host}, {port} replaced) and healthy when `health`
    answers 200 within `start_timeout_s`. The stack puts it behind a proxy named `name`."""

    name: str
    url: str | None = None
    command: str | None = None
    health: str | None = None  # a URL upstream without one only has to accept connections
    start_timeout_s: float = 60.0
    env: dict[str, str] = field(default_factory=dict)

    @property
    def env_var(self) -> str:
        return upstream_env_var(self.name)

    def argv(self, host: str, port: int) -> list[str]:
        assert self.command is not None
        text = self.command.replace("{host}", host).replace("{port}", str(port))
        try:
            return shlex.split(text)
        except ValueError as exc:
            raise TargetError(f"agent.upstreams.{self.name}.command {self.command!r} cannot "
                              f"be parsed: {exc}") from exc

    def describe(self) -> dict[str, Any]:
        given = {"url": self.url} if self.url is not None else {"command": self.command}
        return {**given, "health": self.health, "env_var": self.env_var}


def upstream_env_var(name: str) -> str:
    """`crm` -> HARNESS_UPSTREAM_CRM_URL (upper-cased, anything not alphanumeric -> `_`)."""
    return f"HARNESS_UPSTREAM_{re.sub(r'[^A-Z0-9]', '_', name.upper())}_URL"


@dataclass(frozen=True)
class Dependencies:
    """Base URLs the agent reaches its dependencies at: each behind its Toxiproxy proxy."""

    llm: str  # the US fake LLM (ANTHROPIC_BASE_URL)
    llm_eu: str
    tools: str
    host: str = "127.0.0.1"
    upstreams: Mapping[str, str] = field(default_factory=dict)  # name -> proxied URL


@dataclass(frozen=True)
class Launch:
    """How the stack starts the agent: `argv` with `env` on top of the harness's own
    environment, healthy when `health` answers 200 at `url` within `start_timeout_s`.
    `ready` (a regex), if set, must also appear in the agent's output."""

    argv: list[str]
    url: str
    health: str
    env: dict[str, str] = field(default_factory=dict)
    start_timeout_s: float = 60.0
    ready: str | None = None


@runtime_checkable
class Target(Protocol):
    """The agent under test, whatever it is."""

    kind: str  # "reference" | "command" | "url"
    label: str  # the run's profile column: naive | hardened | own
    health: str

    def tenants(self) -> dict[str, Tenant]:
        """Every tenant the agent knows (the load uses some of them), canaries for the seed."""
        ...

    def load_data(self, tenants: list[str]) -> dict[str, Any]:
        """Extra data the task library may use for these tenants (ids of their rows)."""
        ...

    def launch(self, port: int, deps: Dependencies) -> Launch | None:
        """How to start it on `port`; None for an agent that is already running."""
        ...

    def url(self) -> str | None:
        """Where an already running agent listens (None when the stack starts it)."""
        ...

    def upstreams(self) -> dict[str, Upstream]:
        """The agent's own dependencies the stack puts behind the proxy (name -> upstream)."""
        ...

    def with_overrides(self, overrides: Mapping[str, Any]) -> Target:
        """The same agent redeployed with flag overrides (a `deploy` fault)."""
        ...

    @property
    def overrides(self) -> dict[str, Any]:
        """Flag overrides on top of the agent's profile ({} for an agent without flags)."""
        ...

    def auto_rollback(self) -> bool:
        """Whether the harness's deploy controller watches this agent's deploys."""
        ...

    def describe(self) -> dict[str, Any]:
        """What run.json records about the agent."""
        ...


def sdk_environment(deps: Dependencies, api_key: str | None) -> dict[str, str]:
    """The environment an agent's SDK needs (README.md and docs/your-agent.md have the table),
    with one `HARNESS_UPSTREAM_<NAME>_URL` per upstream: its proxied URL."""
    return {
        "ANTHROPIC_BASE_URL": deps.llm,
        "ANTHROPIC_API_KEY": api_key or ANTHROPIC_PLACEHOLDER_KEY,
        "HARNESS_LLM_EU_URL": deps.llm_eu,
        "HARNESS_TOOLS_URL": deps.tools,
        **{upstream_env_var(name): url for name, url in deps.upstreams.items()},
    }


def load_fields(target: Target, tenants: list[str]) -> dict[str, Any]:
    """The LoadConfig fields a target fills for load sent by `tenants`: every tenant's
    canaries (a leak into a tenant that sends no load counts too) and its extra load data."""
    canaries = {name: list(t.canaries) for name, t in target.tenants().items() if t.canaries}
    return {"canaries": canaries, **target.load_data(tenants)}
