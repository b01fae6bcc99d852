"""Retries with exponential backoff and full jitter, honouring retry-after (chapter 2).

Full jitter (sleep = uniform(0, min(cap, base * 2**attempt))) spreads a crowd of retrying
clients over the window instead of synchronising them into waves against a recovering API.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import anthropic
import httpx2

# Statuses worth retrying: overloaded (529), rate limited (429), transient server errors.
RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504, 529})
# A retry-after longer than this is treated as "not now": give up rather than stall the chat.
MAX_RETRY_AFTER_S = 30.0


@dataclass
class Backoff:
    """The retry schedule of one LLM call."""

    base_ms: int
    max_ms: int
    rng: Callable[[], float] = field(default=random.random)

    def ceiling_s(self, attempt: int) -> float:
        """Upper bound of the wait before retry number `attempt` (0-based)."""
        return min(self.max_ms, self.base_ms * (2 ** min(attempt, 30))) / 1000.0

    def delay_s(self, attempt: int, retry_after_s: float | None = None) -> float:
        """Full-jitter delay; never shorter than what the server asked for."""
        jittered = self.rng() * self.ceiling_s(attempt)
        if retry_after_s is not None and retry_after_s > 0:
            return max(jittered, min(retry_after_s, MAX_RETRY_AFTER_S))
        return jittered


# Error types that arrive inside a 200 SSE stream (an `event: error` mid-stream).
RETRYABLE_ERROR_TYPES = frozenset({"overloaded_error", "api_error", "rate_limit_error"})


def is_retryable(exc: BaseException) -> bool:
    """Whether an LLM failure is transient: connection, timeout, cut stream, retryable status."""
    if isinstance(exc, anthropic.APIStatusError):
        if exc.status_code in RETRYABLE_STATUS:
            return True
        body = exc.body if isinstance(exc.body, dict) else {}
        error = body.get("error") if isinstance(body.get("error"), dict) else body
        return isinstance(error, dict) and error.get("type") in RETRYABLE_ERROR_TYPES
    # APIConnectionError includes APITimeoutError; a stream cut mid-way surfaces as httpx2's.
    return isinstance(exc, anthropic.APIConnectionError | httpx2.TransportError | TruncatedReply)


class TruncatedReply(Exception):
    """The stream ended before `message_stop`: the reply is incomplete."""


def retry_after_s(
    headers: Mapping[str, str] | None, now: Callable[[], float] = time.time
) -> float | None:
    """Seconds the server asked us to wait (`retry-after-ms`, `retry-after` seconds or date)."""
    if not headers:
        return None
    lowered = {k.lower(): v for k, v in headers.items()}
    if (ms := lowered.get("retry-after-ms")) is not None:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    raw = lowered.get("retry-after")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(raw) if raw.strip() else None
        return None if parsed is None else max(0.0, parsed.timestamp() - now())
