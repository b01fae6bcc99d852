"""Real servers on loopback for fault tests; each fixture stops what it starts."""

from collections.abc import Iterator

import httpx
import pytest


@pytest.fixture
def fake_llm() -> Iterator:
    from harness.fake_llm import FakeLLMServer

    with FakeLLMServer(region="us", seed=1) as server:
        yield server


@pytest.fixture
def fake_llm_eu() -> Iterator:
    from harness.fake_llm import FakeLLMServer

    with FakeLLMServer(region="eu", seed=2) as server:
        yield server


@pytest.fixture
def tool_server() -> Iterator:
    from reference_agent.tools import ToolServer

    with ToolServer() as server:
        yield server


@pytest.fixture
def toxiproxy(fake_llm) -> Iterator:
    """Embedded Toxiproxy with proxies `llm` (to the fake LLM) and `tools` (to nowhere)."""
    from harness.toxiproxy import ToxiproxyServer

    with ToxiproxyServer() as server:
        for name, upstream in (("llm", fake_llm.url.removeprefix("http://")),
                               ("tools", "127.0.0.1:9")):
            response = httpx.post(f"{server.url}/proxies", json={
                "name": name, "listen": "127.0.0.1:0", "upstream": upstream, "enabled": True})
            assert response.status_code in (200, 201), response.text
        yield server
