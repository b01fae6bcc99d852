from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from toxiproxy.api import APIConsumer
from toxiproxy.server import Toxiproxy
from toxiproxy_helpers import TcpServer, echo

from harness.toxiproxy import ToxiproxyServer


@pytest.fixture(scope="module")
def tp() -> Iterator[ToxiproxyServer]:
    """One server per test module; `api`/`client` delete every proxy after each test."""
    with ToxiproxyServer(seed=7) as server:
        yield server


@pytest.fixture(scope="module")
def _http(tp: ToxiproxyServer) -> Iterator[httpx.Client]:
    # One client per module: building an httpx client costs ~0.2 s (TLS context).
    with httpx.Client(base_url=tp.url, timeout=10) as client:
        yield client


def _delete_all(http: httpx.Client) -> None:
    for name in http.get("/proxies").json():
        http.delete(f"/proxies/{name}")


@pytest.fixture
def api(_http: httpx.Client) -> Iterator[httpx.Client]:
    try:
        yield _http
    finally:
        _delete_all(_http)


@pytest.fixture
def client(tp: ToxiproxyServer, _http: httpx.Client) -> Iterator[Toxiproxy]:
    """The real toxiproxy-python client, pointed at the embedded server."""
    saved = (APIConsumer.host, APIConsumer.port)
    toxiproxy = Toxiproxy()
    toxiproxy.update_api_consumer(tp.host, tp.port)
    try:
        yield toxiproxy
    finally:
        APIConsumer.host, APIConsumer.port = saved
        _delete_all(_http)


@pytest.fixture
def echo_server() -> Iterator[TcpServer]:
    with TcpServer(echo) as server:
        yield server
