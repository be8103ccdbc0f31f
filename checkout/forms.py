"""The offline test provider's payment page asks what Stripe Checkout's page asks: who pays, and
for parts, where the parcel goes. Validated here; the page then "pays" with a Stripe-shaped
event carrying them as Stripe does (`customer_details`, `collected_information`)."""

from decimal import Decimal

from django import forms
from django.conf import settings

from checkout.addresses import phone_e164

# The page is a test double: it offers an example payer and address, as a test card number is offered.
EXAMPLE_CONTACT = {"name": "Test Customer", "email": "test.customer@example.com"}
EXAMPLE_ADDRESS = {
    "line_one": "1 Test Street",
    "city": "Springfield",
    "state": "IL",
    "postal_code": "62701",
    "country": "US",
}
ADDRESS_FIELDS = ("line_one", "line_two", "city", "state", "postal_code", "country")


def _single_line(value: str) -> str:
    return " ".join((value or "").split())


class OfflineCheckoutForm(forms.Form):
    name = forms.CharField(label="Full name", max_length=200)
    email = forms.EmailField(label="Email", max_length=254)
    phone = forms.CharField(
        label="Phone (for the carrier)", max_length=32, required=False, help_text="With its country code if abroad."
    )
    line_one = forms.CharField(label="Address line 1", max_length=200)
    line_two = forms.CharField(label="Address line 2", max_length=200, required=False)
    city = forms.CharField(label="City", max_length=100)
    state = forms.CharField(label="State / county", max_length=100, required=False)
    postal_code = forms.CharField(label="Postal code", max_length=20)
    country = forms.ChoiceField(label="Country")

    def __init__(self, *args, ships: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.ships = ships
        self.fields["country"].choices = [(c, c) for c in settings.PARLEY_SHIPPING_COUNTRIES]
        if not ships:  # a plan: nothing is posted, so no address is asked for
            for name in ADDRESS_FIELDS:
                del self.fields[name]
        for field in self.fields.values():
            field.widget.attrs.setdefault("autocomplete", "on")

    def clean(self):
        data = super().clean()
        for name, value in list(data.items()):
            if isinstance(value, str):
                data[name] = _single_line(value)
        for name in ("name", "line_one", "city", "postal_code"):
            if name in self.fields and name in data and not data[name]:
                self.add_error(name, "This field is required.")
        if data.get("phone"):
            try:
                data["phone"] = phone_e164(data["phone"], region=data.get("country") or "")
            except ValueError:
                self.add_error("phone", "Enter a valid phone number, with its country code (e.g. +1 555 123 4567).")
        return data

    def stripe_details(self) -> dict:
        """The page's answers as a completed Stripe Checkout Session carries them."""
        data = self.cleaned_data
        details = {
            "customer_details": {
                "name": data["name"],
                "email": data["email"].lower(),
                "phone": data.get("phone") or None,
                "address": None,
            }
        }
        if self.ships:
            details["collected_information"] = {
                "shipping_details": {
                    "name": data["name"],
                    "address": {
                        "line1": data["line_one"],
                        "line2": data.get("line_two") or None,
                        "city": data["city"],
                        "state": data.get("state") or None,
                        "postal_code": data["postal_code"],
                        "country": data["country"],
                    },
                }
            }
        return details


class OrderShipForm(forms.Form):
    """The admin's "Mark shipped": the carrier and the parcel's tracking (checked again by the service)."""

    carrier = forms.CharField(max_length=80, help_text="e.g. UPS, USPS, Royal Mail")
    tracking_number = forms.CharField(max_length=80)
    tracking_url = forms.URLField(
        label="Tracking link", max_length=500, required=False, assume_scheme="https", help_text="The carrier's page."
    )
    note = forms.CharField(max_length=500, required=False, help_text="Kept in the audit trail.")


class OrderFulfilmentNoteForm(forms.Form):
    note = forms.CharField(max_length=500, required=False, help_text="Kept in the audit trail.")


class OrderRefundForm(forms.Form):
    """The admin's refund: an amount (at most what is left) through the refund service."""

    amount = forms.DecimalField(min_value=Decimal("0.01"), max_digits=12, decimal_places=2)
    reason = forms.CharField(max_length=500, required=False)
