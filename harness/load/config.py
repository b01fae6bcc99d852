"""What one load run does: `LoadConfig`, handed to the locustfile as a JSON file."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from harness.load.api import AgentAPI
from harness.load.attacks import load_corpus
from harness.load.tasks import TASKS
from harness.netutil import require_loopback

CONFIG_ENV = "HARNESS_LOAD_CONFIG"  # path of the LoadConfig JSON the locustfile reads
WORKER_ENV = "HARNESS_LOAD_WORKER"  # this Locust worker's index (unset: single process)


class AttackConfig(BaseModel):
    """Share of requests replaced by direct prompt injections."""

    model_config = ConfigDict(extra="forbid")

    ratio: float = Field(ge=0.0, le=1.0)
    tenants: list[str] | None = None  # attacking tenants; None = every tenant
    categories: list[str] | None = None  # None = every category with direct payloads

    @field_validator("categories")
    @classmethod
    def _known_categories(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return value
        corpus = load_corpus()
        direct = {a.category for a in corpus.select(kind="direct")}
        if unknown := sorted(set(value) - direct):
            raise ValueError(
                f"no direct payloads in categories {unknown}; allowed: {sorted(direct)}"
            )
        return value


MAX_TENANT_WEIGHT = 1000


def tenant_cycle(weights: Mapping[str, int]) -> list[str]:
    """One round of tenants to deal users to, each name as often as its weight, spread out
    (smooth weighted round-robin, names in sorted order on ties): {acme: 1, globex: 3} gives
    globex, acme, globex, globex. Equal weights give the sorted names."""
    names = sorted(weights)
    total = sum(weights[n] for n in names)
    current = dict.fromkeys(names, 0)
    cycle: list[str] = []
    for _ in range(total):
        for name in names:
            current[name] += weights[name]
        pick = max(names, key=lambda n: current[n])  # first of the highest: sorted order
        current[pick] -= total
        cycle.append(pick)
    return cycle


class LoadConfig(BaseModel):
    """Everything the locustfile needs; times in seconds."""

    model_config = ConfigDict(extra="forbid")

    target_url: str
    api: AgentAPI = Field(default_factory=AgentAPI)  # how requests look; default: preset harness
    users: int = Field(ge=1, le=10_000)
    spawn_rate: float = Field(gt=0)
    run_time_s: float = Field(gt=0)
    tenants: dict[str, str] = Field(min_length=1)  # tenant name -> API key
    # tenant -> share of the users (default 1 each); see `tenant_cycle`
    tenant_weights: dict[str, int] = Field(default_factory=dict)
    mix: dict[str, float] = Field(default_factory=lambda: {"chat": 1.0})
    seed: int = 0
    think_time_s: float = Field(default=0.0, ge=0)
    request_timeout_s: float = Field(default=30.0, gt=0)
    attacks: AttackConfig | None = None
    # tenant -> its canaries; may name tenants that send no load (their leaks count too)
    canaries: dict[str, list[str]] = Field(default_factory=dict)
    order_ids: dict[str, list[str]] = Field(default_factory=dict)
    customer_ids: dict[str, list[str]] = Field(default_factory=dict)
    records_dir: Path
    record: bool = True  # False only for bench/recorder.py's baseline

    @field_validator("target_url")
    @classmethod
    def _loopback(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"target_url {value!r} is not an http(s) URL")
        require_loopback(parts.hostname)
        return value.rstrip("/")

    @field_validator("mix")
    @classmethod
    def _known_tasks(cls, value: dict[str, float]) -> dict[str, float]:
        if unknown := sorted(set(value) - set(TASKS)):
            raise ValueError(
                f"unknown tasks {unknown}; allowed: {list(TASKS)} "
                "(attacks are configured with `attacks.ratio`)"
            )
        if any(w < 0 for w in value.values()) or sum(value.values()) <= 0:
            raise ValueError("mix weights must be >= 0 and not all 0")
        return value

    @model_validator(mode="after")
    def _tenants_known(self) -> LoadConfig:
        names = set(self.tenants)
        mentioned = set(self.order_ids) | set(self.customer_ids) | set(self.tenant_weights)
        if self.attacks and self.attacks.tenants:
            mentioned |= set(self.attacks.tenants)
        if unknown := sorted(mentioned - names):
            raise ValueError(f"unknown tenants {unknown}; configured: {sorted(names)}")
        if any(not 1 <= w <= MAX_TENANT_WEIGHT for w in self.tenant_weights.values()):
            raise ValueError(f"tenant weights must be whole numbers 1..{MAX_TENANT_WEIGHT}")
        return self

    def user_tenants(self) -> list[str]:
        """The tenants users are dealt in turn (`tenant_cycle` of the weights)."""
        return tenant_cycle({name: self.tenant_weights.get(name, 1) for name in self.tenants})

    def write(self, path: str | Path) -> Path:
        """Save as JSON (what `HARNESS_LOAD_CONFIG` points the locustfile at)."""
        path = Path(path)
        path.write_text(self.model_dump_json(indent=2), encoding="utf-8")
        return path

    @classmethod
    def read(cls, path: str | Path) -> LoadConfig:
        return cls.model_validate(json.loads(Path(path).read_text(encoding="utf-8")))
