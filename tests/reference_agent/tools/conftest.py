"""A real tool server on loopback (one per module) and a real MCP client to talk to it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import httpx2
import pytest
from mcp.client.client import Client
from mcp.client.streamable_http import streamable_http_client
from mcp_types import CallToolResult

from reference_agent.tools import ToolServer

SEED = 7


@pytest.fixture(scope="module")
def tool_server() -> Iterator[ToolServer]:
    with ToolServer(seed=SEED) as server:
        yield server


@pytest.fixture
def tools(tool_server: ToolServer) -> Iterator[ToolServer]:
    """The module's server, reset before each test: behaviour, planted documents, call log."""
    with httpx.Client(base_url=tool_server.url) as control:
        for path in ("/_control/behaviour", "/_control/documents", "/_control/calls"):
            control.delete(path).raise_for_status()
    yield tool_server


class Mcp:
    """A real MCP client (mcp.client.client.Client over streamable HTTP) for one server."""

    def __init__(self, server: ToolServer) -> None:
        self.server = server

    def call_many(
        self, calls: list[tuple[str, dict[str, Any]]], headers: dict[str, str] | None = None
    ) -> list[CallToolResult]:
        """Make `calls` in order over one MCP session, with `headers` on every HTTP request."""

        async def run() -> list[CallToolResult]:
            async with (
                httpx2.AsyncClient(headers=headers or {}, timeout=30) as http,
                Client(streamable_http_client(self.server.mcp_url, http_client=http)) as client,
            ):
                return [await client.call_tool(name, args) for name, args in calls]

        return asyncio.run(run())

    def call(
        self, name: str, args: dict[str, Any], headers: dict[str, str] | None = None
    ) -> CallToolResult:
        return self.call_many([(name, args)], headers)[0]

    def data(self, name: str, args: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
        """The JSON a successful call answers (fails the test on a tool error)."""
        result = self.call(name, args, headers)
        assert not result.is_error, text(result)
        return json.loads(text(result))

    def calls(self) -> list[dict[str, Any]]:
        return httpx.get(f"{self.server.url}/_control/calls").json()["calls"]

    def control(self, method: str, path: str, body: Any = None) -> httpx.Response:
        return httpx.request(method, f"{self.server.url}/_control/{path}", json=body)


@pytest.fixture
def mcp(tools: ToolServer) -> Mcp:
    return Mcp(tools)


@pytest.fixture
def mcp_for() -> type[Mcp]:
    """`mcp_for(server)`: a client for a server the test starts itself."""
    return Mcp


def text(result: CallToolResult) -> str:
    (block,) = result.content
    return block.text
