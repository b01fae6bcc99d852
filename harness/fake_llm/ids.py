"""Seeded identifiers in the shapes the real API uses (msg_..., toolu_..., req_...)."""

from __future__ import annotations

import itertools
import random

_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


class IdSource:
    """A seeded random stem plus a counter: unique, cheap, and the same for the same seed and
    call order. Independent of the behaviour dice, so ids never shift fault outcomes."""

    def __init__(self, seed: int) -> None:
        rng = random.Random(f"ids:{seed}")
        self._stem = "".join(rng.choice(_ALNUM) for _ in range(10))
        self._counter = itertools.count(1)  # next() on a count is atomic under the GIL

    def _suffix(self) -> str:
        return f"{self._stem}{next(self._counter):014x}"

    def message(self) -> str:
        return "msg_01" + self._suffix()

    def tool_use(self) -> str:
        return "toolu_01" + self._suffix()

    def request(self) -> str:
        return "req_01" + self._suffix()
