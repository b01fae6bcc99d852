"""Small shared field types of the scenario schema."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
)

from harness.scenario.duration import format_duration, parse_duration


class StrictModel(BaseModel):
    """Unknown keys are errors (a typo must never be silently ignored); models are immutable."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


# Seconds (float) in Python; `15s`-style strings in YAML/JSON dumps so a dump loads back.
Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
]

# A share of calls, 0..1.
Probability = Annotated[float, Field(ge=0, le=1)]



def _scalar(value: Any) -> Any:
    if isinstance(value, bool | int | float | str):
        return value
    raise ValueError(f"expected a string, number or boolean, got {type(value).__name__}")


# A flag value as YAML writes it, kept as written (`"1"` stays a string, `1` an int).
Scalar = Annotated[Any, BeforeValidator(_scalar)]

PROXIES = ("agent", "llm", "llm_eu", "tools")
LLM_TARGETS = ("llm", "llm_eu")
TOOL_TARGETS = ("tools",)
