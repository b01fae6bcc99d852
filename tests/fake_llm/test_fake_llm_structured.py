"""Structured outputs (`output_config.format`, `messages.parse`), strict tools and stop
sequences, through the real SDK."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any, Literal

import anthropic
import jsonschema
import pytest
from pydantic import BaseModel, Field

from harness.fake_llm import FakeLLMServer

MODEL = "claude-sonnet-5-5"


class Trip(BaseModel):
    city: str
    date: dt.date
    travellers: int = Field(ge=1, le=9)
    cabin: Literal["economy", "business"]
    tags: list[str] = Field(min_length=1)


class Order(BaseModel):
    order_id: str
    status: Literal["pending", "shipped", "delivered"]


def test_messages_parse_returns_a_valid_model(client: anthropic.Anthropic) -> None:
    parsed = client.messages.parse(
        model=MODEL, max_tokens=1024, output_format=Trip,
        messages=[{"role": "user", "content": "Plan a trip to Kyoto on 2027-04-02 for 3 "
                   "travellers in business"}],
    )
    trip = parsed.parsed_output
    assert isinstance(trip, Trip)
    assert (trip.date, trip.travellers, trip.cabin) == (dt.date(2027, 4, 2), 3, "business")
    assert parsed.stop_reason == "end_turn"


def test_output_config_format_answers_json_valid_against_the_schema(
    client: anthropic.Anthropic,
) -> None:
    schema = {
        "type": "object",
        "properties": {
            "order_id": {"type": "string", "pattern": "^ORD-[0-9]+$"},
            "count": {"type": "integer", "minimum": 1},
            "email": {"type": "string", "format": "email"},
        },
        "required": ["order_id", "count", "email"],
        "additionalProperties": False,
    }
    reply = client.messages.create(
        model=MODEL, max_tokens=1024,
        output_config={"format": {"type": "json_schema", "schema": schema}},
        messages=[{"role": "user", "content": "Summarise order ORD-4321 for ana@example.com"}],
    )
    value = json.loads(reply.content[0].text)
    jsonschema.validate(value, schema, format_checker=jsonschema.FormatChecker())
    assert value["order_id"] == "ORD-4321" and value["email"] == "ana@example.com"


def test_parse_streaming_and_async(llm: FakeLLMServer, client: anthropic.Anthropic) -> None:
    ask = [{"role": "user", "content": "Status of order ORD-77?"}]
    with client.messages.stream(model=MODEL, max_tokens=512, messages=ask,
                                output_format=Order) as stream:
        streamed = stream.get_final_message()
    assert isinstance(streamed.parsed_output, Order)

    async def run() -> Any:
        async with anthropic.AsyncAnthropic(base_url=llm.url, api_key="k", max_retries=0) as c:
            return await c.messages.parse(model=MODEL, max_tokens=512, messages=ask,
                                          output_format=Order)

    parsed = asyncio.run(run()).parsed_output
    assert parsed == streamed.parsed_output and parsed.order_id == "ORD-77"


def test_structured_answer_after_a_tool_result(client: anthropic.Anthropic) -> None:
    tool = {"name": "order_status", "description": "Status of an order",
            "input_schema": {"type": "object", "properties": {"order_id": {"type": "string"}},
                             "required": ["order_id"]}}
    ask = {"role": "user", "content": "Is order ORD-9 shipped?"}
    first = client.messages.parse(model=MODEL, max_tokens=512, tools=[tool], messages=[ask],
                                  output_format=Order)
    (use,) = [b for b in first.content if b.type == "tool_use"]
    final = client.messages.parse(
        model=MODEL, max_tokens=512, tools=[tool], output_format=Order,
        messages=[ask, {"role": "assistant", "content": first.content},
                  {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use.id,
                                                "content": "status: shipped"}]}],
    )
    assert final.parsed_output == Order(order_id="ORD-9", status="shipped")


@pytest.mark.parametrize(
    ("output_config", "message"),
    [
        ({"format": {"type": "json_schema"}}, "output_config.format.schema: Field required"),
        ({"format": {"type": "json_schema", "schema": {"type": "nope"}}},
         "output_config.format.schema: Invalid JSON schema"),
        ({"format": {"type": "xml"}}, "output_config.format.type"),
    ],
)
def test_a_bad_output_format_is_a_400(client: anthropic.Anthropic, output_config: Any,
                                      message: str) -> None:
    with pytest.raises(anthropic.BadRequestError) as bad:
        client.messages.create(model=MODEL, max_tokens=256, output_config=output_config,
                               messages=[{"role": "user", "content": "hi"}])
    assert message in bad.value.message
    assert bad.value.body["error"]["type"] == "invalid_request_error"


def test_strict_tool_input_validates(client: anthropic.Anthropic) -> None:
    schema = {"type": "object", "additionalProperties": False, "required": ["sku", "qty"],
              "properties": {"sku": {"type": "string", "enum": ["A1", "B2"]},
                             "qty": {"type": "integer", "minimum": 1, "maximum": 5}}}
    reply = client.messages.create(
        model=MODEL, max_tokens=256,
        tools=[{"name": "reserve_stock", "description": "Reserve stock", "strict": True,
                "input_schema": schema}],
        tool_choice={"type": "tool", "name": "reserve_stock"},
        messages=[{"role": "user", "content": "Reserve 4 of B2, qty 4"}],
    )
    (use,) = [b for b in reply.content if b.type == "tool_use"]
    jsonschema.validate(use.input, schema)
    assert use.input == {"sku": "B2", "qty": 4}


def test_stop_sequences_cut_the_text(client: anthropic.Anthropic) -> None:
    ask = [{"role": "user", "content": "Tell me about the refund rules for a long trip, with "
            "all the details you have on this."}]
    full = client.messages.create(model=MODEL, max_tokens=512, messages=ask)
    text = full.content[0].text
    word = text.split()[3]
    cut = client.messages.create(model=MODEL, max_tokens=512, messages=ask,
                                 stop_sequences=["zzz-never", word])
    assert cut.stop_reason == "stop_sequence" and cut.stop_sequence == word
    assert cut.content[0].text == text[: text.index(word)]
    assert cut.usage.output_tokens < full.usage.output_tokens
    with client.messages.stream(model=MODEL, max_tokens=512, messages=ask,
                                stop_sequences=[word]) as stream:
        streamed = stream.get_final_message()
    assert (streamed.stop_reason, streamed.stop_sequence) == ("stop_sequence", word)
    assert streamed.content[0].text == cut.content[0].text
    missed = client.messages.create(model=MODEL, max_tokens=512, messages=ask,
                                    stop_sequences=["zzz-never"])
    assert (missed.stop_reason, missed.stop_sequence) == ("end_turn", None)


def test_the_same_seed_gives_the_same_structured_reply() -> None:
    def run() -> list[Any]:
        with FakeLLMServer(seed=9) as server, anthropic.Anthropic(
            base_url=server.url, api_key="k", max_retries=0
        ) as c:
            reply = c.messages.parse(model=MODEL, max_tokens=512, output_format=Trip,
                                     messages=[{"role": "user", "content": "a trip please"}])
            return [reply.content[0].text, reply.usage.output_tokens]

    assert run() == run()
