"""Benchmark of the embedded Toxiproxy against direct connections and the real Toxiproxy.

Starts a loopback HTTP/1.1 keep-alive server, `harness serve toxiproxy` and Shopify's
`toxiproxy-server` (2.12.0, found as the tests find it: $HARNESS_TOXIPROXY_SERVER, then
`<repo>/../shared/toxiproxy/`, then PATH) as subprocesses, one proxy in each to the same
server. Then, from this process, with the three paths interleaved so machine noise hits
them alike, it measures:
  - added latency per keep-alive request: p50/p99 through each proxy minus direct
  - bulk throughput through each proxy as a ratio of direct
  - 64 concurrent keep-alive connections: requests/s and p50/p99 of each path
  - latency toxic accuracy (100 ms) and bandwidth toxic accuracy (2,000 KB/s) of each proxy
Goals (embedded): added p50 <= 0.3 ms, throughput ratio >= 0.5, latency within 2%,
bandwidth within 10%, 64-connection req/s >= 0.5 of the real Toxiproxy's. Exit status 0
always (numbers are for reading, the machine is shared); `--strict` exits 1 when a goal is
missed. A missing real server is an error (exit 2) unless `--no-real`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

from harness.toxiproxy.real import ENV_VAR, SHARED, RealToxiproxy, find_real_server

# A tiny keep-alive HTTP/1.1 server: GET /small -> 2 bytes, GET /bulk/N -> N bytes.
SERVER = r"""
import asyncio, sys
try:
    import uvloop; uvloop.install()
except ImportError:
    pass
BULK = b"x" * (64 * 1024 * 1024)
class H(asyncio.Protocol):
    def connection_made(self, t): self.t, self.buf = t, b""
    def data_received(self, data):
        self.buf += data
        while b"\r\n\r\n" in self.buf:
            head, self.buf = self.buf.split(b"\r\n\r\n", 1)
            path = head.split(b" ", 2)[1]
            body = b"ok" if path == b"/small" else BULK[: int(path.rsplit(b"/", 1)[1])]
            self.t.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body))
            self.t.write(body)
async def main():
    srv = await asyncio.get_running_loop().create_server(H, "127.0.0.1", 0)
    print(srv.sockets[0].getsockname()[1], flush=True)
    await srv.serve_forever()
asyncio.run(main())
"""
SMALL_REQUEST = b"GET /small HTTP/1.1\r\nHost: b\r\n\r\n"
SMALL_RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


@contextmanager
def process(cmd: list[str]) -> Iterator[tuple[int, str]]:
    """(pid, first stdout line) of a subprocess that lives as long as the context."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        yield proc.pid, proc.stdout.readline().strip()
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


class Conn:
    """A raw keep-alive HTTP client connection (no client-library overhead in the numbers)."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray(1 << 20)

    def get(self, path: str) -> int:
        self.sock.sendall(f"GET {path} HTTP/1.1\r\nHost: b\r\n\r\n".encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("closed before the response head")
            head += chunk
        head, rest = head.split(b"\r\n\r\n", 1)
        length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
        left = length - len(rest)
        view = memoryview(self.buf)
        while left > 0:
            n = self.sock.recv_into(view, min(left, len(self.buf)))
            if n == 0:
                raise ConnectionError("closed mid-body")
            left -= n
        return length

    def close(self) -> None:
        self.sock.close()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc; 10 ms resolution)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def rtts(conn: Conn, n: int) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        conn.get("/small")
        out.append(time.perf_counter() - start)
    return out


def rotations(names: list[str], rounds: int) -> Iterator[list[str]]:
    """Each round starts with the next path, so none is always first (or last) in a round."""
    for i in range(rounds):
        yield names[i % len(names) :] + names[: i % len(names)]


def added_latency(ports: dict[str, int], rounds: int, block: int) -> dict[str, list[float]]:
    conns = {name: Conn(port) for name, port in ports.items()}
    out: dict[str, list[float]] = {name: [] for name in ports}
    try:
        for conn in conns.values():
            rtts(conn, 200)  # warm-up
        for order in rotations(list(ports), rounds):
            for name in order:
                out[name] += rtts(conns[name], block)
    finally:
        for conn in conns.values():
            conn.close()
    return out


def throughput(port: int, size: int) -> float:
    conn = Conn(port)
    try:
        start = time.perf_counter()
        conn.get(f"/bulk/{size}")
        return size / (time.perf_counter() - start)
    finally:
        conn.close()


async def _concurrent(port: int, connections: int, requests: int) -> tuple[float, list[float]]:
    """`connections` keep-alive connections, `requests` each: (req/s, per-request latencies)."""
    latencies: list[float] = []

    async def one() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            for _ in range(requests):
                start = time.perf_counter()
                writer.write(SMALL_REQUEST)
                if await reader.readexactly(len(SMALL_RESPONSE)) != SMALL_RESPONSE:
                    raise ConnectionError("unexpected response")
                latencies.append(time.perf_counter() - start)
        finally:
            writer.close()

    start = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*(one() for _ in range(connections))), timeout=120)
    return connections * requests / (time.perf_counter() - start), latencies


def concurrent(
    ports: dict[str, int], pids: dict[str, int], rounds: int, connections: int, requests: int
) -> tuple[dict[str, list[float]], dict[str, list[float]], dict[str, float]]:
    """Interleaved rounds of the concurrent case: req/s per round, every latency per path, and
    each proxy process's CPU seconds per request (what a contended machine cannot distort)."""
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    rates: dict[str, list[float]] = {name: [] for name in ports}
    lat: dict[str, list[float]] = {name: [] for name in ports}
    for port in ports.values():  # warm-up: connection setup, caches, Go's scheduler
        runner(_concurrent(port, connections, 20))
    cpu = dict.fromkeys(pids, 0.0)
    for order in rotations(list(ports), rounds):
        for name in order:
            before = cpu_seconds(pids[name]) if name in pids else 0.0
            rate, latencies = runner(_concurrent(ports[name], connections, requests))
            if name in pids:
                cpu[name] += cpu_seconds(pids[name]) - before
            rates[name].append(rate)
            lat[name] += latencies
    total = rounds * connections * requests
    return rates, lat, {name: seconds / total for name, seconds in cpu.items()}


def toxic_accuracy(api: httpx.Client, port: int) -> tuple[float, float]:
    """(measured latency toxic in ms for 100 ms, measured bandwidth in KB/s for 2,000)."""
    conn = Conn(port)
    try:
        base = statistics.median(rtts(conn, 50))  # the proxy's own hop is not the toxic's
        body = {"type": "latency", "attributes": {"latency": 100}}
        api.post("/proxies/bench/toxics", json=body).raise_for_status()
        tox = statistics.median(rtts(conn, 20))
        api.delete("/proxies/bench/toxics/latency_downstream").raise_for_status()
    finally:
        conn.close()
    body = {"type": "bandwidth", "attributes": {"rate": 2000}}
    api.post("/proxies/bench/toxics", json=body).raise_for_status()
    bw = throughput(port, 2_000_000) / 1000  # KB/s, 1 s at the configured rate
    api.delete("/proxies/bench/toxics/bandwidth_downstream").raise_for_status()
    return (tox - base) * 1000, bw


def make_proxy(api: httpx.Client, upstream: int) -> int:
    body = {"name": "bench", "upstream": f"127.0.0.1:{upstream}", "listen": "127.0.0.1:0"}
    r = api.post("/proxies", json=body)
    r.raise_for_status()
    return int(r.json()["listen"].rsplit(":", 1)[1])


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20, help="interleaved latency blocks")
    parser.add_argument("--block", type=int, default=100, help="requests per block")
    parser.add_argument("--bulk-mb", type=int, default=64, help="bytes per transfer (<= 64)")
    parser.add_argument("--bulk-rounds", type=int, default=7, help="interleaved transfers")
    parser.add_argument("--connections", type=int, default=64, help="concurrent connections")
    parser.add_argument("--conc-requests", type=int, default=100, help="requests per connection")
    parser.add_argument("--conc-rounds", type=int, default=7, help="interleaved concurrent rounds")
    parser.add_argument("--no-real", action="store_true", help="leave out the real Toxiproxy")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a goal is missed")
    args = parser.parse_args()

    binary = None if args.no_real else find_real_server()
    if binary is None and not args.no_real:
        print(f"the real toxiproxy-server is not found (${ENV_VAR}, {SHARED}, PATH); "
              "pass --no-real to leave it out", file=sys.stderr)  # fmt: skip
        return 2

    embedded_cmd = [sys.executable, "-m", "harness", "serve", "toxiproxy", "--port", "0"]
    with ExitStack() as stack:
        _, port_line = stack.enter_context(process([sys.executable, "-c", SERVER]))
        upstream = int(port_line)
        embedded_pid, line = stack.enter_context(process(embedded_cmd))
        pids = {"embedded": embedded_pid}
        apis = {"embedded": httpx.Client(base_url=line.removeprefix("listening on "), timeout=10)}
        if binary is not None:
            real = stack.enter_context(RealToxiproxy(binary))
            assert real.pid is not None
            pids["real"] = real.pid
            apis["real"] = httpx.Client(base_url=real.url, timeout=10)
        for api in apis.values():
            stack.callback(api.close)
        ports = {"direct": upstream} | {
            name: make_proxy(api, upstream) for name, api in apis.items()
        }
        proxies = [name for name in ports if name != "direct"]

        lat = added_latency(ports, args.rounds, args.block)

        size = args.bulk_mb * 1024 * 1024
        tput: dict[str, list[float]] = {name: [] for name in ports}
        for order in rotations(list(ports), args.bulk_rounds):
            for name in order:
                tput[name].append(throughput(ports[name], size))

        rates, conc_lat, cpu = concurrent(
            ports, pids, args.conc_rounds, args.connections, args.conc_requests
        )
        accuracy = {name: toxic_accuracy(apis[name], ports[name]) for name in proxies}

    def ratio(values: dict[str, list[float]], name: str, base: str = "direct") -> float:
        """Median of the per-round ratios: each round's pair saw the same machine load."""
        return statistics.median(a / b for a, b in zip(values[name], values[base], strict=True))

    d50, d99 = pct(lat["direct"], 0.5), pct(lat["direct"], 0.99)
    print(
        f"toxiproxy benchmark: {' vs '.join(ports)}, interleaved; "
        f"{args.rounds}x{args.block} requests per path, {args.bulk_rounds} x {args.bulk_mb} MB, "
        f"{args.conc_rounds} rounds of {args.connections} connections x {args.conc_requests}"
    )

    def spread(values: list[float]) -> str:
        return f"{ms(pct(values, 0.5))} / {ms(pct(values, 0.99))}"

    def scaled(values: dict[str, list[float]], name: str, unit: float, fmt: str) -> str:
        return f"{statistics.median(values[name]) / unit:{fmt}} ({ratio(values, name):.2f})"

    conns = f"{args.connections} conns"
    every = list(ports)
    rows: list[tuple[str, dict[str, str]]] = [
        ("request p50 / p99 ms", {n: spread(lat[n]) for n in every}),
        ("added p50 / p99 ms", {n: f"{ms(pct(lat[n], 0.5) - d50)} / {ms(pct(lat[n], 0.99) - d99)}"
                                for n in proxies}),
        ("bulk MB/s (x direct)", {n: scaled(tput, n, 1e6, ".0f") for n in every}),
        (f"{conns} req/s (x direct)", {n: scaled(rates, n, 1, ",.0f") for n in every}),
        (f"{conns} p50 / p99 ms", {n: spread(conc_lat[n]) for n in every}),
        (f"{conns} proxy CPU us/req", {n: f"{cpu[n] * 1e6:.1f}" for n in proxies}),
        ("latency toxic 100 ms", {n: f"{accuracy[n][0]:.2f} ms" for n in proxies}),
        ("bandwidth 2000 KB/s", {n: f"{accuracy[n][1]:.0f} KB/s" for n in proxies}),
    ]  # fmt: skip
    print(f"  {'':<26}" + "".join(f"{n:>22}" for n in ports))
    for label, cells in rows:
        print(f"  {label:<26}" + "".join(f"{cells.get(n, '-'):>22}" for n in ports))

    add50 = (pct(lat["embedded"], 0.5) - d50) * 1000
    tox_ms, bw = accuracy["embedded"]
    goals = [
        ("embedded added p50", f"{add50:.3f} ms", add50 <= 0.3, "<= 0.3 ms"),
        ("embedded throughput", f"{ratio(tput, 'embedded'):.2f} x direct",
         ratio(tput, "embedded") >= 0.5, ">= 0.5"),
        ("embedded latency toxic", f"{abs(tox_ms - 100):.2f}% off", abs(tox_ms - 100) <= 2,
         "within 2%"),
        ("embedded bandwidth", f"{abs(bw - 2000) / 20:.2f}% off", abs(bw - 2000) <= 200,
         "within 10%"),
    ]  # fmt: skip
    if "real" in ports:
        per_round = {
            "bulk MB/s": [a / b for a, b in zip(tput["embedded"], tput["real"], strict=True)],
            f"{conns} req/s": [
                a / b for a, b in zip(rates["embedded"], rates["real"], strict=True)
            ],
        }
        added_real = pct(lat["real"], 0.5) - d50
        print(f"  embedded / real: added p50 {(pct(lat['embedded'], 0.5) - d50) / added_real:.2f}")
        for label, values in per_round.items():
            print(f"  embedded / real: {label} {statistics.median(values):.2f} "
                  f"(rounds {min(values):.2f}-{max(values):.2f})")  # fmt: skip
        print(
            f"  embedded / real: {conns} proxy CPU per request {cpu['embedded'] / cpu['real']:.2f}"
        )
        conc = statistics.median(per_round[f"{conns} req/s"])
        goals.append((f"embedded {conns} req/s", f"{conc:.2f} x real", conc >= 0.5, ">= 0.5"))
    missed = 0
    for name, value, ok, goal in goals:
        missed += not ok
        print(f"  {name:<24} {value:<18} {goal:<10} {'goal met' if ok else 'GOAL MISSED'}")
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
