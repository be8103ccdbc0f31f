"""The offline test provider's hosted checkout page (what Stripe's hosted page is in production)."""

from django.conf import settings
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.views import View

from checkout.enums import CheckoutMode, CheckoutStatus
from checkout.forms import EXAMPLE_ADDRESS, EXAMPLE_CONTACT, OfflineCheckoutForm
from checkout.selectors import checkout_session_get
from checkout.services.offline_payments import offline_checkout_settle


def _initial(session) -> dict:
    """The payer's contact where the conversation knows it, else the example's; the example address
    for parts (this page is a test double: it offers values as a test card number is offered)."""
    customer = session.customer or (session.conversation.customer if session.conversation else None)
    known = {"name": customer.name, "email": customer.email, "phone": customer.phone} if customer else {}
    initial = {**EXAMPLE_CONTACT, **{key: value for key, value in known.items() if value}}
    if session.mode == CheckoutMode.PAYMENT:
        initial = {**EXAMPLE_ADDRESS, **initial}
    return initial


class TestCheckoutPageView(View):
    template_name = "checkout/test_checkout.html"

    def _session(self, session_id: str):
        if not settings.PARLEY_OFFLINE_PAYMENTS:
            raise Http404("No such checkout session.")  # production: nobody "pays" here
        session = checkout_session_get(session_id=session_id)
        if session is None or session.provider != "test":
            raise Http404("No such checkout session.")
        return session

    def _context(self, session, **extra) -> dict:
        # Relative, so it returns to whichever host served this page; the chat checks the
        # conversation's token itself (the id alone opens nothing).
        chat_url = f"/?conversation={session.conversation_id}" if session.conversation_id else ""
        return {"session": session, "chat_url": chat_url, "form": self._form(session), **extra}

    def _form(self, session, data=None) -> OfflineCheckoutForm:
        ships = session.mode == CheckoutMode.PAYMENT
        if data is None:
            return OfflineCheckoutForm(initial=_initial(session), ships=ships)
        return OfflineCheckoutForm(data, ships=ships)

    def get(self, request, session_id: str):
        return render(request, self.template_name, self._context(self._session(session_id)))

    def post(self, request, session_id: str):
        session = self._session(session_id)
        outcome = request.POST.get("outcome", "")
        if outcome not in ("pay", "fail") or session.status != CheckoutStatus.OPEN:
            return render(
                request, self.template_name, self._context(session, error="This checkout is closed."), status=409
            )
        collected = None
        if outcome == "pay":
            form = self._form(session, request.POST)
            if not form.is_valid():
                context = self._context(session, form=form, error="Please check the highlighted details.")
                return render(request, self.template_name, context, status=400)
            collected = form.stripe_details()
        offline_checkout_settle(session=session, outcome=outcome, collected=collected)
        # Relative, so it returns to whichever host served this page.
        result = "success" if outcome == "pay" else "cancel"
        return HttpResponseRedirect(f"/?conversation={session.conversation_id or ''}&checkout={result}")
