"""Tenant shares of the users: the dealing order and its use by the locustfile's users."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from load_standin import standin_config
from pydantic import ValidationError

from harness.load.config import tenant_cycle
from harness.load.runner import LoadRunner
from harness.measure.run_data import read_jsonl


def test_equal_shares_deal_the_sorted_names() -> None:
    assert tenant_cycle({"globex": 1, "acme": 1, "initech": 1}) == ["acme", "globex", "initech"]


@pytest.mark.parametrize("weights", [{"acme": 1, "globex": 9}, {"a": 3, "b": 2, "c": 1},
                                     {"solo": 4}, {"x": 7, "y": 5}])  # fmt: skip
def test_each_name_comes_as_often_as_its_share_and_spread_out(weights: dict[str, int]) -> None:
    cycle = tenant_cycle(weights)
    assert Counter(cycle) == weights
    total = len(cycle)
    for name, share in weights.items():
        # in any window of the repeating cycle, a name's count stays within one of its share
        for start in range(total):
            window = [cycle[(start + i) % total] for i in range(total // 2)]
            assert abs(window.count(name) - share * len(window) / total) <= 1


def test_weights_must_name_load_tenants_and_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="unknown tenants"):
        standin_config("http://127.0.0.1:1", tmp_path, tenant_weights={"hooli": 2})
    with pytest.raises(ValidationError, match=r"whole numbers 1\.\.1000"):
        standin_config("http://127.0.0.1:1", tmp_path, tenant_weights={"acme": 0})


def test_users_follow_the_shares(tmp_path: Path, standin_url: str) -> None:
    config = standin_config(standin_url, tmp_path, users=8, spawn_rate=8, run_time_s=2,
                            tenant_weights={"acme": 1, "globex": 3, "initech": 4})  # fmt: skip
    with LoadRunner(config, tmp_path / "locust.log") as runner:
        assert runner.wait(60) == 0
    users = {r["user"]: r["tenant"] for r in read_jsonl(tmp_path / "requests.jsonl")}
    assert sorted(users) == list(range(8))
    assert Counter(users.values()) == {"acme": 1, "globex": 3, "initech": 4}
