"""The toxics of one proxy: decoding API bodies, names, order and change notification."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from harness.toxiproxy.errors import (
    INVALID_STREAM,
    INVALID_TOXIC_TYPE,
    TOXIC_ALREADY_EXISTS,
    TOXIC_NOT_FOUND,
    ApiError,
    bad_body,
)
from harness.toxiproxy.toxics import REGISTRY, Toxic

STREAMS = ("upstream", "downstream")  # upstream = client -> server


@dataclass
class ToxicSpec:
    """A toxic as configured through the API; `version` changes on every update."""

    name: str
    type: str
    stream: str
    toxicity: float
    toxic: Toxic
    version: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "attributes": self.toxic.attributes(),
            "name": self.name,
            "type": self.type,
            "stream": self.stream,
            # As Go encodes a float64: a whole number without ".0" (1, not 1.0).
            "toxicity": int(self.toxicity) if self.toxicity.is_integer() else self.toxicity,
        }


def _field(body: dict[str, Any], key: str, kind: type | tuple[type, ...], default: Any) -> Any:
    value = body.get(key)
    if value is None:  # absent or null: Go's decoder keeps the default
        return default
    if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _tuple(kind)):
        raise bad_body(f"field {key!r} has the wrong type ({type(value).__name__})")
    return value


def _tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _toxicity(body: dict[str, Any], default: float) -> float:
    value = _field(body, "toxicity", (int, float), default)
    if not 0.0 <= float(value) <= 1.0:
        raise ApiError(f"toxicity must be between 0 and 1, got {value}", 400)
    return float(value)


def _attributes(body: dict[str, Any]) -> dict[str, Any]:
    attrs = body.get("attributes")
    if attrs is None:
        return {}
    if not isinstance(attrs, dict):
        raise bad_body("field 'attributes' must be an object")
    return attrs


class ToxicCollection:
    """Ordered toxics of a proxy; `on_change` re-syncs live connections after each change."""

    def __init__(self, on_change: Callable[[], None]) -> None:
        self._specs: list[ToxicSpec] = []
        self._on_change = on_change

    @property
    def specs(self) -> list[ToxicSpec]:
        return list(self._specs)

    def to_json(self) -> list[dict[str, Any]]:
        # Toxiproxy lists the upstream chain first, then the downstream one.
        ordered = sorted(self._specs, key=lambda s: STREAMS.index(s.stream))
        return [spec.to_json() for spec in ordered]

    def get(self, name: str) -> ToxicSpec:
        for spec in self._specs:
            if spec.name == name:
                return spec
        raise TOXIC_NOT_FOUND

    def add(self, body: Any) -> ToxicSpec:
        if not isinstance(body, dict):
            raise bad_body("expected a JSON object")
        name = _field(body, "name", str, "")
        type_name = _field(body, "type", str, "")
        stream = _field(body, "stream", str, "downstream").lower()
        toxicity = _toxicity(body, 1.0)
        if stream not in STREAMS:
            raise INVALID_STREAM
        name = name or f"{type_name}_{stream}"
        toxic_cls = REGISTRY.get(type_name)
        if toxic_cls is None:
            raise INVALID_TOXIC_TYPE
        if any(spec.name == name for spec in self._specs):
            raise TOXIC_ALREADY_EXISTS
        toxic = toxic_cls.from_attributes(_attributes(body))
        spec = ToxicSpec(name, type_name, stream, toxicity, toxic)
        self._specs.append(spec)
        self._on_change()
        return spec

    def update(self, name: str, body: Any) -> ToxicSpec:
        spec = self.get(name)
        if not isinstance(body, dict):
            raise bad_body("expected a JSON object")
        toxicity = _toxicity(body, spec.toxicity)
        # Attributes merge into the current ones; name, type and stream cannot change.
        spec.toxic = type(spec.toxic).from_attributes(_attributes(body), base=spec.toxic)
        spec.toxicity = toxicity
        spec.version += 1
        self._on_change()
        return spec

    def remove(self, name: str) -> None:
        spec = self.get(name)
        self._specs.remove(spec)
        self._on_change()

    def reset(self) -> None:
        if self._specs:
            self._specs.clear()
            self._on_change()
