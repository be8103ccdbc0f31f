import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from analytics.services.synthetic import events_generate, events_generated_clear
from analytics.services.synthetic_experiment import experiment_events_generate
from checkout.services.synthetic import orders_synthetic_clear, orders_synthetic_create


class Command(BaseCommand):
    # Demo data across apps: analytics generates the traffic, checkout writes the orders it implies.
    help = (
        "Generate about N synthetic telemetry events (whole conversations with a realistic funnel) over "
        "the last --days days, plus matching orders, for demos and benchmarks. Run analytics_backfill "
        "afterwards (or pass --backfill) so the dashboard's rollups include them."
    )

    def add_arguments(self, parser):
        parser.add_argument("count", type=int, help="How many events (the last conversation may stop short).")
        parser.add_argument("--days", type=int, default=None, help="Default 90 (28 with --experiment).")
        parser.add_argument("--seed", type=int, default=None, help="Same seed, same traffic shape.")
        parser.add_argument("--no-orders", action="store_true", help="Events only, no synthetic orders.")
        parser.add_argument("--traditional-ratio", type=float, default=2.5, help="Non-chat orders per chat order.")
        parser.add_argument("--clear", action="store_true", help="Remove earlier synthetic events and orders first.")
        parser.add_argument("--backfill", action="store_true", help="Rebuild the rollups afterwards.")
        parser.add_argument("--no-progress", action="store_true")
        experiment = parser.add_argument_group(
            "experiment mode",
            "--experiment: instead of conversations, N events of visitors in a new holdout experiment whose true "
            "effect is known (printed at the end), over the last --days days (default 28 in this mode).",
        )
        experiment.add_argument("--experiment", action="store_true")
        experiment.add_argument("--holdout", type=int, default=10, help="Holdout percent (1-99).")
        experiment.add_argument("--baseline", type=float, default=3.0, help="Holdout conversion, percent.")
        experiment.add_argument("--lift", type=float, default=0.5, help="True effect of the chat, percentage points.")
        experiment.add_argument("--mean-order", type=float, default=60.0, help="Mean order value.")

    def handle(self, *args, **options):
        count = options["count"]
        days = options["days"] if options["days"] is not None else (28 if options["experiment"] else 90)
        if count < 1:
            raise CommandError("N must be at least 1.")
        if not 1 <= days <= 366:
            raise CommandError("--days must be between 1 and 366.")
        if options["clear"]:
            events, orders = events_generated_clear(), orders_synthetic_clear()
            self.stdout.write(f"Removed {events} synthetic events and {orders} synthetic orders.")
        if options["experiment"]:
            self._experiment(count, days, options)
        else:
            self._conversations(count, days, options)
        if options["backfill"]:
            from django.core.management import call_command

            call_command("analytics_backfill", no_progress=options["no_progress"])

    def _experiment(self, count, days, options):
        if not 1 <= options["holdout"] <= 99:
            raise CommandError("--holdout must be between 1 and 99.")
        baseline, lift = options["baseline"] / 100, options["lift"] / 100
        if not 0 <= baseline < 1 or not 0 <= baseline + lift <= 1:
            raise CommandError("--baseline and --baseline + --lift must be percentages between 0 and 100.")
        with tqdm(
            total=count, unit="event", unit_scale=True, desc="events", disable=options["no_progress"], file=sys.stderr
        ) as bar:
            try:
                truth = experiment_events_generate(
                    count=count,
                    days=days,
                    seed=options["seed"],
                    holdout_percent=options["holdout"],
                    baseline=baseline,
                    lift=lift,
                    mean_order=options["mean_order"],
                    progress=bar.update,
                )
            except ValueError as error:
                raise CommandError(f"{error} (or run with --clear).") from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Experiment {truth.experiment_id}: {truth.events} events from {truth.visitors} visitors over {days} days. "
                f"Truth: conversion {truth.baseline:.2%} without the chat, +{truth.conversion_points:g} points with it; "
                f"revenue per visitor +{truth.revenue_per_visitor:.2f}."
            )
        )

    def _conversations(self, count, days, options):
        with tqdm(
            total=count, unit="event", unit_scale=True, desc="events", disable=options["no_progress"], file=sys.stderr
        ) as bar:
            result = events_generate(
                count=count,
                days=days,
                seed=options["seed"],
                orders=not options["no_orders"],
                traditional_ratio=options["traditional_ratio"],
                progress=bar.update,
            )
        orders_synthetic_create(run=result.run, sales=result.sales)
        chat = sum(1 for sale in result.sales if sale.source == "conversational")
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated {result.events} events in {result.conversations} conversations over {days} days, "
                f"{chat} conversational and {len(result.sales) - chat} traditional orders."
            )
        )
