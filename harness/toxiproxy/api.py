"""The Toxiproxy 2.x HTTP API (paths, JSON shapes, status codes, error bodies) on Starlette."""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from harness.toxiproxy.collection import ProxyCollection
from harness.toxiproxy.errors import ApiError, bad_body
from harness.toxiproxy.metrics import build_registry

VERSION = "2.12.0-harness"  # the Toxiproxy API level this server follows

Handler = Callable[[Request], Awaitable[Response]]


def _json(data: Any, status: int = 200) -> Response:
    body = json.dumps(data, separators=(",", ":")).encode()
    return Response(body, status_code=status, media_type="application/json")


async def _not_found(request: Request, exc: Exception) -> Response:
    # The bodies of Go's http.NotFound and gorilla/mux's 405, so clients see what they would.
    return Response("404 page not found\n", 404, media_type="text/plain; charset=utf-8")


async def _not_allowed(request: Request, exc: Exception) -> Response:
    return Response(b"", 405)


def _error(err: ApiError) -> Response:
    return _json(err.to_json(), err.status)


async def _body(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        raise bad_body("EOF")  # what Go's decoder says about an empty body
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise bad_body(str(exc)) from exc


def _endpoint(fn: Handler) -> Handler:
    """ApiError -> its JSON body; refuse browsers as Toxiproxy does (a CSRF guard)."""

    @functools.wraps(fn)
    async def wrapper(request: Request) -> Response:
        if request.headers.get("user-agent", "").startswith("Mozilla/"):
            return Response("User agent not allowed\n", 403, media_type="text/plain")
        try:
            return await fn(request)
        except ApiError as err:
            return _error(err)

    return wrapper


def create_app(proxies: ProxyCollection) -> Starlette:
    """The API app over `proxies`; it must run on the event loop that owns them."""
    registry = build_registry(proxies)

    @_endpoint
    async def proxy_index(request: Request) -> Response:
        return _json({name: p.to_json() for name, p in proxies.proxies.items()})

    @_endpoint
    async def proxy_create(request: Request) -> Response:
        proxy = await proxies.create(await _body(request))
        return _json(proxy.to_json(), 201)

    @_endpoint
    async def populate(request: Request) -> Response:
        done, err = await proxies.populate(await _body(request))
        payload: dict[str, Any] = {"proxies": [p.to_json() for p in done]}
        if err is not None:
            return _json({**err.to_json(), **payload}, err.status)
        return _json(payload, 201)

    @_endpoint
    async def proxy_show(request: Request) -> Response:
        return _json(proxies.get(request.path_params["proxy"]).to_json())

    @_endpoint
    async def proxy_update(request: Request) -> Response:
        name = request.path_params["proxy"]
        proxies.get(name)  # 404 before looking at the body, as Toxiproxy
        proxy = await proxies.update(name, await _body(request))
        return _json(proxy.to_json())

    @_endpoint
    async def proxy_delete(request: Request) -> Response:
        proxies.remove(request.path_params["proxy"])
        return Response(status_code=204)

    @_endpoint
    async def toxic_index(request: Request) -> Response:
        return _json(proxies.get(request.path_params["proxy"]).toxics.to_json())

    @_endpoint
    async def toxic_create(request: Request) -> Response:
        proxy = proxies.get(request.path_params["proxy"])
        spec = proxy.toxics.add(await _body(request))
        return _json(spec.to_json())  # 200, not 201: Toxiproxy answers so

    @_endpoint
    async def toxic_show(request: Request) -> Response:
        proxy = proxies.get(request.path_params["proxy"])
        return _json(proxy.toxics.get(request.path_params["toxic"]).to_json())

    @_endpoint
    async def toxic_update(request: Request) -> Response:
        proxy = proxies.get(request.path_params["proxy"])
        name = request.path_params["toxic"]
        proxy.toxics.get(name)
        spec = proxy.toxics.update(name, await _body(request))
        return _json(spec.to_json())

    @_endpoint
    async def toxic_delete(request: Request) -> Response:
        proxy = proxies.get(request.path_params["proxy"])
        proxy.toxics.remove(request.path_params["toxic"])
        return Response(status_code=204)

    @_endpoint
    async def reset(request: Request) -> Response:
        await proxies.reset()
        return Response(status_code=204)

    @_endpoint
    async def version(request: Request) -> Response:
        body = json.dumps({"version": VERSION}) + "\n"
        return Response(body, media_type="application/json;charset=utf-8")

    @_endpoint
    async def metrics(request: Request) -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    routes = [
        Route("/reset", reset, methods=["POST"]),
        Route("/proxies", proxy_index, methods=["GET"]),
        Route("/proxies", proxy_create, methods=["POST"]),
        Route("/populate", populate, methods=["POST"]),
        Route("/proxies/{proxy}", proxy_show, methods=["GET"]),
        Route("/proxies/{proxy}", proxy_update, methods=["POST", "PATCH"]),
        Route("/proxies/{proxy}", proxy_delete, methods=["DELETE"]),
        Route("/proxies/{proxy}/toxics", toxic_index, methods=["GET"]),
        Route("/proxies/{proxy}/toxics", toxic_create, methods=["POST"]),
        Route("/proxies/{proxy}/toxics/{toxic}", toxic_show, methods=["GET"]),
        Route("/proxies/{proxy}/toxics/{toxic}", toxic_update, methods=["POST", "PATCH"]),
        Route("/proxies/{proxy}/toxics/{toxic}", toxic_delete, methods=["DELETE"]),
        Route("/version", version, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]
    app = Starlette(routes=routes, exception_handlers={404: _not_found, 405: _not_allowed})
    app.router.redirect_slashes = False  # as Toxiproxy: "/proxies/" is a 404, not a redirect
    return app
