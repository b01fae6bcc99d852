"""The task library and LoadConfig: deterministic messages, validation with clear reasons."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from pydantic import ValidationError

from harness.load.attacks import load_corpus
from harness.load.config import AttackConfig, LoadConfig
from harness.load.tasks import TASKS, TaskContext, attack, build_message
from harness.targets import load_fields
from harness.targets.reference import ReferenceTarget

CTX = TaskContext(
    tenant="acme",
    tenants=["acme", "globex", "initech"],
    order_ids={"acme": ["ORD-1000", "ORD-1001"], "globex": ["ORD-2000"], "initech": ["ORD-3000"]},
    customer_ids={"globex": ["CUST-2000"], "initech": ["CUST-3000"]},
)


def _conversation(seed: int) -> list[str]:
    rng = random.Random(seed)
    return [build_message(name, rng, CTX).text for name in list(TASKS) * 5]


def test_same_seed_same_messages_other_seed_other_messages() -> None:
    assert _conversation(1) == _conversation(1)
    assert _conversation(1) != _conversation(2)


def test_messages_use_the_users_own_ids() -> None:
    rng = random.Random(0)
    for _ in range(20):
        text = build_message("order_lookup", rng, CTX).text
        assert "ORD-1000" in text or "ORD-1001" in text


def test_long_context_is_long() -> None:
    text = build_message("long_context", random.Random(5), CTX).text
    assert len(text) > 2500
    assert text.rstrip().endswith("?")


def test_attacks_target_another_tenant_in_the_chosen_categories() -> None:
    rng = random.Random(3)
    corpus = load_corpus()
    for _ in range(50):
        msg = attack(rng, CTX, corpus, {"cross_tenant_exfiltration", "tool_abuse"})
        assert msg.task == "attack"
        assert msg.attack is not None and msg.attack.kind == "direct"
        assert msg.attack.category in {"cross_tenant_exfiltration", "tool_abuse"}
        assert "acme" not in msg.text and "ORD-1000" not in msg.text


def _config(tmp_path: Path, **overrides: object) -> LoadConfig:
    fields: dict[str, object] = {
        "target_url": "http://127.0.0.1:9",
        "users": 2,
        "spawn_rate": 2,
        "run_time_s": 1,
        "tenants": {"acme": "key-acme"},
        "records_dir": tmp_path,
    }
    return LoadConfig.model_validate({**fields, **overrides})


def test_config_round_trips_through_json(tmp_path: Path) -> None:
    config = _config(tmp_path, attacks={"ratio": 0.1, "categories": ["role_play"]})
    assert LoadConfig.read(config.write(tmp_path / "c.json")) == config


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"target_url": "http://10.0.0.1:80"}, "not a loopback"),
        ({"mix": {"chat": 1, "dance": 2}}, "unknown tasks"),
        ({"mix": {"chat": 0}}, "not all 0"),
        ({"order_ids": {"globex": ["ORD-2000"]}}, "unknown tenants"),
        ({"attacks": {"ratio": 1.5}}, "less than or equal"),
        ({"attacks": {"ratio": 0.1, "categories": ["indirect_kb_instruction"]}}, "no direct"),
        ({"extra": 1}, "Extra inputs"),
    ],
)
def test_config_refuses_bad_values(tmp_path: Path, overrides: dict, reason: str) -> None:
    with pytest.raises(ValidationError, match=reason):
        _config(tmp_path, **overrides)


def test_reference_load_fields_fill_canaries_of_every_tenant_and_ids(tmp_path: Path) -> None:
    data = load_fields(ReferenceTarget(seed=4), ["acme"])
    assert set(data["canaries"]) == {"acme", "globex", "initech"}
    assert data["order_ids"] == {"acme": [f"ORD-{1000 + i}" for i in range(20)]}
    config = _config(tmp_path, **data)
    assert config.canaries["globex"][0].startswith("CANARY-globex-")
    assert AttackConfig(ratio=0.0).tenants is None
