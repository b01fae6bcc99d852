"""Token budgets per request and per tenant (chapter 5: the bill that explodes).

Tokens counted are everything billed: input (including cache writes and reads) plus output.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable


class RequestBudget:
    """Tokens one chat may spend; checked before each LLM call."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.spent = 0

    def spend(self, tokens: int) -> None:
        self.spent += tokens

    @property
    def exhausted(self) -> bool:
        return self.limit is not None and self.spent >= self.limit

    @property
    def remaining(self) -> int | None:
        """Tokens left, or None without a limit."""
        return None if self.limit is None else max(0, self.limit - self.spent)


class TenantBudget:
    """Tokens per tenant over a rolling window (default one minute)."""

    def __init__(
        self, limit: int, window_s: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._spends: dict[str, deque[tuple[float, int]]] = {}
        self._totals: dict[str, int] = {}

    def _expire(self, tenant: str) -> None:
        spends = self._spends.setdefault(tenant, deque())
        horizon = self._clock() - self.window_s
        while spends and spends[0][0] <= horizon:
            _, tokens = spends.popleft()
            self._totals[tenant] -= tokens

    def used(self, tenant: str) -> int:
        self._expire(tenant)
        return self._totals.get(tenant, 0)

    def exhausted(self, tenant: str) -> bool:
        return self.used(tenant) >= self.limit

    def spend(self, tenant: str, tokens: int) -> None:
        self._expire(tenant)
        self._spends[tenant].append((self._clock(), tokens))
        self._totals[tenant] = self._totals.get(tenant, 0) + tokens
