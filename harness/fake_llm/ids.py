"""Seeded identifiers in the shapes the real API uses (msg_..., toolu_..., req_...)."""

from __future__ import annotations

import itertools
import random

_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


class IdSource:
    """A seeded random stem plus a counter: unique, cheap, and the same for the same seed and
    call order. Independent of the behaviour dice, so ids never shift fault outcomes.

    The `*_bytes` variants serve the memoised hot path, which splices ids into encoded JSON;
    they draw from the same counter as their `str` twins."""

    def __init__(self, seed: int) -> None:
        rng = random.Random(f"ids:{seed}")
        stem = "".join(rng.choice(_ALNUM) for _ in range(10))
        self._counter = itertools.count(1)  # next() on a count is atomic under the GIL
        self._msg = "msg_01" + stem
        self._tool = "toolu_01" + stem
        self._req = "req_01" + stem
        self._msg_b = self._msg.encode()
        self._tool_b = self._tool.encode()

    def message(self) -> str:
        return f"{self._msg}{next(self._counter):014x}"

    def tool_use(self) -> str:
        return f"{self._tool}{next(self._counter):014x}"

    def request(self) -> str:
        return f"{self._req}{next(self._counter):014x}"

    def message_bytes(self) -> bytes:
        return b"%s%014x" % (self._msg_b, next(self._counter))

    def tool_use_bytes(self) -> bytes:
        return b"%s%014x" % (self._tool_b, next(self._counter))
