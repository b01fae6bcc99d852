"""Cost of the harness's request recording under Locust load.

Two Locust runs of the same load (our locustfile, 20 users, no think time) against the same
trivial loopback HTTP server, side by side: one with `record=False` (messages built and sent,
nothing recorded), one with `record=True` (record built, reply scanned for canaries, one JSON
line written per request). Both Locust processes are pinned to the same CPU and the server
to another, so the scheduler splits one core evenly between the two load generators: each
one's requests/s then shows its own CPU cost per request, and whatever else the shared
machine is doing hits both alike. (Run one after the other, the same load here drifted by up
to 2x between runs, far more than the effect measured.) Rounds alternate which of the two
starts first. Goal: recorded / baseline requests/s >= 0.95, the median over rounds.

    python -m bench.recorder [ROUNDS]   # default 5 rounds of 15 s
"""

from __future__ import annotations

import asyncio
import csv
import json
import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from statistics import median

from harness.load import LoadConfig, LoadRunner
from harness.netutil import LOOPBACK, free_port

USERS, RUN_TIME_S, ROUNDS, GOAL = 20, 15, 5, 0.95
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
def trivial_server(cpus: set[int] | None = None) -> Iterator[str]:
    """A loopback HTTP server in a thread (on `cpus` when given); yields its URL."""
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
        if cpus:
            os.sched_setaffinity(0, cpus)  # 0: this thread only
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


def load_config(url: str, record: bool, workdir: Path) -> LoadConfig:
    from reference_agent.tenants import canaries

    return LoadConfig(
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


def request_counts(workdir: Path, record: bool) -> dict[int, int]:
    """Requests sent by the end of each second with every user running, from Locust's own
    per-second history: {unix second: total requests}."""
    with (workdir / "locust_stats_history.csv").open() as fh:
        rows = [r for r in csv.DictReader(fh) if r["Name"] == "Aggregated"]
    counts = {int(r["Timestamp"]): int(r["Total Request Count"]) for r in rows
              if int(r["User Count"]) == USERS}  # fmt: skip
    if record:
        written = len((workdir / "requests.jsonl").read_text().splitlines())
        # the recorder keeps writing until the users are gone: it may hold more, never fewer
        assert written >= max(counts.values()), (written, max(counts.values()))
    return counts


def one_round(url: str, workdir: Path, recorded_first: bool) -> dict[bool, float]:
    """Both modes at once; {record: requests/s over the seconds when both ran at full load}."""
    modes = [True, False] if recorded_first else [False, True]
    runners = {
        record: LoadRunner(load_config(url, record, workdir / f"record-{record}"),
                           workdir / f"record-{record}" / "locust.log")
        for record in modes
    }  # fmt: skip
    try:
        for record in modes:
            runners[record].start()
        for runner in runners.values():
            code = runner.wait(RUN_TIME_S + 60)
            if code != 0:
                sys.exit(f"locust exited with {code}; see {runner.log_path}")
    finally:
        for runner in runners.values():
            runner.stop(grace_s=0)
    counts = {record: request_counts(workdir / f"record-{record}", record) for record in modes}
    # Each process starts and stops alone on the shared core: only the seconds both report
    # full load count, less the first and last (spawning; stopping)
    common = sorted(set(counts[True]) & set(counts[False]))[1:-1]
    if len(common) < 3:
        sys.exit(f"the two runs overlapped for {len(common)} s only; see {workdir}")
    span = common[-1] - common[0]
    return {record: (c[common[-1]] - c[common[0]]) / span for record, c in counts.items()}


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else ROUNDS
    cpus = sorted(os.sched_getaffinity(0))
    # Locust children inherit the main thread's CPU; the server thread takes the others
    load_cpu, server_cpus = ({cpus[0]}, set(cpus[1:])) if len(cpus) > 1 else (None, None)
    if load_cpu:
        os.sched_setaffinity(0, load_cpu)
    ratios: list[float] = []
    with tempfile.TemporaryDirectory() as tmp, trivial_server(server_cpus) as url:
        for i in range(rounds):
            rates = one_round(url, Path(tmp) / f"round{i}", recorded_first=i % 2 == 0)
            ratios.append(rates[True] / rates[False])
            print(
                f"round {i}: without {rates[False]:7.1f} req/s, with {rates[True]:7.1f} req/s: "
                f"ratio {ratios[-1]:.3f}",
                flush=True,
            )
    pinning = f"Locust on CPU {cpus[0]}, server on {server_cpus}" if load_cpu else "no pinning"
    print(f"rounds: {rounds} of {RUN_TIME_S} s, both modes side by side ({pinning})")
    ratio = median(ratios)
    verdict = "OK" if ratio >= GOAL else "MISSED"
    print(f"requests/s ratio (with / without), median: {ratio:.3f} (goal >= {GOAL})  {verdict}")


if __name__ == "__main__":
    main()
