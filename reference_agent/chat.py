"""Per-chat state shared by the loop, the LLM gateway and its HTTP hooks."""

from __future__ import annotations

import contextvars
import time
from dataclasses import dataclass, field

from reference_agent.patterns.budget import RequestBudget


@dataclass
class Chat:
    request_id: str
    tenant: str
    region: str
    budget: RequestBudget
    deadline: float | None = None  # time.monotonic() value, None = no deadline
    llm_calls: int = 0  # HTTP attempts, SDK-internal retries included
    iterations: int = 0
    cost_usd: float = 0.0
    tokens: int = 0
    model: str | None = None
    degraded_reason: str | None = None
    endpoints_used: list[str] = field(default_factory=list)

    def remaining_s(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.monotonic()


current_chat: contextvars.ContextVar[Chat | None] = contextvars.ContextVar(
    "current_chat", default=None)
