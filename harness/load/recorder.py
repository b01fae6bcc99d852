"""One JSON line per user request (docs/contracts.md, "Request record"), written as it happens.

The record is `harness.records.RequestRecord`; its line is orjson's (`harness.records.line`),
timestamps with six decimals. The file is opened once per process for appending: records
reach the kernel as whole lines by write(2), so a run killed at any moment leaves its
finished requests on disk and nothing torn (readers skip a torn last line anyway). Outside
Locust each record is its own write(2). In the Locust process, `RequestWriter` keeps the raw
values of the requests that end in one turn of gevent's loop and, before the loop waits for
the network again, renders them in one go and writes them with one write(2): a system call
per record, and rendering each line cold between two HTTP exchanges, cost the load generator
more than the rendering itself.

This runs once per request inside the Locust process, whose CPU is the load generator's
ceiling, so the hot path (`RequestWriter`) scans the reply as bytes (decoded only when it
holds a canary prefix or an error body) and keeps what it parsed from reply headers that
repeat from request to request; the tests fuzz it against the general `request_record`.

`error` is one of a few words a person would write (`harness.records.CLIENT_ERRORS`), not the
HTTP client's own text: `error_text` maps the client's exceptions to them.
"""

from __future__ import annotations

import errno
import http.client
import json
import re
import ssl
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, fields, make_dataclass, replace
from typing import Any

import orjson

from harness.records import IN_FLIGHT_ERROR, REQUEST_COLUMNS, RecordFile, RequestRecord, stamp
from harness.records import line as record_line

REQUEST_FIELDS = tuple(REQUEST_COLUMNS)
"""The request record's fields in contract order (`harness.records.RequestRecord`)."""

_OPTIONAL = tuple(f.name for f in fields(RequestRecord) if f.metadata.get("omit_null"))
_CORE = fields(RequestRecord)[: -len(_OPTIONAL)]
assert all(f.name not in _OPTIONAL for f in _CORE), "omit-null fields must come last"
_RequestCore = make_dataclass("_RequestCore", [(f.name, f.type) for f in _CORE])
"""The record's always-written fields: the hot path renders these with orjson as they are
and appends the optional ones that are set (`RequestWriter.line`)."""

CANARY_PREFIX = "CANARY-"
_PREFIX_BYTES = CANARY_PREFIX.encode()
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


_INT64 = 1 << 63  # orjson writes 64-bit integers; a header beyond that is no count


def _int(value: str | None) -> int | None:
    try:
        number = int(value) if value is not None else None
    except ValueError:
        return None
    return number if number is None or -_INT64 <= number < _INT64 else None


def _float(value: str | None) -> float | None:
    """A finite number, else None (JSON has no NaN or infinity)."""
    try:
        number = float(value) if value is not None else None
    except ValueError:
        return None
    return number if number is None or number - number == 0.0 else None


class InFlightAtEnd(Exception):
    """The load stopped while the request awaited its answer. Its record's `error` is
    `harness.records.IN_FLIGHT_ERROR` and its latency the time it had waited; SLOs keep such
    requests apart, their outcome being unknown."""


TIMEOUT, REFUSED, RESET, CLOSED, BAD_RESPONSE = (
    "Timeout", "ConnectionRefused", "ConnectionReset", "ConnectionClosed", "BadResponse")
# The most telling word first: geventhttpclient wraps a reset in "connection closed" and a
# timeout in "retries exceeded", so a cause deeper in the chain may say more than the top.
_PRIORITY = (IN_FLIGHT_ERROR, TIMEOUT, REFUSED, RESET, CLOSED, BAD_RESPONSE)
_ERRNO = {errno.ETIMEDOUT: TIMEOUT, errno.ECONNREFUSED: REFUSED, errno.ECONNRESET: RESET,
          errno.EPIPE: CLOSED, errno.ECONNABORTED: CLOSED}  # fmt: skip
# The HTTP client's own exceptions by (module, class name): the recorder imports neither
# gevent nor geventhttpclient (the harness process reads records too).
_NAMED = {
    ("gevent.timeout", "Timeout"): TIMEOUT,
    ("geventhttpclient.response", "HTTPConnectionClosed"): CLOSED,
    ("geventhttpclient.useragent", "EmptyResponse"): CLOSED,
}
_MESSAGE_MAX = 200


def _word(exc: BaseException) -> str | None:
    """The vocabulary word for this one exception (its causes aside), if it has one."""
    if isinstance(exc, InFlightAtEnd):
        return IN_FLIGHT_ERROR
    for cls in type(exc).__mro__:  # most derived first: HTTPConnectionClosed is a parse error
        named = _NAMED.get((cls.__module__, cls.__name__))
        if named:
            return named
    if isinstance(exc, TimeoutError):  # socket.timeout too
        return TIMEOUT
    if isinstance(exc, ConnectionRefusedError):
        return REFUSED
    if isinstance(exc, ConnectionResetError):
        return RESET
    if isinstance(exc, BrokenPipeError | ConnectionAbortedError):
        return CLOSED
    if isinstance(exc, ssl.SSLError) and "timed out" in str(exc):
        return TIMEOUT
    if isinstance(exc, OSError) and exc.errno in _ERRNO:
        return _ERRNO[exc.errno]
    if isinstance(exc, http.client.HTTPException | zlib.error):  # geventhttpclient's parser
        return BAD_RESPONSE
    return None


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """`exc` and what it wraps: geventhttpclient's `original`, then `__cause__`/`__context__`."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo and len(seen) < 8:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        for inner in (getattr(current, "original", None), current.__cause__,
                      current.__context__):  # fmt: skip
            if isinstance(inner, BaseException):
                todo.append(inner)


def client_error(exc: BaseException) -> str:
    """The record's `error` for an exchange that got no HTTP answer (CLIENT_ERRORS)."""
    words = {_word(e) for e in _chain(exc)}
    for word in _PRIORITY:
        if word in words:
            return word
    name = type(exc).__name__
    message = " ".join(str(exc).split())[:_MESSAGE_MAX]
    return f"ClientError: {name}: {message}" if message else f"ClientError: {name}"


def error_text(
    status: int, exception: BaseException | None, body: bytes | str | None
) -> str | None:
    """The record's `error`: None for 2xx; with no answer, what the client saw in the words
    of `harness.records.CLIENT_ERRORS`; else `HTTP <status>[: <error.type>]`. A 2xx with an
    exception (its streamed body broke off) gets the client's word too."""
    if 200 <= status < 300:
        return None if exception is None else client_error(exception)
    if status == 0:
        return "NoResponse" if exception is None else client_error(exception)
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


def _parse_headers(raw: Sequence[Any]) -> tuple[int | None, float | None, bool, str | None]:
    """llm_calls, cost_usd, degraded and model from the raw x-llm-calls .. x-model values."""
    llm_calls, cost_usd, degraded, model = raw
    return _int(llm_calls), _float(cost_usd), (degraded or "").lower() == "true", model or None


def request_record(
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
    ttfb_ms: float | None = None,
    ttft_ms: float | None = None,
    session: str | None = None,
    turn: int | None = None,
) -> RequestRecord:
    """A request record; `headers` must answer lower-case names (None when no response),
    `reply` is the body as received. `ok`: 2xx and no `error`."""
    request_id, *raw = header_values(headers)
    return RequestRecord(
        ts_start,
        ts_end,
        round(latency_ms, 3),
        status,
        200 <= status < 300 and error is None,
        error,
        tenant,
        task,
        # The agent's id when it answered; otherwise the one we sent, so logs still join.
        request_id or client_request_id,
        *_parse_headers(raw),
        attack_id,
        attack_category,
        detector.leaked(reply, tenant),
        user,
        _round(ttfb_ms),
        _round(ttft_ms),
        session,
        turn,
    )


def _round(ms: float | None) -> float | None:
    return None if ms is None else round(ms, 3)


def build_record(**fields: Any) -> dict[str, Any]:
    """A request record as a dict; takes the arguments of `request_record`."""
    return asdict(request_record(**fields))


def request_line(record: RequestRecord) -> bytes:
    """The record's JSON line: its fields in order, timestamps with six decimals, the
    optional fields only when set."""
    if type(record.ts_start) is float or type(record.ts_end) is float:
        record = replace(record, ts_start=stamp(record.ts_start), ts_end=stamp(record.ts_end))
    row = {k: v for k, v in vars(record).items() if v is not None or k not in _OPTIONAL}
    try:
        return record_line(row)
    except TypeError:  # orjson's JSONEncodeError: a value no HTTP exchange gives
        return record_line({k: _plain(v) for k, v in row.items()})


def _plain(value: Any) -> Any:
    """`value` if orjson writes it, else its text (an odd value is kept, never lost)."""
    try:
        orjson.dumps(value)
    except TypeError:
        return str(value)
    return value


class Recorder(RecordFile):
    """Appends records to one JSONL file, each call one write(2) of whole lines."""

    def write(self, record: Mapping[str, Any]) -> None:
        """Any JSON-able record, keys in its own order."""
        self.append(dict(record))

    def write_record(self, record: RequestRecord) -> None:
        """A request record (the general path)."""
        self.write_line(request_line(record))

    def __enter__(self) -> Recorder:
        return self


_CACHE_MAX = 4096  # distinct reply-header sets kept per writer
_OK = (True, None)
_NONE = (None, None, None, None)
_Fragment, _dumps, _NEWLINE = orjson.Fragment, orjson.dumps, orjson.OPT_APPEND_NEWLINE


class RequestWriter:
    """The per-request hot path of the Locust process: records one exchange.

    The same line as `request_line(request_record(...))` (the tests hold it to that). This
    runs once per request in the load generator, whose CPU caps the load: what it parses
    from reply headers (they repeat from request to request) is kept, the record is built
    positionally and orjson renders it.
    """

    def __init__(
        self,
        recorder: RecordFile,
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
        self._parsed: dict[tuple[Any, ...], tuple[Any, ...]] = {}  # raw headers -> values

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
        ttfb_ms: float | None = None,
        ttft_ms: float | None = None,
        session: str | None = None,
        turn: int | None = None,
    ) -> list[str]:
        """Records one exchange (now, or at the deferred flush); returns its leaked canaries
        at once. `headers` are the reply's (None without a reply), `reply` its body as
        received; `exception` with a 2xx: its streamed body broke off."""
        leaked = (
            self.detector.leaked(reply, tenant)
            if reply and (self._scan_all or _PREFIX_BYTES in reply)
            else []
        )
        values = (ts_start, latency_ms, status, exception, tenant, task, user, headers,
                  reply, attack_id, attack_category, client_request_id, leaked, ttfb_ms,
                  ttft_ms, session, turn)  # fmt: skip
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
         attack_category, client_request_id, leaked, ttfb_ms, ttft_ms, session,
         turn) = exchange  # fmt: skip
        found = self._read_headers(headers)
        raw = found[1:]
        try:
            parsed = self._parsed.get(raw) or self._parse(raw)
        except TypeError:  # an unhashable value: not from HTTP headers
            parsed = _parse_headers(raw)
        ok, error = (_OK if 200 <= status < 300 and exception is None
                     else (False, error_text(status, exception, reply)))  # fmt: skip
        ts_end = ts_start + latency_ms / 1000.0
        llm_calls, cost_usd, degraded, model = parsed
        record = _RequestCore(
            # stamp(), inlined: the usual finite floats rendered here, anything else there
            _Fragment(b"%.6f" % ts_start) if type(ts_start) is float and ts_start - ts_start
            == 0.0 else stamp(ts_start),
            _Fragment(b"%.6f" % ts_end) if type(ts_end) is float and ts_end - ts_end == 0.0
            else stamp(ts_end),
            round(latency_ms, 3), status, ok, error, tenant, task,
            found[0] or client_request_id, llm_calls, cost_usd, degraded, model, attack_id,
            attack_category, leaked, user,
        )  # fmt: skip
        optional = (ttfb_ms, ttft_ms, session, turn)
        try:
            text = _dumps(record, option=_NEWLINE)  # records.line, without its dispatch
            if optional == _NONE:
                return text
            extra = {name: round(value, 3) if type(value) is float else value
                     for name, value in zip(_OPTIONAL, optional, strict=True)
                     if value is not None}  # fmt: skip
            return text[:-2] + b"," + _dumps(extra, option=_NEWLINE)[1:]
        except TypeError:  # orjson's JSONEncodeError: an odd value, written as text
            return request_line(RequestRecord(*vars(record).values(), *optional))

    def _parse(self, raw: tuple[Any, ...]) -> tuple[Any, ...]:
        parsed = _parse_headers(raw)
        if len(self._parsed) < _CACHE_MAX:
            self._parsed[raw] = parsed
        return parsed
