"""The HTTP API over raw HTTP: shapes, status codes and every error body."""

from __future__ import annotations

import socket

import httpx
import pytest
from toxiproxy_helpers import TcpServer


def make(api: httpx.Client, upstream: str, name: str = "p", **extra: object) -> dict:
    # An explicit loopback listen: the real server would bind every interface without one.
    body = {"name": name, "upstream": upstream, "listen": "127.0.0.1:0", **extra}
    r = api.post("/proxies", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def assert_error(r: httpx.Response, status: int, message: str) -> None:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["status"] == status
    assert body["error"].startswith(message), body


def test_create_resolves_listen_and_shape(api: httpx.Client, echo_server: TcpServer) -> None:
    body = make(api, echo_server.address, listen="127.0.0.1:0")
    # The real server also leaks its logger as "Logger": {} (README: differences).
    assert set(body) - {"Logger"} == {"name", "listen", "upstream", "enabled", "toxics"}
    assert body["listen"] != "127.0.0.1:0" and body["enabled"] is True and body["toxics"] == []
    assert api.get("/proxies/p").json() == body
    assert api.get("/proxies").json() == {"p": body}
    assert api.get("/version").json()["version"].startswith("2.")


def test_create_disabled_does_not_listen(api: httpx.Client, echo_server: TcpServer) -> None:
    body = make(api, echo_server.address, enabled=False)
    assert body["enabled"] is False


def test_update_with_post_and_patch(api: httpx.Client, echo_server: TcpServer) -> None:
    make(api, echo_server.address)
    r = api.post("/proxies/p", json={"enabled": False})
    assert r.status_code == 200 and r.json()["enabled"] is False
    r = api.patch("/proxies/p", json={"enabled": True})
    assert r.status_code == 200 and r.json()["enabled"] is True
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    r = api.patch("/proxies/p", json={"listen": f"127.0.0.1:{port}"})
    assert r.json()["listen"] == f"127.0.0.1:{port}"


def test_delete_answers_204(api: httpx.Client, echo_server: TcpServer) -> None:
    make(api, echo_server.address)
    r = api.delete("/proxies/p")
    assert r.status_code == 204 and r.content == b""
    assert_error(api.get("/proxies/p"), 404, "proxy not found")


def test_toxic_defaults_add_200_and_update_merges(
    api: httpx.Client, echo_server: TcpServer
) -> None:
    make(api, echo_server.address)
    r = api.post("/proxies/p/toxics", json={"type": "latency", "attributes": {"latency": 10}})
    assert r.status_code == 200
    assert r.json() == {
        "attributes": {"latency": 10, "jitter": 0},
        "name": "latency_downstream",
        "type": "latency",
        "stream": "downstream",
        "toxicity": 1.0,
    }
    r = api.patch("/proxies/p/toxics/latency_downstream", json={"attributes": {"jitter": 3}})
    assert r.status_code == 200
    assert r.json()["attributes"] == {"latency": 10, "jitter": 3}
    r = api.post("/proxies/p/toxics/latency_downstream", json={"toxicity": 0.5})
    assert r.json()["toxicity"] == 0.5 and r.json()["attributes"]["jitter"] == 3
    assert api.get("/proxies/p/toxics/latency_downstream").json() == r.json()
    assert api.get("/proxies/p").json()["toxics"] == [r.json()]
    assert api.delete("/proxies/p/toxics/latency_downstream").status_code == 204
    assert api.get("/proxies/p/toxics").json() == []


def test_reset_answers_204(api: httpx.Client, echo_server: TcpServer) -> None:
    make(api, echo_server.address)
    api.post("/proxies/p/toxics", json={"type": "timeout"})
    api.post("/proxies/p", json={"enabled": False})
    assert api.post("/reset").status_code == 204
    body = api.get("/proxies/p").json()
    assert body["enabled"] is True and body["toxics"] == []


def test_populate_keeps_unchanged_proxy_with_toxics(
    api: httpx.Client, echo_server: TcpServer
) -> None:
    first = make(api, echo_server.address, name="keep")
    api.post("/proxies/keep/toxics", json={"type": "latency", "attributes": {"latency": 5}})
    entries = [
        {"name": "keep", "upstream": echo_server.address, "listen": first["listen"]},
        {"name": "new", "upstream": echo_server.address, "listen": "127.0.0.1:0"},
    ]
    r = api.post("/populate", json=entries)
    assert r.status_code == 201, r.text
    proxies = {p["name"]: p for p in r.json()["proxies"]}
    assert proxies["keep"]["listen"] == first["listen"]
    assert [t["name"] for t in proxies["keep"]["toxics"]] == ["latency_downstream"]
    assert proxies["new"]["enabled"] is True


def test_populate_validates_every_entry_first(api: httpx.Client, echo_server: TcpServer) -> None:
    r = api.post("/populate", json=[{"name": "a", "upstream": echo_server.address}, {"name": "b"}])
    assert_error(r, 400, "missing required field: upstream at proxy 2")
    assert api.get("/proxies").json() == {}
    assert_error(api.post("/populate", json={"name": "a"}), 400, "bad request body")


# -- errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/proxies/nope"),
        ("POST", "/proxies/nope"),
        ("PATCH", "/proxies/nope"),
        ("DELETE", "/proxies/nope"),
        ("GET", "/proxies/nope/toxics"),
        ("POST", "/proxies/nope/toxics"),
        ("GET", "/proxies/nope/toxics/t"),
        ("DELETE", "/proxies/nope/toxics/t"),
    ],
)
def test_unknown_proxy_404(api: httpx.Client, method: str, path: str) -> None:
    r = api.request(method, path, json={"type": "latency"})
    assert r.json() == {"error": "proxy not found", "status": 404}
    assert r.status_code == 404


@pytest.mark.parametrize("method", ["GET", "POST", "PATCH", "DELETE"])
def test_unknown_toxic_404(api: httpx.Client, echo_server: TcpServer, method: str) -> None:
    make(api, echo_server.address)
    r = api.request(method, "/proxies/p/toxics/nope", json={})
    assert r.json() == {"error": "toxic not found", "status": 404}


@pytest.mark.parametrize("body", [b"{not json", b"", b"[1, 2]", b'"text"'])
def test_bad_json_400(api: httpx.Client, body: bytes) -> None:
    r = api.post("/proxies", content=body)
    assert_error(r, 400, "bad request body")


def test_bad_json_400_on_every_write(api: httpx.Client, echo_server: TcpServer) -> None:
    make(api, echo_server.address)
    api.post("/proxies/p/toxics", json={"type": "timeout"})
    for path in ("/proxies/p", "/proxies/p/toxics", "/proxies/p/toxics/timeout_downstream"):
        assert_error(api.post(path, content=b"{"), 400, "bad request body")
    assert_error(api.post("/populate", content=b"{"), 400, "bad request body")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"upstream": "127.0.0.1:1"}, "missing required field: name"),
        ({"name": "p"}, "missing required field: upstream"),
        ({"name": 5, "upstream": "127.0.0.1:1"}, "bad request body"),
        ({"name": "p", "upstream": "127.0.0.1:1", "enabled": "yes"}, "bad request body"),
    ],
)
def test_proxy_field_errors_400(api: httpx.Client, body: dict, message: str) -> None:
    assert_error(api.post("/proxies", json={"listen": "127.0.0.1:0", **body}), 400, message)


LOOPBACK_ONLY = (
    "loopback-only extension: the real server checks no address at create time, and "
    "running these against it would bind every interface or resolve a public name"
)


@pytest.mark.embedded_only(LOOPBACK_ONLY)
@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"name": "p", "upstream": "127.0.0.1"}, "upstream address"),
        ({"name": "p", "upstream": "127.0.0.1:1", "listen": "nonsense"}, "listen address"),
    ],
)
def test_malformed_address_400(api: httpx.Client, body: dict, message: str) -> None:
    assert_error(api.post("/proxies", json=body), 400, message)


@pytest.mark.embedded_only(LOOPBACK_ONLY)
def test_listen_defaults_to_loopback(api: httpx.Client, echo_server: TcpServer) -> None:
    r = api.post("/proxies", json={"name": "p", "upstream": echo_server.address})
    assert r.status_code == 201 and r.json()["listen"].startswith("127.0.0.1:")


@pytest.mark.embedded_only(LOOPBACK_ONLY)
@pytest.mark.parametrize("listen", ["0.0.0.0:0", "10.1.2.3:8080", ":8080", "example.com:80"])
def test_non_loopback_listen_refused(api: httpx.Client, listen: str) -> None:
    r = api.post("/proxies", json={"name": "p", "upstream": "127.0.0.1:1", "listen": listen})
    assert_error(r, 400, "listen address")
    assert "loopback" in r.json()["error"]


@pytest.mark.embedded_only(LOOPBACK_ONLY)
def test_non_loopback_upstream_refused(api: httpx.Client) -> None:
    r = api.post("/proxies", json={"name": "p", "upstream": "93.184.216.34:80"})
    assert_error(r, 400, "upstream address")


def test_duplicate_names_409(api: httpx.Client, echo_server: TcpServer) -> None:
    body = make(api, echo_server.address)
    r = api.post(
        "/proxies", json={"name": "p", "upstream": echo_server.address, "listen": body["listen"]}
    )
    assert r.json() == {"error": "proxy already exists", "status": 409}
    api.post("/proxies/p/toxics", json={"type": "latency"})
    r = api.post("/proxies/p/toxics", json={"type": "latency"})
    assert r.json() == {"error": "toxic already exists", "status": 409}


def test_listen_address_in_use(api: httpx.Client, echo_server: TcpServer) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        listen = f"127.0.0.1:{taken.getsockname()[1]}"
        r = api.post(
            "/proxies", json={"name": "p", "upstream": echo_server.address, "listen": listen}
        )
        assert_error(r, 500, f"listen tcp {listen}: bind: address already in use")
    assert api.get("/proxies").json() == {}


@pytest.mark.parametrize(
    ("toxic", "status", "message"),
    [
        ({"type": "nope"}, 400, "invalid toxic type"),
        ({}, 400, "invalid toxic type"),
        ({"type": "latency", "stream": "sideways"}, 400, "stream was invalid"),
        ({"type": "latency", "attributes": {"latency": "100"}}, 400, "bad request body"),
        ({"type": "latency", "attributes": {"latency": 1.5}}, 400, "bad request body"),
        ({"type": "latency", "attributes": {"latency": True}}, 400, "bad request body"),
        ({"type": "latency", "attributes": []}, 400, "bad request body"),
        ({"type": "latency", "toxicity": "high"}, 400, "bad request body"),
    ],
)
def test_toxic_errors(
    api: httpx.Client, echo_server: TcpServer, toxic: dict, status: int, message: str
) -> None:
    make(api, echo_server.address)
    assert_error(api.post("/proxies/p/toxics", json=toxic), status, message)
    assert api.get("/proxies/p/toxics").json() == []


VALIDATION = (
    "the embedded server refuses values the real one accepts and then misbehaves on "
    "(bandwidth rate 0 loops on empty slices, slicer average_size 0 recurses forever)"
)


@pytest.mark.embedded_only(VALIDATION)
@pytest.mark.parametrize(
    ("toxic", "status", "message"),
    [
        ({"type": "latency", "attributes": {"latency": -1}}, 400, "attribute 'latency'"),
        ({"type": "latency", "toxicity": 1.5}, 400, "toxicity must be between 0 and 1"),
        ({"type": "bandwidth", "attributes": {"rate": 0}}, 400, "bandwidth rate must be > 0"),
        ({"type": "bandwidth"}, 400, "bandwidth rate must be > 0"),
        ({"type": "slicer", "attributes": {"average_size": 0}}, 400, "slicer average_size"),
        (
            {"type": "slicer", "attributes": {"average_size": 5, "size_variation": 5}},
            400,
            "slicer size_variation",
        ),
    ],
)
def test_toxic_values_refused(
    api: httpx.Client, echo_server: TcpServer, toxic: dict, status: int, message: str
) -> None:
    make(api, echo_server.address)
    assert_error(api.post("/proxies/p/toxics", json=toxic), status, message)
    assert api.get("/proxies/p/toxics").json() == []


def test_toxic_update_bad_attribute_keeps_old(api: httpx.Client, echo_server: TcpServer) -> None:
    make(api, echo_server.address)
    api.post("/proxies/p/toxics", json={"type": "bandwidth", "attributes": {"rate": 10}})
    r = api.patch("/proxies/p/toxics/bandwidth_downstream", json={"attributes": {"rate": "x"}})
    assert_error(r, 400, "bad request body")
    assert api.get("/proxies/p/toxics/bandwidth_downstream").json()["attributes"] == {"rate": 10}


@pytest.mark.embedded_only(VALIDATION)
def test_toxic_update_bad_value_keeps_old(api: httpx.Client, echo_server: TcpServer) -> None:
    make(api, echo_server.address)
    api.post("/proxies/p/toxics", json={"type": "bandwidth", "attributes": {"rate": 10}})
    r = api.patch("/proxies/p/toxics/bandwidth_downstream", json={"attributes": {"rate": 0}})
    assert_error(r, 400, "bandwidth rate must be > 0")
    assert api.get("/proxies/p/toxics/bandwidth_downstream").json()["attributes"] == {"rate": 10}


def test_browsers_refused(api: httpx.Client) -> None:
    r = api.get("/proxies", headers={"user-agent": "Mozilla/5.0"})
    assert r.status_code == 403


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/toxics", 404),  # Toxiproxy has no top-level toxic list
        ("GET", "/proxies/", 404),  # no redirect for a trailing slash
        ("GET", "/nope", 404),
        ("PUT", "/proxies/p", 405),
        ("DELETE", "/proxies", 405),
        ("GET", "/reset", 405),
    ],
)
def test_unknown_routes(api: httpx.Client, method: str, path: str, status: int) -> None:
    r = api.request(method, path)
    assert r.status_code == status
    assert r.text == ("404 page not found\n" if status == 404 else "")


def test_stream_is_case_insensitive(api: httpx.Client, echo_server: TcpServer) -> None:
    make(api, echo_server.address)
    r = api.post("/proxies/p/toxics", json={"type": "timeout", "stream": "UPSTREAM"})
    assert r.status_code == 200, r.text
    # The real server echoes the case it was given; the embedded one answers "upstream".
    assert r.json()["stream"].lower() == "upstream"
