"""Which request preset the agent answers, and whether its replies stream.

Each preset of `harness.load.api.PRESETS` is sent once, rendered and read exactly as the load
will (`AgentAPI.render`, `reply_text`, `StreamReader`). The first to get a 2xx with reply
text wins. A `text/event-stream` answer is read as SSE, other non-JSON text as a chunked
stream; a preset whose body asks for a stream (`"{stream}"`) is tried streaming as well, so
the load can measure the time to the first token.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import httpx

from harness.errors import StackError
from harness.init.prompts import PROMPTS
from harness.init.session import ProbeSession
from harness.load.api import PRESETS, AgentAPI, StreamMode
from harness.stack.local import AGENT

REQUEST_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Tenant:
    name: str
    key: str


@dataclass(frozen=True)
class Exchange:
    """One probe request and what came back."""

    preset: str
    stream: StreamMode
    url: str
    status: int  # 0: no answer
    answer: str  # short description for messages
    text: str | None
    latency_s: float
    first_text_s: float | None

    @property
    def usable(self) -> bool:
        return 200 <= self.status < 300 and bool(self.text)


def _stream_mode(response: httpx.Response) -> StreamMode:
    kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "text/event-stream":
        return "sse"
    if kind == "application/json" or kind.endswith("+json"):
        return "none"
    return "chunked"


def exchange(client: httpx.Client, session: ProbeSession, preset: str, stream: StreamMode,
             tenant: Tenant, message: str = PROMPTS[0]) -> Exchange:
    """Send one message with `preset` (asking for `stream`); read the reply as it comes."""
    api = AgentAPI(preset=preset, stream=stream)  # type: ignore[arg-type]
    request_id = f"harness-init-{uuid.uuid4().hex[:12]}"
    rendered = api.render(message=message, session_id=request_id, tenant=tenant.name,
                          tenant_key=tenant.key, request_id=request_id)
    url = f"{session.base_url}{rendered.path}"
    start = time.perf_counter()
    try:
        with client.stream(rendered.method, url, json=rendered.body,
                           headers={**rendered.headers, "x-request-id": request_id}) as response:
            mode = _stream_mode(response)
            if mode == "none":
                body = response.read()
                text, first = api.reply_text(body), None
            else:
                reader = AgentAPI(preset=preset, stream=mode).stream_reader()  # type: ignore[arg-type]
                reader.read(response.iter_raw())
                body, text = reader.body, reader.text
                first = None if reader.first_text is None else reader.first_text - start
            latency = time.perf_counter() - start
    except httpx.HTTPError as exc:
        return Exchange(preset, stream, url, 0, type(exc).__name__, None,
                        time.perf_counter() - start, None)
    shown = body[:120].decode("utf-8", "replace")
    answer = f"HTTP {response.status_code}" + (f": {shown!r}" if shown else "")
    return Exchange(preset, mode, url, response.status_code, answer, text, latency, first)


def _asks_for_stream(preset: str) -> bool:
    body = PRESETS[preset].body
    return isinstance(body, dict) and "{stream}" in body.values()


def find_preset(session: ProbeSession, tenant: Tenant,
                only: str | None = None) -> tuple[Exchange, list[Exchange]]:
    """(the exchange that worked, every exchange tried). StackError when none worked."""
    tried: list[Exchange] = []
    with httpx.Client(timeout=REQUEST_TIMEOUT_S) as client:
        for preset in [only] if only else list(PRESETS):
            session.check_alive()
            plain = exchange(client, session, preset, "none", tenant)
            tried.append(plain)
            if not plain.usable:
                continue
            if plain.stream == "none" and _asks_for_stream(preset):
                streamed = exchange(client, session, preset, "sse", tenant)
                tried.append(streamed)
                if streamed.usable and streamed.stream == "sse":
                    return streamed, tried
            return plain, tried
    session.check_alive()
    lines = "; ".join(f"{e.preset} ({e.url}) -> {e.answer}"
                      + (" without reply text" if 200 <= e.status < 300 else "")
                      for e in tried)
    raise StackError(AGENT, f"healthy, but no request preset got a 2xx reply with text "
                            f"(tried: {lines}); describe the API in `agent.api` by hand "
                            "(docs/your-agent.md)", session.log_tail())


def measure(session: ProbeSession, found: Exchange, tenant: Tenant,
            replies: int) -> list[Exchange]:
    """`replies` more exchanges like `found`, for the starter's objectives."""
    with httpx.Client(timeout=REQUEST_TIMEOUT_S) as client:
        return [exchange(client, session, found.preset, found.stream, tenant,
                         PROMPTS[(i + 1) % len(PROMPTS)])
                for i in range(replies)]
