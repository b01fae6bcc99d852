"""One list of fault kinds: the scenario's union, the implementations and the plan agree."""

import inspect
import subprocess
import sys
from pathlib import Path
from typing import ClassVar, Literal

import pytest
from fault_helpers import spec

from harness.errors import FaultError
from harness.faults import base, build_fault, registry
from harness.scenario import FAULT_KINDS
from harness.scenario.fault_specs import (
    FAULT_SPECS,
    SPEC_BY_KIND,
    BehaviourFault,
    FaultSpec,
    NetworkFault,
    fault_adapter,
)

# The smallest valid entry of each kind (the required parameters only).
REQUIRED = {"latency": {"latency_ms": 5}, "bandwidth": {"rate_kbps": 1},
            "limit_data": {"bytes": 10}, "http_error": {"status": 529},
            "slow_ttft": {"ttft_ms": 1}, "slow_tokens": {"token_ms": 1},
            "tool_slow": {"delay_ms": 1}, "poison_document": {"tenant": "acme"},
            "deploy": {"set": {"fail_rate": 0.5}}, "stop_reason": {"stop_reason": "refusal"}}


def minimal(kind: str) -> FaultSpec:
    cls = SPEC_BY_KIND[kind]
    return spec(kind=kind, target=cls.targets[0], **REQUIRED.get(kind, {}))


def test_every_kind_has_a_registered_implementation() -> None:
    implementations = registry()
    assert sorted(implementations) == list(FAULT_KINDS)
    for kind, cls in implementations.items():
        assert issubclass(cls, base.Fault) and not inspect.isabstract(cls), kind
        assert any(issubclass(SPEC_BY_KIND[kind], s) for s in cls.specs), kind


@pytest.mark.parametrize("kind", FAULT_KINDS)
def test_every_kind_validates_and_builds(kind: str) -> None:
    entry = minimal(kind)
    assert type(entry) is SPEC_BY_KIND[kind] and kind == entry.KIND
    fault = build_fault(3, entry)
    assert fault.id == f"f3_{kind}"
    if isinstance(entry, NetworkFault):
        assert entry.toxic_attributes() and all(
            isinstance(v, int) for v in entry.toxic_attributes().values())
    if isinstance(entry, BehaviourFault):
        assert entry.control_fields()


def test_the_scenario_union_is_the_list_of_specs() -> None:
    assert set(FAULT_KINDS) == {cls.KIND for cls in FAULT_SPECS}
    assert not [cls.__name__ for cls in FAULT_SPECS if inspect.isabstract(cls)]
    assert len(FAULT_SPECS) == len(FAULT_KINDS)  # no kind defined twice


def test_a_kind_without_implementation_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    class OrphanFault(FaultSpec):
        targets: ClassVar[tuple[str, ...]] = ("llm",)
        kind: Literal["orphan_for_test"]

    monkeypatch.setattr(base, "FAULT_SPECS", (*FAULT_SPECS, OrphanFault))
    with pytest.raises(FaultError, match="orphan_for_test"):
        registry()
    with pytest.raises(FaultError, match="no fault implements kind 'orphan_for_test'"):
        build_fault(0, OrphanFault(kind="orphan_for_test", target="llm"))


def test_a_kind_defined_twice_is_refused() -> None:
    with pytest.raises(TypeError, match="fault kind 'latency' defined twice"):
        class Again(NetworkFault):
            kind: Literal["latency"]

            def toxic_attributes(self) -> dict[str, int]:
                return {}


def test_when_the_timeline_reverts_is_the_spec_s_own_property() -> None:
    # A crash ends where it starts unless `for` says otherwise; other kinds last to the end.
    assert spec(kind="crash", target="agent", at="2s").revert_at() == 2.0
    assert spec(kind="crash", target="agent", at="2s", **{"for": "3s"}).revert_at() == 5.0
    assert spec(kind="freeze", target="llm", at="2s").revert_at() is None
    assert spec(kind="freeze", target="llm", at="2s", **{"for": "0s"}).revert_at() == 2.0


def test_spec_methods_send_what_the_old_tables_sent() -> None:
    assert minimal("latency").toxic_attributes() == {"latency": 5, "jitter": 0}
    assert spec(kind="slicer", target="llm").toxic_attributes() == {
        "average_size": 64, "size_variation": 0, "delay": 0}
    assert spec(kind="http_error", target="llm", status=429, first_n=2).control_fields() == {
        "error_status": 429, "error_first_n": 2}
    assert minimal("http_error").control_fields() == {"error_status": 529,
                                                      "error_probability": 1.0}
    assert minimal("loop").control_fields() == {"loop": True}
    assert minimal("schema_drift").control_fields() == {"schema_drift": True}
    assert fault_adapter.validate_python(
        {"kind": "tool_error", "target": "tools", "probability": 0.2}
    ).control_fields() == {"error_probability": 0.2}


def test_validating_a_scenario_imports_no_fault_client() -> None:
    code = ("import sys; from harness.scenario import load_scenario; "
            "load_scenario('tests/scenario/fixtures/good-hiccup.yaml'); "
            "print(sorted(m for m in ('toxiproxy', 'requests', 'harness.faults') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).parents[2])
    assert out.stdout.strip() == "[]"
