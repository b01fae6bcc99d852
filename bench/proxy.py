"""Benchmark of the embedded Toxiproxy, measured side by side with direct connections.

Starts a loopback HTTP/1.1 keep-alive server and `harness serve toxiproxy` as subprocesses,
then, from this process, measures:
  - added latency per keep-alive request: p50/p99 through the proxy minus direct
  - bulk throughput through the proxy as a ratio of direct
  - latency toxic accuracy: added delay measured vs configured (100 ms)
  - bandwidth toxic accuracy: measured rate vs configured
Goals: added p50 <= 0.3 ms, throughput ratio >= 0.5, latency accuracy within 2%,
bandwidth within 10%. Exit status 0 always (numbers are for reading, the machine is shared);
`--strict` exits 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

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


@contextmanager
def process(cmd: list[str]) -> Iterator[str]:
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        yield proc.stdout.readline().strip()
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
            head += self.sock.recv(4096)
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


def added_latency(direct: Conn, proxied: Conn, rounds: int, block: int) -> tuple[list, list]:
    d, p = [], []
    rtts(direct, 200), rtts(proxied, 200)  # warm-up
    for _ in range(rounds):  # interleaved blocks: both see the same machine load
        d += rtts(direct, block)
        p += rtts(proxied, block)
    return d, p


def throughput(port: int, size: int) -> float:
    conn = Conn(port)
    try:
        start = time.perf_counter()
        conn.get(f"/bulk/{size}")
        return size / (time.perf_counter() - start)
    finally:
        conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20, help="interleaved blocks")
    parser.add_argument("--block", type=int, default=100, help="requests per block")
    parser.add_argument("--bulk-mb", type=int, default=64, help="bytes per transfer (<= 64)")
    parser.add_argument("--bulk-pairs", type=int, default=7, help="direct/proxy transfer pairs")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a goal is missed")
    args = parser.parse_args()

    toxiproxy_cmd = [sys.executable, "-m", "harness", "serve", "toxiproxy", "--port", "0"]
    with process([sys.executable, "-c", SERVER]) as port_line, process(toxiproxy_cmd) as line:
        upstream = int(port_line)
        api = httpx.Client(base_url=line.removeprefix("listening on "), timeout=10)
        r = api.post("/proxies", json={"name": "bench", "upstream": f"127.0.0.1:{upstream}"})
        proxy_port = int(r.json()["listen"].rsplit(":", 1)[1])

        direct, proxied = Conn(upstream), Conn(proxy_port)
        d, p = added_latency(direct, proxied, args.rounds, args.block)
        add50 = (pct(p, 0.5) - pct(d, 0.5)) * 1000
        add99 = (pct(p, 0.99) - pct(d, 0.99)) * 1000

        size = args.bulk_mb * 1024 * 1024
        td, tpx = [], []
        for _ in range(args.bulk_pairs):  # pairs back to back: each sees the same load
            td.append(throughput(upstream, size))
            tpx.append(throughput(proxy_port, size))
        ratio = statistics.median(p_ / d_ for p_, d_ in zip(tpx, td, strict=True))

        # Baseline through the proxy: this measures the toxic, not the proxy's own hop.
        base = statistics.median(rtts(proxied, 50))
        api.post("/proxies/bench/toxics", json={"type": "latency", "attributes": {"latency": 100}})
        tox = statistics.median(rtts(proxied, 20))
        measured_ms = (tox - base) * 1000
        accuracy = abs(measured_ms - 100) / 100
        api.delete("/proxies/bench/toxics/latency_downstream")

        rate_kb = 2000
        body = {"type": "bandwidth", "attributes": {"rate": rate_kb}}
        api.post("/proxies/bench/toxics", json=body)
        bw = throughput(proxy_port, 2_000_000) / 1000  # KB/s, 1 s at the configured rate
        bw_error = abs(bw - rate_kb) / rate_kb
        direct.close()
        proxied.close()
        api.close()

    results = [
        ("added latency p50", f"{add50:.3f} ms", add50 <= 0.3, "<= 0.3 ms"),
        ("added latency p99", f"{add99:.3f} ms", None, "(reported)"),
        ("direct p50 / p99", f"{pct(d, 0.5) * 1e3:.3f} / {pct(d, 0.99) * 1e3:.3f} ms", None, ""),
        ("proxy p50 / p99", f"{pct(p, 0.5) * 1e3:.3f} / {pct(p, 0.99) * 1e3:.3f} ms", None, ""),
        (
            "throughput ratio",
            f"{ratio:.2f} ({statistics.median(tpx) / 1e6:.0f} vs "
            f"{statistics.median(td) / 1e6:.0f} MB/s)",
            ratio >= 0.5,
            ">= 0.5",
        ),
        (
            "latency toxic 100 ms",
            f"{measured_ms:.2f} ms ({accuracy:.2%} off)",
            accuracy <= 0.02,
            "within 2%",
        ),
        (
            f"bandwidth {rate_kb} KB/s",
            f"{bw:.0f} KB/s ({bw_error:.2%} off)",
            bw_error <= 0.10,
            "within 10%",
        ),
    ]
    print(f"embedded toxiproxy benchmark ({args.rounds}x{args.block} requests each way)")
    missed = 0
    for name, value, ok, goal in results:
        verdict = "" if ok is None else ("goal met" if ok else "GOAL MISSED")
        missed += ok is False
        print(f"  {name:<24} {value:<34} {goal:<10} {verdict}")
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
