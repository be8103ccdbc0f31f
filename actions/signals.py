"""Signals other apps listen to without actions importing them (the one-way dependency rule).

- `action_response_delivered(action, response, status_text)`: an operator's decision reached the
  customer (or, in the web chat, is ready to be shown). Sent inside the outbox's recording
  transaction, before the action's final transition: the conversation stores its copy (the
  internal status update `status_text`, then the reply `response.text`) with the outcome, and
  pushes them on commit.
"""

from django.dispatch import Signal

action_response_delivered = Signal()
