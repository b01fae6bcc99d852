"""A travel agent on pydantic-ai: structured output (a pydantic model) on the Anthropic model.

The Agent's tools are the same local functions as the SDK agents; its `output_type` is
`TripAdvice`, asked of the model as native structured output (the API's
`output_config.format` JSON schema) and validated by pydantic-ai.
The Anthropic client it runs on reads ANTHROPIC_BASE_URL / ANTHROPIC_API_KEY from the
environment; --retries is that client's max_retries.
POST /v1/chat {message, session_id} with x-api-key -> {reply, tools, advice}.
"""

from __future__ import annotations

from typing import Any

import anthropic
from common import (
    MODEL,
    SYSTEM,
    ChatIn,
    ChatOut,
    new_app,
    parse_args,
    require_key,
    serve,
    upstream_failed,
)
from fastapi import Depends
from pydantic import BaseModel, Field
from pydantic_ai import Agent, NativeOutput
from pydantic_ai.exceptions import AgentRunError, ModelHTTPError
from pydantic_ai.messages import ToolCallPart
from pydantic_ai.models.anthropic import AnthropicModel
from pydantic_ai.providers.anthropic import AnthropicProvider
from travel_tools import get_weather, search_flights


class TripAdvice(BaseModel):
    """What the agent answers: a summary and the facts it rests on."""

    summary: str = Field(description="one or two sentences for the traveller")
    destination: str | None = Field(default=None, description="the city the trip goes to")
    flights: list[str] = Field(default_factory=list, description="flight numbers found")


args = parse_args(__doc__ or "")
provider = AnthropicProvider(anthropic_client=anthropic.AsyncAnthropic(max_retries=args.retries))
agent = Agent(AnthropicModel(MODEL, provider=provider), output_type=NativeOutput(TripAdvice),
              system_prompt=SYSTEM, tools=[search_flights, get_weather],
              model_settings={"max_tokens": 1024})  # its default is the model's maximum
app = new_app("pydantic-ai travel agent")


class AdviceChatOut(ChatOut):
    advice: dict[str, Any] | None = None


@app.post("/v1/chat")
async def chat(body: ChatIn, _key: str = Depends(require_key)) -> AdviceChatOut:
    try:
        result = await agent.run(body.message)
    except (ModelHTTPError, AgentRunError, anthropic.APIError) as exc:
        raise upstream_failed(exc) from exc
    called = [part.tool_name for message in result.all_messages() for part in message.parts
              if isinstance(part, ToolCallPart) and part.tool_name in ("search_flights",
                                                                        "get_weather")]
    advice = result.output
    return AdviceChatOut(reply=advice.summary, tools=called, advice=advice.model_dump())


if __name__ == "__main__":
    serve(app, args)
