"""The experiment statistics against the truth: quantiles against printed tables and scipy (a dev
dependency, the reference here only), and intervals against simulated experiments whose true
effect is known. The simulations aggregate per-visitor draws the way the rollup does (n, Σx, Σx²
per arm) and go through the same function the report uses (`compare_arms`): no database, no HTTP,
so 100 experiments take a second."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from analytics.selectors.experiments import ArmTotals, compare_arms, verdict
from analytics.statistics import (
    chi2_sf_1df,
    means_difference,
    normal_cdf,
    normal_ppf,
    proportions_difference,
    sample_ratio_check,
    sample_size_total,
    t_cdf,
    t_ppf,
)

# --- distributions -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("p", "expected"),
    [
        (0.5, 0.0),
        (0.975, 1.959963984540054),
        (0.95, 1.6448536269514722),
        (0.8, 0.8416212335729143),
        (0.995, 2.5758293035489004),
        (1e-10, -6.361340902404056),
        (0.02425, -1.972961051311885),  # the edge between Acklam's regions
    ],
)
def test_normal_quantiles_match_the_tables(p, expected):
    assert normal_ppf(p) == pytest.approx(expected, abs=1e-12)
    assert normal_cdf(normal_ppf(p)) == pytest.approx(p, rel=1e-12)


@pytest.mark.parametrize(
    ("p", "df", "expected"),
    [
        (0.975, 1, 12.706204736174698),
        (0.975, 2, 4.302652729749464),
        (0.975, 10, 2.2281388519649385),
        (0.975, 30, 2.0422724563012373),
        (0.95, 5, 2.015048372669157),
        (0.995, 20, 2.845339709785814),
        (0.025, 10, -2.2281388519649385),
    ],
)
def test_t_quantiles_match_the_tables(p, df, expected):
    assert t_ppf(p, df) == pytest.approx(expected, rel=1e-9)


def test_quantiles_and_cdfs_match_scipy_over_a_grid():
    for p in [1e-9, 1e-4, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 0.9999, 1 - 1e-9]:
        assert normal_ppf(p) == pytest.approx(stats.norm.ppf(p), abs=1e-9)
        for df in [0.7, 1, 2.5, 4, 9.3, 25, 120, 5000, 2e6]:  # Welch gives fractional df
            assert t_ppf(p, df) == pytest.approx(stats.t.ppf(p, df), rel=1e-7)
    for df in [0.7, 1, 3, 17.5, 300]:
        for x in [-40, -3, -1.2, 0, 0.4, 2, 8]:
            assert t_cdf(x, df) == pytest.approx(stats.t.cdf(x, df), abs=1e-12)
    for x in [0, 0.1, 1, 3.841458820694124, 10.8275661706627, 30]:
        assert chi2_sf_1df(x) == pytest.approx(stats.chi2.sf(x, 1), rel=1e-10, abs=1e-300)


def test_quantiles_refuse_impossible_probabilities():
    for bad in (0.0, 1.0, -0.1, 1.5):
        with pytest.raises(ValueError):
            normal_ppf(bad)
        with pytest.raises(ValueError):
            t_ppf(bad, 5)


# --- tests and sizes against references -----------------------------------------------------------


def test_two_proportions_match_the_textbook_z_test():
    d = proportions_difference(x_treat=230, n_treat=2000, x_ctrl=180, n_ctrl=2000)
    pooled = 410 / 4000
    z = 0.025 / math.sqrt(pooled * (1 - pooled) * (2 / 2000))
    assert d.estimate == pytest.approx(0.025)
    assert d.p_value == pytest.approx(2 * stats.norm.sf(z), rel=1e-9)
    se = math.sqrt(0.115 * 0.885 / 2000 + 0.09 * 0.91 / 2000)
    assert (d.low, d.high) == pytest.approx((0.025 - 1.959963984540054 * se, 0.025 + 1.959963984540054 * se))


def test_welch_matches_scipy():
    rng = np.random.default_rng(7)
    a = rng.exponential(10, 300) * (rng.random(300) < 0.3)
    b = rng.exponential(10, 120) * (rng.random(120) < 0.2)
    d = means_difference(
        n_treat=a.size,
        sum_treat=a.sum(),
        sum_sq_treat=(a * a).sum(),
        n_ctrl=b.size,
        sum_ctrl=b.sum(),
        sum_sq_ctrl=(b * b).sum(),
    )
    ref = stats.ttest_ind(a, b, equal_var=False)
    assert d.p_value == pytest.approx(ref.pvalue, rel=1e-7)
    ci = ref.confidence_interval(0.95)
    assert (d.low, d.high) == pytest.approx((ci.low, ci.high), rel=1e-7)


def test_sample_size_matches_the_closed_form():
    # 10% → 12%, 50/50, alpha 0.05, power 0.8: 3,839 per arm by the unpooled formula.
    assert sample_size_total(baseline=0.10, mde=0.02, treat_share=0.5) in (7677, 7678)
    # A 90/10 split needs many more visitors for the same effect than 50/50.
    assert sample_size_total(baseline=0.10, mde=0.02, treat_share=0.9) > 2.5 * 7677
    assert sample_size_total(baseline=0.10, mde=0, treat_share=0.5) is None


def test_sample_ratio_mismatch_is_flagged_only_when_unlikely():
    assert not sample_ratio_check(observed=(9040, 960), expected_share=(0.9, 0.1)).mismatch
    check = sample_ratio_check(observed=(9300, 700), expected_share=(0.9, 0.1))
    assert check.mismatch and check.p_value < 1e-6
    assert check.chi_square == pytest.approx(stats.chisquare([9300, 700], [9000, 1000]).statistic)
    assert sample_ratio_check(observed=(0, 0), expected_share=(0.9, 0.1)).p_value is None


# --- checked against truth: coverage and false positives -----------------------------------------

MEAN_ORDER = 60.0  # lognormal order values with this mean


def _simulate(rng, *, visitors, holdout_share, p_holdout, p_chat) -> tuple[ArmTotals, ArmTotals]:
    """One experiment: per-visitor assignment, conversion and order value, summed per arm as the
    rollup sums them."""
    holdout = rng.random(visitors) < holdout_share
    p = np.where(holdout, p_holdout, p_chat)
    converted = rng.random(visitors) < p
    sigma = 0.8
    values = rng.lognormal(math.log(MEAN_ORDER) - sigma**2 / 2, sigma, visitors).round(2) * converted

    def arm(mask):
        v = values[mask]
        return ArmTotals(
            int(mask.sum()), int(converted[mask].sum()), int(converted[mask].sum()), v.sum(), (v * v).sum()
        )

    return arm(~holdout), arm(holdout)


def test_the_intervals_cover_the_true_effect_at_their_nominal_rate():
    p_holdout, p_chat = 0.030, 0.036  # the chat adds 0.6 points
    true_conversion = (p_chat - p_holdout) * 100
    true_rpv = (p_chat - p_holdout) * MEAN_ORDER
    covered_conversion = covered_rpv = 0
    for seed in range(100):
        rng = np.random.default_rng(seed)
        chat, holdout = _simulate(rng, visitors=40_000, holdout_share=0.2, p_holdout=p_holdout, p_chat=p_chat)
        result = compare_arms(chat=chat, holdout=holdout, holdout_percent=20, mde_points=0.5)
        conversion, rpv = result["conversion"], result["revenue_per_visitor"]
        covered_conversion += conversion.low * 100 <= true_conversion <= conversion.high * 100
        covered_rpv += rpv.low <= true_rpv <= rpv.high
    print(
        f"coverage of the 95% intervals over 100 runs: conversion {covered_conversion}, revenue/visitor {covered_rpv}"
    )
    assert covered_conversion >= 93
    assert covered_rpv >= 93


def test_an_a_a_experiment_reports_an_effect_at_the_nominal_rate():
    runs, positives, rpv_positives, split_alarms = 1000, 0, 0, 0
    for seed in range(runs):
        rng = np.random.default_rng(10_000 + seed)
        chat, holdout = _simulate(rng, visitors=20_000, holdout_share=0.1, p_holdout=0.03, p_chat=0.03)
        result = compare_arms(chat=chat, holdout=holdout, holdout_percent=10, mde_points=1)
        positives += result["conversion"].p_value < 0.05
        rpv_positives += result["revenue_per_visitor"].p_value < 0.05
        split_alarms += result["sample_ratio"].mismatch
    print(
        f"A/A false-positive rate over {runs} runs: conversion {positives / runs:.3f}, revenue {rpv_positives / runs:.3f}"
    )
    # 5% nominal; a binomial(1000, 0.05) lies in [30, 70] with probability > 0.999.
    assert 30 <= positives <= 70
    assert 30 <= rpv_positives <= 70
    assert split_alarms <= 5  # the split check's own false alarms: 1 in 1,000 expected


# --- edge cases: a readable verdict, never an exception -----------------------------------------


def _verdict(chat: ArmTotals, holdout: ArmTotals, holdout_percent=10, mde=1.0):
    comparison = compare_arms(chat=chat, holdout=holdout, holdout_percent=holdout_percent, mde_points=mde)
    return verdict(chat=chat, holdout=holdout, comparison=comparison, mde_points=mde, currency="USD")


def test_no_data_one_arm_and_no_conversions_read_plainly():
    assert _verdict(ArmTotals(), ArmTotals())["status"] == "no_data"
    one = _verdict(ArmTotals(900, 30, 30, 1800.0, 200000.0), ArmTotals())
    assert one["status"] == "one_arm_empty" and "holdout arm has no visitors" in one["text"]
    none = _verdict(ArmTotals(900), ArmTotals(100))
    assert none["status"] == "no_conversions" and "1,000 visitors" in none["text"]


def test_everybody_converting_is_not_an_error():
    result = _verdict(ArmTotals(90, 90, 90, 900.0, 9000.0), ArmTotals(10, 10, 10, 100.0, 1000.0))
    assert result["status"] == "not_enough_data"


def test_a_clear_win_says_how_much_with_its_interval():
    chat, holdout = ArmTotals(90_000, 3600, 3700, 216000.0, 2.0e7), ArmTotals(10_000, 300, 310, 18000.0, 1.7e6)
    result = _verdict(chat, holdout)
    assert result["status"] == "raised"
    assert result["text"].startswith("The chat raised conversion by 1.0 points (4.00% with the chat, 3.00% without)")
    assert "95% CI" in result["text"]


def test_not_enough_data_says_how_many_more_visitors():
    result = _verdict(ArmTotals(900, 30, 30, 1800.0, 2.0e5), ArmTotals(100, 3, 3, 180.0, 2.0e4))
    assert result["status"] == "not_enough_data"
    assert "more visitors needed to detect a 1-point change" in result["text"]


def test_a_broken_split_is_called_out_before_any_effect():
    result = _verdict(ArmTotals(9300, 400, 400, 1.0, 1.0), ArmTotals(700, 10, 10, 1.0, 1.0))
    assert result["status"] == "sample_ratio_mismatch"


@settings(max_examples=300, deadline=None)
@given(
    st.integers(0, 10**7),
    st.integers(0, 10**7),
    st.integers(0, 10**7),
    st.integers(0, 10**7),
    st.floats(0, 1e9),
    st.floats(0, 1e9),
    st.integers(1, 99),
    st.floats(0.01, 50),
)
def test_any_totals_give_a_verdict(n_chat, n_hold, x_chat, x_hold, rev_chat, rev_hold, holdout_percent, mde):
    x_chat, x_hold = min(x_chat, n_chat), min(x_hold, n_hold)
    chat = ArmTotals(n_chat, x_chat, x_chat, rev_chat, rev_chat * rev_chat)
    holdout = ArmTotals(n_hold, x_hold, x_hold, rev_hold, rev_hold * rev_hold)
    result = _verdict(chat, holdout, holdout_percent, mde)
    assert result["status"] and result["text"]
