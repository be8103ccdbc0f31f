import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q

from analytics.enums import EventName, EventSource, ExperimentArm, ExperimentStatus


class Event(models.Model):
    """One telemetry event. Dimensions are columns so funnels are plain SQL aggregates."""

    id = models.BigAutoField(primary_key=True)
    # Client-supplied ids make ingest idempotent; server events get one too.
    event_id = models.CharField(max_length=128, unique=True)
    name = models.CharField(max_length=40, choices=EventName.choices)
    source = models.CharField(max_length=10, choices=EventSource.choices, default=EventSource.SERVER)
    occurred_at = models.DateTimeField(db_index=True)
    received_at = models.DateTimeField(auto_now_add=True)
    conversation_id = models.CharField(max_length=32, blank=True, db_index=True)
    action_type = models.CharField(max_length=64, blank=True)
    ps_number = models.CharField(max_length=32, blank=True)
    model_number = models.CharField(max_length=64, blank=True)
    intent = models.CharField(max_length=40, blank=True)
    properties = models.JSONField(default=dict, blank=True)
    # The shop's visitor (the widget's first-party id): experiment assignment and the shop-side
    # funnel (product_viewed, cart_added, order_completed) are per visitor, not per conversation.
    visitor_id = models.CharField(max_length=64, blank=True, default="", db_default="")
    # order_completed: the order's value in the shop currency.
    value = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["name", "occurred_at"]),
            models.Index(fields=["conversation_id", "occurred_at"], name="analytics_event_conv_time"),
            # Partial: most events have no visitor, and the index is only read for those that do.
            models.Index(
                fields=["visitor_id", "name", "occurred_at"],
                name="analytics_event_visitor",
                condition=~Q(visitor_id=""),
            ),
        ]

    def __str__(self):
        return f"{self.name} @ {self.occurred_at:%Y-%m-%d %H:%M}"


# --- Rollups: derived from Event (and Message), rebuilt by analytics.services.rollups ---------------
# Days are UTC calendar days. Every rollup can be thrown away and rebuilt with
# `manage.py analytics_backfill`; the beat task keeps them current incrementally.


class EventDailyRollup(models.Model):
    """Events per UTC day × name × source × action type × part: trends, actions, top parts."""

    day = models.DateField()
    name = models.CharField(max_length=40, choices=EventName.choices)
    source = models.CharField(max_length=10, choices=EventSource.choices)
    action_type = models.CharField(max_length=64, blank=True)
    ps_number = models.CharField(max_length=32, blank=True)
    events = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "name", "source", "action_type", "ps_number"], name="event_daily_rollup_key"
            )
        ]
        indexes = [models.Index(fields=["day", "name"]), models.Index(fields=["ps_number", "day"])]

    def __str__(self):
        return f"{self.day} {self.name} {self.action_type} {self.ps_number}: {self.events}"


class EventDailyTypeRollup(models.Model):
    """The same counts without the part: a few dozen rows a day, for trends and action breakdowns
    that are not filtered by part."""

    day = models.DateField()
    name = models.CharField(max_length=40, choices=EventName.choices)
    source = models.CharField(max_length=10, choices=EventSource.choices)
    action_type = models.CharField(max_length=64, blank=True)
    events = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "name", "source", "action_type"], name="event_daily_type_rollup_key")
        ]

    def __str__(self):
        return f"{self.day} {self.name} {self.action_type}: {self.events}"


class ConversationFunnel(models.Model):
    """One row per conversation: its cohort day (the day of its first event), its first-touch part and
    action type, and which funnel steps it has reached (0/1, so plain SUMs add them up)."""

    conversation_id = models.CharField(max_length=32, primary_key=True)
    started_at = models.DateTimeField()
    day = models.DateField(db_index=True)
    ps_number = models.CharField(max_length=32, blank=True)
    action_type = models.CharField(max_length=64, blank=True)
    chat_opened = models.SmallIntegerField(default=0)
    message_sent = models.SmallIntegerField(default=0)
    purchase_intent_detected = models.SmallIntegerField(default=0)
    payment_link_clicked = models.SmallIntegerField(default=0)
    payment_completed = models.SmallIntegerField(default=0)

    def __str__(self):
        return self.conversation_id


class FunnelDailyRollup(models.Model):
    """Conversations that started on `day` (per first-touch part and action type) and how many of
    them reached each funnel step."""

    day = models.DateField()
    ps_number = models.CharField(max_length=32, blank=True)
    action_type = models.CharField(max_length=64, blank=True)
    conversations = models.BigIntegerField()
    chat_opened = models.BigIntegerField()
    message_sent = models.BigIntegerField()
    purchase_intent_detected = models.BigIntegerField()
    payment_link_clicked = models.BigIntegerField()
    payment_completed = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "ps_number", "action_type"], name="funnel_daily_rollup_key")
        ]
        indexes = [models.Index(fields=["ps_number", "day"]), models.Index(fields=["action_type", "day"])]

    def __str__(self):
        return f"{self.day} {self.ps_number} {self.action_type}: {self.conversations}"


class FunnelDailyTotalRollup(models.Model):
    """The funnel per cohort day over every part and action type: one row a day."""

    day = models.DateField(unique=True)
    conversations = models.BigIntegerField()
    chat_opened = models.BigIntegerField()
    message_sent = models.BigIntegerField()
    purchase_intent_detected = models.BigIntegerField()
    payment_link_clicked = models.BigIntegerField()
    payment_completed = models.BigIntegerField()

    def __str__(self):
        return f"{self.day}: {self.conversations}"


class OrderDailyRollup(models.Model):
    """Paid orders per day × source × currency × action type (the action that sold them, if any)."""

    day = models.DateField()
    order_source = models.CharField(max_length=20)
    currency = models.CharField(max_length=3)
    action_type = models.CharField(max_length=64, blank=True)
    orders = models.BigIntegerField()
    revenue = models.DecimalField(max_digits=16, decimal_places=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "order_source", "currency", "action_type"], name="order_daily_rollup_key"
            )
        ]

    def __str__(self):
        return f"{self.day} {self.order_source} {self.currency}: {self.orders}"


class OrderSkuDailyRollup(models.Model):
    """Per day × part × source × currency × action type: orders containing the part, those orders'
    revenue, and the part's own quantity and line revenue."""

    day = models.DateField()
    sku = models.CharField(max_length=64)
    order_source = models.CharField(max_length=20)
    currency = models.CharField(max_length=3)
    action_type = models.CharField(max_length=64, blank=True)
    orders = models.BigIntegerField()
    order_revenue = models.DecimalField(max_digits=16, decimal_places=2)
    quantity = models.BigIntegerField()
    line_revenue = models.DecimalField(max_digits=16, decimal_places=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "sku", "order_source", "currency", "action_type"], name="order_sku_daily_rollup_key"
            )
        ]
        indexes = [models.Index(fields=["sku", "day"])]

    def __str__(self):
        return f"{self.day} {self.sku} {self.order_source}: {self.orders}"


class UsageDailyRollup(models.Model):
    """Assistant replies and what they cost, per UTC day (from Message.metadata["usage"])."""

    day = models.DateField(unique=True)
    replies = models.BigIntegerField()
    prompt_tokens = models.BigIntegerField()
    completion_tokens = models.BigIntegerField()
    cost_usd = models.DecimalField(max_digits=16, decimal_places=6)

    def __str__(self):
        return f"{self.day}: {self.replies} replies, ${self.cost_usd}"


class RollupState(models.Model):
    """Where the incremental refresh got to. One row (key="default")."""

    key = models.CharField(max_length=32, unique=True)
    # Event rollups hold exactly the events with ids up to this one; later ones are read raw.
    last_event_id = models.BigIntegerField(default=0)
    # Order and usage rollups are complete up to and including this day; later days are read raw.
    complete_through = models.DateField(null=True, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.key}: event {self.last_event_id}, complete through {self.complete_through}"


# --- Experiments -------------------------------------------------------------------------------


def _new_salt() -> str:
    return secrets.token_hex(8)


def _shop_currency() -> str:
    return settings.PARLEY_CURRENCY


class Experiment(models.Model):
    """A holdout experiment: visitors on the pages it covers are split between `chat` (the widget
    is shown) and `holdout` (it is not). Assignment hashes the visitor id with `salt`, so it is
    stable per visitor and a new experiment reshuffles everybody."""

    name = models.CharField(max_length=120)
    status = models.CharField(max_length=10, choices=ExperimentStatus.choices, default=ExperimentStatus.DRAFT)
    holdout_percent = models.PositiveSmallIntegerField(
        default=10, help_text="Share of visitors who do not see the chat (1-99); 10 means a 90/10 split."
    )
    pages = models.TextField(
        blank=True,
        help_text="Pages covered: one path prefix a line (e.g. /products/). Empty covers every page.",
    )
    mde_points = models.DecimalField(
        "minimum detectable effect",
        max_digits=5,
        decimal_places=2,
        default=1,
        help_text="The smallest change in conversion worth detecting, in percentage points (0.5 = half a point).",
    )
    currency = models.CharField(max_length=3, default=_shop_currency, editable=False)
    salt = models.CharField(max_length=32, default=_new_salt, editable=False)
    started_at = models.DateTimeField(null=True, blank=True, editable=False)
    stopped_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["status"], condition=Q(status="running"), name="experiment_one_running"),
            models.CheckConstraint(
                condition=Q(holdout_percent__gte=1, holdout_percent__lte=99), name="experiment_holdout_percent_range"
            ),
            models.CheckConstraint(condition=Q(mde_points__gt=0), name="experiment_mde_positive"),
        ]

    def __str__(self):
        return self.name


class ExperimentVisitor(models.Model):
    """Rollup, one row per experiment × visitor: the arm, when the visitor was first assigned (its
    cohort day), and the orders it placed from then until the experiment stopped."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="+")
    visitor_id = models.CharField(max_length=64)
    arm = models.CharField(max_length=10, choices=ExperimentArm.choices)
    assigned_at = models.DateTimeField()
    day = models.DateField()
    orders = models.IntegerField(default=0)
    revenue = models.DecimalField(max_digits=14, decimal_places=2, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["experiment", "visitor_id"], name="experiment_visitor_key"),
        ]
        indexes = [models.Index(fields=["experiment", "day"])]

    def __str__(self):
        return f"{self.experiment_id} {self.visitor_id} {self.arm}"


class ExperimentDailyRollup(models.Model):
    """Per experiment × arm × cohort day: visitors assigned that day and what they did since.
    Σ revenue and Σ revenue² give each arm's mean and variance without reading visitors."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="+")
    arm = models.CharField(max_length=10, choices=ExperimentArm.choices)
    day = models.DateField()
    visitors = models.BigIntegerField()
    converters = models.BigIntegerField()
    orders = models.BigIntegerField()
    revenue = models.DecimalField(max_digits=16, decimal_places=2)
    revenue_sq = models.DecimalField(max_digits=24, decimal_places=4)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["experiment", "arm", "day"], name="experiment_daily_rollup_key"),
        ]

    def __str__(self):
        return f"{self.experiment_id} {self.arm} {self.day}: {self.visitors}"
