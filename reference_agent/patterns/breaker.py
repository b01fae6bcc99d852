"""Circuit breaker per LLM endpoint (chapter 2).

closed: calls pass; `threshold` consecutive failures open it. open: calls are refused at once
(no waiting on a dead dependency) until `reset_s` passed. half-open: one probe passes; success
closes, failure re-opens.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import IntEnum


class State(IntEnum):
    """Values match the `agent_circuit_state` gauge."""

    CLOSED = 0
    HALF_OPEN = 1
    OPEN = 2


class CircuitBreaker:
    def __init__(
        self,
        threshold: int,
        reset_s: float,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[State], None] | None = None,
    ) -> None:
        self.threshold = threshold
        self.reset_s = reset_s
        self._clock = clock
        self._on_change = on_change
        self._state = State.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._probe_out = False

    @property
    def state(self) -> State:
        if self._state is State.OPEN and self._clock() - self._opened_at >= self.reset_s:
            self._set(State.HALF_OPEN)
        return self._state

    def allow(self) -> bool:
        """Whether a call may go out now (in half-open, only one probe at a time)."""
        state = self.state
        if state is State.CLOSED:
            return True
        if state is State.HALF_OPEN and not self._probe_out:
            self._probe_out = True
            return True
        return False

    def record_success(self) -> None:
        self._failures = 0
        self._probe_out = False
        if self._state is not State.CLOSED:
            self._set(State.CLOSED)

    def record_failure(self) -> None:
        self._probe_out = False
        self._failures += 1
        if self._state is State.HALF_OPEN or self._failures >= self.threshold:
            self._opened_at = self._clock()
            self._set(State.OPEN)

    def _set(self, state: State) -> None:
        self._state = state
        if self._on_change is not None:
            self._on_change(state)
