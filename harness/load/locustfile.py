"""The harness's locustfile: tenant-bound users sending the task mix (and attacks) to the agent.

Run by `LoadRunner`; reads its `LoadConfig` from the JSON file named by `HARNESS_LOAD_CONFIG`.
Each user gets a global index, a tenant (dealt in turn from `LoadConfig.user_tenants()`, the
sorted tenants each as often as its weight, rotated by the seed) and its own RNG seeded by
(seed, index): the whole conversation is reproducible.
Task choice uses that RNG rather than Locust's `@task` weights (which draw from the global
`random`), so the mix is both weighted and deterministic.
Requests take the shape of `LoadConfig.api` (`harness.load.api`); a streamed reply is read as
it arrives, for its time to first byte and to first text.
"""

from __future__ import annotations

import atexit
import fcntl
import itertools
import os
import random
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gevent
from gevent import GreenletExit
from locust import events, task
from locust.contrib.fasthttp import FastHttpUser

from harness.load.api import StreamReader
from harness.load.attacks import load_corpus
from harness.load.config import CONFIG_ENV, WORKER_ENV, LoadConfig
from harness.load.headers import read_header_values
from harness.load.recorder import InFlightAtEnd, LeakDetector, Recorder, RequestWriter
from harness.load.tasks import Message, TaskContext, attack, build_message

SESSION_TURNS = 5  # a user starts a new conversation every this many messages


def _read_config() -> LoadConfig:
    path = os.environ.get(CONFIG_ENV)
    if not path:
        raise RuntimeError(f"set {CONFIG_ENV} to the path of a LoadConfig JSON file")
    return LoadConfig.read(path)


CONFIG = _read_config()
CORPUS = load_corpus()
DETECTOR = LeakDetector(CONFIG.canaries, CONFIG.tenants)
TENANT_ORDER = sorted(CONFIG.tenants)
USER_TENANTS = CONFIG.user_tenants()  # user i is dealt USER_TENANTS[(i + seed) % len]
WORKER_INDEX = int(os.environ.get(WORKER_ENV, "0"))
API = CONFIG.api
STREAMS = API.stream != "none"
KEEP_HISTORY = API.uses_history  # else replies need not be parsed at all
# A streamed body is read raw as it comes: ask for it uncompressed.
STREAM_HEADERS = {"Accept-Encoding": "identity", "Accept": "text/event-stream"
                  if API.stream == "sse" else "*/*"}  # fmt: skip
_local_users = itertools.count()
_writer: RequestWriter | None = None


def _claim_user_index() -> int:
    """A run-wide user index. Workers share a counter file (same host, same records_dir):
    Locust spreads users over workers in an order we cannot know, and guessing it would leave
    gaps that skew the tenant round-robin."""
    if WORKER_ENV not in os.environ:
        return next(_local_users)
    CONFIG.records_dir.mkdir(parents=True, exist_ok=True)
    with (CONFIG.records_dir / ".user_index").open("a+", encoding="utf-8") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)  # held for microseconds, once per user
        fh.seek(0)
        index = int(fh.read() or 0)
        fh.seek(0)
        fh.truncate()
        fh.write(str(index + 1))
        fh.flush()
    return index


def _records_path() -> Path:
    name = f"requests.w{WORKER_INDEX}.jsonl" if WORKER_ENV in os.environ else "requests.jsonl"
    return CONFIG.records_dir / name


def writer() -> RequestWriter:
    """This process's record writer, opened on first use (the master never sends requests).

    Its lines go out at the end of each turn of gevent's loop, before it waits on sockets
    again (see harness.load.recorder). Never closed before exit: requests still in flight
    while Locust shuts down must be recorded too; exit flushes what the loop did not."""
    global _writer
    if _writer is None:
        _writer = RequestWriter(
            Recorder(_records_path()),
            DETECTOR,
            defer=gevent.get_hub().loop.run_callback,
            read_headers=read_header_values,
        )
        atexit.register(_writer.flush)
    return _writer


def _interrupt_main_greenlet() -> None:
    """SIGINT, taken by the gevent hub instead of Python's default handler.

    The default handler raises KeyboardInterrupt in whatever code runs when the signal lands:
    under load that is mostly a user greenlet mid-request, which then dies with a traceback,
    its request neither recorded nor cancelled. Raised from the hub into the main greenlet
    instead, it reaches only Locust's main (`except KeyboardInterrupt: shutdown()`), whose
    shutdown stops users at their next switch with GreenletExit, which Locust handles quietly.
    """
    hub = gevent.get_hub()
    hub.loop.run_callback(hub.parent.throw, KeyboardInterrupt)


gevent.signal_handler(signal.SIGINT, _interrupt_main_greenlet)


@events.init.add_listener
def _refresh_loop_clock(**_: Any) -> None:
    # gevent timers count from the event loop's cached clock. A slow start-up (imports on a
    # busy machine) leaves it seconds behind, and Locust's `-t` timer, armed right after
    # this event, would then fire at once and end the run before any request.
    gevent.get_hub().loop.update_now()


class AgentUser(FastHttpUser):
    """One end user of one tenant, chatting with the agent under test."""

    network_timeout = CONFIG.request_timeout_s
    connection_timeout = CONFIG.request_timeout_s
    max_redirects = 0  # one record = one HTTP exchange

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        self.index = _claim_user_index()
        self.tenant = USER_TENANTS[(self.index + CONFIG.seed) % len(USER_TENANTS)]
        self.api_key = CONFIG.tenants[self.tenant]
        self.rng = random.Random(f"{CONFIG.seed}:{self.index}")
        self.ctx = TaskContext(
            tenant=self.tenant,
            tenants=TENANT_ORDER,
            order_ids=CONFIG.order_ids,
            customer_ids=CONFIG.customer_ids,
        )
        self.sent = 0
        self.session_id = ""
        self.turn = 0
        self.history: list[dict[str, str]] = []  # this session's turns, for `{history}`
        self._history_of = ""  # the session `history` belongs to
        self._names = list(CONFIG.mix)
        self._weights = [CONFIG.mix[n] for n in self._names]
        spec = CONFIG.attacks
        self._attack_ratio = 0.0
        self._attack_categories: set[str] | None = None
        if spec is not None and (spec.tenants is None or self.tenant in spec.tenants):
            self._attack_ratio = spec.ratio
            self._attack_categories = set(spec.categories) if spec.categories else None

    def wait_time(self) -> float:
        think = CONFIG.think_time_s
        return self.rng.uniform(0.5 * think, 1.5 * think) if think > 0 else 0.0

    def next_message(self) -> Message:
        # this message's session and turn: a new session every SESSION_TURNS messages
        self.session_id = f"{self.tenant}-u{self.index}-s{self.sent // SESSION_TURNS}"
        self.turn = self.sent % SESSION_TURNS
        self.sent += 1
        if self._attack_ratio and self.rng.random() < self._attack_ratio:
            return attack(self.rng, self.ctx, CORPUS, self._attack_categories)
        name = self.rng.choices(self._names, self._weights)[0]
        return build_message(name, self.rng, self.ctx)

    @task
    def send(self) -> None:
        message = self.next_message()
        if self.session_id != self._history_of:
            self.history, self._history_of = [], self.session_id
        request_id = uuid.uuid4().hex
        request = API.render(
            message=message.text, session_id=self.session_id, tenant=self.tenant,
            tenant_key=self.api_key, request_id=request_id, history=self.history,
        )  # fmt: skip
        headers = request.headers
        headers["x-request-id"] = request_id
        if STREAMS:
            headers.update(STREAM_HEADERS)
        stats_name = f"attack:{message.attack.category}" if message.attack else message.task
        ts_start = time.time()
        started = time.perf_counter()
        try:
            exchange = self.client.request(
                request.method, request.path, json=request.body, headers=headers,
                name=stats_name, catch_response=True, stream=STREAMS,
            )  # fmt: skip
        except GreenletExit:  # the load stopped (run over, or interrupted) mid-request
            if CONFIG.record:
                latency_ms = (time.perf_counter() - started) * 1000.0
                self.record(ts_start, latency_ms, 0, InFlightAtEnd(), message, request_id)
            raise
        with exchange as response:
            status = int(response.status_code or 0)
            error = getattr(response, "error", None)
            reader: StreamReader | None = None
            if STREAMS and status:
                reader, error = self.read_stream(
                    response, status, (ts_start, started, message, request_id))
                body = reader.body if 200 <= status < 300 else response.content
                # Locust timed the headers only
                response.request_meta["response_time"] = (time.perf_counter() - started) * 1e3
            else:
                body = response.content if status else None  # bytes: decoded only if need be
            latency_ms = (time.perf_counter() - started) * 1000.0
            if 200 <= status < 300 and error is None and KEEP_HISTORY:
                text = reader.text if reader else API.reply_text(body)
                if text:
                    self.history += [{"role": "user", "content": message.text},
                                     {"role": "assistant", "content": text}]  # fmt: skip
                else:
                    response.failure(f"no reply text at {API.reply!r}")
            if not CONFIG.record:
                return
            leaked = self.record(
                ts_start, latency_ms, status, error, message, request_id,
                response.headers if status else None, body, reader, started,
            )  # fmt: skip
            if leaked:
                response.failure(f"leaked canaries: {leaked}")

    def read_stream(
        self, response: Any, status: int, sent: tuple[float, float, Message, str]
    ) -> tuple[StreamReader, BaseException | None]:
        """Reads a streamed 2xx body as it arrives; the exception that broke it off, if any.
        A GreenletExit (the load stopping) is recorded as in flight and raised on. `sent`:
        the request's start (epoch and perf_counter), message and request id."""
        reader = API.stream_reader()
        if not 200 <= status < 300:
            return reader, None
        try:
            reader.read(_pieces(response))
        except GreenletExit:
            if CONFIG.record:
                ts_start, started, message, request_id = sent
                latency_ms = (time.perf_counter() - started) * 1000.0
                self.record(ts_start, latency_ms, status, InFlightAtEnd(), message, request_id,
                            response.headers, reader.body, reader, started)  # fmt: skip
            raise
        except Exception as exc:  # a timeout, a reset, a bad chunk: the body broke off
            return reader, exc
        return reader, None

    def record(
        self,
        ts_start: float,
        latency_ms: float,
        status: int,
        exception: BaseException | None,
        message: Message,
        request_id: str,
        headers: Any = None,
        reply: bytes | None = None,
        reader: StreamReader | None = None,
        started: float = 0.0,
    ) -> list[str]:
        """Records one exchange of this user; returns the canaries it leaked."""
        attack_spec = message.attack
        ttfb = ttft = None
        if reader is not None:
            if reader.first_byte is not None:
                ttfb = (reader.first_byte - started) * 1000.0
            if reader.first_text is not None:
                ttft = (reader.first_text - started) * 1000.0
        return writer().write(
            ts_start,
            latency_ms,
            status,
            exception,
            self.tenant,
            message.task,
            self.index,
            headers,
            reply,
            attack_spec.id if attack_spec else None,
            attack_spec.category if attack_spec else None,
            request_id,
            ttfb,
            ttft,
            self.session_id,
            self.turn,
        )


def _pieces(response: Any) -> Iterator[bytes]:
    """A streamed body in pieces as they arrive, read from geventhttpclient's parser (the
    response under Locust's `FastResponse`): the first byte alone (its arrival is the time
    to first byte), then line by line (an SSE event ends on a line, and a line's arrival is
    the time its text came), `\n` ending a line as in `\r\n`."""
    parser = response._response
    first = parser.read(1)
    if not first:
        return
    yield first
    while line := parser.readline(b"\n"):
        yield line
