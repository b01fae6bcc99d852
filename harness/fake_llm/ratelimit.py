"""Per-minute limits as token buckets, and the `anthropic-ratelimit-*` headers they report."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

# Without --rate-limit-* the limits are far above what one fake can serve, so they never bite
# but the headers still look like the real ones.
DEFAULT_REQUESTS = 1_000_000
DEFAULT_INPUT_TOKENS = 400_000_000
DEFAULT_OUTPUT_TOKENS = 80_000_000


def _rfc3339(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(math.ceil(epoch)))


class Bucket:
    """`limit` units per minute, refilled continuously (the API's token-bucket algorithm)."""

    def __init__(self, limit: int, clock: Callable[[], float]) -> None:
        self.limit = limit
        self._level = float(limit)
        self._clock = clock
        self._at = clock()

    def _refill(self) -> float:
        now = self._clock()
        self._level = min(self.limit, self._level + (now - self._at) * self.limit / 60.0)
        self._at = now
        return now

    def wait_for(self, amount: float) -> float:
        """Seconds until `amount` units are available (0 when they are now)."""
        self._refill()
        missing = min(amount, self.limit) - self._level
        return 0.0 if missing <= 0 else missing * 60.0 / self.limit

    def take(self, amount: float) -> None:
        self._refill()
        self._level = max(0.0, self._level - amount)

    def headers(self, prefix: str) -> list[tuple[bytes, bytes]]:
        self._refill()
        reset = time.time() + (self.limit - self._level) * 60.0 / self.limit
        return [
            (f"{prefix}-limit".encode(), str(self.limit).encode()),
            (f"{prefix}-remaining".encode(), str(int(self._level)).encode()),
            (f"{prefix}-reset".encode(), _rfc3339(reset).encode()),
        ]


class RateLimiter:
    """Requests, input tokens and output tokens per minute, as the real API meters them."""

    def __init__(
        self,
        requests: int | None = None,
        tokens: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.requests = Bucket(requests or DEFAULT_REQUESTS, clock)
        self.input = Bucket(tokens or DEFAULT_INPUT_TOKENS, clock)
        self.output = Bucket(tokens or DEFAULT_OUTPUT_TOKENS, clock)

    def admit(self, input_tokens: int) -> float:
        """Take one request and its input tokens; returns 0, or the retry-after seconds of a
        429 (then nothing is taken)."""
        wait = max(self.requests.wait_for(1), self.input.wait_for(input_tokens))
        if wait > 0:
            return wait
        self.requests.take(1)
        self.input.take(input_tokens)
        return 0.0

    def record_output(self, output_tokens: int) -> None:
        self.output.take(output_tokens)

    def headers(self) -> list[tuple[bytes, bytes]]:
        tightest = min((self.input, self.output), key=lambda b: b._level / b.limit)
        return [
            *self.requests.headers("anthropic-ratelimit-requests"),
            *tightest.headers("anthropic-ratelimit-tokens"),
            *self.input.headers("anthropic-ratelimit-input-tokens"),
            *self.output.headers("anthropic-ratelimit-output-tokens"),
        ]
