"""Find the agent's health path: the first candidate that answers 200, as the stack's health
check requires, polled until the start timeout."""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx

from harness.errors import StackError
from harness.init.session import ProbeSession
from harness.stack.local import AGENT

CANDIDATES = ("/healthz", "/health", "/ready", "/livez", "/")
POLL_INTERVAL_S = 0.2


@dataclass(frozen=True)
class HealthFound:
    path: str
    after_s: float  # seconds from the start of probing (a started agent: from its spawn)


def _answer(response: httpx.Response) -> str:
    text = response.text[:120]
    return f"HTTP {response.status_code}" + (f": {text!r}" if text else "")


def find_health(session: ProbeSession, candidates: tuple[str, ...],
                timeout_s: float) -> HealthFound:
    """The first of `candidates` (in order, each round) answering 200 within `timeout_s`.

    Raises StackError (exit 3) naming the command, every URL tried with its last answer and
    the agent's log tail; or as soon as a started agent exits."""
    start = time.monotonic()
    last: dict[str, str] = {}
    with httpx.Client(timeout=2.0) as client:
        while True:
            session.check_alive()
            for path in candidates:
                url = f"{session.base_url}{path}"
                try:
                    response = client.get(url)
                except httpx.HTTPError as exc:
                    last[url] = type(exc).__name__
                    continue
                if response.status_code == 200:
                    return HealthFound(path, time.monotonic() - start)
                last[url] = _answer(response)
            if time.monotonic() - start >= timeout_s:
                break
            time.sleep(POLL_INTERVAL_S)
    session.check_alive()
    tried = "; ".join(f"{url} -> {answer}" for url, answer in last.items())
    hint = ("; give the right path with --health PATH" if any(
        a.startswith("HTTP") for a in last.values()) else "")
    where = f"; command: {session.command}" if session.command else ""
    raise StackError(AGENT, f"not healthy within {timeout_s:g}s: no health path answered 200 "
                            f"(last answers: {tried}{where}){hint}", session.log_tail())
