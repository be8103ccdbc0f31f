"""Signals other apps listen to without checkout importing them (the one-way dependency rule).

`order_changed(order, change)` is sent inside the transaction that changed the order, with
`change` one of `created`, `refunded`: a listener that writes (e.g. an outbox row for an
agent platform's webhook) commits or rolls back with the change itself, and schedules its
side effects with `transaction.on_commit`.
"""

from django.dispatch import Signal

order_changed = Signal()
