"""Prometheus metrics of the proxies, computed at scrape time from plain counters.

Metric names follow Toxiproxy's METRICS.md where it has one (received/sent bytes with
`direction`, `proxy`, `listener`, `upstream` labels) and add connection and toxic gauges.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from harness.toxiproxy.collection import ProxyCollection

LINK_LABELS = ["direction", "proxy", "listener", "upstream"]


class ProxyCollector(Collector):
    def __init__(self, proxies: ProxyCollection) -> None:
        self._proxies = proxies

    def collect(self) -> Iterator[Metric]:
        received = CounterMetricFamily(
            "toxiproxy_proxy_received_bytes",
            "Bytes read by the proxy, per direction (upstream = from the client)",
            labels=LINK_LABELS,
        )
        sent = CounterMetricFamily(
            "toxiproxy_proxy_sent_bytes",
            "Bytes written by the proxy, per direction (upstream = to the server)",
            labels=LINK_LABELS,
        )
        connections = CounterMetricFamily(
            "toxiproxy_proxy_connections", "Connections accepted and proxied", labels=["proxy"]
        )
        active = GaugeMetricFamily(
            "toxiproxy_proxy_active_connections", "Connections open now", labels=["proxy"]
        )
        toxics = GaugeMetricFamily(
            "toxiproxy_proxy_toxics", "Toxics configured on the proxy", labels=["proxy"]
        )
        enabled = GaugeMetricFamily(
            "toxiproxy_proxy_enabled", "1 when the proxy listens, 0 when disabled", labels=["proxy"]
        )
        for proxy in list(self._proxies.proxies.values()):
            for direction in ("upstream", "downstream"):
                labels = [direction, proxy.name, proxy.listen, proxy.upstream]
                received.add_metric(labels, proxy.stats.received[direction])
                sent.add_metric(labels, proxy.stats.sent[direction])
            connections.add_metric([proxy.name], proxy.stats.connections_total)
            active.add_metric([proxy.name], len(proxy.connections))
            toxics.add_metric([proxy.name], len(proxy.toxics.specs))
            enabled.add_metric([proxy.name], 1 if proxy.enabled else 0)
        yield from (received, sent, connections, active, toxics, enabled)


def build_registry(proxies: ProxyCollection) -> CollectorRegistry:
    """A registry of this server only (several servers may share a process in tests)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ProxyCollector(proxies))
    return registry
