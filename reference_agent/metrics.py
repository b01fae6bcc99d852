"""Prometheus metrics of the agent, on a registry of its own (one per app instance).

Names are a contract: deploy/ alert rules and the harness's /metrics reader use them.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
_ITERATION_BUCKETS = (1, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 40, 60, 100)


class AgentMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "agent_requests", "Chat requests by tenant and HTTP status.", ["tenant", "status"],
            registry=r)
        self.request_duration = Histogram(
            "agent_request_duration_seconds", "Chat request latency.", buckets=_LATENCY_BUCKETS,
            registry=r)
        self.llm_calls = Counter(
            "agent_llm_calls", "LLM HTTP attempts by model and status (0 = no response).",
            ["model", "status"], registry=r)
        self.llm_tokens = Counter(
            "agent_llm_tokens", "LLM tokens by model and kind "
            "(input, output, cache_creation, cache_read).", ["model", "kind"], registry=r)
        self.cost = Counter(
            "agent_cost_usd", "LLM spend in USD by tenant (list prices).", ["tenant"], registry=r)
        self.circuit_state = Gauge(
            "agent_circuit_state", "Circuit breaker state: 0 closed, 1 half-open, 2 open.",
            ["endpoint"], registry=r)
        self.iterations = Histogram(
            "agent_iterations", "LLM rounds (tool-loop iterations) per chat.",
            buckets=_ITERATION_BUCKETS, registry=r)
        self.budget_blocks = Counter(
            "agent_budget_blocks", "Chats stopped by a budget, by tenant and kind "
            "(request, tenant, rate_limit).", ["tenant", "kind"], registry=r)
        self.injection_blocks = Counter(
            "agent_injection_blocks", "Injection attempts neutralised, by where "
            "(user_input, tool_output, tool_argument, canary).", ["where"], registry=r)
        self.degraded = Counter(
            "agent_degraded", "Degraded answers by reason.", ["reason"], registry=r)
