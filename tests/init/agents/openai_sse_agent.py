"""A tiny OpenAI-style agent: POST /v1/chat/completions, streamed as SSE when asked.

The reply comes from the anthropic SDK's stream (ANTHROPIC_BASE_URL from the harness), each
text delta re-sent as an OpenAI `chat.completion.chunk` event, then `data: [DONE]`. Health at
/health (not /healthz), and nothing answers /v1/chat.
"""

import json
import sys
import time

import anthropic
import uvicorn
from fastapi import FastAPI, Header, HTTPException
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

app = FastAPI()
client = anthropic.Anthropic()


class Completion(BaseModel):
    model: str = "agent"
    messages: list[dict]
    stream: bool = False


@app.get("/health")
def health() -> dict:
    return {"status": "ok"}


def _chunk(text: str) -> str:
    event = {"object": "chat.completion.chunk", "created": int(time.time()),
             "choices": [{"index": 0, "delta": {"content": text}}]}
    return f"data: {json.dumps(event)}\n\n"


@app.post("/v1/chat/completions")
def completions(body: Completion, authorization: str = Header(default="")):
    if not authorization.startswith("Bearer "):
        raise HTTPException(401, "Bearer token required")
    messages = [{"role": m["role"], "content": m["content"]} for m in body.messages]
    if not body.stream:
        reply = client.messages.create(model="claude-haiku-4-5", max_tokens=256,
                                       messages=messages)
        text = "".join(block.text for block in reply.content if block.type == "text")
        return {"object": "chat.completion",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}}]}

    def events():
        with client.messages.stream(model="claude-haiku-4-5", max_tokens=256,
                                    messages=messages) as stream:
            for text in stream.text_stream:
                yield _chunk(text)
        yield "data: [DONE]\n\n"

    return StreamingResponse(events(), media_type="text/event-stream")


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[sys.argv.index("--port") + 1]),
                log_level="warning")
