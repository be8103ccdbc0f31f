"""An experiment's answer: per arm, the difference with its interval, the sample it needs, the
split check and a verdict in plain words. Intention to treat: every assigned visitor counts in
its arm, whether or not they opened the chat.

Reads ExperimentDailyRollup only (a few rows per day; see services/experiment_rollups.py): the
figures are as of the last rollup refresh (`as_of`), a minute behind at most while beat runs.
The statistics are in analytics/statistics.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Sum

from analytics.enums import ExperimentArm, ExperimentStatus
from analytics.exceptions import ExperimentNotFound
from analytics.models import Experiment, ExperimentDailyRollup, RollupState
from analytics.services.experiments import page_prefixes
from analytics.statistics import (
    SRM_THRESHOLD,
    Difference,
    means_difference,
    proportions_difference,
    sample_ratio_check,
    sample_size_total,
)

ALPHA = 0.05
POWER = 0.8
ARMS = (ExperimentArm.CHAT, ExperimentArm.HOLDOUT)  # treatment first, then control


@dataclass(frozen=True)
class ArmTotals:
    visitors: int = 0
    converters: int = 0
    orders: int = 0
    revenue: float = 0.0
    revenue_sq: float = 0.0

    def __add__(self, other: ArmTotals) -> ArmTotals:
        return ArmTotals(
            self.visitors + other.visitors,
            self.converters + other.converters,
            self.orders + other.orders,
            self.revenue + other.revenue,
            self.revenue_sq + other.revenue_sq,
        )


def _rate(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def _arm_row(arm: str, t: ArmTotals) -> dict:
    return {
        "arm": arm,
        "visitors": t.visitors,
        "converters": t.converters,
        "conversion_rate": _rate(t.converters, t.visitors),
        "orders": t.orders,
        "revenue": round(t.revenue, 2),
        "revenue_per_visitor": _rate(t.revenue, t.visitors),
        "aov": _rate(t.revenue, t.orders),
    }


def _points(x: float) -> str:
    """Percentage points as people write them: 0.83 → '0.83', 1.234 → '1.2'."""
    value = x * 100
    return f"{value:.1f}" if abs(value) >= 1 else f"{value:.2f}"


def _signed_points(x: float) -> str:
    return ("+" if x > 0 else "") + _points(x)


def _money(x: float, currency: str) -> str:
    return f"{'-' if x < 0 else ''}{currency} {abs(x):,.2f}"


def _difference_dict(d: Difference, scale: float) -> dict:
    def scaled(v):
        return None if v is None else v * scale

    return {
        "estimate": scaled(d.estimate),
        "ci_low": scaled(d.low),
        "ci_high": scaled(d.high),
        "p_value": d.p_value,
        "significant": d.significant,
        "method": d.method,
    }


def compare_arms(*, chat: ArmTotals, holdout: ArmTotals, holdout_percent: float, mde_points: float) -> dict:
    """Everything the report says about two arms' totals: the statistics over aggregates that the
    selector and the simulation tests share."""
    conversion = proportions_difference(
        x_treat=chat.converters, n_treat=chat.visitors, x_ctrl=holdout.converters, n_ctrl=holdout.visitors, alpha=ALPHA
    )
    rpv = means_difference(
        n_treat=chat.visitors,
        sum_treat=chat.revenue,
        sum_sq_treat=chat.revenue_sq,
        n_ctrl=holdout.visitors,
        sum_ctrl=holdout.revenue,
        sum_sq_ctrl=holdout.revenue_sq,
        alpha=ALPHA,
    )
    holdout_share = holdout_percent / 100
    ratio = sample_ratio_check(
        observed=(chat.visitors, holdout.visitors), expected_share=(1 - holdout_share, holdout_share)
    )
    visitors = chat.visitors + holdout.visitors
    baseline = _rate(holdout.converters, holdout.visitors) if holdout.converters else None
    if baseline is None and visitors and (chat.converters or holdout.converters):
        baseline = (chat.converters + holdout.converters) / visitors
    needed = (
        sample_size_total(
            baseline=baseline, mde=mde_points / 100, treat_share=1 - holdout_share, alpha=ALPHA, power=POWER
        )
        if baseline is not None
        else None
    )
    return {
        "conversion": conversion,
        "revenue_per_visitor": rpv,
        "sample_ratio": ratio,
        "needed": needed,
        "visitors": visitors,
        "observed_holdout_share": _rate(holdout.visitors, visitors),
    }


def verdict(*, chat: ArmTotals, holdout: ArmTotals, comparison: dict, mde_points: float, currency: str) -> dict:
    """What the figures mean, in one paragraph; never raises, whatever the data."""
    conversion: Difference = comparison["conversion"]
    rpv: Difference = comparison["revenue_per_visitor"]
    needed, visitors = comparison["needed"], comparison["visitors"]
    mde = f"{mde_points:g}-point"
    if visitors == 0:
        return {"status": "no_data", "text": "No visitors have been assigned yet, so there is nothing to compare."}
    if not chat.visitors or not holdout.visitors:
        empty, full = ("holdout", chat) if not holdout.visitors else ("chat", holdout)
        return {
            "status": "one_arm_empty",
            "text": f"The {empty} arm has no visitors yet ({full.visitors:,} in the other): nothing to compare.",
        }
    ratio = comparison["sample_ratio"]
    if ratio.mismatch:
        observed = comparison["observed_holdout_share"] * 100
        return {
            "status": "sample_ratio_mismatch",
            "text": (
                f"Sample ratio mismatch: {observed:.1f}% of visitors are in the holdout, far from the configured split "
                f"(chi-square p = {ratio.p_value:.2g} < {SRM_THRESHOLD}). Assignment or its recording is broken "
                "(a cached page, a widget failing before it records, bots in one arm): do not read the result "
                "until that is fixed."
            ),
        }
    if not chat.converters and not holdout.converters:
        return {
            "status": "no_conversions",
            "text": f"No conversions in either arm yet ({visitors:,} visitors): nothing to estimate so far.",
        }
    more = max(needed - visitors, 0) if needed else None
    so_far = ""
    if conversion.low is not None:
        so_far = (
            f"the chat changed conversion by {_signed_points(conversion.estimate)} points, "
            f"95% CI {_points(conversion.low)} to {_points(conversion.high)}"
        )
    money = ""
    if rpv.low is not None:
        money = (
            f" Revenue per visitor, chat minus holdout: {_money(rpv.estimate, currency)} "
            f"(95% CI {_money(rpv.low, currency)} to {_money(rpv.high, currency)}, p = {rpv.p_value:.2g})."
        )
    if conversion.significant:
        direction = "raised" if conversion.estimate > 0 else "lowered"
        rates = (
            f"{chat.converters / chat.visitors:.2%} with the chat, {holdout.converters / holdout.visitors:.2%} without"
        )
        text = (
            f"The chat {direction} conversion by {_points(abs(conversion.estimate))} points ({rates}), "
            f"95% CI {_points(conversion.low)} to {_points(conversion.high)} (p = {conversion.p_value:.2g})."
        )
        if more:
            text += (
                f" Provisional: the planned sample for a {mde} effect is {needed:,} visitors ({more:,} to go), and "
                "a result read early overstates the effect; keep it running."
            )
        return {"status": direction, "text": text + money}
    if so_far == "":  # a degenerate interval: everybody converted, or variation in neither arm
        return {"status": "not_enough_data", "text": "Not enough variation in the data yet to estimate an effect."}
    if more:
        return {
            "status": "not_enough_data",
            "text": (
                f"Not enough data yet: about {more:,} more visitors needed to detect a {mde} change. "
                f"So far {so_far}." + money
            ),
        }
    return {
        "status": "no_effect",
        "text": (
            f"No effect detected with the planned sample: {so_far} (p = {conversion.p_value:.2g}); "
            "a change outside that interval is unlikely." + money
        ),
    }


def _totals(rows) -> dict[str, ArmTotals]:
    out = {str(arm): ArmTotals() for arm in ARMS}
    for row in rows:
        out[row["arm"]] = out.get(row["arm"], ArmTotals()) + ArmTotals(
            int(row["visitors"] or 0),
            int(row["converters"] or 0),
            int(row["orders"] or 0),
            float(row["revenue"] or 0),
            float(row["revenue_sq"] or 0),
        )
    return out


def _daily(experiment: Experiment) -> list[dict]:
    """Cumulative per arm by cohort day, and the conversion difference with its interval as it stood."""
    rows = (
        ExperimentDailyRollup.objects.filter(experiment=experiment)
        .order_by("day", "arm")
        .values("day", "arm", "visitors", "converters", "orders", "revenue", "revenue_sq")
    )
    by_day: dict[date, list[dict]] = {}
    for row in rows:
        by_day.setdefault(row["day"], []).append(row)
    running = {str(arm): ArmTotals() for arm in ARMS}
    out = []
    for day, day_rows in by_day.items():
        for arm, totals in _totals(day_rows).items():
            running[arm] = running.get(arm, ArmTotals()) + totals
        chat, holdout = running[ExperimentArm.CHAT], running[ExperimentArm.HOLDOUT]
        d = proportions_difference(
            x_treat=chat.converters, n_treat=chat.visitors, x_ctrl=holdout.converters, n_ctrl=holdout.visitors
        )
        out.append(
            {
                "day": day.isoformat(),
                "chat_visitors": chat.visitors,
                "chat_converters": chat.converters,
                "chat_revenue": round(chat.revenue, 2),
                "holdout_visitors": holdout.visitors,
                "holdout_converters": holdout.converters,
                "holdout_revenue": round(holdout.revenue, 2),
                "difference_points": None if d.estimate is None else d.estimate * 100,
                "ci_low_points": None if d.low is None else d.low * 100,
                "ci_high_points": None if d.high is None else d.high * 100,
            }
        )
    return out


def experiment_describe(experiment: Experiment) -> dict:
    return {
        "id": experiment.pk,
        "name": experiment.name,
        "status": experiment.status,
        "holdout_percent": experiment.holdout_percent,
        "pages": page_prefixes(experiment.pages),
        "mde_points": float(experiment.mde_points),
        "currency": experiment.currency,
        "started_at": experiment.started_at,
        "stopped_at": experiment.stopped_at,
    }


def experiment_report_get(*, experiment_id: int) -> dict:
    """The whole report of one experiment (what the API returns and the page draws)."""
    experiment = Experiment.objects.filter(pk=experiment_id).first()
    if experiment is None:
        raise ExperimentNotFound(f"There is no experiment {experiment_id}.")
    rows = (
        ExperimentDailyRollup.objects.filter(experiment=experiment)
        .values("arm")
        .annotate(
            visitors=Sum("visitors"),
            converters=Sum("converters"),
            orders=Sum("orders"),
            revenue=Sum("revenue"),
            revenue_sq=Sum("revenue_sq"),
        )
        .values("arm", "visitors", "converters", "orders", "revenue", "revenue_sq")
    )
    totals = _totals(rows)
    chat, holdout = totals[ExperimentArm.CHAT], totals[ExperimentArm.HOLDOUT]
    mde_points = float(experiment.mde_points)
    comparison = compare_arms(
        chat=chat, holdout=holdout, holdout_percent=experiment.holdout_percent, mde_points=mde_points
    )
    ratio = comparison["sample_ratio"]
    needed, visitors = comparison["needed"], comparison["visitors"]
    state = RollupState.objects.filter(key="default").values_list("refreshed_at", flat=True).first()
    result = {
        "experiment": experiment_describe(experiment),
        "as_of": state,
        "arms": [_arm_row(str(arm), totals[arm]) for arm in ARMS],
        "conversion": _difference_dict(comparison["conversion"], 100),
        "revenue_per_visitor": _difference_dict(comparison["revenue_per_visitor"], 1),
        "sample_size": {
            "mde_points": mde_points,
            "alpha": ALPHA,
            "power": POWER,
            "needed_visitors": needed,
            "visitors": visitors,
            "more_needed": max(needed - visitors, 0) if needed else None,
        },
        "sample_ratio": {
            "expected_holdout_share": experiment.holdout_percent / 100,
            "observed_holdout_share": comparison["observed_holdout_share"],
            "chi_square": ratio.chi_square,
            "p_value": ratio.p_value,
            "mismatch": ratio.mismatch,
        },
        "verdict": verdict(
            chat=chat, holdout=holdout, comparison=comparison, mde_points=mde_points, currency=experiment.currency
        ),
        "daily": _daily(experiment),
    }
    if experiment.status == ExperimentStatus.DRAFT:
        result["verdict"] = {"status": "draft", "text": "This experiment has not started: nobody is assigned yet."}
    return result


def experiments_list() -> list[dict]:
    return [experiment_describe(e) for e in Experiment.objects.order_by("-created_at")[:200]]
