"""harness.load.api on its own: templates render each placeholder, reply paths find the text,
streams give the same text and first-text moment however the bytes are split."""

from __future__ import annotations

import itertools
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.load.api import PRESETS, AgentAPI, compile_path

VALUES = dict(message='say "hi" {x}', session_id="s/1", tenant="acme", tenant_key="k-1",
              request_id="r1")  # fmt: skip
HISTORY = [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]


def test_every_placeholder_renders_and_user_text_stays_literal() -> None:
    api = AgentAPI(
        path="/t/{tenant}/s/{session_id}",
        headers={"X-All": "{message}|{session_id}|{tenant}|{tenant_key}|{request_id}"},
        body={"m": "{message}", "h": "{history}", "all": "{messages}", "s": "{stream}",
              "nested": [{"k": "{tenant_key}"}, 1, None, True]},
    )  # fmt: skip
    r = api.render(**VALUES, history=HISTORY)
    assert r.path == "/t/acme/s/s%2F1"
    assert r.headers == {"x-api-key": "k-1", "X-All": 'say "hi" {x}|s/1|acme|k-1|r1'}
    assert r.body == {"m": 'say "hi" {x}', "h": HISTORY, "s": False,
                      "all": [*HISTORY, {"role": "user", "content": 'say "hi" {x}'}],
                      "nested": [{"k": "k-1"}, 1, None, True]}  # fmt: skip
    assert api.uses_history
    r.body["h"].append({"role": "user", "content": "later"})  # the caller's list is not shared
    assert HISTORY[-1]["content"] == "b"


def test_the_default_api_is_todays_request() -> None:
    r = AgentAPI().render(**VALUES)
    assert (r.method, r.path, r.headers) == ("POST", "/v1/chat", {"x-api-key": "k-1"})
    assert r.body == {"message": 'say "hi" {x}', "session_id": "s/1"}
    assert not AgentAPI().uses_history


def test_a_dumped_api_validates_back_to_itself() -> None:
    for name in PRESETS:
        api = AgentAPI(preset=name, stream="sse", headers={"x-api-key": None, "X": "{tenant}"})
        again = AgentAPI.model_validate_json(api.model_dump_json())
        assert again == api and again.render(**VALUES) == api.render(**VALUES)


@pytest.mark.parametrize(("preset", "answer", "text"), [
    ("harness", {"reply": "hello"}, "hello"),
    ("openai-chat", {"choices": [{"message": {"role": "assistant", "content": "hi"}}]}, "hi"),
    ("anthropic-messages", {"content": [{"type": "thinking", "thinking": "x"},
                                        {"type": "text", "text": "a"},
                                        {"type": "tool_use", "name": "t"},
                                        {"type": "text", "text": "b"}]}, "ab"),
    ("harness", {"answer": "no reply key"}, None),
    ("openai-chat", {"choices": []}, None),
])  # fmt: skip
def test_reply_text_of_each_preset(preset: str, answer: object, text: str | None) -> None:
    assert AgentAPI(preset=preset).reply_text(json.dumps(answer).encode()) == text


def test_reply_text_of_what_is_not_json_is_none() -> None:
    api = AgentAPI()
    assert api.reply_text(b"<html>") is None and api.reply_text(b"") is None


def test_dotted_indices_and_jmespath_both_work() -> None:
    document = {"a": [{"b": "x"}, {"b": "y"}]}
    assert compile_path("a.1.b").search(document) == "y"
    assert compile_path("a[1].b").search(document) == "y"
    assert compile_path("a[*].b").search(document) == ["x", "y"]
    with pytest.raises(ValueError, match="not a JSON path"):
        compile_path("a..b")


def openai_stream(words: list[str]) -> bytes:
    events = [{"choices": [{"delta": {"role": "assistant"}}]}]
    events += [{"choices": [{"delta": {"content": w}}]} for w in words]
    return b"".join(f"data: {json.dumps(e)}\n\n".encode() for e in events) + b"data: [DONE]\n\n"


def anthropic_stream(words: list[str]) -> bytes:
    def event(kind: str, **data: object) -> bytes:
        return f"event: {kind}\r\ndata: {json.dumps({'type': kind, **data})}\r\n\r\n".encode()

    parts = [event("message_start", message={}), b": ping\r\n\r\n"]
    parts += [event("content_block_delta", index=0, delta={"type": "text_delta", "text": w})
              for w in words]  # fmt: skip
    parts += [event("message_delta", delta={"stop_reason": "end_turn"}), event("message_stop")]
    return b"".join(parts)


def read(api: AgentAPI, pieces: list[bytes]):  # type: ignore[no-untyped-def]
    ticks = itertools.count(1)
    return api.stream_reader(clock=lambda: float(next(ticks))).read(pieces)


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in itertools.pairwise(points)]


WORDS = ["Hel", "lo ", "wörld", ""]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(0, 10_000), max_size=12))
def test_sse_text_is_the_same_however_the_bytes_are_split(cuts: list[int]) -> None:
    for preset, body in (("openai-chat", openai_stream(WORDS)),
                         ("anthropic-messages", anthropic_stream(WORDS))):  # fmt: skip
        reader = read(AgentAPI(preset=preset, stream="sse"), split(body, cuts))
        assert reader.text == "Hello wörld" and reader.body == body
        assert reader.first_byte == 1.0 and reader.first_text is not None
        assert reader.done == (preset == "openai-chat")


def test_first_text_is_stamped_when_the_first_delta_arrives() -> None:
    body = openai_stream(["Hi"])
    first_event = body.index(b"\n\n") + 2  # the role-only event carries no text
    pieces = [body[:first_event], body[first_event:]]
    reader = read(AgentAPI(preset="openai-chat", stream="sse"), pieces)
    # clock ticks: 1 = first byte, 2 = the text delta, read from the second piece
    assert (reader.first_byte, reader.first_text, reader.text) == (1.0, 2.0, "Hi")


def test_sse_without_stream_text_takes_the_data_as_text() -> None:
    api = AgentAPI(stream="sse", stream_text=None)
    reader = read(api, [b"data: one\n", b"\ndata: two\ndata: lines\n\n", b": comment\n\n"])
    assert reader.text == "onetwo\nlines"


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 100), max_size=8))
def test_chunked_text_survives_multibyte_splits(cuts: list[int]) -> None:
    body = "naïve ünïcode ✓".encode()
    reader = read(AgentAPI(stream="chunked"), split(body, cuts))
    assert reader.text == "naïve ünïcode ✓" and reader.first_text is not None


def test_a_stream_broken_midway_keeps_what_it_read() -> None:
    def pieces():  # type: ignore[no-untyped-def]
        yield b'data: {"choices": [{"delta": {"content": "par"}}]}\n\n'
        raise ConnectionResetError("reset")

    reader = AgentAPI(preset="openai-chat", stream="sse").stream_reader()
    with pytest.raises(ConnectionResetError):
        reader.read(pieces())
    assert reader.text == "par" and reader.first_text is not None
