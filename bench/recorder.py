"""Cost of the harness's request recording under Locust load.

The same Locust run (our locustfile, 20 users, no think time, 10 s) against the same trivial
loopback HTTP server, with `record=False` (messages built and sent, nothing recorded) and
with `record=True` (record built, reply scanned for canaries, one JSON line written per
request). Runs alternate A B B A so drift of the shared machine hits both alike; requests/s
come from Locust's own CSV stats. The verdict uses medians (one run disturbed by a neighbour
on the shared machine should not decide it); the median of the ratios of adjacent on/off
pairs is printed next to it as a check. Goal: recorded / baseline >= 0.95.

    python -m bench.recorder [BLOCKS]   # A B B A blocks (two on/off pairs each), default 3
"""

from __future__ import annotations

import asyncio
import csv
import json
import resource
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from statistics import median

from harness.load import LoadConfig, LoadRunner
from harness.netutil import LOOPBACK, free_port

USERS, RUN_TIME_S, BLOCKS, GOAL = 20, 10, 3, 0.95
TENANTS = {"acme": "key-acme", "globex": "key-globex", "initech": "key-initech"}
_BODY = json.dumps({"reply": "Your order ORD-1003 shipped yesterday.", "request_id": "r"})
_RESPONSE = (
    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
    f"content-length: {len(_BODY)}\r\nx-request-id: r\r\nx-llm-calls: 2\r\n"
    "x-cost-usd: 0.0021\r\nx-degraded: false\r\nx-model: claude-bench\r\n\r\n" + _BODY
).encode()


class _Trivial(asyncio.Protocol):
    """Answers every HTTP/1.1 request (keep-alive, Content-Length bodies) with one reply."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head = self.buffer[:end].lower()
            length = 0
            if (at := head.find(b"content-length:")) >= 0:
                length = int(head[at + 15 :].split(b"\r\n", 1)[0])
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length :]
            self.transport.write(_RESPONSE)  # type: ignore[attr-defined]


@contextmanager
def trivial_server() -> Iterator[str]:
    port = free_port()
    loop = asyncio.new_event_loop()
    ready = threading.Event()

    async def serve() -> None:
        server = await loop.create_server(_Trivial, LOOPBACK, port)
        ready.set()
        async with server:
            await server.serve_forever()

    task_holder: list[asyncio.Task[None]] = []

    def run() -> None:
        task_holder.append(loop.create_task(serve()))
        with suppress(asyncio.CancelledError):
            loop.run_until_complete(task_holder[0])

    thread = threading.Thread(target=run, name="trivial-server", daemon=True)
    thread.start()
    ready.wait(10)
    try:
        yield f"http://{LOOPBACK}:{port}"
    finally:
        loop.call_soon_threadsafe(task_holder[0].cancel)
        thread.join(10)
        loop.close()


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def one_run(url: str, record: bool, workdir: Path) -> tuple[float, int, float]:
    """(requests/s, requests, Locust CPU s) of one run; rates from Locust's CSV stats."""
    from reference_agent.tenants import canaries

    config = LoadConfig(
        target_url=url,
        users=USERS,
        spawn_rate=USERS,
        run_time_s=RUN_TIME_S,
        tenants=TENANTS,
        mix={"chat": 3, "order_lookup": 2, "kb_search": 1, "long_context": 1},
        attacks={"ratio": 0.05},
        canaries=canaries(1),
        seed=1,
        records_dir=workdir,
        record=record,
    )
    cpu_before = _children_cpu_s()
    with LoadRunner(config, workdir / "locust.log") as runner:
        code = runner.wait(RUN_TIME_S + 60)
        if code != 0:
            sys.exit(f"locust exited with {code}; see {workdir / 'locust.log'}")
    with (workdir / "locust_stats.csv").open() as fh:
        row = next(r for r in csv.DictReader(fh) if r["Name"] == "Aggregated")
    cpu_s = _children_cpu_s() - cpu_before  # the reaped Locust process, start-up included
    requests = int(row["Request Count"])
    if record:
        written = len((workdir / "requests.jsonl").read_text().splitlines())
        # Locust's final CSV is a snapshot taken as it stops; the recorder keeps writing
        # until the users are gone, so it may hold more, never fewer
        assert written >= requests, (written, requests)
    return float(row["Requests/s"]), requests, cpu_s


def main() -> None:
    blocks = int(sys.argv[1]) if len(sys.argv) > 1 else BLOCKS
    rates: dict[bool, list[float]] = {False: [], True: []}
    cpu_per_req: dict[bool, list[float]] = {False: [], True: []}
    order = [False, True, True, False] * blocks
    with tempfile.TemporaryDirectory() as tmp, trivial_server() as url:
        for i, record in enumerate(order):
            rps, n, cpu_s = one_run(url, record, Path(tmp) / f"run{i}")
            rates[record].append(rps)
            cpu_per_req[record].append(cpu_s / n * 1e6)
            mode = "on " if record else "off"
            print(
                f"run {i}: recording {mode} {rps:8.1f} req/s ({n} requests, "
                f"{cpu_s / n * 1e6:.0f} us Locust CPU per request)",
                flush=True,
            )
    base, with_rec = median(rates[False]), median(rates[True])
    ratio = with_rec / base
    # adjacent pairs: (off, on) then (on, off) in each A B B A block
    paired = median(on / off for off, on in zip(rates[False], rates[True], strict=True))
    cpu_off, cpu_on = median(cpu_per_req[False]), median(cpu_per_req[True])
    print(f"runs: {len(order)} ({blocks} A B B A blocks); medians below")
    print(f"without recorder: {base:.1f} req/s, {cpu_off:.0f} us CPU/request")
    print(f"with recorder:    {with_rec:.1f} req/s, {cpu_on:.0f} us CPU/request")
    print(f"CPU per request ratio (without / with): {cpu_off / cpu_on:.3f}")
    print(f"median of adjacent-pair ratios (with / without): {paired:.3f}")
    verdict = "OK" if ratio >= GOAL else "MISSED"
    print(f"requests/s ratio (with / without): {ratio:.3f} (goal >= {GOAL})  {verdict}")


if __name__ == "__main__":
    main()
