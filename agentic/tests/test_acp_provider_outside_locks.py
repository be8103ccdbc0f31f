"""Completing an ACP session holds no row lock while the provider charges: lock, mark the session
`in_progress` with its checkout session, commit, charge with the checkout session's idempotency
key, record. The real stripe SDK against the local Stripe stub, which can hold its answer."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from agentic.enums import AcpStatus
from agentic.models import AcpCheckoutSession
from agentic.tests.acp import AcpClient, create_body, payment
from checkout import gateway
from checkout.models import CheckoutSession, Order
from checkout.providers.base import DelegatedChargeRequest
from core.testing.locks import lock_and_write

pytestmark = pytest.mark.django_db(transaction=True)


def _intents(stub):
    return [r for r in stub.requests if r["path"] == "/v1/payment_intents"]


def test_the_session_is_not_locked_while_the_provider_charges(acp, platform, stripe_stub):
    session_id = acp.create(create_body(("PS11750057", 2))).data["id"]
    stripe_stub.hold = threading.Event()
    outcome = {}

    def complete():
        try:
            agent = AcpClient(Client(), platform.raw_key)
            outcome["paid"] = agent.complete(session_id, payment("spt_live_1"))
        finally:
            connection.close()

    thread = threading.Thread(target=complete)
    thread.start()
    try:
        assert stripe_stub.arrived.wait(20)
        # Meanwhile, on another connection: the session row can be locked and written at once …
        lock_and_write(AcpCheckoutSession, session_id, locale="en-GB")
        # … the agent sees it being completed, and a second completion charges nothing.
        assert acp.get(session_id).data["status"] == "in_progress"
        second = acp.complete(session_id, payment("spt_live_2"))
        assert (second.status_code, second.data["code"]) == (409, "checkout_session_in_progress")
        assert second["Retry-After"]
        refused_update = acp.update(session_id, {"buyer": {"email": "b@example.com"}})
        assert refused_update.status_code == 409
    finally:
        stripe_stub.hold.set()
        thread.join(30)
    assert outcome["paid"].status_code == 200
    assert outcome["paid"].data["status"] == "completed"
    assert len(_intents(stripe_stub)) == 1
    assert Order.objects.count() == 1


def test_the_in_progress_answer_is_not_stored_for_its_idempotency_key(acp, stripe_stub):
    session_id = acp.create(create_body()).data["id"]
    AcpCheckoutSession.objects.filter(pk=session_id).update(status=AcpStatus.IN_PROGRESS, updated_at=timezone.now())
    busy = acp.complete(session_id, payment("spt_live_1"), idempotency_key="k-1")
    assert busy.status_code == 409
    AcpCheckoutSession.objects.filter(pk=session_id).update(status=AcpStatus.READY_FOR_PAYMENT)

    # The same key again, once the other completion is over: this request's own outcome.
    again = acp.complete(session_id, payment("spt_live_1"), idempotency_key="k-1")
    assert again.status_code == 200 and again.data["status"] == "completed"


def test_a_completion_whose_process_died_is_resumed_with_the_same_charge(acp, stripe_stub, settings):
    settings.ACP_COMPLETE_LEASE_SECONDS = 60
    session_id = acp.create(create_body()).data["id"]
    stripe_stub.hold = threading.Event()
    stripe_stub.hold.set()  # answer at once; only `arrived` is wanted
    # The first completion marked the session, its provider charged, then the process died.
    acp_session = AcpCheckoutSession.objects.get(pk=session_id)
    from agentic.services.sessions import _complete_begin

    checkout_session, *_ = _complete_begin(
        platform=acp_session.platform,
        session_id=session_id,
        body={"payment_data": payment("spt_live_1")["payment_data"]},
    )
    charged = gateway.delegated_charge(
        DelegatedChargeRequest(
            reference=checkout_session.id,
            idempotency_key=f"{checkout_session.idempotency_key}:charge",
            token="spt_live_1",
            amount=checkout_session.amount_total,
            currency=checkout_session.currency,
        )
    )
    assert charged.status == "succeeded" and not Order.objects.exists()

    # Within the lease: another request is told to wait.
    assert acp.complete(session_id, payment("spt_live_1")).status_code == 409
    # After it: resumed with the same checkout session and key, so the provider's same charge.
    AcpCheckoutSession.objects.filter(pk=session_id).update(updated_at=timezone.now() - timedelta(seconds=61))
    paid = acp.complete(session_id, payment("spt_live_1"))

    assert paid.status_code == 200 and paid.data["status"] == "completed"
    keys = {r["headers"]["Idempotency-Key"] for r in _intents(stripe_stub)}
    assert keys == {f"{checkout_session.idempotency_key}:charge"}
    assert len(stripe_stub.charge_amounts) == 1  # one payment intent charged
    assert Order.objects.get().provider_payment_ref == charged.provider_ref
    assert CheckoutSession.objects.count() == 1


def test_an_unreachable_provider_leaves_the_session_payable_with_the_same_key(acp, stripe_stub):
    session_id = acp.create(create_body()).data["id"]
    stripe_stub.fail_with = (500, {"error": {"type": "api_error", "message": "Stripe is down"}})

    down = acp.complete(session_id, payment("spt_live_1"))
    assert (down.status_code, down.data["code"]) == (503, "payment_provider_unavailable")
    assert acp.get(session_id).data["status"] == "ready_for_payment"

    stripe_stub.fail_with = None
    paid = acp.complete(session_id, payment("spt_live_1"))
    assert paid.status_code == 200
    assert CheckoutSession.objects.count() == 1  # the same checkout session, so the same charge key
    assert {r["headers"]["Idempotency-Key"] for r in _intents(stripe_stub)} == {
        f"{CheckoutSession.objects.get().idempotency_key}:charge"
    }
    assert Order.objects.count() == 1
