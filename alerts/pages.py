"""The pages behind the signed links of alert messages: confirm the opt-in, unsubscribe in one click.

Both are GET pages (the link in the message is the click), token-authorised, so no login and
no CSRF token: the signed, expiring token is the proof. The unsubscribe URL also takes the
RFC 8058 one-click POST mail clients send (`List-Unsubscribe=One-Click`).
"""

from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from alerts import tokens
from alerts.enums import SubscriptionStatus
from alerts.services.subscriptions import subscription_confirm, subscription_unsubscribe
from core.exceptions import ApplicationError


def _page(request, template: str, context: dict, status: int = 200):
    from django.conf import settings

    response = render(request, template, {"shop_name": settings.PARLEY_SHOP_NAME, **context}, status=status)
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"  # the token is in the URL
    return response


def _refused(request, exc: ApplicationError):
    status = 404 if exc.code == "subscription_not_found" else 400
    return _page(request, "alerts/link_invalid.html", {"code": exc.code, "detail": exc.detail}, status=status)


class AlertConfirmPage(View):
    def get(self, request, token: str):
        try:
            subscription_id = tokens.subscription_token_read(token=token, purpose=tokens.CONFIRM)
            subscription = subscription_confirm(subscription_id=subscription_id)
        except ApplicationError as exc:
            return _refused(request, exc)
        return _page(
            request,
            "alerts/confirmed.html",
            {
                "subscription": subscription,
                "product": subscription.product,
                "active": subscription.status == SubscriptionStatus.ACTIVE,
                "unsubscribe_url": tokens.unsubscribe_url(subscription.id),
            },
        )


@method_decorator(csrf_exempt, name="dispatch")
class AlertUnsubscribePage(View):
    def get(self, request, token: str):
        return self._unsubscribe(request, token)

    def post(self, request, token: str):
        return self._unsubscribe(request, token)

    def _unsubscribe(self, request, token: str):
        try:
            subscription_id = tokens.subscription_token_read(token=token, purpose=tokens.UNSUBSCRIBE)
            subscription = subscription_unsubscribe(subscription_id=subscription_id)
        except ApplicationError as exc:
            return _refused(request, exc)
        return _page(
            request, "alerts/unsubscribed.html", {"subscription": subscription, "product": subscription.product}
        )
