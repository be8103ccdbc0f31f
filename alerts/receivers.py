"""The one signal listener of the alerts app: a committed stock change (catalog.signals.stock_changed).

The signal is sent after the stock's transaction committed; the work goes to a Celery task
(bulk queue) that reads the part as it is then, so a repeated or stale signal is harmless.
"""

import logging

from django.dispatch import receiver

from catalog.signals import stock_changed

logger = logging.getLogger(__name__)


@receiver(stock_changed, dispatch_uid="alerts.stock_changed")
def on_stock_changed(sender, *, product_id: int, old_quantity: int, new_quantity: int, **kwargs) -> None:
    from alerts.tasks import stock_change_process_task

    try:
        stock_change_process_task.delay(product_id, old_quantity, new_quantity)
    except Exception:  # the stock write is committed; the reconcile beat and the next change catch up
        logger.exception("back-in-stock: could not enqueue the stock change of product %s", product_id)
