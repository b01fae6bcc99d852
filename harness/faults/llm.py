"""LLM faults: behaviours of a fake LLM switched through its control API (docs/contracts.md).

Every `LLMFault` spec names its own `/_control/behaviour` fields (`control_fields()`), so one
class serves every LLM kind.
"""

from __future__ import annotations

from harness.faults.base import Fault, FaultContext, register
from harness.faults.control import BehaviourLayers
from harness.scenario.fault_specs import LLMFault


@register(LLMFault)
class LLMBehaviourFault(Fault):
    spec: LLMFault

    def _layers(self, ctx: FaultContext) -> BehaviourLayers:
        url = ctx.llm_url(self.spec.target)
        return ctx.shared(f"behaviour:{url}", lambda: BehaviourLayers(url, ctx.http_timeout_s))

    def apply(self, ctx: FaultContext) -> None:
        self._layers(ctx).push(self.id, self.spec.control_fields())

    def revert(self, ctx: FaultContext) -> None:
        self._layers(ctx).pop(self.id)
