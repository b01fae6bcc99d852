"""Per-tenant token buckets sized by each tenant's quota: one noisy tenant cannot starve the
others, and a tenant within its quota is never refused."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from reference_agent.tenants import DEFAULT_QUOTA, Quota


class TenantRateLimiter:
    def __init__(
        self, quotas: Mapping[str, Quota], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._quotas = dict(quotas)
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # tenant -> (tokens, last refill)

    def quota(self, tenant: str) -> Quota:
        return self._quotas.get(tenant, DEFAULT_QUOTA)

    def acquire(self, tenant: str) -> tuple[bool, float]:
        """(allowed, seconds until a token is available when refused)."""
        quota = self.quota(tenant)
        now = self._clock()
        tokens, last = self._buckets.get(tenant, (float(quota.burst), now))
        tokens = min(float(quota.burst), tokens + (now - last) * quota.rate_per_s)
        if tokens >= 1.0:
            self._buckets[tenant] = (tokens - 1.0, now)
            return True, 0.0
        self._buckets[tenant] = (tokens, now)
        return False, (1.0 - tokens) / quota.rate_per_s
