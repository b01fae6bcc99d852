"""LLM faults: behaviours of a fake LLM switched through its control API (docs/contracts.md)."""

from __future__ import annotations

from typing import Any

from harness.faults.base import Fault, FaultContext, register
from harness.faults.control import BehaviourLayers
from harness.scenario.fault_specs import (
    FaultSpec,
    HttpErrorFault,
    MalformedToolCallFault,
    SlowTokensFault,
    SlowTtftFault,
    StreamCutFault,
    StreamErrorFault,
    TokenFloodFault,
    TruncatedToolJsonFault,
)


def behaviour_fields(spec: FaultSpec) -> dict[str, Any]:
    """The `/_control/behaviour` fields a kind sets, and nothing else."""
    match spec:
        case HttpErrorFault():
            fields: dict[str, Any] = {"error_status": spec.status}
            if spec.first_n is not None:
                fields["error_first_n"] = spec.first_n
            else:
                fields["error_probability"] = spec.probability
            return fields
        case SlowTtftFault():
            return {"ttft_ms": spec.ttft_ms}
        case SlowTokensFault():
            return {"token_ms": spec.token_ms}
        case StreamCutFault():
            return {"stream_cut_probability": spec.probability}
        case StreamErrorFault():
            return {"stream_error_probability": spec.probability}
        case TruncatedToolJsonFault():
            return {"truncated_tool_json_probability": spec.probability}
        case MalformedToolCallFault():
            return {"malformed_tool_probability": spec.probability}
        case TokenFloodFault():
            return {"output_tokens": spec.output_tokens}
    return {spec.kind: True}  # loop, susceptible


@register("http_error", "slow_ttft", "slow_tokens", "stream_cut", "stream_error",
          "truncated_tool_json", "malformed_tool_call", "loop", "token_flood", "susceptible")
class LLMBehaviourFault(Fault):
    def _layers(self, ctx: FaultContext) -> BehaviourLayers:
        url = ctx.llm_url(self.spec.target)
        return ctx.shared(f"behaviour:{url}", lambda: BehaviourLayers(url, ctx.http_timeout_s))

    def apply(self, ctx: FaultContext) -> None:
        self._layers(ctx).push(self.id, behaviour_fields(self.spec))

    def revert(self, ctx: FaultContext) -> None:
        self._layers(ctx).pop(self.id)
