"""One JSON line per user request (docs/contracts.md, "Request record"), written as it happens.

The file is opened once per process for appending, unbuffered: every record reaches the kernel
with its own write(2) of one complete line, so a run killed at any moment leaves every finished
request on disk and nothing torn (readers skip a torn last line anyway).

This runs once per request inside the Locust process, whose CPU is the load generator's
ceiling, so the hot path (`RequestWriter`) avoids the general machinery: the reply is scanned
as bytes (decoded only when it holds a canary prefix or an error body), and the JSON line is
rendered with one `%` template rather than by `json`. Both give the same bytes as `json`'s
compact encoding of the record dict (`build_record`); the tests fuzz that.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from json.encoder import encode_basestring_ascii
from pathlib import Path
from typing import Any

REQUEST_FIELDS = (
    "ts_start", "ts_end", "latency_ms", "status", "ok", "error", "tenant", "task", "request_id",
    "llm_calls", "cost_usd", "degraded", "model", "attack_id", "attack_category",
    "leaked_canaries", "user",
)  # fmt: skip
"""The request record's fields in contract order."""

CANARY_PREFIX = "CANARY-"
_PREFIX_BYTES = CANARY_PREFIX.encode()
_ENCODER = json.JSONEncoder(separators=(",", ":"))  # built once: json.dumps(...) rebuilds it
_END = r"(?![0-9a-zA-Z_])"  # the hex must not run on into more word characters


def _text(body: bytes | str) -> str:
    return body.decode("utf-8", "replace") if isinstance(body, bytes) else body


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
        self.prefix_only = all(c.startswith(CANARY_PREFIX) for c in self._owner)
        """Every canary this finds starts with `CANARY_PREFIX`."""

    def leaked(self, text: bytes | str | None, tenant: str) -> list[str]:
        """Sorted distinct canaries in `text` that belong to a tenant other than `tenant`.

        Bytes are read as UTF-8 (invalid sequences replaced). Their prefix test needs no
        decoding: ASCII bytes decode to themselves and a replacement never swallows one, so
        the text holds "CANARY-" only if the bytes do."""
        if not text:
            return []
        if self.prefix_only:
            prefix: bytes | str = _PREFIX_BYTES if isinstance(text, bytes) else CANARY_PREFIX
            if prefix not in text:
                return []
        found: set[str] = set()
        for match in self._pattern.finditer(_text(text)):
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


def error_text(
    status: int, exception: BaseException | None, body: bytes | str | None
) -> str | None:
    """The record's `error`: None for 2xx; the agent's error type or the client exception."""
    if 200 <= status < 300:
        return None
    if status == 0:
        name = type(exception).__name__ if exception is not None else "NoResponse"
        return f"{name}: {exception}" if exception is not None else name
    detail = ""
    if body:
        try:
            err = json.loads(_text(body)).get("error")
            if isinstance(err, dict) and err.get("type"):
                detail = f": {err['type']}"
        except (ValueError, AttributeError):
            pass
    return f"HTTP {status}{detail}"


HEADERS = ("x-request-id", "x-llm-calls", "x-cost-usd", "x-degraded", "x-model")
"""The reply headers a record reads, in the order `header_values` returns them."""


def header_values(headers: Mapping[str, Any] | None) -> tuple[Any, ...]:
    """The raw values of `HEADERS` (None when absent); `headers` answers lower-case names."""
    if headers is None:
        return (None,) * len(HEADERS)
    return tuple(map(headers.get, HEADERS))


def request_values(
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
    reply: bytes | str | None,
    detector: LeakDetector,
    attack_id: str | None = None,
    attack_category: str | None = None,
    client_request_id: str | None = None,
) -> tuple[Any, ...]:
    """A request record's values in `REQUEST_FIELDS` order; `headers` must answer lower-case
    names (None when no response), `reply` is the body as received."""
    request_id, llm_calls, cost_usd, degraded, model = header_values(headers)
    return (
        ts_start,
        ts_end,
        round(latency_ms, 3),
        status,
        200 <= status < 300,
        error,
        tenant,
        task,
        # The agent's id when it answered; otherwise the one we sent, so logs still join.
        request_id or client_request_id,
        _int(llm_calls),
        _float(cost_usd),
        (degraded or "").lower() == "true",
        model or None,
        attack_id,
        attack_category,
        detector.leaked(reply, tenant),
        user,
    )


def build_record(**fields: Any) -> dict[str, Any]:
    """A request record as a dict; takes the arguments of `request_values`."""
    return dict(zip(REQUEST_FIELDS, request_values(**fields), strict=True))


def _json_value(value: Any) -> str:
    """`value` as `json` (compact, ASCII) writes it: the common types here, the rest by json."""
    kind = type(value)
    if kind is str:
        return encode_basestring_ascii(value)
    if value is None:
        return "null"
    if kind is float and value - value == 0.0:  # finite (json spells nan/inf its own way)
        return float.__repr__(value)
    if kind is int:
        return int.__repr__(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is list and not value:
        return "[]"
    return _ENCODER.encode(value)


# '{"ts_start":', ',"ts_end":', ...: each value's JSON goes right after its key fragment
_KEYS = tuple(
    ("," if i else "{") + encode_basestring_ascii(k) + ":" for i, k in enumerate(REQUEST_FIELDS)
)
# The same with a slot per value: %r writes a finite float as json does (float.__repr__),
# %d an int; every %s gets a value already rendered as JSON.
_LINE = (
    "".join(
        key + ("%r" if i < 3 else "%d" if name in ("status", "user") else "%s")
        for i, (key, name) in enumerate(zip(_KEYS, REQUEST_FIELDS, strict=True))
    )
    + "}\n"
)
_WRITER_LINE = _LINE.replace('"latency_ms":%r', '"latency_ms":%s')  # RequestWriter renders it
# ".0", ".001", ..., ".12", ...: how repr ends a whole number of thousandths
_THOUSANDTHS = tuple(".0" if r == 0 else f".{r:03d}".rstrip("0") for r in range(1000))


def request_line(values: Sequence[Any]) -> bytes:
    """The record's JSON line: the same bytes as `json` compact-encoding the record dict."""
    (ts_start, ts_end, latency_ms, status, ok, error, tenant, task, request_id, llm_calls,
     cost_usd, degraded, model, attack_id, attack_category, leaked, user) = values  # fmt: skip
    if (  # the shape `request_values` gives: one formatting call, no per-field dispatch
        type(ts_start) is float
        and type(ts_end) is float
        and type(latency_ms) is float
        and ts_start - ts_start == ts_end - ts_end == latency_ms - latency_ms == 0.0  # finite
        and type(status) is int
        and type(user) is int
        and type(ok) is bool
        and type(degraded) is bool
    ):
        line = _LINE % (
            ts_start,
            ts_end,
            latency_ms,
            status,
            "true" if ok else "false",
            _json_value(error),
            _json_value(tenant),
            _json_value(task),
            _json_value(request_id),
            _json_value(llm_calls),
            _json_value(cost_usd),
            "true" if degraded else "false",
            _json_value(model),
            _json_value(attack_id),
            _json_value(attack_category),
            _json_value(leaked),
            user,
        )
    else:
        line = "".join([key + _json_value(v) for key, v in zip(_KEYS, values, strict=True)])
        line += "}\n"
    return line.encode("ascii")  # json's ASCII escaping leaves nothing else


class Recorder:
    """Appends records to one JSONL file, one write(2) of one whole line per record."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC
        self._fd: int | None = os.open(self.path, flags, 0o644)
        self.count = 0

    def write(self, record: Mapping[str, Any]) -> None:
        """Any JSON-able record, keys in its own order."""
        self.write_line((_ENCODER.encode(record) + "\n").encode())

    def write_values(self, values: Sequence[Any]) -> None:
        """A request record given as `request_values` returns it (the fast path)."""
        self.write_line(request_line(values))

    def write_line(self, line: bytes) -> None:
        """One complete line (ending in a newline), straight to the kernel."""
        if self._fd is None:
            raise ValueError(f"recorder for {self.path} is closed")
        written = os.write(self._fd, line)
        while written < len(line):  # a regular file writes all at once unless the disk fills
            written += os.write(self._fd, line[written:])
        self.count += 1

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class RequestWriter:
    """The per-request hot path of the Locust process: computes a record and writes its line.

    The same line as `request_line(request_values(...))` (the tests hold it to that), with
    the per-field work of the general path done inline for the usual types: this runs once
    per request in the load generator, whose CPU caps the load.
    """

    def __init__(self, recorder: Recorder, detector: LeakDetector) -> None:
        self.recorder = recorder
        self.detector = detector
        self._scan_all = not detector.prefix_only  # else only replies holding b"CANARY-"

    def write(
        self,
        ts_start: float,
        latency_ms: float,
        status: int,
        exception: BaseException | None,
        tenant: str,
        task: str,
        user: int,
        header_values: Sequence[Any],
        reply: bytes | None,
        attack_id: str | None,
        attack_category: str | None,
        client_request_id: str,
    ) -> list[str]:
        """Writes the record of one exchange; returns its leaked canaries.

        `header_values` as `header_values()` gives them; `reply` the body as received."""
        request_id, llm_calls, cost_usd, degraded, model = header_values
        ok = 200 <= status < 300
        error = None if ok else error_text(status, exception, reply)
        leaked = (
            self.detector.leaked(reply, tenant)
            if reply and (self._scan_all or _PREFIX_BYTES in reply)
            else []
        )
        calls, cost = _int(llm_calls), _float(cost_usd)
        # round(latency_ms, 3) and its repr from integers: float<->decimal conversions are
        # the dearest part of a record. k is the nearest whole number of microseconds,
        # unless the product's rounding error (< 2.5e-4 below 1e12) could tip a near tie,
        # which round() settles. k / 1000 is then the double round() returns, and below 1e12
        # its repr is k's decimal digits (doubles there are far finer than 0.001).
        scaled = latency_ms * 1000.0
        whole = int(scaled) if type(latency_ms) is float and 0.0 <= scaled < 1e12 else -1
        if whole >= 0 and abs(scaled - whole - 0.5) > 2.5e-4:
            k = whole + 1 if scaled - whole > 0.5 else whole
            latency: float = k / 1000
            latency_json = f"{k // 1000}{_THOUSANDTHS[k % 1000]}"
        else:
            latency = round(latency_ms, 3)
            latency_json = _json_value(latency)
        ts_end = ts_start + latency_ms / 1000.0
        request_id = request_id or client_request_id
        model = model or None
        if (  # the usual types: one formatting call; anything else takes the general path
            type(ts_start) is float
            and ts_start - ts_start == ts_end - ts_end == 0.0  # finite
            and type(status) is int
            and type(user) is int
            and type(tenant) is str
            and type(task) is str
            and type(request_id) is str
            and (cost is None or cost - cost == 0.0)
        ):
            line = _WRITER_LINE % (
                ts_start,
                ts_end,
                latency_json,
                status,
                "true" if ok else "false",
                "null" if error is None else encode_basestring_ascii(error),
                encode_basestring_ascii(tenant),
                encode_basestring_ascii(task),
                encode_basestring_ascii(request_id),
                "null" if calls is None else int.__repr__(calls),
                "null" if cost is None else float.__repr__(cost),
                "true" if (degraded or "").lower() == "true" else "false",
                "null" if model is None else _json_value(model),
                "null" if attack_id is None else _json_value(attack_id),
                "null" if attack_category is None else _json_value(attack_category),
                "[]" if not leaked else _json_value(leaked),
                user,
            )
            self.recorder.write_line(line.encode("ascii"))
        else:
            self.recorder.write_line(
                request_line(
                    (ts_start, ts_end, latency, status, ok, error, tenant, task, request_id,
                     calls, cost, (degraded or "").lower() == "true", model, attack_id,
                     attack_category, leaked, user)
                )
            )  # fmt: skip
        return leaked
