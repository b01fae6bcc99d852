"""The scenario file's schema (pydantic v2). Every key is documented in harness/scenario/README.md.

Structure only: checks that need several keys at once (a fault ending after `duration`, SLO
names, agent flags, tenants) live in `checks.py`, so the loader can report them with line numbers
even when another part of the file is broken.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, PrivateAttr, field_validator, model_validator

from harness.load.api import AgentAPI
from harness.netutil import is_loopback
from harness.scenario.fault_specs import AnyFault
from harness.scenario.types import Duration, Probability, Scalar, StrictModel

PROFILES = ("naive", "hardened")

Profile = Literal["naive", "hardened"]
# `own`: the verdict expected of the user's own agent (`agent.command` or `agent.url`).
ExpectKey = Literal["naive", "hardened", "own"]
Task = Literal["chat", "order_lookup", "kb_search", "long_context"]
Verdict = Literal["pass", "fail"]
_SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


def _slug(value: str) -> str:
    if not _SLUG.fullmatch(value) or len(value) > 80:
        raise ValueError(f"invalid name {value!r}; use lowercase letters, digits and single "
                         "dashes, e.g. claude-api-hiccup")
    return value


Slug = Annotated[str, AfterValidator(_slug)]


class TenantSpec(StrictModel):
    """A tenant of the user's own agent: the API key its users send, its data region, and
    strings planted in its data (seen in another tenant's reply = a leak)."""

    key: str = Field(min_length=1)
    region: Literal["us", "eu"] = "us"
    canaries: list[Annotated[str, Field(min_length=6)]] = Field(default_factory=list)


def _regex(value: str | None) -> str | None:
    if value is not None:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"`ready` is not a regular expression: {exc}") from exc
    return value


DEFAULT_START_TIMEOUT_S = 60.0


class AgentSpec(StrictModel):
    """The agent under test: the reference agent (`profile`, `set`), a command, or a URL."""

    profile: Profile | None = None
    set: dict[str, Scalar] = Field(default_factory=dict)
    command: str | None = Field(default=None, min_length=1)
    url: str | None = None
    health: str = Field(default="/healthz", pattern=r"^/")
    start_timeout: Duration = Field(default=DEFAULT_START_TIMEOUT_S, gt=0, le=3600)
    ready: Annotated[str | None, AfterValidator(_regex)] = None  # regex on the agent's output
    env: dict[str, str] = Field(default_factory=dict)
    tenants: dict[str, TenantSpec] | None = None
    api: AgentAPI = Field(default_factory=AgentAPI)  # how the load speaks to it
    # The old name of `api.path`, kept so older scenarios load unchanged (undocumented).
    chat_path: str | None = Field(default=None, pattern=r"^/", exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _chat_path_is_api_path(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "chat_path" not in data:
            return data
        api, path = data.get("api"), data["chat_path"]
        free = api is None or (isinstance(api, dict) and "path" not in api)
        if free and isinstance(path, str) and path.startswith("/"):
            data = {k: v for k, v in data.items() if k != "chat_path"}
            data["api"] = {**(api or {}), "path": path}
        return data  # else the field or `_one_kind_of_agent` reports it

    @model_validator(mode="after")
    def _one_kind_of_agent(self) -> AgentSpec:
        if self.chat_path is not None:
            raise ValueError("`chat_path` is the old name of `api.path`: give only `api.path`")
        if self.command is not None and self.url is not None:
            raise ValueError("give either `command` (we start it) or `url` (already running)")
        own = self.command is not None or self.url is not None
        if own and (self.profile is not None or self.set):
            raise ValueError("`profile` and `set` apply to the reference agent only, "
                             "not with `command` or `url`")
        if self.command is not None and "{port}" not in self.command:
            raise ValueError("`command` must contain {port}: the harness picks a free port")
        if self.url is not None:
            parts = urlsplit(self.url)
            if parts.scheme not in ("http", "https") or not is_loopback(parts.hostname or ""):
                raise ValueError(f"`url` {self.url!r} must be http(s) on loopback "
                                 "(127.0.0.1 or localhost): load stays on this machine")
        if self.command is None:
            given = [k for k in ("env", "ready") if getattr(self, k)]
            if self.start_timeout != DEFAULT_START_TIMEOUT_S:
                given.append("start_timeout")
            if given:
                raise ValueError(f"{', '.join(f'`{k}`' for k in given)} apply only with "
                                 "`command`")
        return self

    @property
    def kind(self) -> Literal["reference", "command", "url"]:
        if self.command is not None:
            return "command"
        return "url" if self.url is not None else "reference"


class AttackSpec(StrictModel):
    """Malicious users: a share of requests replaced by prompt-injection attempts."""

    ratio: Probability = 0.1
    tenants: list[str] | None = None  # default: every load tenant
    categories: list[str] | None = Field(default=None, min_length=1)  # default: all


MAX_TENANT_SHARE = 1000
TenantWeight = Annotated[int, Field(ge=1, le=MAX_TENANT_SHARE, strict=True)]


class LoadSpec(StrictModel):
    users: int = Field(default=10, ge=1, le=10_000)
    spawn_rate: float = Field(default=10.0, gt=0, le=10_000)  # users started per second
    # tenant -> its share of the users: {acme: 1, globex: 9}; a list [acme, globex] gives
    # each name one share
    tenants: dict[str, TenantWeight] = Field(
        default_factory=lambda: {"acme": 1, "globex": 1}, min_length=1
    )
    mix: dict[Task, float] = Field(default_factory=lambda: {"chat": 1.0}, min_length=1)
    think_time: Duration = 0.1  # pause of each user between requests
    request_timeout: Duration = 30.0
    attacks: AttackSpec | None = None

    @field_validator("tenants", mode="before")
    @classmethod
    def _names_are_one_share_each(cls, value: Any) -> Any:
        if not isinstance(value, list):
            return value
        if not all(isinstance(name, str) for name in value):
            raise ValueError(
                "expected a list of tenant names, or a mapping of name -> share of the users "
                f"(a whole number 1..{MAX_TENANT_SHARE}), e.g. {{acme: 1, globex: 9}}"
            )
        return dict(Counter(value))  # a name listed twice has two shares

    @model_validator(mode="after")
    def _positive_weights(self) -> LoadSpec:
        if any(weight < 0 for weight in self.mix.values()) or not any(self.mix.values()):
            raise ValueError("`mix` weights must be >= 0 with at least one > 0")
        return self


def _loopback_url(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not (
        host == "localhost" or host.startswith("127.") or host == "::1"
    ):
        raise ValueError(f"`url` {url!r} must be http(s) on loopback "
                         "(127.0.0.1 or localhost): load stays on this machine")
    return url


class GateSide(StrictModel):
    """One side of `harness gate`: a reference-agent SPEC, a command we start, or a URL."""

    spec: str | None = Field(default=None, min_length=1)  # hardened:retries=false,...
    command: str | None = Field(default=None, min_length=1)
    url: str | None = None
    env: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_kind(self) -> GateSide:
        given = [k for k in ("spec", "command", "url") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of `spec` (the reference agent, e.g. "
                             "hardened:retries=false), `command` or `url`")
        if self.command is not None and "{port}" not in self.command:
            raise ValueError("`command` must contain {port}: the harness picks a free port")
        if self.url is not None:
            _loopback_url(self.url)
        if self.env and self.command is None:
            raise ValueError("`env` applies only with `command`")
        if self.spec is not None:
            from harness.gate.spec import parse_spec  # validates flags like agent.set

            parse_spec(self.spec)
        return self


def _min_effect_syntax(value: str | float) -> str:
    text = str(value).strip()
    if not re.fullmatch(r"\$?(\d+\.?\d*|\.\d+)\s*(ms|s|m|%|pp|x)?", text):
        raise ValueError(f"cannot read {text!r}; use a time (250ms), percentage points "
                         "(0.5pp), a share of the baseline (10%) or a plain number")
    return text


MinEffectText = Annotated[str | float, AfterValidator(_min_effect_syntax)]


class GateSpec(StrictModel):
    """`harness gate` defaults of this scenario: the two sides and per-SLO minimum effects."""

    baseline: GateSide | None = None
    candidate: GateSide | None = None
    min_effect: dict[str, MinEffectText] = Field(default_factory=dict)

    @field_validator("min_effect")
    @classmethod
    def _fits_the_measure(cls, value: dict[str, str]) -> dict[str, str]:
        from harness.gate.effects import KINDS, measure_of, parse_min_effect

        for name, text in value.items():
            measure = measure_of(name)
            if measure is None:
                raise ValueError(f"{name!r} is not an SLO the gate compares; measures: "
                                 f"{', '.join(KINDS)}")
            parse_min_effect(measure, text)
        return value


DEFAULT_TOOL_EAGERNESS = 0.5  # the fake LLM's own default


class ModelSpec(StrictModel):
    """How the fake LLM's model plays (harness/fake_llm/README.md): how eagerly it uses the
    tools an agent offers, how many calls per turn, how many tool turns before answering."""

    tool_eagerness: Probability = DEFAULT_TOOL_EAGERNESS
    max_tool_calls_per_turn: int | None = Field(default=None, ge=1, le=64)
    tool_turns: int | None = Field(default=None, ge=0, le=64)

    def cli_args(self) -> list[str]:
        """`harness serve fake-llm` options for the values set here."""
        argv: list[str] = []
        if self.tool_eagerness != DEFAULT_TOOL_EAGERNESS:
            argv += ["--tool-eagerness", f"{self.tool_eagerness:g}"]
        if self.max_tool_calls_per_turn is not None:
            argv += ["--max-tool-calls-per-turn", str(self.max_tool_calls_per_turn)]
        if self.tool_turns is not None:
            argv += ["--tool-turns", str(self.tool_turns)]
        return argv


class Scenario(StrictModel):
    name: Slug
    title: str = Field(min_length=1)
    chapter: int | None = Field(default=None, ge=0)
    description: str | None = None
    seed: int = 1
    duration: Duration = Field(gt=0)
    agent: AgentSpec = Field(default_factory=AgentSpec)
    load: LoadSpec = Field(default_factory=LoadSpec)
    model: ModelSpec = Field(default_factory=ModelSpec)
    faults: list[AnyFault] = Field(default_factory=list)
    slos: dict[str, str] = Field(default_factory=dict)
    expect: dict[ExpectKey, Verdict] = Field(default_factory=dict)
    gate: GateSpec | None = None

    _source: Path | None = PrivateAttr(default=None)

    @field_validator("gate")
    @classmethod
    def _min_effects_name_slos(cls, gate: GateSpec | None, info: Any) -> GateSpec | None:
        slos = info.data.get("slos")
        if gate is None or slos is None:
            return gate
        unknown = [name for name in gate.min_effect if name not in slos]
        if unknown:
            raise ValueError(f"min_effect names {', '.join(map(repr, unknown))}, not an SLO "
                             f"of this scenario; its SLOs: {', '.join(slos) or '(none)'}")
        return gate

    @property
    def source(self) -> Path | None:
        """The file this scenario was loaded from, if any."""
        return self._source

    def scaled(self, factor: float) -> Scenario:
        """A copy whose timeline is multiplied by `factor` (`--time-scale`).

        Scaled: `duration`, and every fault's `at` and `for`. Not scaled: `think_time` and
        `request_timeout` (they set the request rate and what counts as a failed request, so
        a shorter run keeps the same load and the same verdict rules), fault parameters
        (`latency_ms` is the fault's severity), and `spawn_rate`.
        """
        if not factor > 0:
            raise ValueError(f"time scale must be > 0, got {factor!r}")
        faults = [
            fault.model_copy(update={
                "at": fault.at * factor,
                "for_": None if fault.for_ is None else fault.for_ * factor,
            })
            for fault in self.faults
        ]
        return self.model_copy(update={"duration": self.duration * factor, "faults": faults})

    def to_yaml_dict(self) -> dict:
        """Plain data for `scenario.yaml` (durations as `15s` strings); loads back unchanged."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)
