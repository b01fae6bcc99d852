"""Tool faults against the real tool server's control API."""

import asyncio

import httpx
import pytest
from fault_helpers import spec

from harness.faults import FaultContext, build_fault

pytestmark = pytest.mark.integration


def behaviour(url: str) -> dict:
    return httpx.get(f"{url}/_control/behaviour").json()


@pytest.mark.parametrize(("entry", "fields"), [
    ({"kind": "tool_error", "probability": 0.4}, {"error_probability": 0.4}),
    ({"kind": "tool_slow", "delay_ms": 250}, {"delay_ms": 250}),
    ({"kind": "tool_malformed"}, {"malformed_probability": 1.0}),
    ({"kind": "schema_drift"}, {"schema_drift": True}),
])
def test_each_kind_sets_its_fields_and_reverts(tool_server, entry, fields):
    baseline = behaviour(tool_server.url)
    ctx = FaultContext(toxiproxy_url="http://127.0.0.1:9", tools_url=tool_server.url)
    fault = build_fault(0, spec(target="tools", **entry))
    fault.apply(ctx)
    now = behaviour(tool_server.url)
    for key, value in fields.items():
        assert now[key] == value
    fault.revert(ctx)
    assert behaviour(tool_server.url) == baseline


def planted_titles(tool_server, tenant: str) -> set[str]:
    rows = asyncio.run(tool_server.service.store.search_kb("policy notice", tenant, limit=50))
    return {row["title"] for row in rows if "planted" in row["kb_id"]}


def test_poison_documents_are_planted_and_removed_one_by_one(tool_server):
    ctx = FaultContext(toxiproxy_url="http://127.0.0.1:9", tools_url=tool_server.url)
    first = build_fault(0, spec(target="tools", kind="poison_document", tenant="acme",
                                title="Refund policy notice"))
    second = build_fault(1, spec(target="tools", kind="poison_document", tenant="acme",
                                 title="Shipping policy notice"))
    first.apply(ctx)
    second.apply(ctx)
    assert planted_titles(tool_server, "acme") == {"Refund policy notice",
                                                   "Shipping policy notice"}
    first.revert(ctx)  # the API removes all planted documents: the other one comes back
    assert planted_titles(tool_server, "acme") == {"Shipping policy notice"}
    second.revert(ctx)
    assert planted_titles(tool_server, "acme") == set()
