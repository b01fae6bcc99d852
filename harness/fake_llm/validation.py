"""Request checks the real Messages API makes beyond the basic shape (messages.validate):
the `anthropic-version` and `anthropic-beta` headers, unknown top-level fields, sampling
parameters, `max_tokens` per model, tool_use/tool_result pairing, cache_control breakpoints
and the context window. Each failure is the API's 400 `invalid_request_error` message.

This runs on every unmemoised call, so every check is a set operation or a single walk over
the messages, and the costlier ones are skipped by a substring test on the raw body first.
"""

from __future__ import annotations

from typing import Any

from harness.fake_llm.errors import invalid
from harness.fake_llm.pricing import ModelInfo
from harness.fake_llm.sdk_snapshot import snapshot

V2023 = "2023-06-01"
V2026 = "2026-10-21"
# Versions the API accepts; from 2026-10-21 on the sampling parameters are gone.
VERSIONS = frozenset({"2023-01-01", V2023, V2026})
SAMPLING = ("temperature", "top_p", "top_k")
MAX_BREAKPOINTS = 4


# The top-level fields of a request, from the SDK's own request types (so they follow it;
# snapshotted, see sdk_snapshot).
_SDK = snapshot()
_CREATE = frozenset(_SDK["create"])
_COUNT = frozenset(_SDK["count_tokens"])
_BETA_CREATE = frozenset(_SDK["beta_create"])
_BETA_COUNT = frozenset(_SDK["beta_count_tokens"])
ALLOWED: dict[tuple[bool, bool, bool], frozenset[str]] = {
    # (count_tokens, beta endpoint, 2023-06-01 sampling fields allowed)
    (count, beta, old): base | (frozenset(SAMPLING) if old else frozenset())
    for count in (False, True)
    for beta in (False, True)
    for old in (False, True)
    for base in [
        (_BETA_COUNT if beta else _COUNT) if count else (_BETA_CREATE if beta else _CREATE)
    ]
}
# Beta names the API knows: the SDK's AnthropicBetaParam literal.
BETAS = frozenset(_SDK["betas"])


def check_headers(version: str | None, beta: str | None) -> str:
    """The request's API version (400 when missing or unknown); unknown beta names are 400."""
    if version is None:
        raise invalid("anthropic-version: header is required")
    if version not in VERSIONS:
        raise invalid(f"anthropic-version: invalid version '{version}'")
    if beta:
        unknown = [b for b in (p.strip() for p in beta.split(",")) if b and b not in BETAS]
        if unknown:
            raise invalid(
                "Unexpected value(s) "
                + ", ".join(f"`{b}`" for b in unknown)
                + " for the `anthropic-beta` header. Please consult our documentation at"
                " docs.claude.com or try again without the header."
            )
    return version


def check_body(
    body: dict[str, Any],
    raw: bytes,
    info: ModelInfo,
    version: str,
    *,
    count_tokens: bool = False,
    beta: bool = False,
) -> None:
    """The version- and model-dependent checks of a request that passed messages.validate."""
    old = version < V2026
    allowed = ALLOWED[(count_tokens, beta, old)]
    if not allowed.issuperset(body):
        extra = next(k for k in body if k not in allowed)
        raise invalid(f"{extra}: Extra inputs are not permitted")
    if old and (b'"temperature"' in raw or b'"top_p"' in raw or b'"top_k"' in raw):
        _check_sampling(body, info)
    if not count_tokens:
        max_tokens = body["max_tokens"]
        if max_tokens > info.max_output:
            raise invalid(
                f"max_tokens: {max_tokens} > {info.max_output}, which is the maximum allowed"
                f" number of output tokens for {body['model']}"
            )
    if b'"tool_use"' in raw or b'"tool_result"' in raw:
        check_tool_pairing(body["messages"])
    if raw.count(b'"cache_control"') > 1:
        check_breakpoints(body)


def _check_sampling(body: dict[str, Any], info: ModelInfo) -> None:
    present = [name for name in SAMPLING if name in body]
    if not present:
        return
    if not info.sampling:
        raise invalid(f"`{present[0]}` is deprecated for this model.")
    for name in ("temperature", "top_p"):
        if name in body:
            value = body[name]
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise invalid(f"{name}: Input should be a valid number")
            if value < 0:
                raise invalid(f"{name}: Input should be greater than or equal to 0")
            if value > 1:
                raise invalid(f"{name}: Input should be less than or equal to 1")
    if "top_k" in body:
        value = body["top_k"]
        if isinstance(value, bool) or not isinstance(value, int):
            raise invalid("top_k: Input should be a valid integer")
        if value < 0:
            raise invalid("top_k: Input should be greater than or equal to 0")
    if "temperature" in body and "top_p" in body:
        raise invalid(
            "`temperature` and `top_p` cannot both be specified for this model."
            " Please use only one."
        )


def _blocks(message: dict[str, Any]) -> list[Any]:
    content = message.get("content")
    return content if isinstance(content, list) else []


def check_tool_pairing(messages: list[dict[str, Any]]) -> None:
    """Every client `tool_use` is answered by a `tool_result` with its id in the next message,
    and every `tool_result` answers a `tool_use` of the message before it."""
    pending: list[str] = []  # tool_use ids of the previous assistant message
    pending_at = -1
    for i, message in enumerate(messages):
        blocks = _blocks(message)
        if message.get("role") == "assistant":
            if pending:
                _unanswered(pending_at, pending)
            pending = [
                str(b.get("id"))
                for b in blocks
                if isinstance(b, dict) and b.get("type") == "tool_use"
            ]
            pending_at = i
            continue
        answered: set[str] = set()
        for j, block in enumerate(blocks):
            if not isinstance(block, dict) or block.get("type") != "tool_result":
                continue
            tool_use_id = str(block.get("tool_use_id"))
            if tool_use_id not in pending:
                raise invalid(
                    f"messages.{i}.content.{j}: unexpected `tool_use_id` found in `tool_result`"
                    f" blocks: {tool_use_id}. Each `tool_result` block must have a corresponding"
                    " `tool_use` block in the previous message."
                )
            answered.add(tool_use_id)
        missing = [t for t in pending if t not in answered]
        if missing:
            _unanswered(pending_at, missing)
        pending = []
    if pending:  # the conversation ends on the assistant's tool_use: nothing answers it
        _unanswered(pending_at, pending)


def _unanswered(index: int, ids: list[str]) -> None:
    raise invalid(
        f"messages.{index}: `tool_use` ids were found without `tool_result` blocks immediately"
        f" after: {', '.join(ids)}. Each `tool_use` block must have a corresponding"
        " `tool_result` block in the next message."
    )


def check_breakpoints(body: dict[str, Any]) -> None:
    """At most 4 blocks carry cache_control (a top-level cache_control uses one), and a 1-hour
    breakpoint never follows a 5-minute one (the prompt order is tools, system, messages)."""
    found: list[str] = []
    top = body.get("cache_control")

    def visit(block: Any) -> None:
        if isinstance(block, dict) and isinstance(block.get("cache_control"), dict):
            found.append("1h" if block["cache_control"].get("ttl") == "1h" else "5m")

    for tool in body.get("tools") or []:
        visit(tool)
    system = body.get("system")
    if isinstance(system, list):
        for block in system:
            visit(block)
    for message in body.get("messages") or []:
        for block in _blocks(message):
            visit(block)
    if isinstance(top, dict):
        found.append("1h" if top.get("ttl") == "1h" else "5m")
    if len(found) > MAX_BREAKPOINTS:
        raise invalid(
            f"A maximum of {MAX_BREAKPOINTS} blocks with cache_control may be provided."
            f" Found {len(found)}."
        )
    if "5m" in found and "1h" in found[found.index("5m") :]:
        raise invalid(
            "A cache_control block with ttl='1h' must not come after one with ttl='5m'"
            " (blocks are ordered tools, system, messages)."
        )


def check_context(prompt_tokens: int, info: ModelInfo) -> None:
    """The prompt must fit the model's context window."""
    if prompt_tokens > info.max_input:
        raise invalid(f"prompt is too long: {prompt_tokens} tokens > {info.max_input} maximum")
