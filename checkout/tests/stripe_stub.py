"""A local HTTP server that answers like Stripe's API, for the real `stripe` SDK to talk to."""

import threading
import urllib.parse

from core.testing.http_stub import LocalServer, QuietHandler


class StripeStub(LocalServer):
    def __init__(self):
        self.requests: list[dict] = []
        self.fail_with: tuple[int, dict] | None = None
        self.refunds: dict[str, dict] = {}  # by idempotency key, as Stripe replays them
        self.refunded: dict[str, int] = {}  # payment intent -> minor units refunded
        self.charge_amounts: dict[str, int] = {}  # payment intent -> minor units charged, when known
        self.coupons: dict[str, int] = {}  # coupon id -> amount_off
        self.payment_intents: dict[str, tuple[int, dict]] = {}  # by idempotency key, as Stripe replays them
        self.sessions: dict[str, dict] = {}  # checkout sessions by idempotency key, as Stripe replays them
        # Set `hold` to keep every answer waiting until it is set again; `arrived` says a request is waiting.
        self.hold: threading.Event | None = None
        self.arrived = threading.Event()
        stub = self

        class Handler(QuietHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length).decode()
                form = urllib.parse.parse_qs(body)
                stub.requests.append({"path": self.path, "headers": dict(self.headers), "form": form})
                if stub.hold is not None:
                    stub.arrived.set()
                    stub.hold.wait(30)
                if stub.fail_with:
                    status, payload = stub.fail_with
                elif self.path == "/v1/refunds":
                    status, payload = stub.refund_for(form, self.headers.get("Idempotency-Key", ""))
                elif self.path == "/v1/payment_intents":
                    status, payload = stub.payment_intent_for(form, self.headers.get("Idempotency-Key", ""))
                elif self.path == "/v1/coupons":
                    status, payload = 200, stub.coupon_for(form)
                elif self.path.startswith("/v1/checkout/sessions/") and self.path.endswith("/expire"):
                    status, payload = (
                        200,
                        {"id": self.path.split("/")[4], "object": "checkout.session", "status": "expired"},
                    )
                else:
                    status, payload = 200, stub.session_for(form, self.headers.get("Idempotency-Key", ""))
                self.reply_json(status, payload, headers={"Request-Id": "req_stub"})

        super().__init__(Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # What the stub's "dashboard" has for price ids sent by reference (minor units).
    prices = {"price_email_standard": 9900, "price_addon_standard": 3500}

    def session_for(self, form: dict, idempotency_key: str = "") -> dict:
        if idempotency_key and idempotency_key in self.sessions:
            return self.sessions[idempotency_key]
        total, currency, i = 0, "", 0
        while f"line_items[{i}][quantity]" in form:
            quantity = int(form[f"line_items[{i}][quantity]"][0])
            if f"line_items[{i}][price]" in form:
                total += self.prices.get(form[f"line_items[{i}][price]"][0], 0) * quantity
                currency = currency or "gbp"
            else:
                total += int(form[f"line_items[{i}][price_data][unit_amount]"][0]) * quantity
                currency = form[f"line_items[{i}][price_data][currency]"][0]
            i += 1
        coupon = form.get("discounts[0][coupon]", [""])[0]
        total -= self.coupons.get(coupon, 0)
        number = len(self.requests)
        session = {
            "id": f"cs_test_stub{number}",
            "object": "checkout.session",
            "url": f"https://checkout.stripe.test/c/pay/cs_test_stub{number}",
            "amount_total": total,
            "currency": currency,
            "mode": form["mode"][0],
            "status": "open",
            "payment_status": "unpaid",
            "client_reference_id": form["client_reference_id"][0],
        }
        if idempotency_key:
            self.sessions[idempotency_key] = session
        return session

    def coupon_for(self, form: dict) -> dict:
        coupon_id = f"coupon_stub{len(self.coupons) + 1}"
        self.coupons[coupon_id] = int(form["amount_off"][0])
        return {"id": coupon_id, "object": "coupon", "amount_off": self.coupons[coupon_id], "duration": "once"}

    def refund_for(self, form: dict, idempotency_key: str) -> tuple[int, dict]:
        if idempotency_key and idempotency_key in self.refunds:
            return 200, self.refunds[idempotency_key]
        intent = form.get("payment_intent", [""])[0]
        if not intent.startswith("pi_"):
            return 400, {"error": {"type": "invalid_request_error", "message": f"No such payment_intent: '{intent}'"}}
        amount = int(form["amount"][0])
        charged = self.charge_amounts.get(intent)
        if charged is not None and self.refunded.get(intent, 0) + amount > charged:
            return 400, {
                "error": {
                    "type": "invalid_request_error",
                    "code": "charge_already_refunded",
                    "message": "Refund amount is greater than unrefunded amount on charge",
                }
            }
        self.refunded[intent] = self.refunded.get(intent, 0) + amount
        refund = {
            "id": f"re_stub{len(self.refunds) + 1}",
            "object": "refund",
            "amount": amount,
            "currency": "usd",
            "payment_intent": intent,
            "reason": form.get("reason", [None])[0],
            "metadata": {k[len("metadata[") : -1]: v[0] for k, v in form.items() if k.startswith("metadata[")},
            "status": "succeeded",
        }
        self.refunds[idempotency_key] = refund
        return 200, refund

    def payment_intent_for(self, form: dict, idempotency_key: str) -> tuple[int, dict]:
        """A PaymentIntent confirmed with a shared payment token (`spt_…`).

        `spt_decline…` is declined (402 card_error), `spt_3ds…` needs 3-D Secure unless a
        cryptogram comes with it, anything not `spt_…` is an unknown token (400); else paid.
        """
        if idempotency_key and idempotency_key in self.payment_intents:
            return self.payment_intents[idempotency_key]
        token = form.get("payment_method_data[shared_payment_granted_token]", [""])[0]
        amount = int(form["amount"][0])
        intent_id = f"pi_stub{len(self.payment_intents) + 1}"
        intent = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": amount,
            "currency": form["currency"][0],
            "metadata": {k[len("metadata[") : -1]: v[0] for k, v in form.items() if k.startswith("metadata[")},
            "status": "succeeded",
        }
        if not token.startswith("spt_"):
            result = (400, {"error": {"type": "invalid_request_error", "message": f"No such token: '{token}'"}})
        elif token.startswith("spt_decline"):
            result = (
                402,
                {
                    "error": {
                        "type": "card_error",
                        "code": "card_declined",
                        "decline_code": "generic_decline",
                        "message": "Your card was declined.",
                        "payment_intent": {**intent, "status": "requires_payment_method"},
                    }
                },
            )
        elif token.startswith("spt_3ds") and "payment_method_options[card][three_d_secure][cryptogram]" not in form:
            result = (200, {**intent, "status": "requires_action"})
        else:
            self.charge_amounts[intent_id] = amount
            result = (200, intent)
        if idempotency_key:
            self.payment_intents[idempotency_key] = result
        return result
