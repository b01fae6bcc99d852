"""The recorder's hot path equals the general code: JSON lines of the record's fields as
orjson writes them (timestamps with six decimals), leaks found in bytes as in text, errors read
from bytes bodies, the writer's line as the general one, geventhttpclient headers read
directly as through their `get`."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, astuple
from pathlib import Path

import orjson
from geventhttpclient.header import Headers
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.load.headers import read_header_values
from harness.load.recorder import (
    HEADERS,
    REQUEST_FIELDS,
    LeakDetector,
    Recorder,
    RequestWriter,
    error_text,
    header_values,
    request_line,
    request_record,
)
from harness.records import REQUEST_COLUMNS, RequestRecord, stamp

fuzz = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DETECTOR = LeakDetector(
    {"acme": ["CANARY-acme-000000000001"], "globex": ["CANARY-globex-000000000002"]},
    ["acme", "globex", "big-co"],
)
CUSTOM = LeakDetector({"acme": ["s3cret-token"], "globex": ["CANARY-globex-beef"]}, ["acme"])


def finite_or_none(value: object) -> object:
    """What reading the line back gives: JSON has no NaN or infinity, orjson writes null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


OPTIONAL = ("ttfb_ms", "ttft_ms", "session", "turn")  # left out of a line while None
CORE_COLUMNS = [c for c in REQUEST_COLUMNS if c not in OPTIONAL]


def read_back(values: tuple[object, ...]) -> dict[str, object]:
    """The record `json.loads` should find in the line of `values` (the optional fields
    may be left off the end: None)."""
    values = values + (None,) * (len(REQUEST_FIELDS) - len(values))
    row = dict(zip(REQUEST_FIELDS, (finite_or_none(v) for v in values), strict=True))
    for key in OPTIONAL:
        if values[REQUEST_FIELDS.index(key)] is None:
            del row[key]
    for key in ("ts_start", "ts_end"):
        ts = row[key]
        if type(ts) is float:
            row[key] = float(f"{ts:.6f}")
    return row


def test_fields_are_the_contract_order() -> None:
    assert list(REQUEST_FIELDS) == REQUEST_COLUMNS
    assert REQUEST_COLUMNS[-len(OPTIONAL):] == list(OPTIONAL)  # the optional ones come last


floats = st.floats(allow_nan=True, allow_infinity=True)
texts = st.text(st.characters(codec="utf-8"), max_size=12)
int64 = st.integers(-(2**63), 2**63 - 1)
anything = st.one_of(st.none(), st.booleans(), int64, floats, texts, st.lists(texts))
# what request_record builds: the fast path's shape
typical = st.tuples(
    st.floats(0, 4e9), st.floats(0, 4e9), st.floats(0, 1e6).map(lambda x: round(x, 3)),
    st.integers(0, 599), st.booleans(), st.none() | texts, texts, texts, st.none() | texts,
    st.none() | st.integers(0, 99), st.none() | floats, st.booleans(), st.none() | texts,
    st.none() | texts, st.none() | texts, st.lists(texts, max_size=3), st.integers(0, 10**6),
    st.none() | st.floats(0, 1e6).map(lambda x: round(x, 3)),
    st.none() | st.floats(0, 1e6).map(lambda x: round(x, 3)), st.none() | texts,
    st.none() | st.integers(0, 99),
)  # fmt: skip


@fuzz
@given(st.floats(0, 1e10 - 1))
def test_timestamps_are_seconds_to_the_microsecond(ts: float) -> None:
    text = request_line(RequestRecord(ts, ts, *[None] * 15)).split(b",")[0]  # type: ignore[arg-type]
    whole, _, micros = text.removeprefix(b'{"ts_start":').partition(b".")
    assert whole.isdigit() and len(micros) == 6 and micros.isdigit()
    # the nearest microsecond, give or take the rounding of ts * 1e6
    assert abs(int(whole) * 1_000_000 + int(micros) - ts * 1e6) <= 0.5 + ts * 1e6 * 2**-52


def test_timestamps_that_are_not_finite_floats_are_written_by_orjson() -> None:
    for odd, text in ((-1.0, b"-1.000000"), (math.inf, b"null"), (math.nan, b"null"),
                      (5, b"5"), (None, b"null")):  # fmt: skip
        line = request_line(RequestRecord(odd, 1.0, *[None] * 15))  # type: ignore[arg-type]
        assert line.startswith(b'{"ts_start":' + text + b',"ts_end":1.000000,'), odd
    assert orjson.dumps([stamp(1764270000.25)]) == b"[1764270000.250000]"


@fuzz
@given(typical)
def test_line_of_typical_values_reads_back_as_the_record(values: tuple[object, ...]) -> None:
    line = request_line(RequestRecord(*values))  # type: ignore[arg-type]
    assert line.endswith(b"}\n") and line.count(b"\n") == 1
    assert json.loads(line) == read_back(values)


@fuzz
@given(st.tuples(*[anything] * len(REQUEST_FIELDS)))
def test_line_of_any_values_reads_back_as_the_record(values: tuple[object, ...]) -> None:
    line = request_line(RequestRecord(*values))  # type: ignore[arg-type]
    assert list(json.loads(line)) == list(read_back(values))
    assert list(read_back(values))[: len(CORE_COLUMNS)] == CORE_COLUMNS
    assert json.loads(line) == read_back(values)


def test_line_of_odd_values_is_kept_as_text() -> None:
    values = (1.0, 1.5, 2**70, 200, True, None, "é", "t", "r", object, None, False, None, None,
              None, ["CANARY-acme-1", "\u2028"], 7)  # fmt: skip
    row = json.loads(request_line(RequestRecord(*values)))  # type: ignore[arg-type]
    assert row["latency_ms"] == str(2**70) and row["llm_calls"] == str(object)
    assert row["tenant"] == "é" and row["leaked_canaries"] == ["CANARY-acme-1", "\u2028"]


@fuzz
@given(
    st.lists(
        st.sampled_from(
            [b"CANARY-acme-000000000001", b"CANARY-globex-00ff", b"CANARY-big-co-abc",
             b"CANARY-hooli-1", b"CANARY-", b"CANARY-acme-zz", b"s3cret-token", b"\xff", b"\xc3",
             b"\xc3\xa9", b" ", b"x", b"CANARY-globex-beef"]
        ) | st.binary(max_size=6),
        max_size=8,
    ).map(b"".join),
    st.sampled_from(["acme", "globex", "big-co", "initech"]),
)  # fmt: skip
def test_leaks_in_bytes_are_leaks_in_text(body: bytes, tenant: str) -> None:
    text = body.decode("utf-8", "replace")
    for detector in (DETECTOR, CUSTOM):
        assert detector.leaked(body, tenant) == detector.leaked(text, tenant)


def test_bytes_fast_path_skips_only_replies_without_canaries() -> None:
    body = '{"reply": "CANARY-globex-000000000002 \u00e9"}'.encode()
    assert DETECTOR.leaked(body, "acme") == ["CANARY-globex-000000000002"]
    assert DETECTOR.leaked(b"\xffCANARY-hooli-0f0f\xfe", "acme") == ["CANARY-hooli-0f0f"]
    assert DETECTOR.leaked(b'{"reply": "all good"}', "acme") == []
    # a configured canary without the prefix turns the prefix shortcut off
    assert CUSTOM.leaked(b"here: s3cret-token", "globex") == ["s3cret-token"]
    assert CUSTOM.leaked(b"here: s3cret-token", "acme") == []


def test_error_text_reads_bytes_bodies() -> None:
    body = b'{"error": {"type": "overloaded_error", "message": "busy \xff"}}'
    assert error_text(503, None, body) == "HTTP 503: overloaded_error"
    assert error_text(500, None, b"\xff<html>") == "HTTP 500"
    assert error_text(200, None, body) is None


def test_record_from_bytes_equals_record_from_text() -> None:
    body = b'{"reply": "CANARY-globex-000000000002 and \xe2\x82\xac"}'
    common = dict(
        ts_start=1.0, ts_end=1.5, latency_ms=500.0, status=200, error=None, tenant="acme",
        task="chat", user=1, headers={"x-request-id": "r", "x-cost-usd": "0.5"},
        detector=DETECTOR, client_request_id="c",
    )  # fmt: skip
    from_bytes = asdict(request_record(reply=body, **common))
    assert from_bytes == asdict(request_record(reply=body.decode(), **common))
    assert from_bytes["leaked_canaries"] == ["CANARY-globex-000000000002"]


def test_write_record_puts_each_line_on_disk_at_once(tmp_path: Path) -> None:
    path = tmp_path / "requests.jsonl"
    recorder = Recorder(path)
    try:
        for i, status in enumerate((200, 503, 0)):
            record = request_record(
                ts_start=100.0 + i, ts_end=100.25 + i, latency_ms=250.0, status=status,
                error=error_text(status, None, b'{"error": {"type": "x"}}'), tenant="acme",
                task="chat", user=i, headers={"x-llm-calls": "2"} if status else None,
                reply=b"CANARY-globex-000000000002" if status else None, detector=DETECTOR,
                client_request_id=f"c{i}",
            )  # fmt: skip
            recorder.write_record(record)
            lines = path.read_bytes().splitlines(keepends=True)
            assert len(lines) == i + 1 and json.loads(lines[-1]) == read_back(astuple(record))
            assert list(json.loads(lines[-1])) == CORE_COLUMNS
        assert recorder.count == 3
    finally:
        recorder.close()
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["error"] for r in rows] == [None, "HTTP 503: x", "NoResponse"]
    assert [r["leaked_canaries"] for r in rows] == [["CANARY-globex-000000000002"]] * 2 + [[]]


class _Lines:
    """Stands in for a Recorder: keeps the lines a RequestWriter writes."""

    def __init__(self) -> None:
        self.lines: list[bytes] = []

    def write_line(self, line: bytes) -> None:
        self.lines.append(line)


def near_tie(case: tuple[int, int]) -> float:
    """A latency at, just below or just above k + 0.5 microseconds: where rounding to
    thousandths of a millisecond is touchy."""
    k, side = case
    tie = (k + 0.5) / 1000
    return tie if side == 0 else math.nextafter(tie, side * math.inf)


header_text = st.none() | st.sampled_from(["2", "x", "nan", "inf", "0.5", "TRUE", "false", ""])
replies = st.none() | st.lists(
    st.sampled_from([b"CANARY-globex-000000000002", b"CANARY-acme-000000000001",
                     b"CANARY-hooli-1", b"s3cret-token", b'{"error": {"type": "busy"}}', b"\xff",
                     b"ok"])
).map(b"".join)  # fmt: skip


@fuzz
@given(
    ts_start=st.floats(0, 4e9) | st.sampled_from([math.inf, math.nan]),
    latency_ms=st.floats(0, 1e6)
    | st.sampled_from([math.nan, -1.0, 2e9, 7, 1e12])
    | st.tuples(st.integers(0, 10**10), st.sampled_from([-1, 0, 1])).map(near_tie),
    status=st.sampled_from([200, 204, 404, 503, 0]),
    tenant=st.sampled_from(["acme", "globex", "\u00e9t\u00e9"]),
    task=st.sampled_from(["chat", "attack"]),
    header_values=st.tuples(header_text, header_text, header_text, header_text, header_text),
    reply=replies,
    attack=st.none() | st.tuples(texts, texts),
    detector=st.sampled_from([DETECTOR, CUSTOM]),
    streamed=st.none() | st.tuples(st.floats(0, 1e6) | st.sampled_from([math.nan, 7]),
                                   st.none() | st.floats(0, 1e6), st.booleans()),
    session=st.none() | st.tuples(texts, st.integers(0, 10**6)),
)  # fmt: skip
def test_writer_line_is_the_general_line(
    ts_start: float, latency_ms: float, status: int, tenant: str, task: str,
    header_values: tuple[str | None, ...], reply: bytes | None, attack: tuple[str, str] | None,
    detector: LeakDetector, streamed: tuple[float, float | None, bool] | None,
    session: tuple[str, int] | None,
) -> None:  # fmt: skip
    lines = _Lines()
    ttfb, ttft, broke = streamed or (None, None, False)
    session_id, turn = session or (None, None)
    exception: BaseException | None = ConnectionRefusedError("refused") if status == 0 else None
    if broke and status:  # a streamed body broken off
        exception = ConnectionResetError("reset")
    attack_id, category = attack or (None, None)
    pairs = zip(HEADERS, header_values, strict=True)
    headers = {name: value for name, value in pairs if value is not None}
    leaked = RequestWriter(lines, detector).write(  # type: ignore[arg-type]
        ts_start, latency_ms, status, exception, tenant, task, 7, headers, reply, attack_id,
        category, "mine", ttfb, ttft, session_id, turn,
    )  # fmt: skip
    record = request_record(
        ts_start=ts_start, ts_end=ts_start + latency_ms / 1000.0, latency_ms=latency_ms,
        status=status, error=error_text(status, exception, reply), tenant=tenant, task=task,
        user=7, headers=headers, reply=reply,
        detector=detector, attack_id=attack_id, attack_category=category,
        client_request_id="mine", ttfb_ms=ttfb, ttft_ms=ttft, session=session_id, turn=turn,
    )  # fmt: skip
    assert lines.lines == [request_line(record)]
    assert leaked == record.leaked_canaries
    if broke and 200 <= status < 300:
        assert not record.ok and record.error == "ConnectionReset"


def test_writer_reports_leaks_and_writes_numbers_json_lacks_as_null() -> None:
    lines = _Lines()
    writer = RequestWriter(lines, DETECTOR)  # type: ignore[arg-type]
    body = b'{"reply": "CANARY-globex-000000000002"}'
    headers = {"x-request-id": "r", "x-llm-calls": "1", "x-cost-usd": "nan"}
    args = (1.0, 2.0, 200, None, "acme", "chat", 1, headers, body, None, None, "c")
    assert writer.write(*args) == ["CANARY-globex-000000000002"]
    row = json.loads(lines.lines[0])
    assert row["cost_usd"] is None and b'"cost_usd":null' in lines.lines[0]  # not a price
    assert row["leaked_canaries"] == ["CANARY-globex-000000000002"]
    assert writer.write(*args[:8], b"no canary here", *args[9:]) == []


def _ghc_headers(pairs: list[tuple[str, str]]) -> Headers:
    headers = Headers()
    for name, value in pairs:
        headers.add(name, value)
    return headers


@fuzz
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["X-Request-Id", "x-llm-calls", "X-Cost-USD", "x-degraded",
                             "X-MODEL", "content-type", "x-other"]),
            st.text(max_size=4),
        ),
        max_size=8,
    )
)  # fmt: skip
def test_fast_header_read_equals_the_general_one(pairs: list[tuple[str, str]]) -> None:
    headers = _ghc_headers(pairs)
    assert read_header_values is not header_values  # the shortcut is in use with this version
    assert read_header_values(headers) == header_values(headers)
    assert read_header_values(None) == header_values(None) == (None,) * 5
    assert read_header_values(dict(pairs)) == header_values(dict(pairs))


def _exchange(i: int) -> tuple[object, ...]:
    body = b"CANARY-globex-000000000002" if i == 1 else b'{"reply": "ok"}'
    headers = {"x-request-id": f"r{i}", "x-llm-calls": "2", "x-cost-usd": "0.002"}
    return (1764270000.25 + i, 12.5, 200, None, "acme", "chat", i, headers, body, None, None,
            f"c{i}")  # fmt: skip


def test_deferred_records_are_rendered_and_written_together_at_the_flush() -> None:
    immediate, deferred = _Lines(), _Lines()
    scheduled: list[object] = []
    now = RequestWriter(immediate, DETECTOR)  # type: ignore[arg-type]
    later = RequestWriter(deferred, DETECTOR, defer=scheduled.append)  # type: ignore[arg-type]
    for i in range(3):
        assert later.write(*_exchange(i)) == now.write(*_exchange(i))  # leaks found at once
    assert later.write(*_exchange(1)) == ["CANARY-globex-000000000002"]
    assert deferred.lines == [] and scheduled == [later.flush]  # one flush per batch
    later.flush()
    assert deferred.lines == [b"".join([*immediate.lines, immediate.lines[1]])]
    later.flush()  # nothing pending: no empty write
    assert len(deferred.lines) == 1
    later.write(*_exchange(2))
    assert scheduled == [later.flush, later.flush]


def test_deferred_records_reach_the_file_before_gevent_waits_again(tmp_path: Path) -> None:
    import gevent

    path = tmp_path / "requests.jsonl"
    recorder = Recorder(path)
    writer = RequestWriter(
        recorder, DETECTOR, defer=gevent.get_hub().loop.run_callback,
        read_headers=read_header_values,
    )  # fmt: skip
    try:
        gevent.joinall([gevent.spawn(writer.write, *_exchange(i)) for i in range(5)])
        gevent.sleep(0)  # one turn of the loop
        rows = [json.loads(line) for line in path.read_text().splitlines()]
        assert [r["user"] for r in rows] == list(range(5)) and recorder.count == 5
        assert rows[1]["leaked_canaries"] == ["CANARY-globex-000000000002"]
        assert rows[0]["ts_start"] == 1764270000.25 and rows[0]["latency_ms"] == 12.5
    finally:
        writer.flush()
        recorder.close()
