"""Catalogue signals: decoupled listeners only (the stock-change → back-in-stock alerts hook).

`stock_changed(sender=Product, product_id, old_quantity, new_quantity)` is sent after the
transaction that changed the stock commits, never before, so a listener can trust the
database and nothing is announced that then rolls back.
"""

from django.dispatch import Signal

stock_changed = Signal()
