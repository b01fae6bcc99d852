"""The gate's statistics against published values, and on synthetic samples with known shifts."""

import numpy as np
import pytest

from harness.gate.stats import bootstrap_ratio, hodges_lehmann, proportion_diff, rank_shift

# R's wilcox.test example (Hollander & Wolfe 1973, p. 69): W = 35, one-sided p = 0.1272,
# "difference in location" 0.305.
X = [0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46]
Y = [1.15, 0.88, 0.90, 0.74, 1.21]


def test_hodges_lehmann_matches_the_published_shift():
    estimate, low, high = hodges_lehmann(np.array(Y), np.array(X))
    assert estimate == pytest.approx(0.305)
    assert low < estimate < high


def test_rank_shift_p_value_matches_scipy_docs_example():
    # scipy.stats.mannwhitneyu docs (Conover): males vs females, exact two-sided p = 0.1111.
    result = rank_shift([20, 11, 17, 12], [19, 22, 16, 29, 24])
    assert result.p_value == pytest.approx(1 / 9, abs=1e-4)
    diffs = np.subtract.outer([19, 22, 16, 29, 24], [20, 11, 17, 12]).ravel()
    assert result.estimate == pytest.approx(np.median(diffs))
    assert (result.n_baseline, result.n_candidate) == (4, 5)


def test_hl_interval_uses_order_statistics_of_the_differences():
    rng = np.random.default_rng(3)
    b, c = rng.normal(0, 1, 60), rng.normal(0, 1, 50)
    _, low, high = hodges_lehmann(b, c)
    diffs = np.sort(np.subtract.outer(c, b).ravel())
    assert low in diffs and high in diffs
    # Symmetric ranks: as many differences below `low` as above `high`.
    assert (diffs < low).sum() == pytest.approx((diffs > high).sum(), abs=60)


def test_newcombe_interval_matches_newcombe_1998():
    # Newcombe (1998), Stat Med 17:873, example (a): 56/70 vs 48/80, method 10: 0.0524, 0.3339.
    result = proportion_diff(48, 80, 56, 70)
    assert result.estimate == pytest.approx(0.2)
    assert (result.ci_low, result.ci_high) == pytest.approx((0.0524, 0.3339), abs=1e-4)
    assert result.p_value < 0.05


def test_identical_boundary_proportions_have_no_difference():
    result = proportion_diff(300, 300, 250, 250)
    assert result.estimate == 0 and result.p_value == 1.0
    assert result.ci_low < 0 < result.ci_high


@pytest.mark.parametrize("shift", [0.0, 0.1, 0.5])
def test_known_shift_is_recovered(shift):
    """Over 60 synthetic pairs the 95% interval covers the true shift about 95% of the time,
    and the test rejects "no shift" when (and only when) there is one."""
    covered = rejected = 0
    for seed in range(60):
        rng = np.random.default_rng(seed)
        base = rng.lognormal(np.log(0.4), 0.5, 150)
        cand = rng.lognormal(np.log(0.4), 0.5, 150) + shift
        result = rank_shift(base, cand, rng=np.random.default_rng(1))
        covered += result.ci_low <= shift <= result.ci_high
        rejected += result.p_value < 0.05
    assert covered >= 52  # 95% of 60 is 57; allow binomial spread
    if shift == 0.0:
        assert rejected <= 8
    else:
        assert rejected >= 55


def test_hl_subsamples_large_sides_and_stays_on_target():
    rng = np.random.default_rng(2)
    base = rng.normal(1.0, 0.2, 6000)
    estimate, low, high = hodges_lehmann(base, base + 0.25, rng=np.random.default_rng(0))
    assert low <= 0.25 <= high and estimate == pytest.approx(0.25, abs=0.03)


def test_bootstrap_ratio_of_means_finds_a_known_ratio():
    rng = np.random.default_rng(5)
    base = rng.exponential(0.01, 1500)
    cand = rng.exponential(0.01, 1500) * 1.5
    result = bootstrap_ratio([base], [cand], rng=np.random.default_rng(0))
    assert result.ci_low < 1.5 < result.ci_high and result.ci_low > 1.2
    assert result.p_value < 0.01
    same = bootstrap_ratio([base], [rng.exponential(0.01, 1500)], rng=np.random.default_rng(0))
    assert same.ci_low < 1 < same.ci_high


def test_bootstrap_ratio_of_a_two_sample_statistic():
    rng = np.random.default_rng(9)

    def amplification(inside, outside, axis=-1):
        return np.mean(inside, axis=axis) / np.mean(outside, axis=axis)

    base = [rng.poisson(2, 400) + 1.0, rng.poisson(1, 400) + 1.0]
    cand = [rng.poisson(6, 400) + 1.0, rng.poisson(1, 400) + 1.0]
    result = bootstrap_ratio(base, cand, amplification, rng=np.random.default_rng(0))
    expected = amplification(*cand) / amplification(*base)
    assert result.estimate == pytest.approx(expected)
    assert result.ci_low > 1.5
