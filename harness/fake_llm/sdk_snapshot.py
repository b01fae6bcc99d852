"""The request vocabulary the fake takes from the anthropic SDK, snapshotted to JSON.

The SDK's request types (`MessageCreateParams`, `AnthropicBetaParam`, ...) say which top-level
fields and beta names the real API knows. Importing them loads the whole SDK (seconds of CPU
per fake LLM start on a busy machine), so the fake reads `sdk_fields.json` instead, and a test
holds that file equal to the installed SDK. After an SDK upgrade:

    python harness/fake_llm/sdk_snapshot.py     # rewrites sdk_fields.json
"""

from __future__ import annotations

import json
import typing
from functools import cache
from pathlib import Path
from typing import Any

SNAPSHOT = Path(__file__).with_name("sdk_fields.json")


def _keys(params: Any) -> list[str]:
    return sorted((params.__required_keys__ | params.__optional_keys__) - {"betas"})


def from_sdk() -> dict[str, Any]:
    """The vocabulary as the installed SDK declares it (imports the SDK)."""
    import anthropic
    from anthropic.types import message_count_tokens_params, message_create_params
    from anthropic.types.anthropic_beta_param import AnthropicBetaParam
    from anthropic.types.beta import message_count_tokens_params as beta_count_params
    from anthropic.types.beta import message_create_params as beta_create_params

    return {
        "sdk_version": anthropic.__version__,
        "create": _keys(message_create_params.MessageCreateParamsStreaming),
        "count_tokens": _keys(message_count_tokens_params.MessageCountTokensParams),
        "beta_create": _keys(beta_create_params.MessageCreateParamsStreaming),
        "beta_count_tokens": _keys(beta_count_params.MessageCountTokensParams),
        "betas": sorted(typing.get_args(typing.get_args(AnthropicBetaParam)[1])),
    }


@cache
def snapshot() -> dict[str, Any]:
    """The vocabulary the fake validates requests against."""
    return json.loads(SNAPSHOT.read_text(encoding="utf-8"))


if __name__ == "__main__":
    SNAPSHOT.write_text(json.dumps(from_sdk(), indent=1) + "\n", encoding="utf-8")
    print(f"wrote {SNAPSHOT}")
