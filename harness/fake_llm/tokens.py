"""Deterministic token counting and the prompt cache.

A token is 4 characters (rounded up per piece). The request is cut into segments in the
order the API builds the prompt (tools, then system, then messages), so `cache_control`
breakpoints mark prefixes of that sequence; see README.md for the exact overheads.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

from harness.fake_llm.media import document_tokens, image_tokens

CHARS_PER_TOKEN = 4
REQUEST_OVERHEAD = 3  # start-of-prompt markers
MESSAGE_OVERHEAD = 4  # role and turn markers per message
TOOL_OVERHEAD = 8  # tool-definition framing per tool
BLOCK_OVERHEAD = 2  # non-text block framing (tool_use, tool_result, ...)

TTL_SECONDS = {"5m": 300.0, "1h": 3600.0}


def text_tokens(text: str) -> int:
    return -(-len(text) // CHARS_PER_TOKEN)


# One shared encoder: json.dumps with keyword arguments builds a new encoder per call.
_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def json_tokens(obj: Any) -> int:
    return text_tokens(_COMPACT.encode(obj))


@dataclass(slots=True)
class Segment:
    tokens: int
    ttl: str | None  # "5m" / "1h" when this block carries a cache_control breakpoint
    key: Any  # what identifies the block for the prompt cache


def _ttl(block: Any) -> str | None:
    if isinstance(block, dict):
        cc = block.get("cache_control")
        if isinstance(cc, dict):
            return "1h" if cc.get("ttl") == "1h" else "5m"
    return None


def _strip(block: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in block.items() if k != "cache_control"}


def block_tokens(block: Any) -> int:
    """Tokens of one content block (string content counts as a text block)."""
    if isinstance(block, str):
        return text_tokens(block)
    if not isinstance(block, dict):
        return json_tokens(block)
    kind = block.get("type")
    if kind == "text":
        return text_tokens(str(block.get("text", "")))
    if kind == "tool_use":
        return (
            BLOCK_OVERHEAD
            + text_tokens(str(block.get("name", "")))
            + json_tokens(block.get("input", {}))
        )
    if kind == "tool_result":
        content = block.get("content", "")
        inner = (
            text_tokens(content)
            if isinstance(content, str)
            else sum(block_tokens(b) for b in content or [])
        )
        return BLOCK_OVERHEAD + inner
    if kind == "image":
        return image_tokens(block.get("source"))
    if kind == "document":
        return BLOCK_OVERHEAD + document_tokens(block.get("source"))
    return BLOCK_OVERHEAD + json_tokens(_strip(block))


def segments(body: dict[str, Any]) -> list[Segment]:
    """The prompt as an ordered list of segments: tools, system, then each message's blocks."""
    segs = [Segment(REQUEST_OVERHEAD, None, "request")]
    for tool in body.get("tools") or []:
        plain = _strip(tool) if isinstance(tool, dict) else tool
        segs.append(Segment(TOOL_OVERHEAD + json_tokens(plain), _ttl(tool), ("tool", plain)))
    system = body.get("system")
    if isinstance(system, str) and system:
        segs.append(Segment(text_tokens(system), None, ("system", system)))
    elif isinstance(system, list):
        for block in system:
            segs.append(Segment(block_tokens(block), _ttl(block), ("system", _strip(block))))
    for message in body.get("messages") or []:
        role = message.get("role")
        segs.append(Segment(MESSAGE_OVERHEAD, None, ("role", role)))
        content = message.get("content")
        if isinstance(content, str):
            segs.append(Segment(text_tokens(content), None, ("text", content)))
        else:
            for block in content or []:
                key = _strip(block) if isinstance(block, dict) else block
                segs.append(Segment(block_tokens(block), _ttl(block), ("block", key)))
    top = body.get("cache_control")
    if isinstance(top, dict):
        # Automatic caching: the breakpoint goes on the last cacheable block of the prompt.
        for seg in reversed(segs):
            if isinstance(seg.key, tuple) and seg.key[0] != "role":
                seg.ttl = "1h" if top.get("ttl") == "1h" else "5m"
                break
    return segs


def count_input_tokens(body: dict[str, Any]) -> int:
    """All input tokens of a request (what `count_tokens` returns)."""
    return sum(s.tokens for s in segments(body))


@dataclass(frozen=True, slots=True)
class InputUsage:
    input_tokens: int  # uncached remainder
    cache_creation_5m: int = 0
    cache_creation_1h: int = 0
    cache_read: int = 0

    @property
    def cache_creation(self) -> int:
        return self.cache_creation_5m + self.cache_creation_1h

    @property
    def total(self) -> int:
        return self.input_tokens + self.cache_creation + self.cache_read


class PromptCache:
    """Prefixes written by earlier calls, keyed by model and content, with their expiry.

    As in the real API: the longest cached prefix ending at a breakpoint is read (and its TTL
    refreshed); the prompt up to the last breakpoint that is long enough is written; the rest
    is plain input. Prefixes shorter than the model's minimum are never cached.
    """

    def __init__(self, clock: Any = time.monotonic) -> None:
        self._entries: dict[bytes, float] = {}
        self._clock = clock

    def clear(self) -> None:
        self._entries.clear()

    def plan(self, model: str, segs: list[Segment], min_cacheable: int) -> CachePlan:
        """What the call reads from the cache (read now, TTLs refreshed) and would write; the
        writes happen in `commit`, once the response begins, as in the API: a call that
        arrives before an earlier one's response has begun does not see its prefix."""
        total = sum(s.tokens for s in segs)
        if not any(s.ttl for s in segs):
            return CachePlan(InputUsage(total))
        now = self._clock()
        digest = hashlib.blake2b(model.encode(), digest_size=16)
        cumulative = 0
        eligible: list[tuple[int, bytes, str]] = []  # (prefix tokens, key, ttl)
        for seg in segs:
            cumulative += seg.tokens
            digest.update(json.dumps(seg.key, sort_keys=True, default=str).encode())
            digest.update(b"\x00")
            if seg.ttl and cumulative >= min_cacheable:
                eligible.append((cumulative, digest.copy().digest(), seg.ttl))
        if not eligible:
            return CachePlan(InputUsage(total))
        hit = 0
        for prefix, key, ttl in eligible:
            expiry = self._entries.get(key)
            if expiry is not None and expiry > now:
                hit = prefix
                self._entries[key] = now + TTL_SECONDS[ttl]
        written = {"5m": 0, "1h": 0}
        writes: list[tuple[bytes, str]] = []
        previous = hit
        for prefix, key, ttl in eligible:
            if prefix <= hit:
                continue
            written[ttl] += prefix - previous
            previous = prefix
            writes.append((key, ttl))
        last = eligible[-1][0]
        return CachePlan(InputUsage(total - last, written["5m"], written["1h"], hit), writes)

    def commit(self, plan: CachePlan) -> None:
        """Write the plan's prefixes (a plan is committed once)."""
        if plan.writes:
            now = self._clock()
            for key, ttl in plan.writes:
                self._entries[key] = now + TTL_SECONDS[ttl]
            plan.writes = []

    def apply(self, model: str, segs: list[Segment], min_cacheable: int) -> InputUsage:
        """`plan` and `commit` at once."""
        plan = self.plan(model, segs, min_cacheable)
        self.commit(plan)
        return plan.usage


@dataclass(slots=True)
class CachePlan:
    usage: InputUsage
    writes: list[tuple[bytes, str]] = field(default_factory=list)  # (prefix key, ttl)
