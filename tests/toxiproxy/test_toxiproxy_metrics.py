"""GET /metrics: per-proxy connections, bytes each way and toxics, in Prometheus text."""

from __future__ import annotations

import httpx
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


def test_metrics_count_connections_and_bytes(api: httpx.Client, echo_server: TcpServer) -> None:
    listen = api.post("/proxies", json={"name": "m", "upstream": echo_server.address}).json()[
        "listen"
    ]
    api.post("/proxies/m/toxics", json={"type": "latency", "stream": "upstream"})
    with connect(listen) as sock:
        sock.sendall(b"x" * 100)
        got = b""
        while len(got) < 100:
            got += sock.recv(100)
        live = samples(api)
        assert live[("toxiproxy_proxy_active_connections", (("proxy", "m"),))] == 1
    m = (("proxy", "m"),)
    up = (("direction", "upstream"), ("proxy", "m"))
    down = (("direction", "downstream"), ("proxy", "m"))
    values = samples(api)
    assert values[("toxiproxy_proxy_connections_total", m)] == 1
    assert values[("toxiproxy_proxy_received_bytes_total", up)] == 100
    assert values[("toxiproxy_proxy_sent_bytes_total", up)] == 100
    assert values[("toxiproxy_proxy_received_bytes_total", down)] == 100
    assert values[("toxiproxy_proxy_sent_bytes_total", down)] == 100
    assert values[("toxiproxy_proxy_toxics", m)] == 1
    assert values[("toxiproxy_proxy_enabled", m)] == 1
