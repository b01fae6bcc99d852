"""The model for any tools, through the real anthropic SDK: relevance, schema-valid input,
tool_choice, parallel calls, the next call after a result, server tools and the knobs."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import anthropic
import jsonschema
import pytest

from harness.fake_llm import FakeLLMServer

MODEL = "claude-sonnet-5-5"
WEATHER = {
    "name": "get_weather",
    "description": "Get the current weather for a city.",
    "input_schema": {
        "type": "object",
        "properties": {
            "city": {"type": "string", "description": "City name"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        },
        "required": ["city", "unit"],
        "additionalProperties": False,
    },
}
FLIGHTS = {
    "name": "find_flights",
    "description": "Search flights between two cities on a date.",
    "input_schema": {
        "type": "object",
        "properties": {
            "origin": {"type": "string"},
            "destination": {"type": "string"},
            "date": {"type": "string", "format": "date"},
            "passengers": {"type": "integer", "minimum": 1, "maximum": 9},
            "cabin": {"type": "string", "enum": ["economy", "business", "first"]},
        },
        "required": ["origin", "destination", "date", "passengers"],
        "additionalProperties": False,
    },
}
HOTEL = {
    "name": "book_hotel",
    "description": "Book a hotel room.",
    "input_schema": {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "check_in": {"type": "string", "format": "date"},
            "nights": {"type": "integer", "minimum": 1, "maximum": 30},
            "extras": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        },
        "required": ["city", "check_in", "nights", "extras"],
        "additionalProperties": False,
    },
}
TRAVEL = [WEATHER, FLIGHTS, HOTEL]
LOOKUP_ORDER = {
    "name": "lookup_order",
    "description": "Look up the status of an order.",
    "input_schema": {
        "type": "object",
        "properties": {"order_id": {"type": "integer"}},
        "required": ["order_id"],
    },
}
SCHEMAS = {t["name"]: t["input_schema"] for t in [*TRAVEL, LOOKUP_ORDER]}
FORMATS = jsonschema.FormatChecker()


def _valid(block: Any) -> None:
    jsonschema.validate(block.input, SCHEMAS[block.name], format_checker=FORMATS)


def _uses(message: Any) -> list[Any]:
    return [b for b in message.content if b.type == "tool_use"]


def _run_tool(name: str, args: dict[str, Any]) -> str:
    if name == "get_weather":
        return f"18 degrees and sunny in {args['city']}"
    if name == "find_flights":
        return f"Flight AF123 {args['origin']} -> {args['destination']} on {args['date']}"
    return f"Booked {args['nights']} nights in {args['city']} from {args['check_in']}"


def test_a_plain_sdk_agent_loop_gets_its_tools_called_with_valid_input(
    client: anthropic.Anthropic,
) -> None:
    messages: list[Any] = [{
        "role": "user",
        "content": "What is the weather in Paris in celsius? Also find flights from London "
        "to Paris on 2026-12-05 for 2 passengers, and book a hotel in Paris from 2026-12-05 "
        "for 3 nights.",
    }]
    called: list[tuple[str, dict[str, Any]]] = []
    for _ in range(6):
        reply = client.messages.create(model=MODEL, max_tokens=1024, tools=TRAVEL,
                                       messages=messages)
        if reply.stop_reason != "tool_use":
            break
        messages.append({"role": "assistant", "content": reply.content})
        results = []
        for block in _uses(reply):
            _valid(block)
            called.append((block.name, block.input))
            results.append({"type": "tool_result", "tool_use_id": block.id,
                            "content": _run_tool(block.name, block.input)})
        messages.append({"role": "user", "content": results})
    assert reply.stop_reason == "end_turn"
    assert "Booked 3 nights in Paris" in reply.content[0].text
    by_name = dict(called)
    assert by_name["get_weather"] == {"city": "Paris", "unit": "celsius"}
    assert {k: by_name["find_flights"][k] for k in ("origin", "destination", "date")} == {
        "origin": "London", "destination": "Paris", "date": "2026-12-05"}
    assert by_name["find_flights"]["passengers"] == 2
    assert by_name["book_hotel"]["nights"] == 3 and by_name["book_hotel"]["city"] == "Paris"


def test_several_requests_are_parallel_calls_in_one_turn(client: anthropic.Anthropic) -> None:
    reply = client.messages.create(
        model=MODEL, max_tokens=1024, tools=TRAVEL,
        messages=[{"role": "user", "content": "Weather in Rome in fahrenheit and weather in "
                   "Oslo in celsius"}],
    )
    uses = _uses(reply)
    assert [(u.name, u.input["city"]) for u in uses] == [("get_weather", "Rome"),
                                                         ("get_weather", "Oslo")]
    for u in uses:
        _valid(u)


def test_disable_parallel_tool_use_makes_one_call_per_turn_then_the_next(
    client: anthropic.Anthropic,
) -> None:
    messages: list[Any] = [{"role": "user", "content": "Weather in Rome in celsius and book a "
                            "hotel in Rome from 2027-01-10 for 2 nights"}]
    names = []
    for _ in range(4):
        reply = client.messages.create(
            model=MODEL, max_tokens=1024, tools=TRAVEL, messages=messages,
            tool_choice={"type": "auto", "disable_parallel_tool_use": True},
        )
        uses = _uses(reply)
        if not uses:
            break
        assert len(uses) == 1
        names.append(uses[0].name)
        messages += [
            {"role": "assistant", "content": reply.content},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": uses[0].id,
                                          "content": "ok"}]},
        ]
    assert names == ["get_weather", "book_hotel"]


def test_an_order_number_is_read_as_the_integer_the_schema_wants(
    client: anthropic.Anthropic,
) -> None:
    reply = client.messages.create(
        model=MODEL, max_tokens=256, tools=[LOOKUP_ORDER],
        messages=[{"role": "user", "content": "What's the status of order 12345?"}],
    )
    (use,) = _uses(reply)
    assert (use.name, use.input) == ("lookup_order", {"order_id": 12345})


def test_a_missing_identifier_is_asked_for_not_invented(client: anthropic.Anthropic) -> None:
    reply = client.messages.create(
        model=MODEL, max_tokens=256, tools=[LOOKUP_ORDER],
        messages=[{"role": "user", "content": "Can you look up my order?"}],
    )
    assert reply.stop_reason == "end_turn"
    assert "order id" in reply.content[0].text


def test_unrelated_chat_calls_no_tool(client: anthropic.Anthropic) -> None:
    reply = client.messages.create(
        model=MODEL, max_tokens=256, tools=TRAVEL,
        messages=[{"role": "user", "content": "Tell me a joke about penguins"}],
    )
    assert reply.stop_reason == "end_turn" and not _uses(reply)


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ({"type": "none"}, None),
        ({"type": "any"}, "any"),
        ({"type": "tool", "name": "book_hotel"}, "book_hotel"),
    ],
)
def test_tool_choice(client: anthropic.Anthropic, choice: Any, expected: str | None) -> None:
    reply = client.messages.create(
        model=MODEL, max_tokens=512, tools=TRAVEL, tool_choice=choice,
        messages=[{"role": "user", "content": "Tell me a joke about penguins"}],
    )
    uses = _uses(reply)
    if expected is None:
        assert not uses and reply.stop_reason == "end_turn"
        return
    assert reply.stop_reason == "tool_use" and len(uses) == 1
    if expected != "any":
        assert uses[0].name == expected
    _valid(uses[0])


def test_web_search_is_answered_with_server_tool_blocks(client: anthropic.Anthropic) -> None:
    reply = client.messages.create(
        model=MODEL, max_tokens=1024,
        tools=[{"type": "web_search_20250305", "name": "web_search"}, WEATHER],
        messages=[{"role": "user", "content": "Search the web for the latest news on Mars"}],
    )
    kinds = [b.type for b in reply.content]
    assert kinds == ["server_tool_use", "web_search_tool_result", "text"]
    assert reply.content[0].name == "web_search" and reply.content[1].tool_use_id == (
        reply.content[0].id)
    assert reply.stop_reason == "end_turn"
    assert reply.usage.server_tool_use is not None
    assert reply.usage.server_tool_use.web_search_requests == 1


def test_web_search_streams_through_the_sdk(client: anthropic.Anthropic) -> None:
    with client.messages.stream(
        model=MODEL, max_tokens=1024,
        tools=[{"type": "web_search_20250305", "name": "web_search"}],
        messages=[{"role": "user", "content": "search the web for today's weather news"}],
    ) as stream:
        final = stream.get_final_message()
    assert [b.type for b in final.content][:2] == ["server_tool_use", "web_search_tool_result"]
    assert final.content[0].input["query"]


def test_knobs_eagerness_calls_per_turn_and_turns(llm: FakeLLMServer,
                                                  client: anthropic.Anthropic) -> None:
    ask = [{"role": "user", "content": "Tell me a joke about penguins"}]
    llm.set_behaviour(tool_eagerness=1.0)
    eager = client.messages.create(model=MODEL, max_tokens=512, tools=TRAVEL, messages=ask)
    assert _uses(eager)
    llm.set_behaviour(tool_eagerness=0.0)
    shy = client.messages.create(
        model=MODEL, max_tokens=512, tools=TRAVEL,
        messages=[{"role": "user", "content": "Weather in Rome in celsius"}],
    )
    assert not _uses(shy)
    llm.set_behaviour(tool_eagerness=0.5, max_tool_calls_per_turn=1)
    capped = client.messages.create(
        model=MODEL, max_tokens=512, tools=TRAVEL,
        messages=[{"role": "user", "content": "Weather in Rome in celsius and in Oslo in "
                   "celsius"}],
    )
    assert len(_uses(capped)) == 1
    llm.set_behaviour(max_tool_calls_per_turn=None, tool_turns=3)
    messages: list[Any] = [{"role": "user", "content": "Weather in Rome in celsius"}]
    turns = 0
    for _ in range(6):
        reply = client.messages.create(model=MODEL, max_tokens=512, tools=TRAVEL,
                                       messages=messages)
        if reply.stop_reason != "tool_use":
            break
        turns += 1
        messages += [
            {"role": "assistant", "content": reply.content},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": u.id,
                                          "content": "18C"} for u in _uses(reply)]},
        ]
    assert turns == 3


def test_async_client_gets_the_same_calls(llm: FakeLLMServer) -> None:
    async def ask() -> list[Any]:
        async with anthropic.AsyncAnthropic(base_url=llm.url, api_key="k", max_retries=0) as c:
            reply = await c.messages.create(
                model=MODEL, max_tokens=512, tools=TRAVEL,
                messages=[{"role": "user", "content": "Find flights from Berlin to Madrid on "
                           "2027-03-01 for 4 passengers in business"}],
            )
            return [(u.name, u.input) for u in _uses(reply)]

    (call,) = asyncio.run(ask())
    assert call[0] == "find_flights"
    assert call[1]["cabin"] == "business" and call[1]["passengers"] == 4
    jsonschema.validate(call[1], FLIGHTS["input_schema"], format_checker=FORMATS)


def test_the_same_seed_gives_the_same_calls_and_tokens() -> None:
    def run(seed: int) -> list[Any]:
        with FakeLLMServer(seed=seed) as server, anthropic.Anthropic(
            base_url=server.url, api_key="k", max_retries=0
        ) as c:
            out = []
            for text in ("Book a hotel in Lima from 2027-02-02 for 5 nights",
                         "Tell me a joke about penguins", "weather in Quito"):
                reply = c.messages.create(model=MODEL, max_tokens=512, tools=TRAVEL,
                                          tool_choice={"type": "any"},
                                          messages=[{"role": "user", "content": text}])
                out.append((json.dumps([b.model_dump(exclude={"id"}) for b in reply.content]),
                            reply.usage.input_tokens, reply.usage.output_tokens))
            thought = c.messages.create(
                model="claude-sonnet-4-6", max_tokens=4096, tools=TRAVEL,
                thinking={"type": "enabled", "budget_tokens": 2048},
                messages=[{"role": "user", "content": "weather in Quito in celsius"}],
            )
            out.append((json.dumps([b.model_dump(exclude={"id"}) for b in thought.content]),
                        thought.usage.input_tokens, thought.usage.output_tokens))
            return out

    first, again = run(5), run(5)
    assert first == again
