"""Signals other apps listen to without checkout importing them (the one-way dependency rule).

All are sent inside the transaction of the change: a listener that writes (an outbox row for an
agent platform's webhook, a message in the buyer's conversation) commits or rolls back with the
change itself, and schedules its side effects with `transaction.on_commit`.

- `order_changed(order, change)`: `change` is `created` (paid), `refunded`, or `fulfilment` (the
  parcel moved: `order.fulfilment_status` is packed, shipped, delivered or cancelled).
- `checkout_session_closed(session)`: closed unpaid; `session.status` is `failed` or `expired`.
- `subscription_changed(subscription, change)`: `change` is `canceled` or `payment_failed` (a
  renewal payment failed).
"""

from django.dispatch import Signal

order_changed = Signal()
checkout_session_closed = Signal()
subscription_changed = Signal()
