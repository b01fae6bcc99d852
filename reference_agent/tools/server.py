"""The MCP tool server: order, customer and KB tools over the tenant store, plus a control API.

One Starlette app serves MCP (streamable HTTP) at `/mcp`, `/healthz` and `/_control/...`.
Tenant scoping follows docs/contracts.md: an `x-tenant-id` request header (set by the hardened
agent out of band) is the only tenant whose rows can be read, and a `tenant` argument that
differs is refused; without the header the argument is trusted, as a naive server would.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp_types import CallToolResult, TextContent
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from reference_agent.tenants import TENANTS
from reference_agent.tools.behaviour import BehaviourError, Faults, drift
from reference_agent.tools.calls import CallLog
from reference_agent.tools.store import TenantStore

__all__ = ["ToolService", "build_app"]

TENANT_HEADER = "x-tenant-id"
CORRELATION_HEADER = "x-correlation-id"


class _Refused(Exception):
    """A call that ends in a tool error: `kind` goes to the call log, the text to the model."""

    def __init__(self, kind: str, message: str, *, authorized: bool = True) -> None:
        super().__init__(message)
        self.kind = kind
        self.authorized = authorized


Lookup = Callable[[str | None], Awaitable[Any]]


@dataclass
class ToolService:
    """The server's state: the store, the switchable faults and the call log."""

    store: TenantStore
    faults: Faults
    calls: CallLog

    async def call(
        self, tool: str, ctx: Context, requested: str | None, lookup: Lookup
    ) -> CallToolResult:
        started = time.perf_counter()
        headers = ctx.headers or {}
        header_tenant = headers.get(TENANT_HEADER)
        record: dict[str, Any] = {
            "ts": 0.0,
            "tool": tool,
            "tenant": header_tenant or requested,
            "requested_tenant": requested,
            "correlation_id": headers.get(CORRELATION_HEADER),
            "scoped": header_tenant is not None,
            "authorized": True,
            "status": "ok",
            "latency_ms": 0.0,
            "error": None,
            "fault": None,
            "result_tenants": [],
        }
        try:
            result = await self._answer(tool, header_tenant, requested, lookup, record)
        except _Refused as refusal:
            record.update(
                status="error", error=f"{refusal.kind}: {refusal}", authorized=refusal.authorized
            )
            result = CallToolResult(
                content=[TextContent(type="text", text=str(refusal))], is_error=True
            )
        except BaseException as exc:
            # Cancelled (the client went away) or a bug: leave the evidence, then propagate.
            kind = "cancelled" if isinstance(exc, asyncio.CancelledError) else "internal"
            record.update(status="error", error=f"{kind}: {exc!r}")
            self._log(record, started)
            raise
        self._log(record, started)
        return result

    def _log(self, record: dict[str, Any], started: float) -> None:
        record["ts"] = time.time()
        record["latency_ms"] = round((time.perf_counter() - started) * 1000, 3)
        self.calls.append(record)

    async def _answer(
        self,
        tool: str,
        header_tenant: str | None,
        requested: str | None,
        lookup: Lookup,
        record: dict[str, Any],
    ) -> CallToolResult:
        behaviour = self.faults.behaviour
        if behaviour.delay_ms:
            await asyncio.sleep(behaviour.delay_ms / 1000)
        if header_tenant is not None:
            if header_tenant not in TENANTS:
                raise _Refused(
                    "unauthorized",
                    f"unknown tenant {header_tenant!r} in {TENANT_HEADER}",
                    authorized=False,
                )
            if requested is not None and requested != header_tenant:
                raise _Refused(
                    "unauthorized",
                    f"tenant {requested!r} is not accessible to this caller",
                    authorized=False,
                )
        if self.faults.draw_error():
            record["fault"] = "error"
            raise _Refused("injected", "internal error in the tool backend, try again later")
        # Scoped by the out-of-band tenant when present; otherwise the argument is trusted.
        data = await lookup(header_tenant if header_tenant is not None else requested)
        record["result_tenants"] = sorted(_tenants_in(data))
        malformed = self.faults.draw_malformed()
        if malformed is not None:
            record["fault"] = "malformed"
            return CallToolResult(content=[TextContent(type="text", text=malformed)])
        if behaviour.schema_drift:
            record["fault"] = "schema_drift"
            data = drift(tool, data)
        text = json.dumps(data, separators=(",", ":"))
        return CallToolResult(
            content=[TextContent(type="text", text=text)], structured_content=data
        )


def _tenants_in(data: Any) -> set[str]:
    if isinstance(data, dict):
        found = {data["tenant"]} if isinstance(data.get("tenant"), str) else set()
        for value in data.values():
            if isinstance(value, (dict, list)):
                found |= _tenants_in(value)
        return found
    if isinstance(data, list):
        return set().union(*(_tenants_in(v) for v in data)) if data else set()
    return set()


def _mcp_server(service: ToolService) -> MCPServer:
    # WARNING: the SDK logs every request at INFO, which costs more than a tool call here.
    server = MCPServer("reference-agent-tools", log_level="WARNING")

    @server.tool(structured_output=False)
    async def order_lookup(
        order_id: str, ctx: Context, tenant: str | None = None
    ) -> CallToolResult:
        """Look up an order by id (e.g. ORD-1000): status, item, total, customer."""

        async def lookup(scope: str | None) -> Any:
            row = await service.store.get_order(order_id, scope)
            if row is None:
                raise _Refused("not_found", f"order {order_id!r} not found")
            return row

        return await service.call("order_lookup", ctx, tenant, lookup)

    @server.tool(structured_output=False)
    async def customer_lookup(
        ctx: Context,
        customer_id: str | None = None,
        email: str | None = None,
        tenant: str | None = None,
    ) -> CallToolResult:
        """Look up a customer by id (e.g. CUST-1000) or by email address."""

        async def lookup(scope: str | None) -> Any:
            if customer_id is None and email is None:
                raise _Refused("bad_request", "give customer_id or email")
            row = await service.store.get_customer(
                customer_id=customer_id, email=email, tenant=scope
            )
            if row is None:
                raise _Refused("not_found", f"customer {customer_id or email!r} not found")
            return row

        return await service.call("customer_lookup", ctx, tenant, lookup)

    @server.tool(structured_output=False)
    async def kb_search(query: str, ctx: Context, tenant: str | None = None) -> CallToolResult:
        """Search the knowledge base (policies, shipping, returns, ...) for articles."""

        async def lookup(scope: str | None) -> Any:
            return {"query": query, "results": await service.store.search_kb(query, scope)}

        return await service.call("kb_search", ctx, tenant, lookup)

    _control_routes(server, service)
    return server


async def _json_body(request: Request) -> Any:
    try:
        return json.loads(await request.body() or b"null")
    except ValueError as exc:
        raise BehaviourError(f"body is not valid JSON: {exc}") from None


def _bad_request(message: str) -> JSONResponse:
    return JSONResponse({"error": {"type": "invalid_request", "message": message}}, 400)


def _control_routes(server: MCPServer, service: ToolService) -> None:
    faults, calls, store = service.faults, service.calls, service.store

    @server.custom_route("/healthz", methods=["GET"])
    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    @server.custom_route("/_control/behaviour", methods=["GET", "PUT", "DELETE"])
    async def behaviour(request: Request) -> Response:
        if request.method == "PUT":
            try:
                faults.update(await _json_body(request))
            except BehaviourError as exc:
                return _bad_request(str(exc))
        elif request.method == "DELETE":
            faults.reset()
        return JSONResponse(faults.behaviour.model_dump())

    @server.custom_route("/_control/documents", methods=["POST", "DELETE"])
    async def documents(request: Request) -> Response:
        if request.method == "DELETE":
            return JSONResponse({"removed": await store.remove_planted()})
        try:
            body = await _json_body(request)
        except BehaviourError as exc:
            return _bad_request(str(exc))
        fields = ("tenant", "title", "body")
        if (
            not isinstance(body, dict)
            or set(body) != set(fields)
            or not all(isinstance(body[f], str) for f in fields)
        ):
            return _bad_request('expected {"tenant": str, "title": str, "body": str}')
        try:
            row = await store.add_document(body["tenant"], body["title"], body["body"])
        except ValueError as exc:
            return _bad_request(str(exc))
        return JSONResponse({"id": row["kb_id"], **row}, 201)

    @server.custom_route("/_control/calls", methods=["GET", "DELETE"])
    async def call_log(request: Request) -> Response:
        if request.method == "DELETE":
            return JSONResponse({"cleared": calls.clear()})
        return JSONResponse({"calls": calls.snapshot()})


def build_app(service: ToolService, *, host: str = "127.0.0.1") -> Starlette:
    """The ASGI app: MCP at /mcp (JSON responses: tools answer once, no stream needed),
    /healthz and the control API."""
    return _mcp_server(service).streamable_http_app(json_response=True, host=host)
