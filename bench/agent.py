"""Overhead the reference agent adds, measured side by side in one run.

1. Per chat without tools: agent round trip ("hi", one LLM call) minus a direct call to the same
   fake LLM with the same SDK request. Goal: p50 <= 5 ms.
2. Per tool call: the agent's ToolsClient.call vs a bare MCP SDK Client.call_tool on the same
   tool server. Goal: ratio of p50s <= 1.5.
Interleaved rounds so that machine noise hits both sides alike.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import anthropic
import httpx
from mcp.client.client import Client

from reference_agent.config import build_config
from reference_agent.prompt import system_prompt
from reference_agent.tools_client import ToolsClient

ROUNDS = 200


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@contextmanager
def process(args: list[str], env: dict[str, str] | None = None) -> Iterator[str]:
    """A server as a real process (as deployed: no GIL shared with the client); yields its URL."""
    proc = subprocess.Popen([sys.executable, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env={**os.environ, **(env or {})})
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        if not line.startswith("listening on "):
            raise RuntimeError(f"{args} did not start: {line!r}")
        yield line.removeprefix("listening on ")
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


AGENT_FLAGS = ["--set", "rate_limit=false", "--set", "tenant_budget=false"]


def bench_chat(llm_url: str, agent_url: str) -> tuple[list[float], list[float]]:
    cfg = build_config("hardened", {"rate_limit": False, "tenant_budget": False})
    sdk = anthropic.Anthropic(base_url=llm_url, api_key="k", max_retries=0)
    kw = {"model": cfg.simple_model_name, "max_tokens": cfg.max_output_tokens,
          "messages": [{"role": "user", "content": "hi"}],
          "system": [{"type": "text", "text": system_prompt(cfg.system_prompt_tokens, None),
                      "cache_control": {"type": "ephemeral"}}]}
    agent_ms, direct_ms = [], []
    with httpx.Client() as http:
        for i in range(ROUNDS + 10):
            t0 = time.perf_counter()
            with sdk.messages.stream(**kw) as stream:
                stream.get_final_message()
            t1 = time.perf_counter()
            r = http.post(f"{agent_url}/v1/chat", json={"message": "hi"},
                          headers={"x-api-key": "key-acme"})
            t2 = time.perf_counter()
            assert r.status_code == 200 and r.headers["x-llm-calls"] == "1", r.text
            if i >= 10:  # warm-up
                direct_ms.append((t1 - t0) * 1000)
                agent_ms.append((t2 - t1) * 1000)
    return agent_ms, direct_ms


async def bench_tools(mcp_url: str) -> tuple[list[float], list[float]]:
    ours, bare = [], []
    client = ToolsClient(mcp_url)
    async with Client(mcp_url) as sdk:
        for i in range(ROUNDS + 10):
            t0 = time.perf_counter()
            await sdk.call_tool("order_lookup", {"order_id": "ORD-1001", "tenant": "acme"})
            t1 = time.perf_counter()
            out = await client.call("order_lookup", {"order_id": "ORD-1001"}, f"r{i}", "acme")
            t2 = time.perf_counter()
            assert not out.is_error, out.text
            if i >= 10:
                bare.append((t1 - t0) * 1000)
                ours.append((t2 - t1) * 1000)
    await client.aclose()
    return ours, bare


def main() -> int:
    with process(["-m", "harness", "serve", "fake-llm", "--port", "0", "--seed", "1"]) as llm, \
            process(["-m", "reference_agent.tools", "--port", "0"]) as tools, \
            process(["-m", "reference_agent", "--profile", "hardened", "--port", "0",
                     "--tools-url", tools, *AGENT_FLAGS],
                    env={"ANTHROPIC_BASE_URL": llm, "ANTHROPIC_API_KEY": "k"}) as agent:
        agent_ms, direct_ms = bench_chat(llm, agent)
        ours, bare = asyncio.run(bench_tools(tools + "/mcp"))
    added = [a - d for a, d in zip(agent_ms, direct_ms, strict=True)]
    p50_added = statistics.median(agent_ms) - statistics.median(direct_ms)
    print(f"chat without tools ({ROUNDS} rounds): agent p50 {statistics.median(agent_ms):.2f} ms,"
          f" p99 {pct(agent_ms, 0.99):.2f} ms; fake LLM direct p50 "
          f"{statistics.median(direct_ms):.2f} ms, p99 {pct(direct_ms, 0.99):.2f} ms")
    print(f"  added by the agent: p50 {p50_added:.2f} ms (goal <= 5 ms), "
          f"p99 {pct(agent_ms, 0.99) - pct(direct_ms, 0.99):.2f} ms; "
          f"paired per-round p50 {statistics.median(added):.2f} ms")
    ratio = statistics.median(ours) / statistics.median(bare)
    print(f"tool call ({ROUNDS} rounds): agent client p50 {statistics.median(ours):.2f} ms, "
          f"p99 {pct(ours, 0.99):.2f} ms; bare MCP SDK p50 {statistics.median(bare):.2f} ms, "
          f"p99 {pct(bare, 0.99):.2f} ms; ratio p50 {ratio:.2f} (goal <= 1.5)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
