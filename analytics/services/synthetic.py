"""Synthetic traffic for demos and benchmarks: conversations with a realistic funnel shape.

Each simulated conversation opens the chat, usually sends a few messages (each answered with
an intent and up to two action buttons), sometimes shows purchase intent, clicks buttons at
per-type click-through rates, follows checkout links and pays (or fails, or walks away),
subscribes to back-in-stock alerts, or abandons. Traffic grows over the period, dips at
weekends and follows the hours of the day; nothing lands after "now". Parts and prices come
from the catalogue when it has products. Each paid conversation implies a conversational sale;
traditional (non-chat) sales are added alongside for the AOV comparison. The sales come back in
the result (`GenerateResult.sales`): checkout writes them as orders (`orders_synthetic_create`;
`manage.py generate_events`, in the demo app, does both).

Every event generated is marked (its id starts with `syn`), so `events_generated_clear` can
remove them. PostgreSQL gets COPY; other databases bulk_create.
"""

from __future__ import annotations

import json
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from analytics.enums import EventName as E
from analytics.enums import EventSource
from analytics.models import Event
from analytics.services.events import EVENT_COLUMNS
from catalog.models import ApplianceModel, Product

BATCH = 50_000
_INTENTS = ["compatibility", "install", "troubleshoot", "price_stock", "product_info", "purchase", "alternatives"]
_INTENT_WEIGHTS = [30, 15, 15, 15, 10, 10, 5]
_CTR = {"checkout_now": 0.32, "check_compatible_alternatives": 0.22, "notify_when_in_stock": 0.18}


@dataclass(frozen=True)
class SyntheticSale:
    """A sale the generated traffic implies; checkout writes it as an order (`orders_synthetic_create`)."""

    when: datetime
    product_id: int | None
    ps_number: str
    name: str
    price: Decimal
    quantity: int
    source: str  # "conversational" (a paid chat) or "traditional" (bought without the chat)


@dataclass
class GenerateResult:
    events: int = 0
    conversations: int = 0
    run: str = ""  # marks this run's event ids (syn<run>_…) and its orders' numbers
    sales: list[SyntheticSale] = field(default_factory=list)


@dataclass(frozen=True)
class _Part:
    ps_number: str
    name: str
    price: Decimal
    in_stock: bool
    product_id: int | None


def _catalogue(rng: random.Random) -> tuple[list[_Part], list[str]]:
    parts = [
        _Part(p["ps_number"], p["name"], p["price"], p["stock_quantity"] > 0, p["id"])
        for p in Product.objects.order_by("ps_number").values("id", "ps_number", "name", "price", "stock_quantity")[
            :5000
        ]
    ]
    models = list(ApplianceModel.objects.order_by("model_number").values_list("model_number", flat=True)[:2000])
    if not parts:
        parts = [
            _Part(f"PS{10000000 + i}", f"Part {i}", Decimal(rng.randint(500, 15000)) / 100, rng.random() > 0.15, None)
            for i in range(200)
        ]
    return parts, models or [f"MDL{1000 + i}" for i in range(100)]


class EventSink:
    """Batches rows and writes them: COPY on PostgreSQL, bulk_create elsewhere."""

    def __init__(self, progress: Callable[[int], None] | None, columns: tuple[str, ...] = EVENT_COLUMNS):
        self.columns = columns
        self.rows: list[tuple] = []
        self.progress = progress
        self.written = 0

    def add(self, row: tuple) -> None:
        self.rows.append(row)
        if len(self.rows) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        rows, self.rows = self.rows, []
        with transaction.atomic():
            if connection.vendor == "postgresql":
                qn = connection.ops.quote_name
                columns = ", ".join(qn(c) for c in self.columns)
                with (
                    connection.cursor() as cursor,
                    cursor.cursor.copy(f"COPY {qn(Event._meta.db_table)} ({columns}) FROM STDIN") as copy,
                ):
                    for row in rows:
                        copy.write_row([json.dumps(v) if isinstance(v, dict) else v for v in row])
            else:
                Event.objects.bulk_create(
                    [Event(**dict(zip(self.columns, row, strict=True))) for row in rows], batch_size=2000
                )
        self.written += len(rows)
        if self.progress:
            self.progress(len(rows))


def _day_weights(days: int, now: datetime) -> list[float]:
    """Growth over the period, quieter weekends; today only as far as it has gone."""
    today = now.date()
    weights = []
    for i in range(days):
        day = today - timedelta(days=days - 1 - i)
        weight = (0.6 + 0.8 * i / max(days - 1, 1)) * (0.7 if day.weekday() >= 5 else 1.0)
        if day == today:
            weight *= (now - datetime.combine(today, datetime.min.time(), tzinfo=UTC)).total_seconds() / 86400
        weights.append(weight)
    return weights


_HOUR_WEIGHTS = [1, 1, 1, 1, 1, 2, 3, 5, 7, 8, 9, 9, 9, 9, 8, 8, 8, 8, 9, 10, 9, 7, 4, 2]


def events_generate(
    *,
    count: int,
    days: int = 90,
    seed: int | None = None,
    orders: bool = True,
    traditional_ratio: float = 2.5,
    progress: Callable[[int], None] | None = None,
    now: datetime | None = None,
) -> GenerateResult:
    """Generate about `count` events (whole conversations, stopping at `count`) over the last `days`."""
    rng = random.Random(seed)
    now = (now or timezone.now()).astimezone(UTC)
    run = secrets.token_hex(3) if seed is None else f"{seed % 0xFFFFFF:06x}{secrets.token_hex(1)}"
    parts, models = _catalogue(rng)
    part_weights = [1 / (rank + 1) ** 0.8 for rank in range(len(parts))]
    rng.shuffle(parts)
    day_weights = _day_weights(days, now)
    first_day = datetime.combine(now.date() - timedelta(days=days - 1), datetime.min.time(), tzinfo=UTC)
    sink = EventSink(progress)
    result = GenerateResult()
    paid: list[tuple[datetime, _Part, int, str]] = []  # when, part, quantity, action type
    server, client = str(EventSource.SERVER), str(EventSource.CLIENT)
    seconds = timedelta(seconds=1)
    n = 0

    def add(name, when, conv, action_type="", ps="", model="", intent="", properties="{}", source=server):
        nonlocal n
        if when > now or n >= count:
            return False
        n += 1
        sink.add((f"syn{run}_{n:x}", name, source, when, when, conv, action_type, ps, model, intent, properties))
        return True

    while n < count:
        result.conversations += 1
        conv = f"conv_syn{run}{result.conversations:x}"
        day = rng.choices(range(days), weights=day_weights)[0]
        hour = rng.choices(range(24), weights=_HOUR_WEIGHTS)[0]
        t = first_day + timedelta(days=day, hours=hour, seconds=rng.randrange(3600))
        if t > now:
            t = now - timedelta(seconds=rng.randrange(1, 3600))
            if t < first_day:
                t = now
        part = rng.choices(parts, weights=part_weights)[0]
        model = rng.choice(models)
        on_page = rng.random() < 0.5
        add(E.CHAT_OPENED, t, conv, ps=part.ps_number if on_page else "")
        if rng.random() < 0.5:
            add(E.CHAT_OPENED, t + seconds, conv, source=client)
        if rng.random() < 0.18:  # opened the chat and said nothing
            if rng.random() < 0.6:
                add(E.CONVERSATION_ABANDONED, t + 60 * seconds, conv, source=client)
            continue
        messages = min(8, 1 + int(rng.expovariate(0.6)))
        purchase_intent = rng.random() < 0.42
        converted = False
        for i in range(messages):
            t += timedelta(seconds=15 + rng.randrange(90))
            intent = "purchase" if purchase_intent and i == messages - 1 else rng.choices(_INTENTS, _INTENT_WEIGHTS)[0]
            add(E.MESSAGE_SENT, t, conv)
            add(E.INTENT_DETECTED, t + seconds, conv, ps=part.ps_number, model=model, intent=intent)
            if intent == "purchase":
                add(E.PURCHASE_INTENT_DETECTED, t + seconds, conv, ps=part.ps_number, model=model, intent=intent)
            if rng.random() < 0.35 and intent != "purchase":
                continue  # an answer without buttons
            if part.in_stock:
                actions = ["checkout_now"] + (["check_compatible_alternatives"] if rng.random() < 0.4 else [])
            else:
                actions = ["notify_when_in_stock"] + (["check_compatible_alternatives"] if rng.random() < 0.7 else [])
            for action_type in actions:
                add(E.ACTION_RENDERED, t + 2 * seconds, conv, action_type, part.ps_number, model, intent)
            for action_type in actions:
                ctr = _CTR[action_type] * (1.6 if purchase_intent else 1.0)
                if converted or rng.random() >= ctr:
                    continue
                c = t + timedelta(seconds=10 + rng.randrange(60))
                add(E.ACTION_CLICKED, c, conv, action_type, part.ps_number, model)
                if rng.random() < 0.9:
                    add(E.ACTION_CLICKED, c, conv, action_type, part.ps_number, model, source=client)
                if action_type == "checkout_now":
                    add(E.PAYMENT_LINK_GENERATED, c + seconds, conv, action_type, part.ps_number)
                    if rng.random() >= 0.85:
                        continue
                    add(E.PAYMENT_LINK_CLICKED, c + 3 * seconds, conv, action_type, part.ps_number, source=client)
                    roll = rng.random()
                    done = c + timedelta(seconds=60 + rng.randrange(240))
                    if roll < 0.6:
                        quantity = 1 if rng.random() < 0.8 else 2
                        total = part.price * quantity
                        recorded = add(
                            E.PAYMENT_COMPLETED,
                            done,
                            conv,
                            action_type,
                            part.ps_number,
                            properties=f'{{"total": "{total:.2f}", "currency": "USD"}}',
                        )
                        add(E.ACTION_SUCCEEDED, done, conv, action_type, part.ps_number, model)
                        if recorded:
                            paid.append((done, part, quantity, action_type))
                        converted = True
                    elif roll < 0.7:
                        add(E.PAYMENT_FAILED, done, conv, action_type, part.ps_number)
                        add(E.ACTION_FAILED, done, conv, action_type, part.ps_number, model)
                elif rng.random() < 0.93:
                    add(E.ACTION_SUCCEEDED, c + 2 * seconds, conv, action_type, part.ps_number, model)
                    if action_type == "notify_when_in_stock":
                        add(E.ALERT_SUBSCRIBED, c + 2 * seconds, conv, ps=part.ps_number)
                        if rng.random() < 0.35:
                            later = c + timedelta(days=1 + rng.randrange(14))
                            add(E.ALERT_NOTIFIED, later, conv, ps=part.ps_number)
                else:
                    add(E.ACTION_FAILED, c + 2 * seconds, conv, action_type, part.ps_number, model)
        if not converted and rng.random() < 0.45:
            add(E.CONVERSATION_ABANDONED, t + timedelta(minutes=2), conv, source=client)
    sink.flush()
    result.events = sink.written
    result.run = run
    if orders:
        result.sales = _sales_plan(rng, paid, parts, part_weights, day_weights, first_day, now, traditional_ratio)
    return result


def _sales_plan(rng, paid, parts, part_weights, day_weights, first_day, now, ratio) -> list[SyntheticSale]:
    """The paid chats' sales, then `ratio` times as many bought without the chat (the AOV comparison)."""
    specs = [(when, part, quantity, "conversational") for when, part, quantity, _ in paid]
    for _ in range(int(len(paid) * ratio)):
        day = rng.choices(range(len(day_weights)), weights=day_weights)[0]
        when = first_day + timedelta(days=day, seconds=rng.randrange(86400))
        if when > now:
            when = now
        part = rng.choices(parts, weights=part_weights)[0]
        specs.append((when, part, 1 if rng.random() < 0.9 else 2, "traditional"))
    return [
        SyntheticSale(
            when=when,
            product_id=part.product_id,
            ps_number=part.ps_number,
            name=part.name,
            price=part.price,
            quantity=quantity,
            source=source,
        )
        for when, part, quantity, source in specs
    ]


def events_generated_clear() -> int:
    """Remove every synthetic event; returns how many."""
    return Event.objects.filter(event_id__startswith="syn").delete()[0]
