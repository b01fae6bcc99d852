"""Switchable misbehaviour of the tool server (`/_control/behaviour`), with seeded draws."""

from __future__ import annotations

import random
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

__all__ = ["MALFORMED_ANSWERS", "Behaviour", "BehaviourError", "Faults", "drift"]


class Behaviour(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    error_probability: float = Field(0.0, ge=0, le=1, description="share of calls failing")
    delay_ms: float = Field(0.0, ge=0, le=600_000, description="added before every answer")
    malformed_probability: float = Field(0.0, ge=0, le=1, description="share of broken answers")
    schema_drift: bool = Field(False, description="answer with renamed fields")


class BehaviourError(ValueError):
    """A control request the behaviour cannot take; the message lists what is allowed."""


def _allowed() -> str:
    return ", ".join(f"{name} ({f.description})" for name, f in Behaviour.model_fields.items())


class Faults:
    """The current behaviour plus the seeded random source its draws come from."""

    def __init__(self, seed: int = 0) -> None:
        self._seed = seed
        self.behaviour = Behaviour()
        self._rng = random.Random(seed)

    def update(self, patch: Any) -> Behaviour:
        """Apply a partial update; unknown fields or bad values raise BehaviourError."""
        if not isinstance(patch, dict):
            raise BehaviourError(f"expected a JSON object; allowed fields: {_allowed()}")
        unknown = sorted(set(patch) - set(Behaviour.model_fields))
        if unknown:
            raise BehaviourError(f"unknown field(s) {unknown}; allowed fields: {_allowed()}")
        try:
            self.behaviour = Behaviour.model_validate({**self.behaviour.model_dump(), **patch})
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()
            )
            raise BehaviourError(problems) from None
        return self.behaviour

    def reset(self) -> Behaviour:
        self.behaviour = Behaviour()
        self._rng = random.Random(self._seed)
        return self.behaviour

    def draw_error(self) -> bool:
        p = self.behaviour.error_probability
        return p > 0 and self._rng.random() < p

    def draw_malformed(self) -> str | None:
        """Broken content to send instead of the real answer, or None."""
        p = self.behaviour.malformed_probability
        if p > 0 and self._rng.random() < p:
            return self._rng.choice(MALFORMED_ANSWERS)
        return None


# What a broken upstream tool answers in practice: a cut-off JSON body, an HTML error page
# from a proxy, a bare null, and a payload of the wrong shape.
MALFORMED_ANSWERS = (
    '{"order_id": "ORD-1000", "status": "shi',
    "<html><body><h1>502 Bad Gateway</h1></body></html>",
    "null",
    '["unexpected", "list", 42]',
)


# Renames after an "unannounced API change", per tool. Keys not listed are kept.
_DRIFT: dict[str, dict[str, str]] = {
    "order_lookup": {
        "order_id": "id",
        "status": "state",
        "total_usd": "amount",
        "customer_id": "customer",
    },
    "customer_lookup": {"customer_id": "id", "name": "full_name", "email": "email_address"},
    "kb_search": {"results": "items", "kb_id": "id", "title": "headline", "body": "content"},
}


def drift(tool: str, data: Any) -> Any:
    """`data` with the tool's fields renamed, recursively."""
    renames = _DRIFT.get(tool, {})

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {renames.get(k, k): walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    return walk(data)
