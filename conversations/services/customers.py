"""Customers: the people Parley talks to and sells to. Only this app writes them.

The apps below (checkout, alerts) hold a customer by foreign key and never create one: a buyer
that an agent platform names by email becomes a customer here, called from `agentic`.
"""

from conversations.models import Customer
from conversations.selectors import customer_get_by_email


def customer_get_or_create_by_email(*, email: str, name: str = "", phone: str = "") -> Customer | None:
    """The customer an email names (the oldest, see `customer_get_by_email`), else a new one.
    None for an empty email."""
    email = (email or "").strip().lower()
    if not email:
        return None
    customer = customer_get_by_email(email=email)
    if customer is None:
        customer = Customer.objects.create(email=email, name=name[:200], phone=phone[:20])
    return customer
