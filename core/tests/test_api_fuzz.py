"""Schema-driven fuzzing of our own API: schemathesis generates requests from /api/schema/ (the
OpenAPI document drf-spectacular serves) and sends them through Django's test client, anonymous,
with a real conversation's token, with another customer's token, or as staff. No answer is a 5xx,
nothing logs a traceback, and the other customer never gets a 2xx on the first one's conversation.

Twice: with data the schema allows (reaching the code behind each refusal), and with data it does
not (schemathesis' negative mode: wrong types, numbers out of range, required fields missing,
unknown enum values, strings too long), which only refusals may answer.

Bounded and in-process (core.testing.fuzz), like the ACP fuzz in agentic/tests/test_acp_fuzz.py; CI runs it on PostgreSQL, where NUL characters used to be 500s."""

import json
import logging
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode

from core.testing.fuzz import case_send, schema_fuzz

pytestmark = pytest.mark.django_db

CASES_PER_OPERATION = {GenerationMode.POSITIVE: 30, GenerationMode.NEGATIVE: 15}


@pytest.fixture
def unthrottled(settings):
    """Limits off, so generated requests reach the code behind them instead of a 429."""
    for name in (
        "PARLEY_CONVERSATIONS_RATE_PER_ADDRESS",
        "PARLEY_CONVERSATIONS_RATE_PER_EMAIL",
        "PARLEY_CHECKOUT_RATE_PER_ADDRESS",
        "PARLEY_CHECKOUT_RATE_PER_CUSTOMER",
        "PARLEY_DISCOUNT_RATE_PER_ADDRESS",
        "PARLEY_DISCOUNT_RATE_PER_CUSTOMER",
        "ALERTS_RATE_LIMIT_PER_IP",
        "ALERTS_RATE_LIMIT_PER_CONTACT",
    ):
        setattr(settings, name, "0/m")
    settings.PARLEY_RATE_LIMIT_PER_MINUTE = settings.PARLEY_RATE_LIMIT_PER_HOUR = 0
    settings.PARLEY_ANALYTICS_RATE_REQUESTS = settings.PARLEY_ANALYTICS_RATE_EVENTS = 10**9


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda mode: mode.value)
def test_generated_requests_never_get_a_5xx_nor_a_traceback(mode, shop, unthrottled, django_user_model, caplog):
    from checkout.services.price_book import price_book_import

    # The demo price book, so plan quotes and checkouts run for real (without one: 503 price_book_missing).
    price_book_import(data=json.loads((Path(django_settings.BASE_DIR) / "demo_data" / "price_book.json").read_text()))
    anonymous, customer, staff = Client(), Client(), Client()
    staff_user = django_user_model.objects.create_user(username="fuzz", password="x", is_staff=True)
    staff.force_login(staff_user)
    started = anonymous.post("/api/chat/conversations", {}, content_type="application/json").json()
    reply = anonymous.post(
        f"/api/chat/conversations/{started['id']}/messages",
        {"content": "Is PS11750057 compatible with my WDT780SAEM1?"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {started['token']}",
    ).json()["reply"]
    from checkout.tests.factories import OrderFactory
    from conversations.models import SavedReply

    stranger = anonymous.post("/api/chat/conversations", {}, content_type="application/json").json()
    order = OrderFactory(shipping_address={"line_one": "1 Main St", "city": "X", "country": "US"})
    saved = SavedReply.objects.create(title="Hello", body="Hi {{ customer.name }}, order {{ order.number }}.")
    real = {
        "conversation_id": started["id"],
        "action_id": reply["actions"][0]["id"],
        "ps_number": "PS11750057",
        "model_number": "WDT780SAEM1",
        "number": order.number,
        "saved_reply_id": saved.pk,
        "operator_id": staff_user.pk,
    }
    leaks = []
    document = json.loads(anonymous.get("/api/schema/?format=json").content)
    caplog.set_level(logging.ERROR)

    def send(case, who, honest):
        if honest:  # real ids, so the cases get past "not found" into the code behind it
            for name in case.path_parameters or {}:
                if name in real:
                    case.path_parameters[name] = real[name]
            if isinstance(case.body, dict):  # and the ids a body names
                for name in case.body:
                    if name in real:
                        case.body[name] = real[name]
        headers = {}
        if who in ("customer", "stranger"):
            headers["Authorization"] = f"Bearer {(started if who == 'customer' else stranger)['token']}"
        client = {"anonymous": anonymous, "customer": customer, "stranger": customer, "staff": staff}[who]
        sent = case_send(client, case, headers=headers)
        named = sent.path + json.dumps(sent.body, default=str)  # the first customer's ids, in path or body
        theirs = started["id"] in named or real["action_id"] in named
        if who == "stranger" and theirs and sent.response.status_code < 300:
            leaks.append((sent.method, sent.path, sent.response.status_code, sent.response.content[:200]))
        return sent

    outcome = schema_fuzz(
        document,
        cases_per_operation=CASES_PER_OPERATION[mode],
        mode=mode,
        send=send,
        who=st.sampled_from(["anonymous", "customer", "stranger", "staff"]),
        honest=st.booleans(),
    )

    tracebacks = [r for r in caplog.records if r.levelno >= logging.ERROR]
    print(
        f"api fuzz ({mode.value}): {outcome.cases} cases, statuses {dict(sorted(outcome.statuses.items()))}, nothing to break in {len(outcome.unbreakable)}"
    )
    assert not outcome.server_errors, outcome.server_errors[:5]
    assert not leaks, leaks[:5]
    assert not tracebacks, [r.getMessage() for r in tracebacks[:5]]
    assert outcome.cases >= 15 * CASES_PER_OPERATION[mode]
    if mode == GenerationMode.POSITIVE:
        assert any(200 <= status < 300 for status in outcome.statuses), outcome.statuses
    else:  # mostly refused as invalid, not waved through
        assert outcome.statuses[400] >= outcome.cases // 10, outcome.statuses
