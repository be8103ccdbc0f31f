"""The outbox: every message leaving Parley is a row written with the change, sent after commit.

One mechanism for all outbound deliveries (operator replies, order webhooks to agent
platforms, and whatever the domains add), in the spirit of Saleor's `EventDelivery` /
`EventDeliveryAttempt`:

1. **Enqueue with the change.** A domain service calls `delivery_enqueue(kind=..., key=...,
   payload=...)` inside the transaction that made the change. The row commits with the change
   or not at all; `key` is unique, so enqueueing twice is one delivery. On commit, a Celery
   task is asked to send it.
2. **Claim, commit.** The sender claims the row (`SELECT … FOR UPDATE SKIP LOCKED` where the
   database has it, and in every case a compare-and-set `UPDATE … WHERE status = pending`):
   status `sending`, a lease token, `leased_until`, `attempts + 1`, an `OutboundAttempt` row.
   That commits before anything leaves, so two workers never hold one delivery.
3. **Send outside any transaction.** The kind's registered `Sender.send(delivery)` talks to
   the network with no row locked and no transaction open, passing `delivery.key` on as the
   idempotency key (WhatsApp's `Idempotency-Key`, an email's `Message-ID`, …).
4. **Record at once.** One short transaction, guarded by the lease token: `sent` (and the
   sender's `on_sent`, e.g. the conversation's copy of the message), or back to `pending`
   with `next_attempt_at` after an exponential backoff, or `failed` after the kind's last
   attempt (and the sender's `on_failed`).
A fan-out (alert notices) does the same in batches: `deliveries_enqueue_many` in bulk,
`deliveries_send` claims a batch in one claim and records each result as its kind's
`Sender.send_many` yields it (one statement per success when `records_alone`), with the
domain's bulk bookkeeping in `after_batch`.

5. **One reconcile beat** (`outbox_reconcile_task`, `manage.py outbox_reconcile`): pending
   rows that are due and rows whose lease ran out (a killed worker) go back to the workers.

What a crash costs: a worker killed before step 4 leaves the row `sending`; after the lease
another worker sends it again with the same key. A message the receiver had accepted in the
instant before the kill is therefore sent twice, with the same idempotency key, so the
receiver can drop the repeat (at-least-once at the edge, exactly once everywhere we store).

The core never imports a domain app: each app registers its senders by kind in its
`AppConfig.ready()` (`core.outbox.registry.sender_register`).
"""
