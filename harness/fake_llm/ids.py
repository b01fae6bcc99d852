"""Seeded identifiers in the shapes the real API uses (msg_..., toolu_..., req_...)."""

from __future__ import annotations

import random
import threading

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


class IdSource:
    """Deterministic per seed, independent of the behaviour dice (ids never shift outcomes)."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(f"ids:{seed}")
        self._lock = threading.Lock()

    def _suffix(self, length: int = 24) -> str:
        with self._lock:
            n = self._rng.getrandbits(144)
        chars = []
        for _ in range(length):
            n, r = divmod(n, 62)
            chars.append(_ALPHABET[r])
        return "".join(chars)

    def message(self) -> str:
        return "msg_01" + self._suffix()

    def tool_use(self) -> str:
        return "toolu_01" + self._suffix()

    def request(self) -> str:
        return "req_01" + self._suffix()
