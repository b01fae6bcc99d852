"""Every test that uses `tp` runs against both servers: the embedded one and Shopify's real
`toxiproxy-server` (differential conformance). A test of an embedded-only extension carries
`@pytest.mark.embedded_only("why")` and runs against the embedded server alone.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from toxiproxy.api import APIConsumer
from toxiproxy.server import Toxiproxy
from toxiproxy_helpers import TcpServer, echo

from harness.toxiproxy import ToxiproxyServer
from harness.toxiproxy.real import ENV_VAR, SHARED, RealToxiproxy, find_real_server
from tests.requires import skip_or_fail

SERVERS = ("embedded", "real")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "embedded_only(reason): exercises an extension of the embedded Toxiproxy; "
        "not run against the real toxiproxy-server",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "tp" not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker("embedded_only")
    if marker is not None and not (marker.args and marker.args[0]):
        raise pytest.UsageError(f"{metafunc.definition.nodeid}: embedded_only needs a reason")
    servers = ["embedded"] if marker else list(SERVERS)
    metafunc.parametrize("tp", servers, indirect=True, scope="module")


@pytest.fixture(scope="module")
def tp(request: pytest.FixtureRequest) -> Iterator[ToxiproxyServer | RealToxiproxy]:
    """One server of each kind per module; `api`/`client` delete every proxy after each test."""
    if request.param == "embedded":
        with ToxiproxyServer(seed=7) as server:
            yield server
        return
    binary = find_real_server()
    if binary is None:
        skip_or_fail(f"the real toxiproxy-server is not found (${ENV_VAR}, {SHARED}, PATH)")
    assert binary is not None
    with RealToxiproxy(binary, seed=7) as real:
        yield real


@pytest.fixture(scope="module")
def _http(tp: ToxiproxyServer | RealToxiproxy) -> Iterator[httpx.Client]:
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
def client(tp: ToxiproxyServer | RealToxiproxy, _http: httpx.Client) -> Iterator[Toxiproxy]:
    """The real toxiproxy-python client, pointed at the server under test."""
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
