"""Helpers shared by the fault tests (imported by module name: pytest puts this folder on
sys.path)."""

from harness.scenario.fault_specs import FaultSpec, fault_adapter


def spec(**fields) -> FaultSpec:
    """A validated fault entry, as the scenario loader would produce it."""
    return fault_adapter.validate_python(fields)
