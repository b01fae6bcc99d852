"""GET /metrics: per-proxy connections, bytes each way and toxics, in Prometheus text."""

from __future__ import annotations

import time

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from toxiproxy_helpers import TcpServer, connect


def samples(api: httpx.Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    r = api.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    out = {}
    for family in text_string_to_metric_families(r.text):
        for s in family.samples:
            labels = tuple(
                sorted((k, v) for k, v in s.labels.items() if k in ("proxy", "direction"))
            )
            out[(s.name, labels)] = s.value
    return out


def test_metrics_count_bytes_each_way(api: httpx.Client, echo_server: TcpServer) -> None:
    body = {"name": "m", "upstream": echo_server.address, "listen": "127.0.0.1:0"}
    listen = api.post("/proxies", json=body).json()["listen"]
    api.post("/proxies/m/toxics", json={"type": "latency", "stream": "upstream"})
    with connect(listen) as sock:
        sock.sendall(b"x" * 100)
        got = b""
        while len(got) < 100:
            got += sock.recv(100)
    up = (("direction", "upstream"), ("proxy", "m"))
    down = (("direction", "downstream"), ("proxy", "m"))
    wanted = [(name, key) for name in ("toxiproxy_proxy_received_bytes_total",
                                       "toxiproxy_proxy_sent_bytes_total") for key in (up, down)]
    deadline = time.monotonic() + 10  # the real server counts a chunk after it passes it on
    values = samples(api)
    while any(values.get(w) != 100 for w in wanted) and time.monotonic() < deadline:
        time.sleep(0.05)
        values = samples(api)
    assert values[("toxiproxy_proxy_received_bytes_total", up)] == 100
    assert values[("toxiproxy_proxy_sent_bytes_total", up)] == 100
    assert values[("toxiproxy_proxy_received_bytes_total", down)] == 100
    assert values[("toxiproxy_proxy_sent_bytes_total", down)] == 100


@pytest.mark.embedded_only(
    "the real server exports byte counters only; connection, toxic and enabled gauges "
    "are an embedded extension"
)
def test_metrics_count_connections_and_toxics(api: httpx.Client, echo_server: TcpServer) -> None:
    body = {"name": "m", "upstream": echo_server.address, "listen": "127.0.0.1:0"}
    listen = api.post("/proxies", json=body).json()["listen"]
    api.post("/proxies/m/toxics", json={"type": "latency", "stream": "upstream"})
    m = (("proxy", "m"),)
    with connect(listen) as sock:
        sock.sendall(b"x")
        assert sock.recv(10) == b"x"
        assert samples(api)[("toxiproxy_proxy_active_connections", m)] == 1
    values = samples(api)
    assert values[("toxiproxy_proxy_connections_total", m)] == 1
    assert values[("toxiproxy_proxy_toxics", m)] == 1
    assert values[("toxiproxy_proxy_enabled", m)] == 1
