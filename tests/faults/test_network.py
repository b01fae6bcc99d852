"""Network faults through the real toxiproxy-python client against the embedded Toxiproxy."""

import time

import httpx
import pytest
from fault_helpers import spec

from harness.errors import FaultError
from harness.faults import FaultContext, build_fault

pytestmark = pytest.mark.integration


def toxics(url: str, proxy: str) -> dict[str, dict]:
    return {t["name"]: t for t in httpx.get(f"{url}/proxies/{proxy}/toxics").json()}


@pytest.mark.parametrize(("entry", "toxic_type", "attributes"), [
    ({"kind": "latency", "latency_ms": 300, "jitter_ms": 20}, "latency",
     {"latency": 300, "jitter": 20}),
    ({"kind": "bandwidth", "rate_kbps": 8}, "bandwidth", {"rate": 8}),
    ({"kind": "timeout", "timeout_ms": 1500}, "timeout", {"timeout": 1500}),
    ({"kind": "reset_peer", "timeout_ms": 10}, "reset_peer", {"timeout": 10}),
    ({"kind": "slicer", "average_size_bytes": 16, "size_variation_bytes": 4, "delay_us": 50},
     "slicer", {"average_size": 16, "size_variation": 4, "delay": 50}),
    ({"kind": "limit_data", "bytes": 1000}, "limit_data", {"bytes": 1000}),
])
def test_toxic_appears_with_its_attributes_and_disappears(toxiproxy, entry, toxic_type,
                                                          attributes):
    ctx = FaultContext(toxiproxy_url=toxiproxy.url)
    fault = build_fault(3, spec(target="llm", stream="upstream", toxicity=0.5, **entry))
    fault.apply(ctx)
    toxic = toxics(toxiproxy.url, "llm")["f3_" + toxic_type]
    assert toxic["type"] == toxic_type
    assert toxic["stream"] == "upstream"
    assert toxic["toxicity"] == pytest.approx(0.5)
    for key, value in attributes.items():
        assert toxic["attributes"][key] == value
    fault.revert(ctx)
    assert toxics(toxiproxy.url, "llm") == {}


def test_revert_removes_exactly_its_own_toxic(toxiproxy):
    ctx = FaultContext(toxiproxy_url=toxiproxy.url)
    first = build_fault(0, spec(target="llm", kind="latency", latency_ms=10))
    second = build_fault(1, spec(target="llm", kind="latency", latency_ms=20))
    first.apply(ctx)
    second.apply(ctx)
    assert set(toxics(toxiproxy.url, "llm")) == {"f0_latency", "f1_latency"}
    first.revert(ctx)
    assert set(toxics(toxiproxy.url, "llm")) == {"f1_latency"}
    second.revert(ctx)
    assert toxics(toxiproxy.url, "llm") == {}


def test_latency_toxic_slows_real_traffic(toxiproxy):
    proxy = httpx.get(f"{toxiproxy.url}/proxies/llm").json()
    through = f"http://{proxy['listen']}/_control/health"
    ctx = FaultContext(toxiproxy_url=toxiproxy.url)
    fault = build_fault(0, spec(target="llm", kind="latency", latency_ms=400))
    fault.apply(ctx)
    try:
        started = time.perf_counter()
        assert httpx.get(through, timeout=10).status_code == 200
        assert time.perf_counter() - started >= 0.35  # a lower bound only: no tight timing
    finally:
        fault.revert(ctx)


def test_down_disables_and_enables_the_proxy(toxiproxy):
    ctx = FaultContext(toxiproxy_url=toxiproxy.url)
    fault = build_fault(2, spec(target="tools", kind="down"))
    fault.apply(ctx)
    assert httpx.get(f"{toxiproxy.url}/proxies/tools").json()["enabled"] is False
    fault.revert(ctx)
    assert httpx.get(f"{toxiproxy.url}/proxies/tools").json()["enabled"] is True


def test_unknown_proxy_is_a_fault_error_naming_the_known_ones(toxiproxy):
    ctx = FaultContext(toxiproxy_url=toxiproxy.url)
    fault = build_fault(0, spec(target="llm_eu", kind="latency", latency_ms=1))
    with pytest.raises(FaultError, match=r"no proxy 'llm_eu'.*proxies: .*llm"):
        fault.apply(ctx)


def test_reverting_a_toxic_that_was_never_added_does_nothing(toxiproxy):
    """The scheduler reverts a failed apply too: for a toxic that never came, a no-op."""
    ctx = FaultContext(toxiproxy_url=toxiproxy.url)
    other = build_fault(0, spec(target="llm", kind="latency", latency_ms=10))
    other.apply(ctx)
    build_fault(1, spec(target="llm", kind="latency", latency_ms=20)).revert(ctx)
    assert set(toxics(toxiproxy.url, "llm")) == {"f0_latency"}
    other.revert(ctx)
