"""One JSON line per user request (docs/contracts.md, "Request record"), written as it happens.

The file is opened once per process for appending, unbuffered: records reach the kernel as
whole lines by write(2), so a run killed at any moment leaves its finished requests on disk
and nothing torn (readers skip a torn last line anyway). Outside Locust each record is its
own write(2). In the Locust process, `RequestWriter` keeps the raw values of the requests
that end in one turn of gevent's loop and, before the loop waits for the network again,
renders them in one go and writes them with one write(2): a system call per record, and
rendering each line cold between two HTTP exchanges, cost the load generator more than
the rendering itself.

This runs once per request inside the Locust process, whose CPU is the load generator's
ceiling, so the hot path (`RequestWriter`) avoids the general machinery: the reply is scanned
as bytes (decoded only when it holds a canary prefix or an error body), and the JSON line is
rendered with one `%` template rather than by `json`. Both give the same bytes as `json`'s
compact encoding of the record dict (`build_record`), timestamps aside (`seconds_json`); the
tests fuzz that.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
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


class InFlightAtEnd(Exception):
    """The load stopped while the request awaited its answer. Its record's `error` is this
    class's name (`harness.measure.run_data.IN_FLIGHT_ERROR`) and its latency the time it
    had waited; SLOs keep such requests apart, their outcome being unknown."""


def error_text(
    status: int, exception: BaseException | None, body: bytes | str | None
) -> str | None:
    """The record's `error`: None for 2xx; the agent's error type or the client exception."""
    if 200 <= status < 300:
        return None
    if status == 0:
        if exception is None:
            return "NoResponse"
        name = type(exception).__name__
        message = str(exception)
        return f"{name}: {message}" if message else name
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


def seconds_json(ts: Any) -> str:
    """An epoch time as the record writes it: seconds with six decimals (whole microseconds;
    a double holds no finer digits at today's epoch). Anything else as `json` writes it."""
    if type(ts) is float and 0.0 <= ts < _TS_MAX:
        us = int(ts * 1e6 + 0.5)
        return f"{us // 1_000_000}.{us % 1_000_000:06d}"
    return _json_value(ts)


_TS_MAX = 1e10  # year 2286; with a latency under 1e9 ms the end stays far below 2**53 us
# '{"ts_start":', ',"ts_end":', ...: each value's JSON goes right after its key fragment
_KEYS = tuple(
    ("," if i else "{") + encode_basestring_ascii(k) + ":" for i, k in enumerate(REQUEST_FIELDS)
)
_RENDER = tuple(seconds_json if k.startswith("ts_") else _json_value for k in REQUEST_FIELDS)
# ".0", ".001", ..., ".12", ...: how repr ends a whole number of thousandths
_THOUSANDTHS = tuple(".0" if r == 0 else f".{r:03d}".rstrip("0") for r in range(1000))


def request_line(values: Sequence[Any]) -> bytes:
    """The record's JSON line: `json`'s compact encoding of the record dict, except that the
    timestamps are written by `seconds_json`."""
    parts = [key + render(v) for key, render, v in zip(_KEYS, _RENDER, values, strict=True)]
    return ("".join(parts) + "}\n").encode("ascii")  # json's ASCII escaping leaves no other


class Recorder:
    """Appends records to one JSONL file, each call one write(2) of whole lines."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC
        self._fd: int | None = os.open(self.path, flags, 0o644)
        self.count = 0
        """Lines written so far."""

    def write(self, record: Mapping[str, Any]) -> None:
        """Any JSON-able record, keys in its own order."""
        self.write_line((_ENCODER.encode(record) + "\n").encode())

    def write_values(self, values: Sequence[Any]) -> None:
        """A request record given as `request_values` returns it (the fast path)."""
        self.write_line(request_line(values))

    def write_line(self, lines: bytes) -> None:
        """One or more complete lines (each ending in a newline), straight to the kernel."""
        if self._fd is None:
            raise ValueError(f"recorder for {self.path} is closed")
        written = os.write(self._fd, lines)
        while written < len(lines):  # a regular file writes all at once unless the disk fills
            written += os.write(self._fd, lines[written:])
        self.count += lines.count(b"\n")

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_CACHE_MAX = 4096  # distinct reply-header and attack fragments kept per writer
# the line with its fixed keys in place; "%s" slots get rendered JSON of one or more fields
_WRITER_LINE = (
    _KEYS[0] + "%d.%06d" + _KEYS[1] + "%d.%06d" + _KEYS[2] + "%s" + _KEYS[3] + "%s"
    + _KEYS[6] + "%s" + _KEYS[7] + "%s" + _KEYS[8] + "%s" + _KEYS[9] + "%s" + _KEYS[13]
    + "%s" + _KEYS[15] + "%s" + _KEYS[16] + "%d}\n"
)  # fmt: skip


class RequestWriter:
    """The per-request hot path of the Locust process: records one exchange.

    The same line as `request_line(request_values(...))` (the tests hold it to that). This
    runs once per request in the load generator, whose CPU caps the load, so the usual case
    is one formatting call whose slots hold ready JSON: fragments for fields that repeat
    from request to request (status with ok and error; the reply headers; the attack) are
    rendered once by the general code and kept; timestamps and latency are rendered from
    integers, as float repr is the dearest step of a record.
    """

    def __init__(
        self,
        recorder: Recorder,
        detector: LeakDetector,
        defer: Callable[[Callable[[], None]], object] | None = None,
        read_headers: Callable[[Any], Sequence[Any]] = header_values,
    ) -> None:
        """`defer(fn)`, if given, runs `fn` soon, before the process next sleeps (gevent's
        `loop.run_callback`): records written until then are rendered and written together.
        Without it each record is written at once. Call `flush` before exit either way.
        `read_headers` reads `HEADERS` from a reply's headers as `header_values` does."""
        self.recorder = recorder
        self._read_headers = read_headers
        self.detector = detector
        self._defer = defer
        self._pending: list[tuple[Any, ...]] = []
        self._scan_all = not detector.prefix_only  # else only replies holding b"CANARY-"
        self._ok_status: dict[int, str] = {}  # 2xx status -> 'status,"ok":true,"error":null'
        self._header_json: dict[tuple[Any, ...], str] = {}  # raw headers -> llm_calls..model
        self._attack_json: dict[tuple[Any, Any], str] = {}  # (id, category) -> both

    def write(
        self,
        ts_start: float,
        latency_ms: float,
        status: int,
        exception: BaseException | None,
        tenant: str,
        task: str,
        user: int,
        headers: Mapping[str, Any] | None,
        reply: bytes | None,
        attack_id: str | None,
        attack_category: str | None,
        client_request_id: str,
    ) -> list[str]:
        """Records one exchange (now, or at the deferred flush); returns its leaked canaries
        at once. `headers` are the reply's (None without a reply), `reply` its body as
        received."""
        leaked = (
            self.detector.leaked(reply, tenant)
            if reply and (self._scan_all or _PREFIX_BYTES in reply)
            else []
        )
        values = (ts_start, latency_ms, status, exception, tenant, task, user, headers,
                  reply, attack_id, attack_category, client_request_id, leaked)  # fmt: skip
        if self._defer is None:
            self.recorder.write_line(self.line(values))
        else:
            if not self._pending:
                self._defer(self.flush)
            self._pending.append(values)
        return leaked

    def flush(self) -> None:
        """Renders the records held for the deferred flush and writes them in one write(2)."""
        if self._pending:
            pending, self._pending = self._pending, []
            line = self.line
            self.recorder.write_line(b"".join([line(values) for values in pending]))

    def line(self, exchange: tuple[Any, ...]) -> bytes:
        """The record's line from `write`'s arguments followed by the leaks it found."""
        (ts_start, latency_ms, status, exception, tenant, task, user, headers, reply, attack_id,
         attack_category, client_request_id, leaked) = exchange  # fmt: skip
        found = self._read_headers(headers)
        request_id = found[0] or client_request_id
        # round(latency_ms, 3) and its repr from integers. k is the nearest whole number of
        # microseconds, unless the product's rounding error (< 2.5e-4 below 1e12) could tip
        # a near tie, which the general path settles. Below 1e12, k / 1000 is the double
        # round() returns and its repr is k's decimal digits.
        scaled = latency_ms * 1000.0
        whole = int(scaled) if type(latency_ms) is float and 0.0 <= scaled < 1e12 else -1
        if not (
            whole >= 0
            and abs(scaled - whole - 0.5) > 2.5e-4
            and type(ts_start) is float
            and 0.0 <= ts_start < _TS_MAX
            and type(status) is int
            and type(user) is int
            and type(tenant) is str
            and type(task) is str
            and type(request_id) is str
        ):
            return self._general_line(exchange)
        k = whole + 1 if scaled - whole > 0.5 else whole
        start_us = int(ts_start * 1e6 + 0.5)
        end_us = int((ts_start + latency_ms / 1000.0) * 1e6 + 0.5)
        status_json = self._ok_status.get(status) or self._status_json(status, exception, reply)
        raw, attack = found[1:], (attack_id, attack_category)
        try:
            headers_json = self._header_json.get(raw) or self._headers_json(raw)
            attack_json = self._attack_json.get(attack) or self._attacks_json(attack)
        except TypeError:  # an unhashable value: not from HTTP headers or the corpus
            return self._general_line(exchange)
        line = _WRITER_LINE % (
            start_us // 1_000_000, start_us % 1_000_000,
            end_us // 1_000_000, end_us % 1_000_000,
            f"{k // 1000}{_THOUSANDTHS[k % 1000]}",
            status_json,
            encode_basestring_ascii(tenant),
            encode_basestring_ascii(task),
            encode_basestring_ascii(request_id),
            headers_json,
            attack_json,
            "[]" if not leaked else _json_value(leaked),
            user,
        )  # fmt: skip
        return line.encode("ascii")

    def _status_json(self, status: int, exception: BaseException | None, reply: Any) -> str:
        """'status,"ok":...,"error":...' of this reply (kept for 2xx, whose error is null)."""
        ok = 200 <= status < 300
        error = None if ok else error_text(status, exception, reply)
        rendered = f"{status},{_KEYS[4][1:]}{_json_value(ok)}{_KEYS[5]}{_json_value(error)}"
        if ok and len(self._ok_status) < _CACHE_MAX:
            self._ok_status[status] = rendered
        return rendered

    def _headers_json(self, headers: tuple[Any, ...]) -> str:
        """The JSON of llm_calls, cost_usd, degraded and model from their raw header values."""
        llm_calls, cost_usd, degraded, model = headers
        values = (_int(llm_calls), _float(cost_usd), (degraded or "").lower() == "true",
                  model or None)  # fmt: skip
        rendered = _json_value(values[0]) + "".join(
            _KEYS[i] + _json_value(v) for i, v in zip(range(10, 13), values[1:], strict=True)
        )
        if len(self._header_json) < _CACHE_MAX:
            self._header_json[headers] = rendered
        return rendered

    def _attacks_json(self, attack: tuple[Any, Any]) -> str:
        rendered = _json_value(attack[0]) + _KEYS[14] + _json_value(attack[1])
        if len(self._attack_json) < _CACHE_MAX:
            self._attack_json[attack] = rendered
        return rendered

    def _general_line(self, exchange: tuple[Any, ...]) -> bytes:
        """Any values: the general code, `request_line(request_values(...))`."""
        (ts_start, latency_ms, status, exception, tenant, task, user, headers, reply, attack_id,
         attack_category, client_request_id, _) = exchange  # fmt: skip
        return request_line(
            request_values(
                ts_start=ts_start, ts_end=ts_start + latency_ms / 1000.0, latency_ms=latency_ms,
                status=status, error=error_text(status, exception, reply), tenant=tenant,
                task=task, user=user, headers=headers, reply=reply, detector=self.detector,
                attack_id=attack_id, attack_category=attack_category,
                client_request_id=client_request_id,
            )
        )  # fmt: skip
