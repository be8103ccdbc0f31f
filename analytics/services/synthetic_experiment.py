"""Synthetic traffic for a holdout experiment with a known true effect (demos, tests, the bench).

Visitors arrive uniformly over the last `days`; each is assigned by the real hash of a new
running experiment (so the split is what production would draw), views 1-4 products, sometimes
adds to the cart, and converts with probability `baseline` (holdout) or `baseline + lift`
(chat), ordering once with a lognormal value of mean `mean_order`. So the true difference in
conversion is `lift` and in revenue per visitor `lift × mean_order`, and an honest analysis
must find them within its intervals at the nominal rate. Event ids start with `syn`, like the
other generator's, so `events_generated_clear` removes them.
"""

from __future__ import annotations

import math
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from analytics.enums import EventName as E
from analytics.enums import EventSource, ExperimentStatus
from analytics.models import Event, Experiment
from analytics.services.events import EVENT_COLUMNS
from analytics.services.experiments import experiment_arm
from analytics.services.synthetic import EventSink

_COLUMNS = (*EVENT_COLUMNS, "visitor_id", "value")
_SIGMA = 0.8  # spread of order values (lognormal)


@dataclass(frozen=True)
class ExperimentTruth:
    experiment_id: int
    events: int
    visitors: int
    baseline: float
    lift: float
    mean_order: float

    @property
    def conversion_points(self) -> float:
        return self.lift * 100

    @property
    def revenue_per_visitor(self) -> float:
        return self.lift * self.mean_order


def experiment_events_generate(
    *,
    count: int,
    days: int = 28,
    seed: int | None = None,
    holdout_percent: int = 10,
    baseline: float = 0.03,
    lift: float = 0.005,
    mean_order: float = 60.0,
    progress: Callable[[int], None] | None = None,
    now: datetime | None = None,
) -> ExperimentTruth:
    """About `count` events (whole visitors) of a new running experiment; returns the truth."""
    if not 0 <= baseline < 1 or not 0 <= baseline + lift <= 1:
        raise ValueError("baseline and baseline + lift must be probabilities")
    rng = random.Random(seed)
    # A seeded run names its visitors after the seed alone, so the same seed gives the same arms
    # (assignment hashes the visitor id) and the same outcome; a second run of it would collide.
    run = secrets.token_hex(3) if seed is None else f"{seed % 0xFFFFFF:06x}"
    if seed is not None and Event.objects.filter(event_id__startswith=f"syn{run}_").exists():
        raise ValueError(f"seed {seed} was already generated into this database: pick another seed")
    now = (now or timezone.now()).astimezone(UTC)
    start = now - timedelta(days=days)
    experiment = Experiment.objects.create(
        name=f"Synthetic: +{lift * 100:g} points on {baseline * 100:g}%",
        holdout_percent=holdout_percent,
        salt=f"{rng.getrandbits(64):016x}",
        status=ExperimentStatus.RUNNING if not Experiment.objects.filter(status="running").exists() else "stopped",
        started_at=start,
        stopped_at=None,
    )
    if experiment.status == ExperimentStatus.STOPPED:  # another one runs: this one is history
        experiment.stopped_at = now
        experiment.save(update_fields=["stopped_at"])
    sink = EventSink(progress, columns=_COLUMNS)
    server, client = str(EventSource.SERVER), str(EventSource.CLIENT)
    span = (now - start).total_seconds() - 3600
    mu = math.log(mean_order) - _SIGMA**2 / 2
    written = visitors = 0
    while written < count:
        visitors += 1
        visitor = f"syn{run}v{visitors:08d}"
        arm = experiment_arm(experiment=experiment, visitor_id=visitor)
        at = start + timedelta(seconds=rng.random() * span)
        rows = [
            (
                f"syn{run}_{visitors}_a",
                E.EXPERIMENT_ASSIGNED,
                server,
                at,
                at,
                "",
                "",
                "",
                "",
                "",
                {"experiment": str(experiment.pk), "arm": str(arm)},
                visitor,
                None,
            )
        ]
        t = at
        for view in range(rng.randint(1, 4)):
            t += timedelta(seconds=rng.randint(5, 300))
            rows.append(
                (f"syn{run}_{visitors}_p{view}", E.PRODUCT_VIEWED, client, t, t, "", "", "", "", "", {}, visitor, None)
            )
        converts = rng.random() < (baseline + lift if arm == "chat" else baseline)
        if converts or rng.random() < 0.1:
            t += timedelta(seconds=rng.randint(10, 600))
            rows.append((f"syn{run}_{visitors}_c", E.CART_ADDED, client, t, t, "", "", "", "", "", {}, visitor, None))
        if converts:
            t += timedelta(seconds=rng.randint(60, 1800))
            value = Decimal(f"{rng.lognormvariate(mu, _SIGMA):.2f}")
            rows.append(
                (
                    f"syn{run}_{visitors}_o",
                    E.ORDER_COMPLETED,
                    client,
                    t,
                    t,
                    "",
                    "",
                    "",
                    "",
                    "",
                    {"order_id": f"syn{run}-{visitors}", "currency": experiment.currency, "source": "synthetic"},
                    visitor,
                    value,
                )
            )
        for row in rows:
            sink.add(tuple(str(v) if k == 1 else v for k, v in enumerate(row)))
        written += len(rows)
    sink.flush()
    return ExperimentTruth(
        experiment_id=experiment.pk,
        events=sink.written,
        visitors=visitors,
        baseline=baseline,
        lift=lift,
        mean_order=mean_order,
    )
