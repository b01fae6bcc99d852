"""Toxics measured on real loopback connections (loose bounds: the machine is shared)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import pytest
from toxiproxy_helpers import TcpServer, blob, connect, echo, read_all


def proxy(api: httpx.Client, upstream: str, name: str = "p") -> str:
    # An explicit loopback listen: the real server would bind every interface without one.
    body = {"name": name, "upstream": upstream, "listen": "127.0.0.1:0"}
    r = api.post("/proxies", json=body)
    assert r.status_code == 201, r.text
    return r.json()["listen"]


def toxic(api: httpx.Client, body: dict, name: str = "p") -> None:
    r = api.post(f"/proxies/{name}/toxics", json=body)
    assert r.status_code == 200, r.text


def timed_echo(listen: str, payload: bytes = b"ping") -> float:
    with connect(listen) as sock:
        start = time.monotonic()
        sock.sendall(payload)
        assert sock.recv(100) == payload
        return time.monotonic() - start


def closed_by_peer(sock: socket.socket, timeout: float = 5.0) -> bool:
    sock.settimeout(timeout)
    try:
        return sock.recv(100) == b""
    except ConnectionResetError:
        return True


@pytest.fixture
def blob_server() -> Iterator[TcpServer]:
    with TcpServer(blob(10_000)) as server:
        yield server


@pytest.mark.parametrize("stream", ["upstream", "downstream"])
def test_latency_in_chosen_direction(
    api: httpx.Client, echo_server: TcpServer, stream: str
) -> None:
    listen = proxy(api, echo_server.address)
    toxic(api, {"type": "latency", "stream": stream, "attributes": {"latency": 300}})
    with connect(listen) as sock:
        sent = time.monotonic()
        sock.sendall(b"ping")
        assert sock.recv(100) == b"ping"
        back = time.monotonic()
    arrived = echo_server.received[-1][0] - sent
    assert back - sent >= 0.29
    if stream == "upstream":
        assert arrived >= 0.29  # the request was held on its way to the server
    else:
        assert arrived < 0.2  # the request went through; the answer was held


def test_toxics_change_live_connections(api: httpx.Client, echo_server: TcpServer) -> None:
    listen = proxy(api, echo_server.address)
    with connect(listen) as sock:

        def rtt() -> float:
            start = time.monotonic()
            sock.sendall(b"x")
            assert sock.recv(10) == b"x"
            return time.monotonic() - start

        assert rtt() < 0.2
        toxic(api, {"type": "latency", "attributes": {"latency": 250}})
        assert rtt() >= 0.24
        api.patch("/proxies/p/toxics/latency_downstream", json={"attributes": {"latency": 0}})
        assert rtt() < 0.2
        api.patch("/proxies/p/toxics/latency_downstream", json={"attributes": {"latency": 250}})
        assert rtt() >= 0.24
        api.delete("/proxies/p/toxics/latency_downstream")
        assert rtt() < 0.2


def test_timeout_holds_then_closes(api: httpx.Client, echo_server: TcpServer) -> None:
    listen = proxy(api, echo_server.address)
    toxic(api, {"type": "timeout", "attributes": {"timeout": 400}})
    with connect(listen) as sock:
        start = time.monotonic()
        sock.sendall(b"ping")
        assert closed_by_peer(sock)
        held = time.monotonic() - start
    assert 0.35 <= held < 3.0


def test_timeout_zero_holds_until_removed_then_closes(
    api: httpx.Client, echo_server: TcpServer
) -> None:
    listen = proxy(api, echo_server.address)
    toxic(api, {"type": "timeout", "stream": "upstream", "attributes": {"timeout": 0}})
    with connect(listen) as sock:
        sock.sendall(b"ping")
        sock.settimeout(0.5)
        with pytest.raises(TimeoutError):
            sock.recv(100)  # held: nothing comes back, nothing closes
        assert echo_server.received == []
        assert api.delete("/proxies/p/toxics/timeout_upstream").status_code == 204
        assert closed_by_peer(sock)
    assert timed_echo(listen) < 1.0  # new connections flow again


def test_reset_peer_resets(api: httpx.Client, echo_server: TcpServer) -> None:
    listen = proxy(api, echo_server.address)
    toxic(api, {"type": "reset_peer", "stream": "upstream", "attributes": {"timeout": 200}})
    with connect(listen) as sock:
        start = time.monotonic()
        sock.sendall(b"ping")
        sock.settimeout(5)
        with pytest.raises(ConnectionResetError):
            sock.recv(100)
        assert time.monotonic() - start >= 0.19


@pytest.mark.embedded_only(
    "the real server sets SO_LINGER 0 only for reset_peer toxics present at connect time; "
    "a later one closes with FIN"
)
def test_reset_peer_added_to_a_live_connection_resets(
    api: httpx.Client, echo_server: TcpServer
) -> None:
    listen = proxy(api, echo_server.address)
    with connect(listen) as sock:
        sock.sendall(b"x")
        assert sock.recv(10) == b"x"
        toxic(api, {"type": "reset_peer", "attributes": {"timeout": 0}})
        sock.sendall(b"y")
        sock.settimeout(5)
        with pytest.raises(ConnectionResetError):
            sock.recv(100)


def test_removing_latency_releases_held_data(api: httpx.Client, echo_server: TcpServer) -> None:
    listen = proxy(api, echo_server.address)
    toxic(api, {"type": "latency", "attributes": {"latency": 5000}})
    with connect(listen) as sock:
        sock.sendall(b"ping")
        sock.settimeout(0.2)
        with pytest.raises(TimeoutError):
            sock.recv(100)  # held by the toxic
        start = time.monotonic()
        assert api.delete("/proxies/p/toxics/latency_downstream").status_code == 204
        sock.settimeout(5)
        assert sock.recv(100) == b"ping"
        assert time.monotonic() - start < 2.5  # well before the 5 s delay


def test_deleting_a_proxy_closes_its_connections(api: httpx.Client, echo_server: TcpServer) -> None:
    listen = proxy(api, echo_server.address)
    with connect(listen) as sock:
        sock.sendall(b"x")
        assert sock.recv(10) == b"x"
        assert api.delete("/proxies/p").status_code == 204
        assert closed_by_peer(sock)
    with pytest.raises(ConnectionRefusedError):
        connect(listen).close()


def test_new_upstream_closes_old_connections(api: httpx.Client, echo_server: TcpServer) -> None:
    listen = proxy(api, echo_server.address)
    with TcpServer(echo) as other, connect(listen) as sock:
        sock.sendall(b"x")
        assert sock.recv(10) == b"x"
        r = api.post("/proxies/p", json={"upstream": other.address})
        assert r.status_code == 200 and r.json()["upstream"] == other.address
        assert closed_by_peer(sock)
        assert timed_echo(r.json()["listen"]) < 1.0
        assert len(other.received) == 1


def test_limit_data_closes_after_n_bytes(api: httpx.Client, blob_server: TcpServer) -> None:
    listen = proxy(api, blob_server.address)
    toxic(api, {"type": "limit_data", "attributes": {"bytes": 1234}})
    with connect(listen) as sock:
        data, _ = read_all(sock)
    assert len(data) == 1234


def test_bandwidth_limits_rate(api: httpx.Client) -> None:
    size, rate_kb = 150_000, 300  # 0.5 s at the configured rate
    with TcpServer(blob(size)) as server:
        listen = proxy(api, server.address)
        toxic(api, {"type": "bandwidth", "attributes": {"rate": rate_kb}})
        with connect(listen) as sock:
            start = time.monotonic()
            data, _ = read_all(sock)
            elapsed = time.monotonic() - start
    assert len(data) == size
    expected = size / (rate_kb * 1000)
    assert expected * 0.85 <= elapsed <= expected * 1.6  # precise numbers: bench/proxy.py


def test_slicer_delivers_in_pieces(api: httpx.Client, blob_server: TcpServer) -> None:
    listen = proxy(api, blob_server.address)
    attrs = {"average_size": 1000, "size_variation": 100, "delay": 20_000}
    toxic(api, {"type": "slicer", "attributes": attrs})
    with connect(listen) as sock:
        start = time.monotonic()
        data, sizes = read_all(sock)
        elapsed = time.monotonic() - start
    assert len(data) == 10_000
    assert len(sizes) >= 5 and max(sizes) <= 2000
    assert elapsed >= 0.1  # >= 8 gaps of 20 ms


def test_slow_close_delays_close(api: httpx.Client, blob_server: TcpServer) -> None:
    listen = proxy(api, blob_server.address)
    toxic(api, {"type": "slow_close", "attributes": {"delay": 400}})
    with connect(listen) as sock:
        sock.settimeout(5)
        first = sock.recv(65536)
        got_data = time.monotonic()
        rest, _ = read_all(sock)
        closed = time.monotonic()
    assert len(first) + len(rest) == 10_000
    assert closed - got_data >= 0.3


def test_disable_drops_connections_and_refuses(api: httpx.Client, echo_server: TcpServer) -> None:
    listen = proxy(api, echo_server.address)
    with connect(listen) as sock:
        sock.sendall(b"ping")
        assert sock.recv(100) == b"ping"
        assert api.post("/proxies/p", json={"enabled": False}).status_code == 200
        assert closed_by_peer(sock)
    with pytest.raises(ConnectionRefusedError):
        connect(listen).close()
    api.post("/proxies/p", json={"enabled": True})
    assert timed_echo(listen) < 1.0


def test_reset_removes_toxics_from_live_connections(
    api: httpx.Client, echo_server: TcpServer
) -> None:
    listen = proxy(api, echo_server.address)
    toxic(api, {"type": "latency", "attributes": {"latency": 300}})
    with connect(listen) as sock:
        api.post("/reset")
        start = time.monotonic()
        sock.sendall(b"x")
        assert sock.recv(10) == b"x"
        assert time.monotonic() - start < 0.25


def hits(api: httpx.Client, listen: str, n: int) -> int:
    """How many of n fresh connections a downstream limit_data(0) toxic cut."""
    cut = 0
    for _ in range(n):
        with connect(listen) as sock:
            sock.sendall(b"x")
            sock.settimeout(5)
            try:
                cut += sock.recv(10) == b""
            except ConnectionResetError:
                cut += 1
    return cut


@pytest.mark.parametrize(("toxicity", "low", "high"), [(0.5, 70, 130), (0.0, 0, 0), (1.0, 60, 60)])
def test_toxicity_is_decided_per_connection(
    api: httpx.Client, echo_server: TcpServer, toxicity: float, low: int, high: int
) -> None:
    n = 200 if toxicity == 0.5 else 60  # 0.5: the bounds are 4.2 standard deviations wide
    listen = proxy(api, echo_server.address)
    body = {"type": "limit_data", "toxicity": toxicity, "attributes": {"bytes": 0}}
    toxic(api, body)
    assert low <= hits(api, listen, n) <= high


@pytest.mark.embedded_only(
    "observed through the connection gauges only the embedded server exports"
)
def test_connections_are_forgotten_when_closed(api: httpx.Client, echo_server: TcpServer) -> None:
    listen = proxy(api, echo_server.address)
    toxic(api, {"type": "latency", "stream": "upstream", "attributes": {"latency": 1}})
    socks = [connect(listen) for _ in range(40)]
    for sock in socks:
        sock.sendall(b"x")
    for sock in socks:
        assert sock.recv(10) == b"x"
        sock.close()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        text = api.get("/metrics").text
        if 'toxiproxy_proxy_active_connections{proxy="p"} 0.0' in text:
            break
        time.sleep(0.05)
    assert 'toxiproxy_proxy_active_connections{proxy="p"} 0.0' in text
    assert 'toxiproxy_proxy_connections_total{proxy="p"} 40.0' in text


def test_upstream_down_closes_client(api: httpx.Client) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"127.0.0.1:{probe.getsockname()[1]}"  # bound, never listening
        listen = proxy(api, dead)
        with connect(listen) as sock:
            assert closed_by_peer(sock)
