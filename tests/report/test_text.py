"""Canary masking and number formatting."""

from __future__ import annotations

import pytest

from harness import units as fmt
from harness.report.masking import mask_any, mask_canaries


def test_canaries_are_masked_but_the_tenant_stays_readable() -> None:
    text = "leaked CANARY-globex-0123456789ab and CANARY-init_ech-ABCDEF0123 here"
    assert mask_canaries(text) == ("leaked CANARY-globex-•••••••• and "
                                   "CANARY-init_ech-•••••••• here")
    assert mask_any({"a": ["CANARY-acme-abcdefabcdef"], "n": 1}) == {
        "a": ["CANARY-acme-••••••••"], "n": 1}


@pytest.mark.parametrize(("value", "unit", "text"), [
    (0.9995, "ratio", "99.950%"),
    (0.93, "ratio", "93.00%"),
    (1.25, "seconds", "1.25 s"),
    (0.2, "seconds", "200 ms"),
    (0.0123, "usd", "$0.0123"),
    (12.5, "per_second", "12.5/s"),
    (3, "count", "3"),
    (None, "ratio", "—"),
])
def test_slo_values_in_their_units(value: float | None, unit: str, text: str) -> None:
    assert fmt.slo_value(value, unit) == text


def test_verdicts_are_words() -> None:
    assert [fmt.verdict_word(v) for v in ("pass", "FAIL", None, "weird")] == [
        "PASS", "FAIL", "INCONCLUSIVE", "INCONCLUSIVE"]


def test_error_budget_in_words_once_overspent() -> None:
    assert fmt.budget(0.25) == "25.0%"
    assert fmt.budget(0.0) == "0.0%"
    assert fmt.budget(-1.5) == "overspent: 2.5× the budget"
    assert fmt.budget(None) == "—"
