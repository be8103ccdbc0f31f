"""`{% load money %}{{ order.total|money:order.currency }}`: a price in pages and emails, as core.money.money_display writes it."""

from django import template

from core.money import money_display

register = template.Library()


@register.filter(name="money")
def money(amount, currency=None) -> str:
    if amount is None or amount == "":
        return ""
    return money_display(amount, currency)
