"""The one signal listener of the alerts app: a committed stock change (catalog.signals.stock_changed).

The signal is sent after the stock's transaction committed; the work goes to a Celery task
(bulk queue) that reads the part as it is then, so a repeated or stale signal is harmless.
"""

from django.dispatch import receiver

from catalog.signals import stock_changed
from core.dispatch import task_send_now


@receiver(stock_changed, dispatch_uid="alerts.stock_changed")
def on_stock_changed(sender, *, product_id: int, old_quantity: int, new_quantity: int, **kwargs) -> None:
    from alerts.tasks import stock_change_process_task

    # Off the caller's thread (an operator saving stock never waits on a stalled broker); a publish
    # the broker keeps refusing is logged by the dispatcher and the reconcile beat catches up.
    task_send_now(stock_change_process_task, product_id, old_quantity, new_quantity)
