"""Confidence intervals against known values."""

from __future__ import annotations

import numpy as np
import pytest

from harness.slo.stats import bootstrap_ci, poisson_rate_ci, rng_for, wilson


@pytest.mark.parametrize(("k", "n", "low", "high"), [
    (50, 100, 0.40383, 0.59617),  # textbook value, z = 1.96
    (0, 10, 0.0, 0.27753),
    (10, 10, 0.72247, 1.0),
    (81, 263, 0.25529, 0.36621),  # roots of the score quadratic
])
def test_wilson_known_values(k: int, n: int, low: float, high: float) -> None:
    lo, hi = wilson(k, n)
    assert lo == pytest.approx(low, abs=1e-4)
    assert hi == pytest.approx(high, abs=1e-4)


def test_wilson_empty_sample_is_uninformative() -> None:
    assert wilson(0, 0) == (0.0, 1.0)


def test_poisson_rate_interval_contains_rate_and_narrows() -> None:
    lo, hi = poisson_rate_ci(100, 10.0)
    assert lo < 10.0 < hi
    lo2, hi2 = poisson_rate_ci(10_000, 1000.0)
    assert hi2 - lo2 < hi - lo


def test_bootstrap_mean_matches_normal_theory() -> None:
    data = np.random.default_rng(3).normal(10.0, 2.0, 2000)
    lo, hi = bootstrap_ci([data], lambda a: a[0].mean(axis=-1), rng_for("x"))
    half = 1.96 * data.std() / np.sqrt(data.size)
    assert lo == pytest.approx(data.mean() - half, abs=half * 0.2)
    assert hi == pytest.approx(data.mean() + half, abs=half * 0.2)


def test_capped_bootstrap_keeps_the_full_sample_width() -> None:
    """m-out-of-n resampling is rescaled: its width matches the full bootstrap's."""
    data = np.random.default_rng(4).lognormal(0.0, 0.5, 40_000)
    q95 = lambda a: np.quantile(a[0], 0.95, axis=-1)  # noqa: E731
    full = bootstrap_ci([data], q95, rng_for("a"), max_size=40_000, resamples=200)
    capped = bootstrap_ci([data], q95, rng_for("a"), max_size=4_000, resamples=400)
    width_full, width_capped = full[1] - full[0], capped[1] - capped[0]
    assert width_capped == pytest.approx(width_full, rel=0.35)
    estimate = np.quantile(data, 0.95)
    assert capped[0] < estimate < capped[1]


def test_rng_for_is_seeded_by_name() -> None:
    assert rng_for("a").random() == rng_for("a").random()
    assert rng_for("a").random() != rng_for("b").random()
