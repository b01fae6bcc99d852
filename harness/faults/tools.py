"""Tool faults: the tool server's control API (behaviour fields and planted KB documents)."""

from __future__ import annotations

import threading

from harness.faults.base import Fault, FaultContext, register
from harness.faults.control import BehaviourLayers, request
from harness.scenario.fault_specs import PoisonDocumentFault, ToolFault


@register(ToolFault)
class ToolBehaviourFault(Fault):
    """Behaviour fields of the tool server, named by the spec (`control_fields()`)."""

    spec: ToolFault

    def _layers(self, ctx: FaultContext) -> BehaviourLayers:
        url = ctx.require_tools()
        return ctx.shared(f"behaviour:{url}", lambda: BehaviourLayers(url, ctx.http_timeout_s))

    def apply(self, ctx: FaultContext) -> None:
        self._layers(ctx).push(self.id, self.spec.control_fields())

    def revert(self, ctx: FaultContext) -> None:
        self._layers(ctx).pop(self.id)


class _PlantedDocuments:
    """The API can only remove all planted documents at once: after a revert, plant again the
    ones whose faults are still active."""

    def __init__(self, url: str, timeout_s: float) -> None:
        self.url = f"{url}/_control/documents"
        self.timeout_s = timeout_s
        self.active: dict[str, dict[str, str]] = {}
        self.lock = threading.Lock()

    def plant(self, fault_id: str, document: dict[str, str]) -> None:
        with self.lock:
            self.active[fault_id] = document  # before the POST: a failed one is still removed
            request("POST", self.url, self.timeout_s, document)

    def remove(self, fault_id: str) -> None:
        with self.lock:
            if self.active.pop(fault_id, None) is None:
                return
            request("DELETE", self.url, self.timeout_s)
            for document in self.active.values():
                request("POST", self.url, self.timeout_s, document)


@register(PoisonDocumentFault)
class PoisonDocument(Fault):
    """An injected KB article planted for one tenant (an indirect prompt injection)."""

    spec: PoisonDocumentFault

    def _documents(self, ctx: FaultContext) -> _PlantedDocuments:
        url = ctx.require_tools()
        return ctx.shared(f"documents:{url}", lambda: _PlantedDocuments(url, ctx.http_timeout_s))

    def apply(self, ctx: FaultContext) -> None:
        self._documents(ctx).plant(self.id, self.spec.document())

    def revert(self, ctx: FaultContext) -> None:
        self._documents(ctx).remove(self.id)
