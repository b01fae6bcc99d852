"""The recorder: record fields, leak detection (other tenants only), lines on disk at once."""

from __future__ import annotations

import json
from pathlib import Path

from harness.load.recorder import LeakDetector, Recorder, build_record, error_text
from harness.measure.run_data import REQUEST_COLUMNS

DETECTOR = LeakDetector(
    {"acme": ["CANARY-acme-000000000001"], "globex": ["CANARY-globex-000000000002"]},
    ["acme", "globex", "initech"],
)


def test_own_canaries_are_not_leaks_others_are() -> None:
    text = "CANARY-acme-000000000001 and CANARY-globex-000000000002"
    assert DETECTOR.leaked(text, "acme") == ["CANARY-globex-000000000002"]
    assert DETECTOR.leaked(text, "globex") == ["CANARY-acme-000000000001"]
    assert DETECTOR.leaked(text, "initech") == sorted(text.split(" and "))


def test_unlisted_canaries_are_caught_by_their_shape() -> None:
    text = "x CANARY-initech-abcdef012345, CANARY-hooli-0f0f. CANARY-acme-zz"
    assert DETECTOR.leaked(text, "acme") == ["CANARY-hooli-0f0f", "CANARY-initech-abcdef012345"]
    assert DETECTOR.leaked(text, "initech") == ["CANARY-hooli-0f0f"]
    assert DETECTOR.leaked("no secrets here", "acme") == []
    assert DETECTOR.leaked(None, "acme") == []


def test_hyphenated_tenant_names_and_custom_canaries() -> None:
    detector = LeakDetector({"big-co": ["s3cret-token"]}, ["big-co", "acme"])
    assert detector.leaked("CANARY-big-co-beef s3cret-token", "acme") == [
        "CANARY-big-co-beef",
        "s3cret-token",
    ]
    assert detector.leaked("CANARY-big-co-beef s3cret-token", "big-co") == []


def test_record_has_every_contract_field_with_types() -> None:
    record = build_record(
        ts_start=10.0,
        ts_end=10.25,
        latency_ms=250.0,
        status=200,
        error=None,
        tenant="acme",
        task="attack",
        user=3,
        headers={
            "x-request-id": "r1",
            "x-llm-calls": "4",
            "x-cost-usd": "0.0123",
            "x-degraded": "true",
            "x-model": "claude-haiku",
        },
        reply='{"reply": "CANARY-globex-000000000002"}',
        detector=DETECTOR,
        attack_id="CT-001",
        attack_category="cross_tenant_exfiltration",
        client_request_id="mine",
    )
    assert list(record) == REQUEST_COLUMNS
    assert record["ok"] is True and record["degraded"] is True
    assert (record["request_id"], record["llm_calls"], record["cost_usd"]) == ("r1", 4, 0.0123)
    assert record["leaked_canaries"] == ["CANARY-globex-000000000002"]


def test_no_response_record() -> None:
    error = error_text(0, ConnectionRefusedError("refused"), None)
    record = build_record(
        ts_start=1.0, ts_end=2.0, latency_ms=1000.0, status=0, error=error, tenant="acme",
        task="chat", user=0, headers=None, reply=None, detector=DETECTOR,
        client_request_id="mine",
    )  # fmt: skip
    assert record["ok"] is False and record["status"] == 0
    assert record["error"] == "ConnectionRefused"
    assert record["request_id"] == "mine"
    assert record["llm_calls"] is None and record["cost_usd"] is None and record["model"] is None
    assert record["degraded"] is False


def test_error_text_names_the_agents_error_type() -> None:
    body = '{"error": {"type": "overloaded_error", "message": "busy"}}'
    assert error_text(503, None, body) == "HTTP 503: overloaded_error"
    assert error_text(500, None, "<html>") == "HTTP 500"
    assert error_text(204, None, None) is None


def test_each_record_is_on_disk_before_close(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "requests.jsonl"
    recorder = Recorder(path)
    try:
        for i in range(3):
            recorder.write({"user": i})
            lines = path.read_text().splitlines()
            assert [json.loads(line)["user"] for line in lines] == list(range(i + 1))
    finally:
        recorder.close()
    with Recorder(path) as again:  # appends
        again.write({"user": 3})
    assert len(path.read_text().splitlines()) == 4


def test_client_errors_read_as_a_person_would_write_them() -> None:
    from harness.load.recorder import InFlightAtEnd
    from harness.records import CLIENT_ERRORS

    wrapped = ValueError("URL http://x: 0, original=timed out")
    wrapped.original = TimeoutError("timed out")  # type: ignore[attr-defined]
    reset = OSError("connection closed.")
    reset.__context__ = ConnectionResetError(104, "Connection reset by peer")
    cases = {
        "Timeout": wrapped, "ConnectionRefused": ConnectionRefusedError(111, "refused"),
        "ConnectionReset": reset, "ConnectionClosed": BrokenPipeError(32, "Broken pipe"),
        "InFlightAtEnd": InFlightAtEnd(),
    }  # fmt: skip
    for word, exc in cases.items():
        assert error_text(0, exc, None) == word and word in CLIENT_ERRORS
    assert error_text(0, KeyError("odd"), None) == "ClientError: KeyError: 'odd'"
    assert error_text(0, None, None) == "NoResponse"
