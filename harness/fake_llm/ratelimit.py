"""Per-minute limits as token buckets, and the `anthropic-ratelimit-*` headers they report."""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable

# Without --rate-limit-* the limits are far above what one fake can serve, so they never bite
# but the headers still look like the real ones.
DEFAULT_REQUESTS = 1_000_000
DEFAULT_INPUT_TOKENS = 400_000_000
DEFAULT_OUTPUT_TOKENS = 80_000_000
HEADER_REFRESH_S = 0.005


@functools.lru_cache(maxsize=256)
def _rfc3339(second: int) -> bytes:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second)).encode()


class Bucket:
    """`limit` units per minute, refilled continuously (the API's token-bucket algorithm)."""

    def __init__(self, limit: int, clock: Callable[[], float]) -> None:
        self.limit = limit
        self._limit_bytes = str(limit).encode()
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
        return self._missing(amount)

    def _missing(self, amount: float) -> float:
        missing = min(amount, self.limit) - self._level
        return 0.0 if missing <= 0 else missing * 60.0 / self.limit

    def take(self, amount: float) -> None:
        self._refill()
        self._level = max(0.0, self._level - amount)

    def headers(self, names: tuple[bytes, bytes, bytes]) -> list[tuple[bytes, bytes]]:
        self._refill()
        reset = math.ceil(time.time() + (self.limit - self._level) * 60.0 / self.limit)
        return [
            (names[0], self._limit_bytes),
            (names[1], b"%d" % int(self._level)),
            (names[2], _rfc3339(reset)),
        ]


def _names(prefix: str) -> tuple[bytes, bytes, bytes]:
    return (f"{prefix}-limit".encode(), f"{prefix}-remaining".encode(), f"{prefix}-reset".encode())


_REQUESTS = _names("anthropic-ratelimit-requests")
_TOKENS = _names("anthropic-ratelimit-tokens")
_INPUT = _names("anthropic-ratelimit-input-tokens")
_OUTPUT = _names("anthropic-ratelimit-output-tokens")


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
        self._clock = clock
        self._cached: list[tuple[bytes, bytes]] | None = None
        self._cached_at = 0.0
        # With configured (small) limits every request shows its exact remaining count.
        self._exact = requests is not None or tokens is not None
        self._dirty = False

    def admit(self, input_tokens: int) -> float:
        """Take one request and its input tokens; returns 0, or the retry-after seconds of a
        429 (then nothing is taken)."""
        requests, tokens = self.requests, self.input
        wait = max(requests.wait_for(1), tokens.wait_for(input_tokens))
        if wait > 0:
            return wait
        # Both buckets were just refilled: subtract directly.
        requests._level -= 1
        tokens._level = max(0.0, tokens._level - input_tokens)
        self._dirty = self._exact
        return 0.0

    def record_output(self, output_tokens: int) -> None:
        self.output.take(output_tokens)
        self._dirty = self._exact

    def headers(self) -> list[tuple[bytes, bytes]]:
        """The rate-limit headers, recomputed at most every few milliseconds (they cost as
        much as the rest of a response to build)."""
        now = self._clock()
        if self._cached is None or now - self._cached_at > HEADER_REFRESH_S or self._dirty:
            self._cached, self._cached_at, self._dirty = self._build(), now, False
        return self._cached

    def _build(self) -> list[tuple[bytes, bytes]]:
        tightest = min((self.input, self.output), key=lambda b: b._level / b.limit)
        return [
            *self.requests.headers(_REQUESTS),
            *tightest.headers(_TOKENS),
            *self.input.headers(_INPUT),
            *self.output.headers(_OUTPUT),
        ]
