"""Agent platforms (who may call), ACP checkout sessions, idempotency records.

Order events for the platforms are outbound deliveries of the core outbox (agentic/services/webhooks.py)."""

from django.db import models
from django.utils.text import slugify

from agentic.enums import AcpStatus
from core.ids import new_id
from core.models import TimeStampedModel


def new_acp_session_id() -> str:
    return new_id("acs")


class AgentPlatform(TimeStampedModel):
    """An AI agent platform allowed to sell our parts (e.g. ChatGPT): its keys, request signing, webhooks."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True, help_text="Orders it sells carry the channel acp:<slug>.")
    is_active = models.BooleanField(default=True)
    signing_secret = models.CharField(
        max_length=200,
        blank=True,
        help_text="When set, every request must carry a valid Signature + Timestamp (HMAC-SHA256, see README).",
    )
    webhook_url = models.URLField(max_length=500, blank=True, help_text="Where order events are POSTed.")
    webhook_secret = models.CharField(
        max_length=200, blank=True, help_text="Signs order events (Merchant-Signature: t=…,v1=HMAC-SHA256)."
    )

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slugify(self.name)[:60] or new_id("platform", 8)
        super().save(*args, **kwargs)

    def __str__(self):
        return self.name

    @property
    def channel(self) -> str:
        return f"acp:{self.slug}"


class AgentApiKey(TimeStampedModel):
    """An API key of a platform. Only the SHA-256 of the key is kept; the key is shown once, when issued."""

    platform = models.ForeignKey(AgentPlatform, on_delete=models.CASCADE, related_name="api_keys")
    label = models.CharField(max_length=120, blank=True)
    prefix = models.CharField(max_length=16, help_text="The key's first characters, to recognise it.")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    is_active = models.BooleanField(default=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.prefix}… ({self.platform})"


class AcpCheckoutSession(TimeStampedModel):
    """A checkout session an agent platform drives through the ACP API.

    What the agent asked for (items, buyer, address, chosen shipping, codes) is stored as
    given; prices, stock, totals and messages are computed from the catalogue on every
    response (`cart` keeps the last one shown, and is frozen once completed or canceled).
    """

    id = models.CharField(primary_key=True, max_length=32, default=new_acp_session_id, editable=False)
    platform = models.ForeignKey(AgentPlatform, on_delete=models.PROTECT, related_name="sessions")
    status = models.CharField(
        max_length=32, choices=AcpStatus.choices, default=AcpStatus.NOT_READY_FOR_PAYMENT, db_index=True
    )
    currency = models.CharField(max_length=3)
    items = models.JSONField(default=list, help_text="[{id, quantity}] as asked (ids are PS numbers).")
    buyer = models.JSONField(null=True, blank=True)
    fulfillment_details = models.JSONField(null=True, blank=True)
    selected_fulfillment_options = models.JSONField(default=list, blank=True)
    discount_codes = models.JSONField(default=list, blank=True)
    capabilities = models.JSONField(default=dict, blank=True, help_text="What the agent said it can do.")
    affiliate_attribution = models.JSONField(default=dict, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    locale = models.CharField(max_length=35, blank=True)
    messages = models.JSONField(default=list, blank=True, help_text="Messages that stay (payment declined, …).")
    cart = models.JSONField(default=dict, blank=True, help_text="The last authoritative cart sent.")
    authentication_metadata = models.JSONField(null=True, blank=True)
    intent_trace = models.JSONField(null=True, blank=True)
    checkout_session = models.ForeignKey(
        "checkout.CheckoutSession", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    order = models.OneToOneField(
        "checkout.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="acp_session"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    canceled_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(
        null=True, blank=True, db_index=True, help_text="Set at creation (ACP_SESSION_TTL_MINUTES); then `expired`."
    )

    class Meta:
        verbose_name = "ACP checkout session"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.id} ({self.status})"


class IdempotencyRecord(models.Model):
    """One Idempotency-Key of one platform on one endpoint, and the response it got (RFC §6).

    `in_flight` while the first request runs (a second one gets 409 until `locked_until`
    passes, after which a crashed request's key may be taken over). The response is written
    in the same transaction as the business change; 5xx answers are never kept.
    """

    platform = models.ForeignKey(AgentPlatform, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    path = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    in_flight = models.BooleanField(default=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    response_headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["platform", "path", "key"], name="acp_idempotency_key_once")]

    def __str__(self):
        return f"{self.key} {self.path}"
