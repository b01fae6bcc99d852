"""A fake Anthropic Messages API (or a passthrough to a real one) with a control API.

Public API: `FakeLLMServer` (in-process, for tests) and `FakeLLMApp` (the ASGI app).
"""

from harness.fake_llm.app import FakeLLMApp
from harness.fake_llm.server import FakeLLMServer

__all__ = ["FakeLLMApp", "FakeLLMServer"]
