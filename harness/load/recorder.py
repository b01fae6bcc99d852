"""One JSON line per user request (docs/contracts.md, "Request record"), written as it happens.

The file is opened once per process, line-buffered: every record reaches the kernel with its
own write(2), so a run killed at any moment leaves every finished request on disk and at most
nothing torn (readers skip a torn last line anyway).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TextIO

CANARY_PREFIX = "CANARY-"
_ENCODER = json.JSONEncoder(separators=(",", ":"))  # built once: json.dumps(...) rebuilds it
_END = r"(?![0-9a-zA-Z_])"  # the hex must not run on into more word characters


class LeakDetector:
    """Finds canaries of tenants other than the caller's in a reply.

    Two nets: the exact canaries configured per tenant, and the registry's canary shape
    `CANARY-<tenant>-<hex>` (catches canaries the config did not list, even of tenants it
    does not name).
    """

    def __init__(self, canaries: Mapping[str, Iterable[str]], tenants: Iterable[str] = ()) -> None:
        self._owner: dict[str, str] = {c: t for t, cs in canaries.items() for c in cs}
        names = sorted(set(tenants) | set(canaries), key=len, reverse=True)
        alternatives = [re.escape(c) for c in sorted(self._owner, key=len, reverse=True)]
        if names:  # known names first: they may contain '-', which the generic net cannot
            group = "|".join(re.escape(n) for n in names)
            alternatives.append(rf"CANARY-(?P<known>{group})-[0-9a-fA-F]+{_END}")
        alternatives.append(rf"CANARY-(?P<other>[a-z][a-z0-9_]*)-[0-9a-fA-F]+{_END}")
        self._pattern = re.compile("|".join(alternatives))
        # Most replies hold no canary at all: skip the regex when the prefix is absent.
        self._prefix_only = all(c.startswith(CANARY_PREFIX) for c in self._owner)

    def leaked(self, text: str | None, tenant: str) -> list[str]:
        """Sorted distinct canaries in `text` that belong to a tenant other than `tenant`."""
        if not text:
            return []
        if self._prefix_only and CANARY_PREFIX not in text:
            return []
        found: set[str] = set()
        for match in self._pattern.finditer(text):
            canary = match.group(0)
            owner = self._owner.get(canary) or match.group("known") or match.group("other")
            if owner is not None and owner != tenant:
                found.add(canary)
        return sorted(found)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def error_text(status: int, exception: BaseException | None, body: str | None) -> str | None:
    """The record's `error`: None for 2xx; the agent's error type or the client exception."""
    if 200 <= status < 300:
        return None
    if status == 0:
        name = type(exception).__name__ if exception is not None else "NoResponse"
        return f"{name}: {exception}" if exception is not None else name
    detail = ""
    if body:
        try:
            err = json.loads(body).get("error")
            if isinstance(err, dict) and err.get("type"):
                detail = f": {err['type']}"
        except (ValueError, AttributeError):
            pass
    return f"HTTP {status}{detail}"


def build_record(
    *,
    ts_start: float,
    ts_end: float,
    latency_ms: float,
    status: int,
    error: str | None,
    tenant: str,
    task: str,
    user: int,
    headers: Mapping[str, str] | None,
    reply: str | None,
    detector: LeakDetector,
    attack_id: str | None = None,
    attack_category: str | None = None,
    client_request_id: str | None = None,
) -> dict[str, Any]:
    """A request record; `headers` must answer lower-case names (None when no response)."""
    h = headers or {}
    return {
        "ts_start": ts_start,
        "ts_end": ts_end,
        "latency_ms": round(latency_ms, 3),
        "status": status,
        "ok": 200 <= status < 300,
        "error": error,
        "tenant": tenant,
        "task": task,
        # The agent's id when it answered; otherwise the one we sent, so logs still join.
        "request_id": h.get("x-request-id") or client_request_id,
        "llm_calls": _int(h.get("x-llm-calls")),
        "cost_usd": _float(h.get("x-cost-usd")),
        "degraded": (h.get("x-degraded") or "").lower() == "true",
        "model": h.get("x-model") or None,
        "attack_id": attack_id,
        "attack_category": attack_category,
        "leaked_canaries": detector.leaked(reply, tenant),
        "user": user,
    }


class Recorder:
    """Appends records to one JSONL file, one write per record."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh: TextIO | None = self.path.open("a", buffering=1, encoding="utf-8")
        self.count = 0

    def write(self, record: Mapping[str, Any]) -> None:
        if self._fh is None:
            raise ValueError(f"recorder for {self.path} is closed")
        self._fh.write(_ENCODER.encode(record) + "\n")
        self.count += 1

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
