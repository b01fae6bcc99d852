"""The real toxiproxy-python client works unchanged against the embedded server."""

from __future__ import annotations

import socket

import pytest
from toxiproxy.api import APIConsumer
from toxiproxy.exceptions import NotFound, ProxyExists
from toxiproxy.server import Toxiproxy
from toxiproxy_helpers import TcpServer, connect


def roundtrip(listen: str, payload: bytes = b"ping") -> bytes:
    with connect(listen) as sock:
        sock.sendall(payload)
        return sock.recv(100)


def test_create_list_get_destroy(client: Toxiproxy, echo_server: TcpServer) -> None:
    assert client.running()
    assert b"version" in client.version()
    proxy = client.create(upstream=echo_server.address, name="echo")
    assert proxy.enabled is True
    assert proxy.listen.startswith("127.0.0.1:") and not proxy.listen.endswith(":0")
    assert roundtrip(proxy.listen) == b"ping"
    assert set(client.proxies()) == {"echo"}
    assert client.get_proxy("echo").upstream == echo_server.address
    with pytest.raises(ProxyExists):
        client.create(upstream=echo_server.address, name="echo")
    assert client.destroy(proxy) is True
    assert client.proxies() == {}
    with pytest.raises(NotFound):
        proxy.destroy()


def test_toxics_add_list_remove(client: Toxiproxy, echo_server: TcpServer) -> None:
    proxy = client.create(upstream=echo_server.address, name="echo")
    proxy.add_toxic(type="latency", attributes={"latency": 50, "jitter": 5})
    proxy.add_toxic(type="bandwidth", stream="upstream", name="slow", attributes={"rate": 100})
    toxics = proxy.toxics()
    assert set(toxics) == {"latency_downstream", "slow"}
    assert toxics["latency_downstream"].attributes == {"latency": 50, "jitter": 5}
    assert toxics["slow"].stream == "upstream" and toxics["slow"].toxicity == 1.0
    assert proxy.get_toxic("missing") is None
    assert roundtrip(proxy.listen) == b"ping"
    assert proxy.destroy_toxic("slow") is True
    assert set(proxy.toxics()) == {"latency_downstream"}
    with pytest.raises(NotFound):
        proxy.destroy_toxic("slow")


def test_disable_enable_and_down(client: Toxiproxy, echo_server: TcpServer) -> None:
    proxy = client.create(upstream=echo_server.address, name="echo")
    with proxy.down():
        assert client.get_proxy("echo").enabled is False
        with pytest.raises(OSError):
            roundtrip(proxy.listen)
    assert client.get_proxy("echo").enabled is True
    assert roundtrip(proxy.listen) == b"ping"


def test_reset_reenables_and_clears_toxics(client: Toxiproxy, echo_server: TcpServer) -> None:
    proxy = client.create(upstream=echo_server.address, name="echo")
    proxy.add_toxic(type="timeout", attributes={"timeout": 0})
    proxy.disable()
    assert client.reset() is True
    again = client.get_proxy("echo")
    assert again.enabled is True
    assert again.toxics() == {}
    assert roundtrip(proxy.listen) == b"ping"


def test_populate_and_destroy_all(client: Toxiproxy, echo_server: TcpServer) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    created = client.populate(
        [{"name": "a", "upstream": echo_server.address, "listen": f"127.0.0.1:{port}"}]
    )
    assert [p.name for p in created] == ["a"]
    # Unchanged: the client keeps the existing proxy.
    assert (
        client.populate(
            [{"name": "a", "upstream": echo_server.address, "listen": f"127.0.0.1:{port}"}]
        )
        == []
    )
    assert roundtrip(f"127.0.0.1:{port}") == b"ping"
    client.destroy_all()
    assert client.proxies() == {}


def test_in_process_server_populates_from_config(echo_server: TcpServer) -> None:
    from harness.toxiproxy import ToxiproxyServer

    config = [{"name": "cfg", "upstream": echo_server.address}]
    with ToxiproxyServer(proxies=config) as server:
        toxiproxy = Toxiproxy()
        saved = (APIConsumer.host, APIConsumer.port)
        toxiproxy.update_api_consumer(server.host, server.port)
        try:
            assert roundtrip(toxiproxy.get_proxy("cfg").listen) == b"ping"
        finally:
            APIConsumer.host, APIConsumer.port = saved
    with pytest.raises(RuntimeError, match="missing required field"):
        ToxiproxyServer(proxies=[{"name": "bad"}]).start()
