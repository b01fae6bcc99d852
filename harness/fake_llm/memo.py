"""Memoised replies: the hot path of a load test without re-running the model.

A non-streaming reply is a pure function of the request body and the behaviour, except for
its ids, when the request uses no prompt caching (whose numbers depend on earlier calls) and
no fault was drawn. Such replies are kept as their encoded JSON split around the ids, so a
repeat costs a dict lookup and a join; fresh ids are stamped in each time.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.fake_llm.ids import IdSource
from harness.fake_llm.ledger import RowTemplate
from harness.fake_llm.pricing import ModelInfo
from harness.fake_llm.tokens import InputUsage

MAX_ENTRIES = 4096


@dataclass(frozen=True, slots=True)
class Prepared:
    version: tuple[str, bool]  # (anthropic-version, beta endpoint) it was validated under
    model: str
    info: ModelInfo
    tools: bool
    total_tokens: int
    max_tokens: int  # the output estimate taken at admission
    usage: InputUsage
    output_tokens: int
    stop_reason: str
    tool_calls: int
    text_chunks: int
    cost_usd: float
    parts: tuple[bytes, ...]  # payload pieces around the ids: msg id, then tool ids in order
    row: RowTemplate  # the ledger row, but for ts, ids and latency

    def render(self, ids: IdSource) -> bytes:
        """The payload with fresh ids. Tool ids are drawn before the message id, in the same
        order as the model path draws them, so ids stay identical for the same call order."""
        parts = self.parts
        if len(parts) == 2:  # a text reply: only the message id
            return ids.message_bytes().join(parts)
        if len(parts) == 3:  # one tool_use
            tool_id = ids.tool_use_bytes()
            return b"".join((parts[0], ids.message_bytes(), parts[1], tool_id, parts[2]))
        tool_ids = [ids.tool_use_bytes() for _ in range(len(parts) - 2)]
        out = [parts[0], ids.message_bytes()]
        for value, part in zip(tool_ids, parts[1:-1], strict=True):
            out.append(part)
            out.append(value)
        out.append(parts[-1])
        return b"".join(out)


def split_around(payload: bytes, ids: list[str]) -> tuple[bytes, ...]:
    """`payload` cut at each of `ids` (in order of appearance)."""
    parts: list[bytes] = []
    rest = payload
    for value in ids:
        head, sep, rest = rest.partition(value.encode())
        if not sep:
            raise ValueError(f"id {value} not found in payload")
        parts.append(head)
    parts.append(rest)
    return tuple(parts)


class ReplyMemo:
    def __init__(self) -> None:
        self._entries: dict[bytes, Prepared] = {}
        self._generation = -1

    def get(self, raw: bytes, generation: int) -> Prepared | None:
        if generation != self._generation:
            self._entries.clear()
            self._generation = generation
            return None
        return self._entries.get(raw)

    def put(self, raw: bytes, generation: int, prepared: Prepared) -> None:
        if generation != self._generation:
            self._entries.clear()
            self._generation = generation
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()  # cheap bound; a load test's working set refills it at once
        self._entries[raw] = prepared
