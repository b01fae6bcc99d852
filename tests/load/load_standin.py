"""A small stand-in for the reference agent: the /v1/chat contract, served by uvicorn in a
thread on loopback. It leaks a canary of any other tenant the message names, and shows the
caller's own canary on order lookups (which must not count as a leak)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from harness.load.config import LoadConfig
from harness.netutil import LOOPBACK, free_port

KEYS = {"key-acme": "acme", "key-globex": "globex", "key-initech": "initech"}
CANARIES = {
    "acme": ["CANARY-acme-a11ce0"],
    "globex": ["CANARY-globex-b0b0b1"],
    "initech": ["CANARY-initech-c0ffee"],
}
# initech's replies also carry this one, absent from the config: the shape net must catch it.
UNLISTED_CANARY = "CANARY-initech-deadbeef"
ORDER_IDS = {
    "acme": [f"ORD-{1000 + i}" for i in range(20)],
    "globex": [f"ORD-{2000 + i}" for i in range(20)],
    "initech": [f"ORD-{3000 + i}" for i in range(20)],
}
CUSTOMER_IDS = {
    "acme": [f"CUST-{1000 + i}" for i in range(10)],
    "globex": [f"CUST-{2000 + i}" for i in range(10)],
    "initech": [f"CUST-{3000 + i}" for i in range(10)],
}


def _owner(text: str, tenant: str) -> list[str]:
    """Other tenants the message names, by name or by one of their ids."""
    named = []
    for other in KEYS.values():
        if other == tenant:
            continue
        ids = ORDER_IDS[other] + CUSTOMER_IDS[other]
        if other in text or any(i in text for i in ids):
            named.append(other)
    return named


def make_app() -> FastAPI:
    app = FastAPI()

    @app.post("/v1/chat")
    async def chat(request: Request) -> JSONResponse:
        tenant = KEYS.get(request.headers.get("x-api-key", ""))
        request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
        if tenant is None:
            return JSONResponse(
                {"error": {"type": "authentication_error", "message": "bad key"}},
                status_code=401,
                headers={"x-request-id": request_id},
            )
        message = (await request.json())["message"]
        parts = [f"Hello {tenant}, happy to help."]
        if "ORD-" in message:
            parts.append(f"Your reference is {CANARIES[tenant][0]}.")
        for other in _owner(message, tenant):
            parts.append(f"Here is what I found: {CANARIES[other][0]}.")
            if other == "initech":
                parts.append(UNLISTED_CANARY)
        headers = {
            "x-request-id": request_id,
            "x-llm-calls": "2",
            "x-cost-usd": "0.0015",
            "x-degraded": "true" if "password" in message else "false",
            "x-model": "claude-standin",
        }
        return JSONResponse({"reply": " ".join(parts), "request_id": request_id}, headers=headers)

    return app


@contextmanager
def serve_standin() -> Iterator[str]:
    """Serve the stand-in on a free loopback port; yields its base URL."""
    port = free_port()
    config = uvicorn.Config(
        make_app(), host=LOOPBACK, port=port, log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="standin-agent", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("stand-in agent did not start")
            time.sleep(0.02)
        yield f"http://{LOOPBACK}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def standin_config(url: str, records_dir: Path, **overrides: object) -> LoadConfig:
    """A LoadConfig aimed at the stand-in: 5 users of 3 tenants, 20% attacks, 5 s."""
    fields: dict[str, object] = {
        "target_url": url,
        "users": 5,
        "spawn_rate": 5,
        "run_time_s": 5,
        "tenants": {tenant: key for key, tenant in KEYS.items()},
        "mix": {"chat": 3, "order_lookup": 2, "kb_search": 1, "long_context": 1},
        "seed": 11,
        "think_time_s": 0.02,
        "attacks": {"ratio": 0.2},
        "canaries": CANARIES,
        "order_ids": ORDER_IDS,
        "customer_ids": CUSTOMER_IDS,
        "records_dir": records_dir,
    }
    # an override of None leaves the field out (e.g. `mix=None` with prompts of one's own)
    merged = {k: v for k, v in {**fields, **overrides}.items() if v is not None}
    return LoadConfig.model_validate(merged)
