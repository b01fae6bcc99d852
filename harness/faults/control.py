"""Layered updates of a `/_control/behaviour` API, shared by LLM and tool faults.

A fault PUTs only its own fields. The baseline (the values before any fault of this run) is
read with GET before the first update. Reverting a fault restores each of its fields to the
value of the most recent fault still active that sets it, or else to the baseline, so
overlapping faults on one server never undo each other.
"""

from __future__ import annotations

import threading
from typing import Any

import httpx

from harness.errors import FaultError


class BehaviourLayers:
    def __init__(self, base_url: str, timeout_s: float) -> None:
        self.url = f"{base_url}/_control/behaviour"
        self.timeout_s = timeout_s
        self.baseline: dict[str, Any] | None = None
        self.active: dict[str, dict[str, Any]] = {}  # fault id -> fields, in apply order
        self._lock = threading.Lock()

    def push(self, fault_id: str, fields: dict[str, Any]) -> None:
        with self._lock:
            if self.baseline is None:
                self.baseline = request("GET", self.url, self.timeout_s)
            # Held before the PUT: a PUT that failed after the server took it is still undone.
            self.active[fault_id] = fields
            request("PUT", self.url, self.timeout_s, fields)

    def pop(self, fault_id: str) -> None:
        with self._lock:
            fields = self.active.pop(fault_id, None)
            if fields is None or self.baseline is None:
                return
            restore = {}
            for name in fields:
                holders = [f for f in self.active.values() if name in f]
                restore[name] = holders[-1][name] if holders else self.baseline.get(name)
            request("PUT", self.url, self.timeout_s, restore)


def request(method: str, url: str, timeout_s: float, body: Any = None) -> Any:
    """One control-API call; any failure becomes a FaultError naming the call and the reply."""
    try:
        response = httpx.request(method, url, json=body, timeout=timeout_s)
    except httpx.HTTPError as exc:
        raise FaultError(f"{method} {url}: {type(exc).__name__}: {exc}") from exc
    if response.status_code >= 400:
        raise FaultError(f"{method} {url}: HTTP {response.status_code}: {response.text[:300]}")
    return response.json() if response.content else None
