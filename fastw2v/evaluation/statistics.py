"""Correlation statistics for word-pair evaluation, in NumPy and ``math`` only (no SciPy):
tie-averaged ranks, Pearson's r and Spearman's rho with the two-sided p-values SciPy
gives (Student's t law, through the regularised incomplete beta function)."""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np


class CorrelationResult(NamedTuple):
    """A correlation and its two-sided p-value (indexable like SciPy's results)."""

    statistic: float
    pvalue: float

    @property
    def correlation(self) -> float:
        return self.statistic


def rankdata(x) -> np.ndarray:
    """Ranks 1..n of ``x``, ties given the mean of the ranks they span; all NaN where
    ``x`` holds a NaN (SciPy's default: a NaN has no rank, and ranking it last would
    make up an order)."""
    x = np.asarray(x, dtype=np.float64)
    if np.isnan(x).any():
        return np.full(len(x), np.nan)
    order = np.argsort(x, kind="mergesort")
    sx = x[order]
    # start of each run of equal values
    starts = np.flatnonzero(np.r_[True, sx[1:] != sx[:-1]])
    ends = np.r_[starts[1:], len(x)]
    mean_rank = (starts + ends + 1) / 2.0          # mean of ranks starts+1 .. ends
    ranks = np.empty(len(x), dtype=np.float64)
    ranks[order] = np.repeat(mean_rank, ends - starts)
    return ranks


def pearson_correlation(x, y) -> CorrelationResult:
    """Pearson's r and its two-sided p-value (exact under normality, as SciPy); NaN
    for both where a value is not finite or a sequence is constant, as SciPy."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = len(x)
    if n != len(y) or n < 2:
        raise ValueError(f"need two sequences of the same length >= 2, got {len(x)} and {len(y)}")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        # NaN would pass the clip below as r = 1.0 (min(1.0, nan) is 1.0), p = 0
        return CorrelationResult(float("nan"), float("nan"))
    xm, ym = x - x.mean(), y - y.mean()
    denom = math.sqrt(float(np.dot(xm, xm)) * float(np.dot(ym, ym)))
    if denom == 0:
        return CorrelationResult(float("nan"), float("nan"))
    rho = max(-1.0, min(1.0, float(np.dot(xm, ym)) / denom))
    return CorrelationResult(rho, _correlation_pvalue(rho, n))


def spearman_correlation(x, y) -> CorrelationResult:
    """Spearman's rho (Pearson's r of the tie-averaged ranks) and its two-sided p-value
    (Student's t approximation with n - 2 degrees of freedom, as SciPy: so NaN for two
    pairs, which leave none; Pearson's exact p is 1.0 there)."""
    result = pearson_correlation(rankdata(x), rankdata(y))
    if len(x) == 2:
        return CorrelationResult(result.statistic, float("nan"))
    return result


def _correlation_pvalue(r: float, n: int) -> float:
    """P(|R| >= |r|) for a correlation of n samples under independence:
    ``t = r sqrt((n-2) / (1-r^2))`` has Student's t law with n-2 degrees of freedom,
    and its two-sided tail is the regularised incomplete beta ``I_{1-r^2}((n-2)/2, 1/2)``."""
    if n <= 2:
        return 1.0
    return _betainc((n - 2) / 2.0, 0.5, 1.0 - r * r)


def _betainc(a: float, b: float, x: float) -> float:
    """Regularised incomplete beta function I_x(a, b), by its continued fraction
    (modified Lentz), using the symmetry I_x(a, b) = 1 - I_{1-x}(b, a) where the
    fraction converges slowly."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                 + a * math.log(x) + b * math.log1p(-x))
    if x > (a + 1.0) / (a + b + 2.0):
        return 1.0 - _betainc(b, a, 1.0 - x)
    return math.exp(log_front) * _beta_fraction(a, b, x) / a


def _beta_fraction(a: float, b: float, x: float) -> float:
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    f = d
    for m in range(1, 10000):
        # even step
        num = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
        d = 1.0 + num * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + num / c
        c = c if abs(c) > tiny else tiny
        f *= d * c
        # odd step
        num = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
        d = 1.0 + num * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + num / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        f *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return f


__all__ = ["CorrelationResult", "pearson_correlation", "rankdata", "spearman_correlation"]
