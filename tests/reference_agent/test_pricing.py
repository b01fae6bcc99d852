"""The agent's own price table bills what the fake LLM's ledger bills, model by model."""

from __future__ import annotations

import pytest

from harness.fake_llm import pricing as ledger
from reference_agent import pricing as agent

USAGES = [  # (input, output, 5-minute cache writes, cache reads)
    (1_000, 200, 0, 0),
    (10, 5_000, 3_000, 0),
    (500, 100, 0, 3_000),
    (90_000, 1_000, 0, 20_000),  # above Haiku 5.5's long-prompt threshold
]


def test_the_agent_prices_the_models_the_ledger_prices() -> None:
    assert set(agent.table().models) == set(ledger.MODELS)


@pytest.mark.parametrize("model", sorted(ledger.MODELS))
@pytest.mark.parametrize("usage", USAGES)
def test_cost_equals_the_ledger(model: str, usage: tuple[int, int, int, int]) -> None:
    inp, out, write, read = usage
    expected = ledger.cost_usd(ledger.resolve(model), input_tokens=inp, output_tokens=out,
                               cache_write_5m=write, cache_read=read)
    assert agent.cost_usd(model, inp, out, write, read) == pytest.approx(expected, abs=1e-12)
    assert expected > 0


def test_an_unknown_model_costs_its_familys_current_price() -> None:
    assert agent.cost_usd("claude-opus-9-preview", 1_000, 100) == agent.cost_usd(
        "claude-opus-5-5", 1_000, 100)
    assert agent.cost_usd("some-other-model", 1_000, 100) == agent.cost_usd(
        "claude-sonnet-5-5", 1_000, 100)
