"""The statistics an experiment needs, in plain Python (scipy is a dev dependency only).

- `normal_cdf` from math.erfc; `normal_ppf` is Acklam's rational approximation (relative error
  1.15e-9) polished by one Halley step against erfc, so it is good to double precision.
- `t_cdf` through the regularised incomplete beta function (the continued fraction of Numerical
  Recipes §6.4, evaluated with the modified Lentz method); `t_ppf` inverts it by bisection
  narrowed with Newton steps. Checked against scipy and printed tables in the tests.
- Two-proportion comparison (unpooled Wald interval, pooled z-test), Welch's t interval on
  per-visitor revenue from its sums (n, Σx, Σx²), the sample size for a minimum detectable
  effect under unequal allocation, and the chi-square sample-ratio-mismatch test (1 degree of
  freedom per extra arm; two arms here).

Every function takes aggregates, never rows: the analysis runs on rollups.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

_SQRT2 = math.sqrt(2.0)


# --- distributions ---------------------------------------------------------------------------


def normal_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / _SQRT2)


_A = (-3.969683028665376e01, 2.209460984245205e02, -2.759285104469687e02, 1.383577518672690e02)
_A += (-3.066479806614716e01, 2.506628277459239e00)
_B = (-5.447609879822406e01, 1.615858368580409e02, -1.556989798598866e02, 6.680131188771972e01)
_B += (-1.328068155288572e01,)
_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e00, -2.549732539343734e00)
_C += (4.374664141464968e00, 2.938163982698783e00)
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00, 3.754408661907416e00)


def normal_ppf(p: float) -> float:
    """The standard normal quantile: x with normal_cdf(x) = p, for 0 < p < 1."""
    if not 0.0 < p < 1.0:
        raise ValueError("p must be strictly between 0 and 1")
    low = 0.02425
    if p < low:
        q = math.sqrt(-2 * math.log(p))
        x = (((((_C[0] * q + _C[1]) * q + _C[2]) * q + _C[3]) * q + _C[4]) * q + _C[5]) / (
            (((_D[0] * q + _D[1]) * q + _D[2]) * q + _D[3]) * q + 1
        )
    elif p <= 1 - low:
        q = p - 0.5
        r = q * q
        x = (
            (((((_A[0] * r + _A[1]) * r + _A[2]) * r + _A[3]) * r + _A[4]) * r + _A[5])
            * q
            / (((((_B[0] * r + _B[1]) * r + _B[2]) * r + _B[3]) * r + _B[4]) * r + 1)
        )
    else:
        q = math.sqrt(-2 * math.log(1 - p))
        x = -(((((_C[0] * q + _C[1]) * q + _C[2]) * q + _C[3]) * q + _C[4]) * q + _C[5]) / (
            (((_D[0] * q + _D[1]) * q + _D[2]) * q + _D[3]) * q + 1
        )
    # One Halley step on the exact CDF.
    e = normal_cdf(x) - p
    u = e * math.sqrt(2 * math.pi) * math.exp(x * x / 2)
    return x - u / (1 + x * u / 2)


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 400):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h


def _betainc(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    front = math.exp(log_front)
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """Student's t CDF with `df` (> 0, not necessarily whole) degrees of freedom."""
    if df <= 0:
        raise ValueError("df must be positive")
    if math.isinf(df) or df > 1e7:
        return normal_cdf(t)
    tail = 0.5 * _betainc(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t > 0 else tail


def t_ppf(p: float, df: float) -> float:
    """Student's t quantile: t with t_cdf(t, df) = p."""
    if not 0.0 < p < 1.0:
        raise ValueError("p must be strictly between 0 and 1")
    if df <= 0:
        raise ValueError("df must be positive")
    if math.isinf(df) or df > 1e7:
        return normal_ppf(p)
    if p < 0.5:
        return -t_ppf(1.0 - p, df)
    if p == 0.5:
        return 0.0
    lo, hi = 0.0, max(1.0, normal_ppf(p))
    while t_cdf(hi, df) < p:  # heavy tails at small df
        lo, hi = hi, hi * 2
    x = (lo + hi) / 2
    log_norm = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
    for _ in range(200):
        f = t_cdf(x, df) - p
        if f == 0.0 or hi - lo < 1e-13 * max(1.0, x):
            return x
        if f > 0:
            hi = x
        else:
            lo = x
        density = math.exp(log_norm - (df + 1) / 2 * math.log1p(x * x / df))
        step = x - f / density if density > 0 else (lo + hi) / 2
        if step == x:  # Newton has nothing left to give
            return x
        x = step if lo < step < hi else (lo + hi) / 2  # Newton inside the bracket, else bisect
    return x


def chi2_sf_1df(x: float) -> float:
    """Upper tail of the chi-square distribution with one degree of freedom."""
    return math.erfc(math.sqrt(max(x, 0.0) / 2.0))


# --- comparisons ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    """treatment − control, its confidence interval and a two-sided p-value; None where the data
    cannot give one (an empty arm, no variation at all)."""

    estimate: float | None
    low: float | None
    high: float | None
    p_value: float | None
    method: str

    @property
    def significant(self) -> bool:
        return self.p_value is not None and self.low is not None and (self.low > 0 or self.high < 0)


def proportions_difference(*, x_treat: int, n_treat: int, x_ctrl: int, n_ctrl: int, alpha: float = 0.05) -> Difference:
    """Difference of two proportions: unpooled Wald interval, pooled two-sided z-test."""
    method = "two-proportion z (Wald interval)"
    if n_treat <= 0 or n_ctrl <= 0:
        return Difference(None, None, None, None, method)
    p_t, p_c = x_treat / n_treat, x_ctrl / n_ctrl
    diff = p_t - p_c
    se = math.sqrt(p_t * (1 - p_t) / n_treat + p_c * (1 - p_c) / n_ctrl)
    pooled = (x_treat + x_ctrl) / (n_treat + n_ctrl)
    se_pooled = math.sqrt(pooled * (1 - pooled) * (1 / n_treat + 1 / n_ctrl))
    if se == 0 or se_pooled == 0:  # nobody or everybody converted in both arms
        return Difference(diff, None, None, None, method)
    z = normal_ppf(1 - alpha / 2)
    p_value = 2 * normal_cdf(-abs(diff) / se_pooled)
    return Difference(diff, diff - z * se, diff + z * se, p_value, method)


def _mean_var(n: int, total: float, total_sq: float) -> tuple[float, float]:
    mean = total / n
    var = max(total_sq - n * mean * mean, 0.0) / (n - 1) if n > 1 else 0.0
    return mean, var


def means_difference(
    *,
    n_treat: int,
    sum_treat: float,
    sum_sq_treat: float,
    n_ctrl: int,
    sum_ctrl: float,
    sum_sq_ctrl: float,
    alpha: float = 0.05,
) -> Difference:
    """Welch's t interval and test for the difference of two means, from n, Σx and Σx²."""
    method = "Welch t"
    if n_treat <= 0 or n_ctrl <= 0:
        return Difference(None, None, None, None, method)
    m_t, v_t = _mean_var(n_treat, sum_treat, sum_sq_treat)
    m_c, v_c = _mean_var(n_ctrl, sum_ctrl, sum_sq_ctrl)
    diff = m_t - m_c
    a, b = v_t / n_treat, v_c / n_ctrl
    se = math.sqrt(a + b)
    if n_treat < 2 or n_ctrl < 2 or se == 0:
        return Difference(diff, None, None, None, method)
    # Welch–Satterthwaite, as a ratio of shares so tiny variances do not underflow to 0/0.
    share_t, share_c = a / (a + b), b / (a + b)
    denominator = share_t * share_t / (n_treat - 1) + share_c * share_c / (n_ctrl - 1)
    df = 1.0 / denominator if denominator > 0 else math.inf
    t = t_ppf(1 - alpha / 2, df)
    p_value = 2 * t_cdf(-abs(diff) / se, df)
    return Difference(diff, diff - t * se, diff + t * se, p_value, method)


def sample_size_total(
    *, baseline: float, mde: float, treat_share: float, alpha: float = 0.05, power: float = 0.8
) -> int | None:
    """Visitors in total (both arms) to detect an absolute change `mde` in a conversion rate
    `baseline` with a two-sided test at `alpha` and the given power, when a share `treat_share`
    of visitors is in the treatment arm. None when it cannot be estimated."""
    if not 0 < treat_share < 1 or mde <= 0 or not 0 <= baseline < 1:
        return None
    p_c = min(max(baseline, 1e-4), 1 - 1e-4)
    p_t = min(p_c + mde, 1 - 1e-4)
    variance = p_t * (1 - p_t) / treat_share + p_c * (1 - p_c) / (1 - treat_share)
    z = normal_ppf(1 - alpha / 2) + normal_ppf(power)
    return math.ceil(z * z * variance / (mde * mde))


@dataclass(frozen=True)
class RatioCheck:
    chi_square: float | None
    p_value: float | None
    mismatch: bool


SRM_THRESHOLD = 0.001  # the usual bar: a split this unlikely by chance means broken assignment


def sample_ratio_check(*, observed: tuple[int, int], expected_share: tuple[float, float]) -> RatioCheck:
    """Chi-square goodness of fit of the arms' visitor counts to the configured split."""
    total = sum(observed)
    if total == 0:
        return RatioCheck(None, None, False)
    chi = sum((o - total * s) ** 2 / (total * s) for o, s in zip(observed, expected_share, strict=True) if s > 0)
    p = chi2_sf_1df(chi)
    return RatioCheck(chi, p, p < SRM_THRESHOLD)
