"""The tool loop of one chat: model turn, tool calls, repeat, under the profile's patterns."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from reference_agent.chat import Chat
from reference_agent.config import AgentConfig
from reference_agent.llm import LLMGateway
from reference_agent.metrics import AgentMetrics
from reference_agent.patterns.budget import TenantBudget
from reference_agent.patterns.caching import mark_tools, system_blocks
from reference_agent.patterns.degrade import degraded_reply
from reference_agent.patterns.loopguard import LoopGuard
from reference_agent.patterns.routing import choose_model
from reference_agent.patterns.screening import (
    redact_foreign_canaries,
    screen_tool_output,
    screen_user_input,
)
from reference_agent.prompt import system_prompt, tool_definitions
from reference_agent.tools_client import ToolCallFailed, ToolsClient

log = logging.getLogger("reference_agent.loop")
_MIN_OUTPUT_TOKENS = 64  # less room than this cannot hold a useful answer


@dataclass
class ChatResult:
    reply: str
    degraded: bool


class ChatStopped(Exception):
    """The loop stopped early for `reason` (a budget, the iteration cap, a repeated call)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _block_dict(block: Any) -> dict[str, Any]:
    if block.type == "tool_use":
        return {"type": "tool_use", "id": block.id, "name": block.name, "input": block.input}
    if block.type == "text":
        return {"type": "text", "text": block.text}
    return block.model_dump(mode="json", exclude_none=True)


class ChatLoop:
    def __init__(
        self, cfg: AgentConfig, metrics: AgentMetrics, gateway: LLMGateway,
        tools: ToolsClient | None, tenant_budget: TenantBudget,
    ) -> None:
        self.cfg = cfg
        self.metrics = metrics
        self.gateway = gateway
        self.tools = tools
        self.tenant_budget = tenant_budget
        self._prompt_shared = system_prompt(cfg.system_prompt_tokens, None)

    def _system(self, tenant: str) -> list[dict[str, Any]]:
        text = (self._prompt_shared if self.cfg.tenant_scoping
                else system_prompt(self.cfg.system_prompt_tokens, tenant))
        return system_blocks(text, self.cfg.prompt_caching)

    async def _tool_defs(self) -> list[dict[str, Any]]:
        if self.tools is None:
            return []
        listed = await self.tools.list_tools()
        defs = tool_definitions(listed, tenant_in_schema=not self.cfg.tenant_scoping)
        return mark_tools(defs, self.cfg.prompt_caching)

    async def run(self, chat: Chat, message: str) -> ChatResult:
        cfg = self.cfg
        if cfg.injection_screening:
            message, hits = screen_user_input(message)
            if hits:
                self.metrics.injection_blocks.labels("user_input").inc(hits)
        model = choose_model(message, cfg.model, cfg.simple_model_name, cfg.model_routing)
        try:
            tools = await self._tool_defs()
        except (ToolCallFailed, OSError) as exc:
            if not cfg.tool_error_handling:
                raise ToolCallFailed(f"tool server unavailable: {exc}") from exc
            log.warning("tool list unavailable; answering without tools", extra={"error": str(exc)})
            tools = []
        params: dict[str, Any] = {
            "system": self._system(chat.tenant), "max_tokens": cfg.max_output_tokens,
        }
        if tools:
            params["tools"] = tools
        messages: list[dict[str, Any]] = [{"role": "user", "content": message}]
        guard = LoopGuard(cfg.max_iterations, cfg.loop_detection)
        partial = ""
        try:
            reply = await self._loop(chat, model, params, messages, guard)
        except ChatStopped as stop:
            return self._stopped(chat, stop.reason, partial)
        finally:
            self.metrics.iterations.observe(chat.iterations)
        return ChatResult(self._filter(chat, reply), degraded=False)

    async def _loop(self, chat: Chat, model: str, params: dict[str, Any],
                    messages: list[dict[str, Any]], guard: LoopGuard) -> str:
        cfg = self.cfg
        while True:
            if not guard.may_iterate(chat.iterations):
                raise ChatStopped("max_iterations")
            if cfg.request_budget and chat.budget.exhausted:
                raise ChatStopped("request_budget")
            if cfg.tenant_budget and self.tenant_budget.exhausted(chat.tenant):
                raise ChatStopped("tenant_budget")
            call_params = params
            if cfg.request_budget:
                call_params = self._within_budget(chat, params, messages)
            before = chat.tokens
            msg = await self.gateway.create(chat, model, messages=messages, **call_params)
            chat.iterations += 1
            if cfg.tenant_budget:
                self.tenant_budget.spend(chat.tenant, chat.tokens - before)
            text = "".join(b.text for b in msg.content if b.type == "text")
            tool_uses = [b for b in msg.content if b.type == "tool_use"]
            if msg.stop_reason != "tool_use" or not tool_uses:
                return text
            messages.append({"role": "assistant", "content": [_block_dict(b) for b in msg.content]})
            results = []
            repeated = False
            for use in tool_uses:
                args = dict(use.input) if isinstance(use.input, dict) else {}
                repeated |= guard.is_repeat(use.name, args)
                results.append(await self._tool(chat, use.id, use.name, args))
            messages.append({"role": "user", "content": results})
            if repeated:
                raise ChatStopped("loop_detected")

    def _within_budget(self, chat: Chat, params: dict[str, Any],
                       messages: list[dict[str, Any]]) -> dict[str, Any]:
        """Cap this call's `max_tokens` by what is left of the chat's token budget after its
        (estimated) input, so one verbose reply cannot overrun the budget."""
        remaining = chat.budget.remaining
        if remaining is None:
            return params
        # ~4 characters per token: the same rule of thumb count_tokens would confirm.
        estimated_input = len(json.dumps([params.get("system"), params.get("tools"), messages],
                                         default=str)) // 4
        room = remaining - estimated_input
        if room < _MIN_OUTPUT_TOKENS:
            raise ChatStopped("request_budget")
        return {**params, "max_tokens": min(params["max_tokens"], room)}

    async def _tool(self, chat: Chat, use_id: str, name: str, args: dict[str, Any]) -> dict:
        cfg = self.cfg
        tenant_header: str | None = None
        if cfg.tenant_scoping:
            # The model has no say in whose rows it reads: drop any tenant it invents.
            if "tenant" in args:
                args.pop("tenant")
                self.metrics.injection_blocks.labels("tool_argument").inc()
            tenant_header = chat.tenant
        if self.tools is None:
            return {"type": "tool_result", "tool_use_id": use_id, "is_error": True,
                    "content": "no tool server configured"}
        try:
            outcome = await self.tools.call(
                name, args, chat.request_id, tenant_header,
                timeout_s=cfg.tool_timeout_s if cfg.timeouts else None)
        except ToolCallFailed as exc:
            if not cfg.tool_error_handling:
                raise
            return {"type": "tool_result", "tool_use_id": use_id, "is_error": True,
                    "content": f"The {name} tool is unavailable right now ({exc}). "
                               "Tell the user you could not look this up."}
        text = outcome.text
        if cfg.injection_screening:
            text, hits = screen_tool_output(text)
            if hits:
                self.metrics.injection_blocks.labels("tool_output").inc(hits)
        return {"type": "tool_result", "tool_use_id": use_id, "content": text or "(empty)",
                "is_error": outcome.is_error}

    def _filter(self, chat: Chat, reply: str) -> str:
        if not self.cfg.canary_filter:
            return reply
        reply, n = redact_foreign_canaries(reply, chat.tenant)
        if n:
            self.metrics.injection_blocks.labels("canary").inc(n)
        return reply

    def _stopped(self, chat: Chat, reason: str, partial: str) -> ChatResult:
        if reason in ("request_budget", "tenant_budget"):
            kind = "request" if reason == "request_budget" else "tenant"
            self.metrics.budget_blocks.labels(chat.tenant, kind).inc()
        self.metrics.degraded.labels(reason).inc()
        log.info("chat stopped", extra={"reason": reason, "iterations": chat.iterations})
        chat.degraded_reason = reason
        return ChatResult(self._filter(chat, degraded_reply(reason, partial)), degraded=True)
