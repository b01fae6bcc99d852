"""Network faults: Toxiproxy toxics (and disabled proxies) through the toxiproxy-python client.

Only the Toxiproxy HTTP API is used, so the real Toxiproxy and the embedded one are
interchangeable. Each fault adds one toxic named `f<index>_<kind>` and its revert removes
exactly that toxic.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any
from urllib.parse import urlsplit

import requests
from toxiproxy import Toxiproxy
from toxiproxy.exceptions import InvalidToxic, NotFound, ProxyExists
from toxiproxy.proxy import Proxy

from harness.errors import FaultError
from harness.faults.base import Fault, FaultContext, register
from harness.scenario.fault_specs import DownFault, NetworkFault

# The client keeps the server address in class attributes (one per process): set it and call
# under one lock so faults against two servers never cross.
_CLIENT_LOCK = threading.Lock()
_CLIENT_ERRORS = (NotFound, InvalidToxic, ProxyExists, requests.RequestException)


def _with_proxy(ctx: FaultContext, name: str, action: str, call: Any) -> Any:
    parts = urlsplit(ctx.toxiproxy_url)
    with _CLIENT_LOCK:
        server = Toxiproxy()
        server.update_api_consumer(parts.hostname or "127.0.0.1", parts.port or 8474)
        try:
            proxy: Proxy | None = server.get_proxy(name)
            if proxy is None:
                known = ", ".join(server.proxies()) or "none"
                raise FaultError(f"{action}: no proxy {name!r} at {ctx.toxiproxy_url}; "
                                 f"proxies: {known}")
            return call(proxy)
        except _CLIENT_ERRORS as exc:
            raise FaultError(f"{action} on proxy {name!r}: {type(exc).__name__}: {exc}") from exc


@register(NetworkFault)
class ToxicFault(Fault):
    """One toxic on one proxy, in one direction, with its toxicity; its type is the kind and
    its attributes come from the spec (`toxic_attributes()`)."""

    @property
    def toxic_type(self) -> str:
        return self.spec.kind

    def apply(self, ctx: FaultContext) -> None:
        spec = self.spec
        assert isinstance(spec, NetworkFault)
        _with_proxy(ctx, spec.target, f"add toxic {self.id}", lambda proxy: proxy.add_toxic(
            type=self.toxic_type, name=self.id, stream=spec.stream, toxicity=spec.toxicity,
            attributes=spec.toxic_attributes()))

    def revert(self, ctx: FaultContext) -> None:
        _with_proxy(ctx, self.spec.target, f"remove toxic {self.id}", self._destroy)

    def _destroy(self, proxy: Proxy) -> None:
        # NotFound: never added (its apply failed) or already gone, so nothing to undo.
        with contextlib.suppress(NotFound):
            proxy.destroy_toxic(self.id)


@register(DownFault)
class ProxyDown(Fault):
    """The proxy is disabled (its listener closed, connections refused), then enabled again."""

    def apply(self, ctx: FaultContext) -> None:
        _with_proxy(ctx, self.spec.target, "disable", lambda proxy: proxy.disable())

    def revert(self, ctx: FaultContext) -> None:
        _with_proxy(ctx, self.spec.target, "enable", lambda proxy: proxy.enable())
