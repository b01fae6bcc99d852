"""Per-minute limits as token buckets, and the `anthropic-ratelimit-*` headers they report.

As the API counts them (rate-limits docs): per model; input tokens per minute are the uncached
input plus cache writes (cache reads do not count); output tokens per minute are estimated
from `max_tokens` at admission and corrected to the real output at the end of the call.
"""

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


def _names(prefix: str) -> tuple[bytes, bytes, bytes]:
    return (f"{prefix}-limit".encode(), f"{prefix}-remaining".encode(), f"{prefix}-reset".encode())


_NAMES = {
    "requests": _names("anthropic-ratelimit-requests"),
    "tokens": _names("anthropic-ratelimit-tokens"),
    "input": _names("anthropic-ratelimit-input-tokens"),
    "output": _names("anthropic-ratelimit-output-tokens"),
}


# The limit names of a 429's message, in bucket order.
LIMIT_NAMES = ("requests", "input tokens", "output tokens")


def exceeded_message(limiter: RateLimiter, model: str) -> str:
    """The 429 message of the API: which per-minute limit, and for which model."""
    index = LIMIT_NAMES.index(limiter.exceeded or "requests")
    return (
        f"This request would exceed your organization's rate limit of {limiter.limits[index]:,}"
        f" {limiter.exceeded or 'requests'} per minute (model: {model}). For details, refer to:"
        " https://docs.claude.com/en/api/rate-limits. You can see the response headers for"
        " current usage. Please reduce the prompt length or the maximum tokens requested, or"
        " try again later."
    )


class RateLimiter:
    """Requests, input tokens and output tokens per minute, each a bucket refilled
    continuously (the API's token-bucket algorithm). Levels live in one list so a call
    refills all three with one clock read."""

    def __init__(
        self,
        requests: int | None = None,
        tokens: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        output_tokens: int | None = None,
    ) -> None:
        self.limits = (
            requests or DEFAULT_REQUESTS,
            tokens or DEFAULT_INPUT_TOKENS,
            output_tokens or tokens or DEFAULT_OUTPUT_TOKENS,
        )
        self._rates = tuple(limit / 60.0 for limit in self.limits)
        self._levels = [float(limit) for limit in self.limits]
        self._clock = clock
        self._at = clock()
        self._cached: list[tuple[bytes, bytes]] | None = None
        self._cached_at = 0.0
        # With configured (small) limits every response shows its exact remaining count.
        self._exact = requests is not None or tokens is not None or output_tokens is not None
        self.exceeded = ""  # which limit the last refused call exceeded

    def _refill(self) -> float:
        now = self._clock()
        elapsed = now - self._at
        if elapsed > 0:
            # Unrolled over the three buckets: this runs on every call of the hot path.
            levels = self._levels
            lim0, lim1, lim2 = self.limits
            rate0, rate1, rate2 = self._rates
            v0 = levels[0] + elapsed * rate0
            v1 = levels[1] + elapsed * rate1
            v2 = levels[2] + elapsed * rate2
            levels[0] = v0 if v0 < lim0 else lim0
            levels[1] = v1 if v1 < lim1 else lim1
            levels[2] = v2 if v2 < lim2 else lim2
            self._at = now
        return now

    def admit(self, input_tokens: int, output_estimate: int = 0) -> float:
        """Take one request, its input tokens (cache reads excluded, as the API counts them)
        and its output estimate (`max_tokens`, corrected by `settle` at the end); returns 0,
        or the retry-after seconds of a 429 (then nothing is taken and `exceeded` names the
        limit)."""
        self._refill()
        levels = self._levels
        if not (levels[0] >= 1 and levels[1] >= input_tokens and levels[2] >= output_estimate):
            limits, rates = self.limits, self._rates
            waits = (
                (1 - levels[0]) / rates[0],
                (min(input_tokens, limits[1]) - levels[1]) / rates[1],
                (min(output_estimate, limits[2]) - levels[2]) / rates[2],
            )
            wait = max(waits)
            if wait > 0:
                self.exceeded = LIMIT_NAMES[waits.index(wait)]
                return wait
        levels[0] -= 1
        levels[1] -= input_tokens
        levels[2] -= output_estimate
        if self._exact:
            self._cached = None
        return 0.0

    def settle(self, estimate: int, actual: int) -> None:
        """Correct an admitted call's output estimate to the tokens it really produced."""
        levels = self._levels
        level = levels[2] + estimate - actual
        levels[2] = level if level < self.limits[2] else float(self.limits[2])
        if self._exact:
            self._cached = None

    def record_output(self, output_tokens: int) -> None:
        """Output tokens that were not estimated at admission."""
        self.settle(0, output_tokens)

    def headers(self) -> list[tuple[bytes, bytes]]:
        """The rate-limit headers, rebuilt at most every few milliseconds unless the limits
        were configured (then exact on every response)."""
        now = self._clock()
        if self._cached is None or now - self._cached_at > HEADER_REFRESH_S:
            self._cached, self._cached_at = self._build(), now
        return self._cached

    def _build(self) -> list[tuple[bytes, bytes]]:
        self._refill()
        wall = time.time()
        out: list[tuple[bytes, bytes]] = []

        def add(kind: str, i: int) -> None:
            level = max(0.0, self._levels[i])
            names = _NAMES[kind]
            reset = math.ceil(wall + (self.limits[i] - level) / self._rates[i])
            out.append((names[0], str(self.limits[i]).encode()))
            out.append((names[1], b"%d" % int(level)))
            out.append((names[2], _rfc3339(reset)))

        add("requests", 0)
        # `tokens-*` reports the most restrictive of the input and output buckets.
        tight = 1 if self._levels[1] / self.limits[1] <= self._levels[2] / self.limits[2] else 2
        add("tokens", tight)
        add("input", 1)
        add("output", 2)
        return out
