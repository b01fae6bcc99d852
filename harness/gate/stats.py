"""Two-sample statistics of the gate, on top of scipy and statsmodels.

Every function compares a candidate with a baseline and returns a `Comparison`: the effect
(candidate against baseline), its 95% interval, a p-value where the test has one, and the
sample sizes. The effect is a difference for `rank_shift` and `proportion_diff` (null 0) and a
ratio for `bootstrap_ratio` (null 1).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep, test_proportions_2indep

__all__ = ["MAX_HL_SIDE", "Comparison", "bootstrap_ratio", "hodges_lehmann",
           "proportion_diff", "rank_shift"]

LEVEL = 0.95
MAX_HL_SIDE = 2_000  # above this many values a side, the HL shift uses a seeded subsample
BOOTSTRAP_RESAMPLES = 2_000


@dataclass(frozen=True)
class Comparison:
    method: str
    estimate: float  # the effect: candidate - baseline, or candidate / baseline
    ci_low: float
    ci_high: float
    p_value: float | None
    null: float  # the effect of no difference (0 or 1)
    n_baseline: int
    n_candidate: int
    baseline_value: float  # each side's own summary: median, proportion or mean
    candidate_value: float


def hodges_lehmann(baseline: np.ndarray, candidate: np.ndarray, level: float = LEVEL,
                   rng: np.random.Generator | None = None) -> tuple[float, float, float]:
    """Hodges-Lehmann shift (median of all candidate - baseline differences) and its
    distribution-free interval (order statistics of the differences, Hollander & Wolfe, normal
    approximation of the Mann-Whitney critical value). Sides longer than MAX_HL_SIDE are
    subsampled (seeded), which only widens the interval."""
    rng = rng or np.random.default_rng(0)
    b, c = (_subsample(np.asarray(x, dtype=float), rng) for x in (baseline, candidate))
    diffs = (c[:, np.newaxis] - b[np.newaxis, :]).ravel()
    m, n = len(c), len(b)
    total = diffs.size
    z = stats.norm.ppf(0.5 + level / 2)
    k = math.floor(m * n / 2 - z * math.sqrt(m * n * (m + n + 1) / 12))
    # k order statistics cut off each tail; with too few pairs the interval is unbounded.
    lo_i, hi_i = k - 1, total - k
    ranks = [total // 2, (total - 1) // 2] + ([lo_i, hi_i] if k >= 1 else [])
    part = np.partition(diffs, sorted(set(ranks)))
    estimate = float((part[total // 2] + part[(total - 1) // 2]) / 2)
    if k < 1:
        return estimate, -math.inf, math.inf
    return estimate, float(part[lo_i]), float(part[hi_i])


def _subsample(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return x if x.size <= MAX_HL_SIDE else rng.choice(x, MAX_HL_SIDE, replace=False)


def rank_shift(baseline: Sequence[float] | np.ndarray, candidate: Sequence[float] | np.ndarray,
               level: float = LEVEL, rng: np.random.Generator | None = None) -> Comparison:
    """Mann-Whitney U test (two-sided) with the Hodges-Lehmann shift and its interval."""
    b, c = np.asarray(baseline, dtype=float), np.asarray(candidate, dtype=float)
    p = float(stats.mannwhitneyu(c, b, alternative="two-sided", method="auto").pvalue)
    estimate, low, high = hodges_lehmann(b, c, level, rng)
    return Comparison("Mann-Whitney U, Hodges-Lehmann shift", estimate, low, high,
                      p if math.isfinite(p) else 1.0, 0.0, b.size, c.size,
                      float(np.median(b)), float(np.median(c)))


def proportion_diff(k_baseline: int, n_baseline: int, k_candidate: int, n_candidate: int,
                    level: float = LEVEL) -> Comparison:
    """Score test of p_candidate - p_baseline, Newcombe's hybrid score interval (statsmodels).

    Both sides at the same boundary (0/n vs 0/m, n/n vs m/m) have no variance: p = 1."""
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        low, high = confint_proportions_2indep(k_candidate, n_candidate, k_baseline, n_baseline,
                                               method="newcomb", compare="diff",
                                               alpha=1 - level)
        test = test_proportions_2indep(k_candidate, n_candidate, k_baseline, n_baseline,
                                       method="score", compare="diff")
    p = float(test.pvalue)
    pb, pc = k_baseline / n_baseline, k_candidate / n_candidate
    return Comparison("score test, Newcombe interval of the difference", pc - pb, float(low),
                      float(high), p if math.isfinite(p) else 1.0, 0.0, n_baseline,
                      n_candidate, pb, pc)


Statistic = Callable[..., np.ndarray]


def _mean(x: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(x, axis=axis)


def bootstrap_ratio(baseline: Sequence[np.ndarray], candidate: Sequence[np.ndarray],
                    statistic: Statistic | None = None, level: float = LEVEL,
                    rng: np.random.Generator | None = None,
                    resamples: int = BOOTSTRAP_RESAMPLES) -> Comparison:
    """Percentile bootstrap interval of statistic(candidate) / statistic(baseline).

    Each side is one or more samples (e.g. calls per request inside and outside fault windows);
    `statistic(*samples, axis)` maps them to one value (default: the mean of one sample). All
    samples are resampled independently (scipy.stats.bootstrap, paired=False). The p-value is
    the two-sided share of replicates on the far side of 1 (a bootstrap test of no change)."""
    stat = statistic or _mean
    k = len(baseline)
    data = tuple(np.asarray(x, dtype=float) for x in (*baseline, *candidate))

    def ratio(*samples: np.ndarray, axis: int = -1) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return stat(*samples[k:], axis=axis) / stat(*samples[:k], axis=axis)

    b_value = float(stat(*data[:k], axis=-1))
    c_value = float(stat(*data[k:], axis=-1))
    estimate = c_value / b_value if b_value else math.nan
    result = stats.bootstrap(data, ratio, n_resamples=resamples, paired=False, vectorized=True,
                             confidence_level=level, method="percentile",
                             random_state=rng or np.random.default_rng(0), batch=200)
    reps = result.bootstrap_distribution
    reps = reps[np.isfinite(reps)]
    p = (min(1.0, 2 * min(float((reps <= 1).mean()), float((reps >= 1).mean())))
         if reps.size else 1.0)
    return Comparison("bootstrap interval of the ratio of means", estimate,
                      float(result.confidence_interval.low),
                      float(result.confidence_interval.high), p, 1.0,
                      min(len(x) for x in data[:k]), min(len(x) for x in data[k:]),
                      b_value, c_value)
