"""Agent configuration: two profiles (naive, hardened) over one typed set of flags.

Every production pattern is a bool flag so a scenario can switch exactly one off (`--ablate`);
numeric knobs carry their unit in the name. `flag_table()` and `parse_overrides()` are the
public API the scenario loader uses; `build_config()` is what the agent itself calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from reference_agent import tenants
from reference_agent.tenants import DEFAULT_QUOTA, QUOTA_FORM, Quota

Profile = Literal["naive", "hardened"]
PROFILES: tuple[str, ...] = get_args(Profile)

# Current model ids from the SDK's ModelParam: naive uses the big model for everything.
OPUS = "claude-opus-5-5"
SONNET = "claude-sonnet-5-5"
HAIKU = "claude-haiku-5-5"


class AgentConfig(BaseModel):
    """Resolved flags of one agent process. Defaults are the hardened profile's values;
    `NAIVE` below lists where the naive profile differs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    profile: Profile = "hardened"

    # --- resilience to the LLM API (chapter 2) ---
    retries: bool = Field(True, description=(
        "Own retry loop: exponential backoff with full jitter, honouring retry-after; "
        "off = the SDK's built-in retries (2, fixed schedule)."))
    max_retries: int = Field(5, ge=0, le=20, description=(
        "Retries per LLM call (own loop when `retries`, else passed to the SDK)."))
    backoff_base_ms: int = Field(200, ge=0, le=60_000, description=(
        "First backoff ceiling in ms; doubles per attempt (full jitter draws in [0, ceiling])."))
    backoff_max_ms: int = Field(4_000, ge=0, le=300_000, description="Backoff ceiling cap in ms.")
    circuit_breaker: bool = Field(True, description=(
        "Per-endpoint circuit breaker: after `breaker_threshold` consecutive failures stop "
        "calling the endpoint for `breaker_reset_s`, then let one probe through (half-open)."))
    breaker_threshold: int = Field(8, ge=1, le=1_000, description=(
        "Consecutive failed LLM attempts that open the breaker."))
    breaker_reset_s: float = Field(5.0, gt=0, le=3_600, description="Open time before a probe.")
    timeouts: bool = Field(True, description=(
        "Per-LLM-call, per-tool-call and per-request timeouts; off = SDK default (600 s)."))
    llm_timeout_s: float = Field(20.0, gt=0, le=3_600, description="Timeout of one LLM call.")
    tool_timeout_s: float = Field(5.0, gt=0, le=3_600, description="Timeout of one tool call.")
    request_timeout_s: float = Field(60.0, gt=0, le=3_600, description=(
        "Deadline of a whole chat; when hit, answer degraded (or 504 without `degrade`)."))
    fallback_model: bool = Field(True, description=(
        "When the primary model keeps failing, try `fallback_model_name` once more."))
    fallback_model_name: str = Field(HAIKU, min_length=1, description="Fallback model id.")
    degrade: bool = Field(True, description=(
        "Answer 200 with an honest degraded reply (x-degraded: true) instead of 5xx when the "
        "LLM is unavailable, a budget or deadline is hit, or the region is down."))

    # --- runaway loops and cost (chapters 3, 5) ---
    max_iterations: int = Field(6, ge=1, le=1_000, description=(
        "LLM calls per chat (tool loop rounds). Naive has only a safety cap so tests end."))
    loop_detection: bool = Field(True, description=(
        "Stop when the model repeats an identical tool call (same name and arguments)."))
    request_budget: bool = Field(True, description="Enforce `request_token_budget` per chat.")
    request_token_budget: int = Field(40_000, ge=1, description=(
        "Tokens (input incl. cache, plus output) one chat may spend."))
    tenant_budget: bool = Field(True, description="Enforce `tenant_token_budget` per tenant.")
    tenant_token_budget: int = Field(5_000_000, ge=1, description=(
        "Tokens per tenant per rolling minute."))
    prompt_caching: bool = Field(True, description=(
        "cache_control markers on the system prompt and the tool definitions."))
    model_routing: bool = Field(True, description=(
        "Route simple turns (short, no tool intent) to `simple_model_name`."))
    model: str = Field(SONNET, min_length=1, description="Primary model id.")
    simple_model_name: str = Field(HAIKU, min_length=1, description="Model for simple turns.")
    stream: bool = Field(True, description=(
        "Read LLM replies as SSE streams (as chat UIs do), so stream faults reach the agent."))
    max_output_tokens: int = Field(1_024, ge=1, le=64_000, description="max_tokens per call.")
    system_prompt_tokens: int = Field(3_000, ge=0, le=100_000, description=(
        "Approximate size of the company-policy system prompt (tokens)."))

    # --- security and tenancy (chapters 1, 4) ---
    tenant_scoping: bool = Field(True, description=(
        "No `tenant` tool argument; the authenticated tenant goes to the tool server out of "
        "band (x-tenant-id), which scopes rows. Off = the model fills `tenant` (chapter 1 bug)."))
    injection_screening: bool = Field(True, description=(
        "Neutralise known injection patterns in user input and quarantine instructions in "
        "tool output."))
    canary_filter: bool = Field(True, description=(
        "Redact other tenants' canary strings from the final reply."))
    region_pinning: bool = Field(True, description=(
        "EU tenants use only the EU endpoint; when it is down, degrade instead of US fallback."))
    rate_limit: bool = Field(True, description=(
        "Enforce each tenant's quota (a token bucket per tenant; over it -> 429 with "
        "retry-after)."))
    tenant_quotas: str = Field("", description=(
        "Quotas that replace the tenant registry's for the tenants named. Every tenant's "
        f"default is {DEFAULT_QUOTA.rate_per_s:g} chats/s sustained with a burst of "
        f"{DEFAULT_QUOTA.burst}: ordinary load (about 35 chats/s a tenant) is not refused."),
        json_schema_extra={"allowed": QUOTA_FORM})
    tool_error_handling: bool = Field(True, description=(
        "Tool errors and timeouts go back to the model as is_error tool results; off = the "
        "chat fails with 502."))
    max_concurrent_chats: int = Field(0, ge=0, le=100_000, description=(
        "Chats served at once by this deployment (its worker slots), shared by every tenant; "
        "more wait in line. 0 = unlimited."))
    max_message_chars: int = Field(16_000, ge=1, le=1_000_000, description=(
        "Longest user message accepted; longer -> 413."))

    # --- operations ---
    fail_rate: float = Field(0.0, ge=0, le=1, description=(
        "Share of chats that fail with HTTP 500 (the 'bad deploy' a deploy fault switches to)."))
    auto_rollback: bool = Field(True, description=(
        "Honoured by the harness's deploy controller, not by the agent: while a `deploy` "
        "fault is live, roll it back when the error-budget burn rate crosses the page "
        "threshold (harness/faults/rollback.py)."))
    otel_export: bool = Field(False, description=(
        "Export spans over OTLP/HTTP (also on when OTEL_EXPORTER_OTLP_ENDPOINT is set)."))

    @field_validator("tenant_quotas")
    @classmethod
    def _canonical_quotas(cls, text: str) -> str:
        return ",".join(f"{name}={quota}" for name, quota in tenants.parse_quotas(text).items())

    def quotas(self) -> dict[str, Quota]:
        """Every tenant's quota with `tenant_quotas` applied."""
        return tenants.quotas(self.tenant_quotas)


# The naive profile: the chapter 1 laptop demo. SDK defaults, one big model, trust the model.
NAIVE: dict[str, Any] = {
    "profile": "naive",
    "retries": False,
    "max_retries": 2,
    "backoff_base_ms": 500,
    "backoff_max_ms": 8_000,
    "circuit_breaker": False,
    "timeouts": False,
    "llm_timeout_s": 600.0,
    "tool_timeout_s": 600.0,
    "request_timeout_s": 600.0,
    "fallback_model": False,
    "degrade": False,
    "max_iterations": 40,
    "loop_detection": False,
    "request_budget": False,
    "tenant_budget": False,
    "prompt_caching": False,
    "model_routing": False,
    "model": OPUS,
    "tenant_scoping": False,
    "injection_screening": False,
    "canary_filter": False,
    "region_pinning": False,
    "rate_limit": False,
    "tool_error_handling": False,
    "auto_rollback": False,
}

_NOT_FLAGS = {"profile"}


@dataclass(frozen=True)
class FlagInfo:
    """One row of the flag table: `type` is a type name, `allowed` says what values pass."""

    type: str
    naive: Any
    hardened: Any
    help: str
    allowed: str


def _describe(name: str) -> tuple[str, str]:
    field = AgentConfig.model_fields[name]
    ann = field.annotation
    type_name = getattr(ann, "__name__", str(ann))
    bounds: dict[str, Any] = {}
    for meta in field.metadata:
        for key in ("ge", "gt", "le", "lt", "min_length"):
            if getattr(meta, key, None) is not None:
                bounds[key] = getattr(meta, key)
    if ann is bool:
        return "bool", "true or false"
    if get_origin(ann) is Literal:
        return "str", " | ".join(map(str, get_args(ann)))
    lo = f">= {bounds['ge']}" if "ge" in bounds else f"> {bounds['gt']}" if "gt" in bounds else ""
    hi = f"<= {bounds['le']}" if "le" in bounds else f"< {bounds['lt']}" if "lt" in bounds else ""
    extra = field.json_schema_extra
    if isinstance(extra, dict) and isinstance(extra.get("allowed"), str):
        return type_name, extra["allowed"]
    if ann is str:
        return "str", "a non-empty string"
    return type_name, f"{type_name} " + " and ".join(x for x in (lo, hi) if x)


def flag_table() -> dict[str, FlagInfo]:
    """Every flag with its type, naive and hardened defaults, help and allowed values."""
    table: dict[str, FlagInfo] = {}
    for name, field in AgentConfig.model_fields.items():
        if name in _NOT_FLAGS:
            continue
        type_name, allowed = _describe(name)
        table[name] = FlagInfo(
            type=type_name,
            naive=NAIVE.get(name, field.default),
            hardened=field.default,
            help=field.description or "",
            allowed=allowed,
        )
    return table


def parse_overrides(mapping: dict[str, Any]) -> dict[str, Any]:
    """Validate flag overrides (values may be strings from `--set name=value`).

    Returns the typed values; raises ValueError naming the flag and its allowed values.
    """
    out: dict[str, Any] = {}
    known = [n for n in AgentConfig.model_fields if n not in _NOT_FLAGS]
    for name, raw in mapping.items():
        if name not in known:
            raise ValueError(f"unknown agent flag {name!r}; known flags: {', '.join(known)}")
        field = AgentConfig.model_fields[name]
        value = raw
        if field.annotation is bool and isinstance(raw, str):
            lowered = raw.strip().lower()
            if lowered not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
                raise ValueError(f"agent flag {name}: got {raw!r}, allowed: true or false")
            value = lowered in ("true", "1", "yes", "on")
        try:
            typed = TypeAdapter(field.annotation).validate_python(value)
            out[name] = getattr(AgentConfig.model_validate({name: typed}), name)
        except ValidationError as exc:
            _, allowed = _describe(name)
            raise ValueError(f"agent flag {name}: got {raw!r}{_problem(exc)}, "
                             f"allowed: {allowed}") from exc
    return out


def _problem(exc: ValidationError) -> str:
    """A field validator's own words (e.g. which quota item is wrong), else nothing."""
    error = exc.errors()[0]
    if error["type"] == "value_error" and "error" in error.get("ctx", {}):
        return f" ({error['ctx']['error']})"
    return ""


def parse_set_args(items: list[str]) -> dict[str, Any]:
    """`["a=1", "b=true"]` -> validated overrides; ValueError on a malformed item."""
    mapping: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"--set expects name=value, got {item!r}")
        mapping[name.strip()] = value.strip()
    return parse_overrides(mapping)


def build_config(profile: str, overrides: dict[str, Any] | None = None) -> AgentConfig:
    """The profile's defaults with validated overrides applied."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; allowed: {' | '.join(PROFILES)}")
    values = dict(NAIVE) if profile == "naive" else {"profile": "hardened"}
    values.update(parse_overrides(overrides or {}))
    return AgentConfig.model_validate(values)


def format_flag_table() -> str:
    """Plain-text table for `--list-flags`."""
    rows = [("flag", "type", "naive", "hardened", "allowed / help")]
    for name, info in flag_table().items():
        rows.append((name, info.type, str(info.naive), str(info.hardened),
                     f"{info.allowed}. {info.help}"))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    return "\n".join(
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(r[:4])) + "  " + r[4]
        for r in rows
    )
