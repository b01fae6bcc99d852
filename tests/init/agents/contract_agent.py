"""A tiny agent on this project's contract: POST /v1/chat {message, session_id} -> {reply}.

FastAPI and the anthropic SDK, which reads ANTHROPIC_BASE_URL and ANTHROPIC_API_KEY from the
environment the harness sets. Health at /healthz. Prints nothing of its own.
"""

import sys

import anthropic
import uvicorn
from fastapi import FastAPI, Header, HTTPException
from pydantic import BaseModel

app = FastAPI()
client = anthropic.Anthropic()


class Chat(BaseModel):
    message: str
    session_id: str | None = None


@app.get("/healthz")
def healthz() -> dict:
    return {"ok": True}


@app.post("/v1/chat")
def chat(body: Chat, x_api_key: str = Header(default="")) -> dict:
    if not x_api_key:
        raise HTTPException(401, "x-api-key required")
    reply = client.messages.create(model="claude-haiku-4-5", max_tokens=256,
                                   messages=[{"role": "user", "content": body.message}])
    text = "".join(block.text for block in reply.content if block.type == "text")
    return {"reply": text, "session_id": body.session_id}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[sys.argv.index("--port") + 1]),
                log_level="warning")
