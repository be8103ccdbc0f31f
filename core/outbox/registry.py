"""Senders by delivery kind: each domain says what to send; the outbox decides when and how often.

A domain app registers its senders in `AppConfig.ready()`:

    sender_register(OrderEventSender())

so the core never imports a domain app. A kind without a sender fails its deliveries with a
clear error instead of retrying forever.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from core.outbox.models import OutboundDelivery

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SendResult:
    """What one attempt at sending gave.

    `retryable`: a failure worth another attempt later (timeouts, 429, 5xx); configuration
    errors and other 4xx are final. `request` is what was sent, kept on the attempt row when
    the sender wants operators to see it (the webhook body); `status_code` the receiver's
    HTTP status, when there is one.
    """

    is_success: bool
    external_id: str = ""
    error: str = ""
    retryable: bool = False
    status_code: int | None = None
    request: dict | None = field(default=None, compare=False)
    # Nothing to send after all (e.g. the subscriber confirmed meanwhile): recorded `cancelled`.
    cancelled: bool = False

    @classmethod
    def ok(cls, external_id: str = "", **extra) -> SendResult:
        return cls(is_success=True, external_id=external_id, **extra)

    @classmethod
    def failed(cls, error: str, *, retryable: bool, **extra) -> SendResult:
        return cls(is_success=False, error=error[:1000], retryable=retryable, **extra)

    @classmethod
    def nothing_to_send(cls, reason: str) -> SendResult:
        return cls(is_success=False, error=reason[:1000], cancelled=True)


# What a batch answers for a row whose lease ran out mid-batch (another worker took it over and
# sends it): nothing is sent, and the outbox records nothing (the new owner does).
LEASE_LOST = SendResult.failed("The lease ran out before this delivery's turn in the batch.", retryable=True)


def lease_held(delivery: OutboundDelivery) -> bool:
    """False for a row of a batch that another worker took over (the outbox clears its token)."""
    return bool(delivery.lease_token)


class Sender:
    """What a domain implements for one kind of delivery.

    `send` runs outside any transaction and must not write the domain's rows in a way that
    a repeat would double (it may run again after a crash). `on_sent` / `on_failed` run inside
    the short transaction that records the outcome, with the delivery row already updated:
    the place to store the conversation's copy of a message or fail an action, all or nothing
    with the outcome.
    """

    kind: str = ""
    # None: settings.OUTBOX_MAX_ATTEMPTS.
    max_attempts: int | None = None
    # Whether an operator may send a delivery again after it was sent (an order webhook carries
    # the order as it is now, so a repeat is useful; a chat reply would be said twice).
    resend_sent: bool = False

    def attempts_allowed(self) -> int:
        return self.max_attempts or settings.OUTBOX_MAX_ATTEMPTS

    def send(self, delivery: OutboundDelivery) -> SendResult:  # pragma: no cover - interface
        raise NotImplementedError

    def send_many(self, deliveries: list[OutboundDelivery]) -> Iterator[tuple[OutboundDelivery, SendResult]]:
        """A claimed batch, one (delivery, result) at a time: the outbox records each result as it
        is yielded, before asking for the next. A kind that fans out (alert notices) overrides it
        to read what the batch needs in one query and share a connection; the default sends one
        by one. A sender that raises loses nothing: the rest of the batch is retried later."""
        for delivery in deliveries:
            if not lease_held(delivery):
                yield delivery, LEASE_LOST
                continue
            try:
                result = self.send(delivery)
            except Exception as exc:  # a bug in a sender must not lose the message: record, retry later
                logger.exception("outbox delivery %s (%s) raised", delivery.pk, delivery.kind)
                result = SendResult.failed(f"{type(exc).__name__}: {exc}", retryable=True)
            yield delivery, result

    def records_alone(self, delivery: OutboundDelivery) -> bool:
        """True when `on_sent` has nothing to do for this delivery: a success is then recorded in
        one statement (the fan-out's hot path) and `after_batch` does the bookkeeping."""
        return False

    def after_batch(self, sent: list[OutboundDelivery]) -> None:
        """After a batch, outside any transaction: bookkeeping for the deliveries it sent, done in
        bulk. Must be safe to redo and to miss (a worker can die before it runs): the domain's
        own reconcile repairs what it did not do."""

    def on_sent(self, delivery: OutboundDelivery, result: SendResult) -> None:
        """Inside the recording transaction, after the row says `sent`."""

    def on_failed(self, delivery: OutboundDelivery, result: SendResult) -> None:
        """Inside the recording transaction, after the row says `failed` (no attempt left)."""


_SENDERS: dict[str, Sender] = {}


def sender_register(sender: Sender) -> Sender:
    """Register (or replace, e.g. in a test) the sender of `sender.kind`."""
    if not sender.kind:
        raise ValueError("A sender needs a kind.")
    _SENDERS[sender.kind] = sender
    return sender


def sender_get(kind: str) -> Sender | None:
    return _SENDERS.get(kind)


def senders_registered() -> list[str]:
    return sorted(_SENDERS)
