"""A travel agent as a LangGraph ReAct agent on langchain-anthropic's ChatAnthropic.

`create_react_agent` loops model -> tools -> model until the model stops calling tools.
ChatAnthropic gets its base URL from ANTHROPIC_BASE_URL (passed explicitly, as a user
pointing it at a gateway would) and its key from ANTHROPIC_API_KEY; --retries is its
max_retries. POST /v1/chat {message, session_id} with x-api-key -> {reply, tools}.
"""

from __future__ import annotations

import os

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
from langchain_anthropic import ChatAnthropic
from langchain_core.messages import AIMessage
from langchain_core.tools import tool
from langgraph.prebuilt import create_react_agent
from travel_tools import get_weather, search_flights

RECURSION_LIMIT = 12  # graph steps (model and tool nodes) per request

args = parse_args(__doc__ or "")
model = ChatAnthropic(model_name=MODEL, base_url=os.environ.get("ANTHROPIC_BASE_URL"),
                      max_retries=args.retries, max_tokens=1024, timeout=None, stop=None)
graph = create_react_agent(model, tools=[tool(search_flights), tool(get_weather)],
                           prompt=SYSTEM)
app = new_app("LangGraph ReAct travel agent")


@app.post("/v1/chat")
async def chat(body: ChatIn, _key: str = Depends(require_key)) -> ChatOut:
    try:
        state = await graph.ainvoke({"messages": [("user", body.message)]},
                                    {"recursion_limit": RECURSION_LIMIT})
    except anthropic.APIError as exc:
        raise upstream_failed(exc) from exc
    messages = state["messages"]
    called = [call["name"] for message in messages if isinstance(message, AIMessage)
              for call in message.tool_calls]
    return ChatOut(reply=messages[-1].text, tools=called)


if __name__ == "__main__":
    serve(app, args)
