"""Per-tenant token-bucket rate limit: one noisy tenant cannot starve the others."""

from __future__ import annotations

import time
from collections.abc import Callable


class TenantRateLimiter:
    def __init__(
        self, rate_per_s: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate_per_s
        self.burst = burst
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # tenant -> (tokens, last refill)

    def acquire(self, tenant: str) -> tuple[bool, float]:
        """(allowed, seconds until a token is available when refused)."""
        now = self._clock()
        tokens, last = self._buckets.get(tenant, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate)
        if tokens >= 1.0:
            self._buckets[tenant] = (tokens - 1.0, now)
            return True, 0.0
        self._buckets[tenant] = (tokens, now)
        return False, (1.0 - tokens) / self.rate
