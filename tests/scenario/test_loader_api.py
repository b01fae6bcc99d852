"""`agent.api`: every key loads, presets fill what is not given, and every bad value is
reported at its file:line:col with what is allowed."""

from __future__ import annotations

import pytest

from harness.errors import ScenarioError
from harness.load.api import PRESETS, AgentAPI
from harness.scenario import parse_scenario

HEAD = "name: a\ntitle: t\nduration: 1s\nagent:\n  url: 'http://127.0.0.1:9'\n"  # agent: line 4


def api_of(block: str) -> AgentAPI:
    return parse_scenario(HEAD + block, "a.yaml").agent.api


def problem(block: str) -> str:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(HEAD + block, "a.yaml")
    problems = [str(p) for p in info.value.problems]
    assert len(problems) == 1, problems
    return problems[0]


def test_default_is_the_harness_contract() -> None:
    api = api_of("")
    assert api == AgentAPI(preset="harness")
    assert (api.method, api.path, api.reply, api.stream) == ("POST", "/v1/chat", "reply", "none")
    assert api.headers == {"x-api-key": "{tenant_key}"}
    assert api.body == {"message": "{message}", "session_id": "{session_id}"}


def test_every_key_loads() -> None:
    api = api_of(
        "  api:\n"
        "    preset: openai-chat\n"
        "    method: put\n"
        "    path: /chat/{tenant}\n"
        "    headers: {Authorization: null, X-Key: '{tenant_key}', X-Req: 'r-{request_id}'}\n"
        "    body: {q: '{message}', sid: '{session_id}', turns: '{history}', n: 3}\n"
        "    reply: data.answer\n"
        "    stream: sse\n"
        "    stream_text: delta\n"
    )
    assert (api.preset, api.method, api.path) == ("openai-chat", "PUT", "/chat/{tenant}")
    assert api.headers == {"Authorization": None, "X-Key": "{tenant_key}",
                           "X-Req": "r-{request_id}"}  # fmt: skip
    assert (api.reply, api.stream, api.stream_text) == ("data.answer", "sse", "delta")
    request = api.render(message="hi", session_id="s1", tenant="acme corp", tenant_key="k",
                         request_id="7", history=[{"role": "user", "content": "x"}])  # fmt: skip
    assert request.path == "/chat/acme%20corp"  # values in a path are URL-quoted
    assert request.headers == {"X-Key": "k", "X-Req": "r-7"}  # null dropped the preset's
    assert request.body == {"q": "hi", "sid": "s1", "n": 3,
                            "turns": [{"role": "user", "content": "x"}]}  # fmt: skip


@pytest.mark.parametrize("preset", list(PRESETS))
def test_presets_fill_every_part(preset: str) -> None:
    api = api_of(f"  api: {{preset: {preset}, stream: sse}}\n")
    spec = PRESETS[preset]
    assert (api.method, api.path, api.reply) == (spec.method, spec.path, spec.reply)
    assert api.headers == dict(spec.headers) and api.stream_text == spec.stream_text
    body = api.render(message="m", session_id="s", tenant="t", tenant_key="k",
                      request_id="r").body  # fmt: skip
    if "stream" in spec.body:
        assert body["stream"] is True and body["messages"] == [{"role": "user", "content": "m"}]


def test_chat_path_is_the_old_name_of_api_path() -> None:
    assert api_of("  chat_path: /chat\n").path == "/chat"
    assert api_of("  chat_path: /chat\n  api: {stream: sse}\n").path == "/chat"
    assert problem("  chat_path: /a\n  api: {path: /b}\n") == (
        "a.yaml:5:3: agent: `chat_path` is the old name of `api.path`: give only `api.path`")
    assert problem("  chat_path: chat\n").startswith("a.yaml:6:14: agent.chat_path: ")


@pytest.mark.parametrize(("block", "expected"), [
    ("  api:\n    preset: openai\n",
     "a.yaml:7:13: agent.api.preset: invalid value 'openai'; allowed: harness, openai-chat, "
     "anthropic-messages"),
    ("  api:\n    stream: websocket\n",
     "a.yaml:7:13: agent.api.stream: invalid value 'websocket'; allowed: none, sse, chunked"),
    ("  api:\n    reply: choices..content\n",
     "a.yaml:7:12: agent.api.reply: 'choices..content' is not a JSON path (JMESPath): "
     "parse error at column 9"),
    ("  api:\n    stream_text: '[?'\n",
     "a.yaml:7:18: agent.api.stream_text: '[?' is not a JSON path (JMESPath)"),
    ("  api:\n    method: DELETE\n",
     "a.yaml:7:13: agent.api.method: invalid value 'DELETE'; allowed: POST, PUT, PATCH, GET"),
    ("  api:\n    path: chat\n", "a.yaml:7:11: agent.api.path: String should match pattern"),
    ("  api:\n    path: '/c/{history}'\n",
     "a.yaml:7:11: agent.api.path: {history} is allowed only in `body`"),
    ("  api:\n    headers:\n      X-Key: '{tenantkey}'\n",
     "a.yaml:8:14: agent.api.headers.X-Key: unknown placeholder {tenantkey} in '{tenantkey}'; "
     "known: {message}, {session_id}, {tenant}, {tenant_key}, {request_id}"),
    ("  api:\n    body: {m: 'x {messages}'}\n",
     'a.yaml:7:11: agent.api.body: body.m: {messages} must be the whole value ("{messages}")'),
    ("  api:\n    body: {m: ['{mesage}']}\n",
     "a.yaml:7:11: agent.api.body: body.m[0]: unknown placeholder {mesage}"),
    ("  api:\n    method: GET\n",
     "a.yaml:7:5: agent.api: a GET request has no body: set `body: null` or another method"),
    ("  api:\n    pth: /x\n",
     "a.yaml:7:5: agent.api.pth: unknown key 'pth'; allowed: body, headers, method, path, "
     "preset, reply, stream, stream_text"),
])  # fmt: skip
def test_bad_values_name_file_line_and_what_is_allowed(block: str, expected: str) -> None:
    assert problem(block).startswith(expected)


def test_a_get_without_body_loads() -> None:
    api = api_of("  api: {method: GET, path: '/ask?q={message}', body: null}\n")
    request = api.render(message="a b&c", session_id="s", tenant="t", tenant_key="k",
                         request_id="r")  # fmt: skip
    assert (request.method, request.path, request.body) == ("GET", "/ask?q=a%20b%26c", None)


def test_the_reference_agent_speaks_only_the_default() -> None:
    text = "name: a\ntitle: t\nduration: 1s\nagent:\n  profile: naive\n  api: {stream: sse}\n"
    with pytest.raises(ScenarioError, match=r"a.yaml:5:3: agent: `api` other than the default"):
        parse_scenario(text, "a.yaml")
    ok = "name: a\ntitle: t\nduration: 1s\nagent:\n  profile: naive\n  api: {preset: harness}\n"
    assert parse_scenario(ok, "a.yaml").agent.api == AgentAPI()
