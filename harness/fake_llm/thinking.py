"""Extended thinking: request checks, thinking blocks with verifiable signatures.

A signature is an HMAC of the thinking text under a key derived from the server's seed, so
the fake can tell a block it wrote from one that was edited or made up, as the real API does
with its own (opaque) signatures. `redacted_thinking.data` carries the thinking's token count
and an HMAC of it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
from dataclasses import dataclass
from typing import Any

from harness.fake_llm.errors import invalid
from harness.fake_llm.tokens import CHARS_PER_TOKEN, text_tokens

MIN_BUDGET = 1024
THINKING_DOCS = "https://docs.claude.com/en/docs/build-with-claude/extended-thinking"
TYPES = ("adaptive", "between_tools", "disabled", "enabled")
# Which `thinking.type` each model accepts (see README: Opus 4.6 / Sonnet 4.6 take both
# manual and adaptive thinking, Haiku 4.5 manual only; the newer models adaptive only).
_ADAPTIVE_ONLY = frozenset({"adaptive", "between_tools", "disabled"})
_BOTH = frozenset({"adaptive", "between_tools", "disabled", "enabled"})
ACCEPTED: dict[str, frozenset[str]] = {
    "claude-haiku-4-5": frozenset({"enabled", "disabled"}),
    "claude-sonnet-4-6": _BOTH,
    "claude-opus-4-6": _BOTH,
}
# Adaptive thinking length by `output_config.effort` (tokens; 0 = no thinking block).
EFFORT_TOKENS = {"low": 0, "medium": 120, "high": 320, "xhigh": 640, "max": 1280}
_REASONING = (
    "Let me check what the request needs before answering.",
    "I should keep the answer short and grounded in what was given.",
    "Nothing here calls for more than one step.",
    "I will stay within the instructions of the system prompt.",
    "The details in the conversation are enough to proceed.",
    "I should not invent facts that the tools did not return.",
)


def accepted(model_id: str) -> frozenset[str]:
    return ACCEPTED.get(model_id, _ADAPTIVE_ONLY)


@dataclass(frozen=True, slots=True)
class ThinkingConfig:
    kind: str  # "enabled" / "adaptive"
    budget: int  # tokens the thinking may use
    omitted: bool  # display: "omitted": the text is withheld, the signature kept
    effort: str


def config(body: dict[str, Any], model_id: str) -> ThinkingConfig | None:
    """Check `thinking` (and what it forbids) as the API does; None when thinking is off."""
    thinking = body.get("thinking")
    if thinking is None:
        return None
    if not isinstance(thinking, dict):
        raise invalid("thinking: Input should be a valid dictionary or object")
    kind = thinking.get("type")
    if kind not in TYPES:
        raise invalid(
            f"thinking: Input tag '{kind}' found using 'type' does not match any of the expected "
            "tags: 'adaptive', 'between_tools', 'disabled', 'enabled'"
        )
    if kind not in accepted(model_id):
        raise invalid(f"thinking.type: '{kind}' is not supported for model '{model_id}'")
    if kind in ("disabled", "between_tools"):
        return None
    max_tokens = body.get("max_tokens", 0)
    effort = _effort(body)
    if kind == "enabled":
        budget = thinking.get("budget_tokens")
        if budget is None:
            raise invalid("thinking.enabled.budget_tokens: Field required")
        if not isinstance(budget, int) or isinstance(budget, bool):
            raise invalid("thinking.enabled.budget_tokens: Input should be a valid integer")
        if budget < MIN_BUDGET:
            raise invalid(
                "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"
            )
        if isinstance(max_tokens, int) and budget >= max_tokens:
            raise invalid(
                "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our "
                f"documentation at {THINKING_DOCS}#max-tokens-and-context-window-size"
            )
    else:
        budget = max(0, int(max_tokens) - 1) if isinstance(max_tokens, int) else 0
    _check_compatible(body)
    omitted = thinking.get("display") == "omitted"
    return ThinkingConfig(kind, budget, omitted, effort)


def _effort(body: dict[str, Any]) -> str:
    out = body.get("output_config")
    effort = out.get("effort") if isinstance(out, dict) else None
    return effort if effort in EFFORT_TOKENS else "high"


def _check_compatible(body: dict[str, Any]) -> None:
    choice = body.get("tool_choice")
    if isinstance(choice, dict) and choice.get("type") in ("any", "tool"):
        raise invalid("Thinking may not be enabled when tool_choice forces tool use.")
    temperature = body.get("temperature")
    if temperature is not None and temperature != 1:
        raise invalid(
            "`temperature` may only be set to 1 when thinking is enabled. Please consult our "
            f"documentation at {THINKING_DOCS}#feature-compatibility"
        )
    if body.get("top_k") is not None:
        raise invalid(
            "`top_k` must be unset when thinking is enabled. Please consult our documentation "
            f"at {THINKING_DOCS}#feature-compatibility"
        )
    top_p = body.get("top_p")
    if top_p is not None and not (0.95 <= top_p <= 1):
        raise invalid(
            "`top_p` must be between 0.95 and 1 when thinking is enabled. Please consult our "
            f"documentation at {THINKING_DOCS}#feature-compatibility"
        )
    messages = body.get("messages") or []
    last_assistant = next(
        ((i, m) for i, m in reversed(list(enumerate(messages))) if m.get("role") == "assistant"),
        None,
    )
    if last_assistant is None or i_is_answered(messages, last_assistant[0]):
        return
    i, message = last_assistant
    content = message.get("content")
    if not isinstance(content, list) or not content:
        return
    kinds = [b.get("type") for b in content if isinstance(b, dict)]
    if "tool_use" in kinds and kinds[0] not in ("thinking", "redacted_thinking"):
        raise invalid(
            f"messages.{i}.content.0.type: Expected `thinking` or `redacted_thinking`, but found "
            f"`{kinds[0]}`. When `thinking` is enabled, a final `assistant` message must start "
            "with a thinking block (preceeding the lastmost set of `tool_use` and `tool_result` "
            "blocks). We recommend you include thinking blocks from previous turns. To avoid "
            f"this requirement, disable `thinking`. Please consult our documentation at "
            f"{THINKING_DOCS}"
        )


def i_is_answered(messages: list[dict[str, Any]], index: int) -> bool:
    """True when the assistant turn at `index` is followed by a user turn with text: the
    tool loop it belonged to is over, so its thinking no longer has to be passed back."""
    for message in messages[index + 1 :]:
        content = message.get("content")
        if isinstance(content, str):
            return True
        if any(isinstance(b, dict) and b.get("type") == "text" for b in content or []):
            return True
    return False


class Signer:
    """Signs thinking text and checks blocks passed back."""

    def __init__(self, seed: int) -> None:
        self._key = hashlib.sha256(f"fake-llm-thinking:{seed}".encode()).digest()

    def sign(self, thinking: str) -> str:
        mac = hmac.new(self._key, thinking.encode(), hashlib.sha256).digest()
        return base64.b64encode(b"\x01" + mac).decode()

    def redact(self, tokens: int) -> str:
        body = tokens.to_bytes(4, "big")
        mac = hmac.new(self._key, b"redacted" + body, hashlib.sha256).digest()
        return base64.b64encode(b"\x02" + body + mac).decode()

    def verify(self, messages: list[dict[str, Any]]) -> None:
        """400 for a thinking block passed back with a missing or wrong signature, or a
        redacted_thinking block whose data was not written by this server."""
        for i, message in enumerate(messages):
            content = message.get("content")
            if message.get("role") != "assistant" or not isinstance(content, list):
                continue
            for j, block in enumerate(content):
                if not isinstance(block, dict):
                    continue
                kind = block.get("type")
                if kind == "thinking":
                    signature = block.get("signature")
                    if not isinstance(signature, str):
                        raise invalid(
                            f"messages.{i}.content.{j}.thinking.signature: Field required"
                        )
                    if not hmac.compare_digest(signature, self.sign(str(block.get("thinking")))):
                        raise invalid(
                            f"messages.{i}.content.{j}: Invalid `signature` in `thinking` block"
                        )
                elif kind == "redacted_thinking" and not self._redacted_ok(block.get("data")):
                    raise invalid(
                        f"messages.{i}.content.{j}: Invalid `data` in `redacted_thinking` block"
                    )

    def _redacted_ok(self, data: Any) -> bool:
        try:
            raw = base64.b64decode(str(data), validate=True)
        except ValueError:
            return False
        if len(raw) != 37 or raw[0] != 2:
            return False
        return hmac.compare_digest(self.redact(int.from_bytes(raw[1:5], "big")), str(data))


def thinking_text(seed: int, prompt: str, plan: str, tokens: int) -> str:
    """`tokens` worth of reasoning about the prompt and what the model will do."""
    if tokens <= 0:
        return ""
    rng = random.Random(f"{seed}:thinking:{prompt}")
    topic = " ".join(prompt.split()[:12]) or "an empty message"
    text = f'The user wrote: "{topic}". {plan}'
    while len(text) < tokens * CHARS_PER_TOKEN:
        text += " " + rng.choice(_REASONING)
    return text[: tokens * CHARS_PER_TOKEN]


def thinking_tokens(cfg: ThinkingConfig, prompt: str, forced: int | None, max_tokens: int) -> int:
    """How long the model thinks: `forced` (behaviour `thinking_tokens`) if set; manual
    thinking a quarter of its budget plus the prompt's length; adaptive by effort, and not at
    all for a short message at low effort. Never beyond the budget."""
    if forced is not None:
        want = forced
    elif cfg.kind == "enabled":
        want = cfg.budget // 4 + text_tokens(prompt) // 4
    else:
        want = EFFORT_TOKENS[cfg.effort]
        if want and len(prompt) < 60 and cfg.effort in ("low", "medium"):
            want = 0
    return max(0, min(want, cfg.budget, max_tokens))


__all__ = ["ACCEPTED", "Signer", "ThinkingConfig", "config", "thinking_text", "thinking_tokens"]
