"""Fixtures: a fake LLM on loopback (in a background thread) and real anthropic SDK clients."""

from __future__ import annotations

from collections.abc import Iterator

import anthropic
import pytest

from harness.fake_llm import FakeLLMServer


@pytest.fixture
def llm() -> Iterator[FakeLLMServer]:
    with FakeLLMServer(region="us", seed=1) as server:
        yield server


@pytest.fixture
def client(llm: FakeLLMServer) -> Iterator[anthropic.Anthropic]:
    with anthropic.Anthropic(base_url=llm.url, api_key="test-key", max_retries=0) as c:
        yield c
