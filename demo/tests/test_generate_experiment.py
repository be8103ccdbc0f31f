"""generate_events --experiment: traffic with a known true effect that the analysis must find."""

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from analytics.models import Event
from analytics.selectors.experiments import experiment_report_get

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_report_finds_the_true_effect_within_its_interval():
    out = StringIO()
    call_command(
        "generate_events", "40000", "--experiment", "--seed", "8", "--holdout", "30", "--baseline", "3",
        "--lift", "1.5", "--no-progress", "--backfill", stdout=out,
    )  # fmt: skip
    experiment_id = int(re.search(r"Experiment (\d+):", out.getvalue()).group(1))
    assert "+1.5 points" in out.getvalue()
    report = experiment_report_get(experiment_id=experiment_id)
    visitors = sum(arm["visitors"] for arm in report["arms"])
    assert visitors == Event.objects.filter(name="experiment_assigned").count()
    assert 0.26 < report["sample_ratio"]["observed_holdout_share"] < 0.34
    assert not report["sample_ratio"]["mismatch"]
    conversion, rpv = report["conversion"], report["revenue_per_visitor"]
    assert conversion["ci_low"] <= 1.5 <= conversion["ci_high"]
    assert rpv["ci_low"] <= 0.015 * 60 <= rpv["ci_high"]
    assert report["daily"][-1]["chat_visitors"] + report["daily"][-1]["holdout_visitors"] == visitors


def test_a_seed_is_the_same_traffic_and_is_generated_once():
    args = ("generate_events", "300", "--experiment", "--seed", "5", "--no-progress")
    call_command(*args, stdout=StringIO())
    first = sorted(Event.objects.filter(name="experiment_assigned").values_list("visitor_id", "properties__arm"))
    with pytest.raises(CommandError, match="seed 5 was already generated"):
        call_command(*args, stdout=StringIO())
    call_command(*args, "--clear", stdout=StringIO())
    again = sorted(Event.objects.filter(name="experiment_assigned").values_list("visitor_id", "properties__arm"))
    assert again == first


def test_impossible_rates_are_refused():
    with pytest.raises(CommandError):
        call_command("generate_events", "100", "--experiment", "--baseline", "99", "--lift", "5", "--no-progress")
