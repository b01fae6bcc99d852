"""Every record a run directory holds, declared once (docs/contracts.md, "Run directory").

Writers build these dataclasses and hand them to `harness.records.files`; readers take their
columns from `columns(...)`. Field order is the contract's order and the order on disk.
Fields declared with `OMIT_NULL` are left out of a line while they are None (rows that only
some writers fill in); every other field is always written.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Final, Literal

import orjson

OMIT_NULL: Final = {"omit_null": True}
"""Field metadata: leave the field out of the line while it is None."""

Stamp = float | orjson.Fragment
"""Epoch seconds. Written with six decimals (whole microseconds); the request writer hands
the already rendered text (`files.stamp`) so the hot path formats each time once."""

# ---- request records (requests.jsonl, requests.w<N>.jsonl: the load generator) -----------

IN_FLIGHT_ERROR: Final = "InFlightAtEnd"
"""The `error` of a request still unanswered when the load stopped (status 0): its outcome is
unknown, so readers keep it apart from the answered requests (`RunData.in_flight`)."""

CLIENT_ERRORS: Final = {
    "Timeout": "no complete answer within the request timeout (connecting or reading)",
    "ConnectionRefused": "the connection was refused: nothing listening on the port",
    "ConnectionReset": "the other side reset the connection (TCP RST)",
    "ConnectionClosed": "the other side closed the connection before a complete answer",
    "BadResponse": "the answer was not valid HTTP (or its body could not be decoded)",
    IN_FLIGHT_ERROR: "still waiting for the answer when the load stopped",
    "NoResponse": "no answer and no client error (should not happen)",
    "ClientError": "any other client-side failure, followed by its exception type and text",
}
"""The `error` of a request with status 0 (no HTTP answer), a person's words for what the
client saw; `ClientError: <type>: <text>` for an exception nobody has classified. With an
answer that is not 2xx, `error` is `HTTP <status>` (`: <error.type>` of a JSON error body).
A 2xx whose streamed body broke off is not `ok`: its `error` is the client's word for why."""


@dataclass
class RequestRecord:
    """One user request (one HTTP exchange with the agent)."""

    ts_start: Stamp
    ts_end: Stamp
    latency_ms: float  # rounded to 0.001 ms
    status: int  # HTTP status; 0 when no response
    ok: bool  # 2xx, its body read whole
    error: str | None  # None when ok; see CLIENT_ERRORS
    tenant: str
    task: str
    request_id: str | None  # the agent's x-request-id, else the one the load sent
    llm_calls: int | None  # x-llm-calls
    cost_usd: float | None  # x-cost-usd
    degraded: bool  # x-degraded == "true"
    model: str | None  # x-model
    attack_id: str | None
    attack_category: str | None
    leaked_canaries: list[str]  # canaries of *other* tenants found in the reply
    user: int  # the run-wide index of the Locust user
    # Streamed replies only: ms from the request's start to the body's first byte, and to
    # its first text (SSE: first event with a text delta; chunked: first non-empty chunk).
    ttfb_ms: float | None = field(default=None, metadata=OMIT_NULL)
    ttft_ms: float | None = field(default=None, metadata=OMIT_NULL)
    session: str | None = field(default=None, metadata=OMIT_NULL)  # the session id sent
    turn: int | None = field(default=None, metadata=OMIT_NULL)  # 0-based turn in the session


# ---- LLM ledger (llm_calls.jsonl: every fake LLM, field `region` tells which) -------------


@dataclass
class LedgerRow:
    """One call to the (fake) Messages API, successful or not."""

    ts: float  # end of the call
    request_id: str
    correlation_id: str | None  # request header x-correlation-id, else trace_id
    trace_id: str | None  # W3C trace id of the request's `traceparent`, if valid
    tenant: str | None  # request header x-tenant-id
    model: str
    region: str
    stream: bool
    status: int
    error_type: str | None
    input_tokens: int
    output_tokens: int
    cache_creation_input_tokens: int
    cache_read_input_tokens: int
    cost_usd: float
    latency_ms: float
    stop_reason: str | None
    tool_calls: int  # tool_use blocks returned
    upstream: bool  # passed through to a real API


# ---- tool calls (tool_calls.jsonl: the agent's tool server writes its own log) ------------


@dataclass
class ToolCall:
    """One call to the tool server (its log; the reference agent's writer is its own)."""

    ts: float
    tool: str
    tenant: str | None  # the effective tenant
    requested_tenant: str | None  # the tool argument
    correlation_id: str | None
    authorized: bool
    status: Literal["ok", "error"]
    latency_ms: float
    error: str | None = None  # "<kind>: <message>"
    scoped: bool | None = None  # the x-tenant-id header was present
    fault: str | None = None  # error | malformed | schema_drift
    result_tenants: list[str] | None = None  # tenants whose rows were returned


# ---- fault events (faults.jsonl: the fault scheduler) -------------------------------------

FaultEventName = Literal[
    "applied", "reverted", "apply_failed", "revert_failed",  # the scheduler's timeline
    "detected", "rolled_back", "rollback_failed",  # the deploy watcher, through the scheduler
]  # fmt: skip


@dataclass
class FaultEvent:
    """Something that happened to one scheduled fault. Readers ignore events they do not know."""

    ts: float
    event: FaultEventName
    index: int  # position in the scenario's `faults`
    kind: str
    target: str
    params: dict[str, Any]
    at_s: float  # scheduled, after time scale
    for_s: float | None
    error: str | None = None
    # revert rows: True when this undoes an apply that failed or never finished
    partial: bool | None = field(default=None, metadata=OMIT_NULL)
    source: str | None = field(default=None, metadata=OMIT_NULL)  # who saw it, if not the timeline
    detail: dict[str, Any] | None = field(default=None, metadata=OMIT_NULL)


# ---- stack events (stack_events.jsonl: the stack supervisor, through StackEventLog) -------

CRASH_EVENTS: Final = frozenset({"exited", "killed", "kill"})
"""Stack events where a process stopped unplanned or was killed (local: exited, killed;
compose: docker's kill)."""
RESTART_EVENTS: Final = frozenset({"restarted", "restart", "recreated"})
"""Stack events where a process came back (or was restarted on purpose)."""


@dataclass
class StackEvent:
    """Something the stack supervisor did or saw to one process."""

    ts: float
    event: str  # exited, restarted, restart_failed, killed, frozen, thawed, kill, pause, ...
    process: str  # agent, llm, tools, toxiproxy, prometheus, compose, ...
    code: int | None = field(default=None, metadata=OMIT_NULL)  # exit code, for `exited`
    error: str | None = field(default=None, metadata=OMIT_NULL)
    detail: dict[str, Any] | None = field(default=None, metadata=OMIT_NULL)  # anything else

    @classmethod
    def from_mapping(cls, event: dict[str, Any]) -> StackEvent:
        """A supervisor's event dict: keys other than the declared ones go to `detail`."""
        known = {k: event[k] for k in ("ts", "event", "process", "code", "error") if k in event}
        missing = {"ts", "event", "process"} - set(known)
        if missing:
            raise ValueError(f"stack event {event!r} lacks {', '.join(sorted(missing))}")
        rest = {k: v for k, v in event.items() if k not in known and k != "detail"}
        detail = {**(event.get("detail") or {}), **rest} or None
        return cls(**known, detail=detail)


# ---- alert episodes (alerts.jsonl: files.write_alerts, for Prometheus and the watcher) ----


@dataclass
class AlertEpisode:
    """One uninterrupted stretch during which one alert (one label set) was firing."""

    alert: str | None  # alertname
    severity: str | None
    labels: dict[str, str]  # without alertname/alertstate; `source` tells who fired it
    ts: float  # first moment seen firing
    ts_end: float  # last moment seen firing
    step_s: float  # resolution: times are exact to one step
    detail: dict[str, Any] | None = field(default=None, metadata=OMIT_NULL)

    @property
    def source(self) -> str:
        """Who fired it: `labels.source`, Prometheus when unset."""
        return self.labels.get("source") or PROMETHEUS


PROMETHEUS: Final = "prometheus"


def columns(record: type) -> list[str]:
    """The record's fields in contract order: the columns of its reader's frame."""
    return [f.name for f in fields(record)]


def omitted_when_null(record: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(record) if f.metadata.get("omit_null"))


REQUEST_COLUMNS: Final = columns(RequestRecord)
LLM_CALL_COLUMNS: Final = columns(LedgerRow)
TOOL_CALL_COLUMNS: Final = columns(ToolCall)
FAULT_COLUMNS: Final = columns(FaultEvent)
STACK_EVENT_COLUMNS: Final = columns(StackEvent)
ALERT_COLUMNS: Final = columns(AlertEpisode)
