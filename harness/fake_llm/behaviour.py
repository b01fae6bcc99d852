"""Run-time behaviour switched through the control API, and the seeded dice that apply it."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError


def _probability() -> Any:
    return Field(default=0.0, ge=0.0, le=1.0)


# One list with the scenario's `stream_error` fault kind.
from harness.scenario.fault_specs import StreamErrorType  # noqa: E402


class Behaviour(BaseModel):
    """Every field optional; the defaults are a healthy, well-aligned model."""

    model_config = ConfigDict(extra="forbid")

    error_status: int | None = Field(default=None, ge=400, le=599)
    error_probability: float = _probability()
    error_first_n: int = Field(default=0, ge=0)
    ttft_ms: float = Field(default=0.0, ge=0.0)
    token_ms: float = Field(default=0.0, ge=0.0)
    stream_cut_probability: float = _probability()
    stream_error_probability: float = _probability()
    truncated_tool_json_probability: float = _probability()
    malformed_tool_probability: float = _probability()
    # How a malformed tool call breaks: `schema` = valid JSON that breaks the tool's
    # input_schema; `invalid_json` = JSON no parser (jiter's partial mode included) can read.
    malformed_tool_mode: Literal["schema", "invalid_json"] = "schema"
    # The `error.type` of the `event: error` a broken stream ends with.
    stream_error_type: StreamErrorType = "overloaded_error"
    # A stop reason forced on replies (with `stop_override_probability`): the reply is cut
    # half-way and ends with it.
    stop_override: Literal["refusal", "pause_turn", "model_context_window_exceeded"] | None = None
    stop_override_probability: float = Field(default=1.0, ge=0.0, le=1.0)
    loop: bool = False
    output_tokens: int | None = Field(default=None, ge=1)
    susceptible: bool = False
    # The tool model (tools_turn.py): how readily tools are called under tool_choice auto
    # (0 never, 1 always the best tool), a cap on calls per turn, and an exact number of
    # tool-calling turns before the final answer.
    tool_eagerness: float = Field(default=0.5, ge=0.0, le=1.0)
    max_tool_calls_per_turn: int | None = Field(default=None, ge=1)
    tool_turns: int | None = Field(default=None, ge=0)
    # Extended thinking (thinking.py): a fixed thinking length, and redacted blocks.
    thinking_tokens: int | None = Field(default=None, ge=0)
    redacted_thinking: bool = False


FIELDS = tuple(Behaviour.model_fields)
DEFAULT_ERROR_STATUS = 529  # what `error_first_n` / `error_probability` send without `error_status`


class BehaviourError(ValueError):
    """A control-API update that names unknown fields or has invalid values."""


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do to one call, drawn once when the call arrives."""

    error_status: int | None = None
    stream_cut: bool = False
    stream_error: bool = False
    truncated_tool: bool = False
    malformed_tool: bool = False
    malformed_json: bool = False  # the malformed call's JSON itself is broken
    stop_override: str | None = None


HEALTHY = Decision()


class BehaviourState:
    """The current behaviour plus a `random.Random(seed)`: the same seed and request order give
    the same sequence of outcomes. Thread safe (the in-process server is read from tests)."""

    def __init__(self, seed: int = 0, defaults: dict[str, Any] | None = None) -> None:
        self._seed = seed
        self._lock = threading.Lock()
        self.rng = random.Random(seed)
        self.defaults = Behaviour.model_validate(defaults or {})  # what `reset` returns to
        self.current = self.defaults
        self._remaining_errors = 0
        self.generation = 0  # bumped on every change: replies memoised earlier are stale
        # True while no fault can be drawn for any call: lets `decide` skip the lock. A single
        # attribute read is atomic; a call racing an update sees the behaviour just before it.
        self._calm = True

    def _recompute_calm(self) -> None:
        b = self.current
        self._calm = self._remaining_errors == 0 and not (
            b.error_probability
            or b.stream_cut_probability
            or b.stream_error_probability
            or b.truncated_tool_json_probability
            or b.malformed_tool_probability
            or b.stop_override
        )

    def update(self, fields: dict[str, Any]) -> Behaviour:
        unknown = sorted(set(fields) - set(FIELDS))
        if unknown:
            raise BehaviourError(
                f"unknown field(s) {', '.join(unknown)}; allowed fields: {', '.join(FIELDS)}"
            )
        with self._lock:
            merged = {**self.current.model_dump(), **fields}
            try:
                self.current = Behaviour.model_validate(merged)
            except ValidationError as exc:
                problems = "; ".join(
                    f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
                )
                raise BehaviourError(problems) from exc
            if "error_first_n" in fields:
                self._remaining_errors = self.current.error_first_n
            self._recompute_calm()
            self.generation += 1
            return self.current

    def reset(self) -> Behaviour:
        with self._lock:
            self.current = self.defaults
            self._remaining_errors = 0
            self._recompute_calm()
            self.generation += 1
            return self.current

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            data = self.current.model_dump()
            data["error_first_n"] = self._remaining_errors
            return data

    def decide(self, *, stream: bool, tools: bool) -> Decision:
        """Roll the dice for one call. Draws happen only for non-zero probabilities, in a fixed
        order, so outcomes are reproducible for a given seed, behaviour and request order."""
        if self._calm:
            return HEALTHY
        with self._lock:
            b = self.current
            if (
                self._remaining_errors == 0
                and not b.error_probability
                and not (stream and (b.stream_cut_probability or b.stream_error_probability))
                and not (
                    tools and (b.truncated_tool_json_probability or b.malformed_tool_probability)
                )
                and not (b.stop_override and b.stop_override_probability)
            ):
                return HEALTHY
            status = b.error_status or DEFAULT_ERROR_STATUS
            if self._remaining_errors > 0:
                self._remaining_errors -= 1
                if self._remaining_errors == 0:
                    self._recompute_calm()
                return Decision(error_status=status)
            if b.error_probability and self.rng.random() < b.error_probability:
                return Decision(error_status=status)
            cut = bool(stream and b.stream_cut_probability) and (
                self.rng.random() < b.stream_cut_probability
            )
            err = bool(stream and b.stream_error_probability) and (
                self.rng.random() < b.stream_error_probability
            )
            trunc = bool(tools and b.truncated_tool_json_probability) and (
                self.rng.random() < b.truncated_tool_json_probability
            )
            bad = bool(tools and b.malformed_tool_probability) and (
                self.rng.random() < b.malformed_tool_probability
            )
            stop = None
            if b.stop_override and b.stop_override_probability:
                p = b.stop_override_probability
                if p >= 1.0 or self.rng.random() < p:
                    stop = b.stop_override
            return Decision(
                None, cut, err, trunc, bad, bad and b.malformed_tool_mode == "invalid_json", stop
            )
