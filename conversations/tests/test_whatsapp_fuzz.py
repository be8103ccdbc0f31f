"""Signed WhatsApp webhook bodies of any shape: Meta's envelope with its fields replaced by any
JSON (wrong types, missing parts, unknown message types, statuses of messages never sent, taps
of actions that are not there), all correctly signed. Every one is answered below 500 and
nothing logs a traceback: a verified sender can still send what the code does not expect."""

import contextlib
import json
import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conversations.tests import whatsapp_webhooks as wh
from conversations.tests.test_whatsapp import wa  # noqa: F401 (fixture)
from core.testing.fuzz import bounded, json_values

pytestmark = pytest.mark.django_db(transaction=True)

values = json_values(
    st.one_of(
        st.text(max_size=20),
        st.sampled_from(["", "text", "interactive", "image", "button_reply", "read", "failed", "act_x", "9" * 40]),
    )
)
PATHS = [
    ("entry",),
    ("entry", 0),
    ("entry", 0, "changes"),
    ("entry", 0, "changes", 0, "value"),
    ("entry", 0, "changes", 0, "field"),
    ("entry", 0, "changes", 0, "value", "metadata"),
    ("entry", 0, "changes", 0, "value", "contacts"),
    ("entry", 0, "changes", 0, "value", "messages"),
    ("entry", 0, "changes", 0, "value", "messages", 0),
    ("entry", 0, "changes", 0, "value", "messages", 0, "type"),
    ("entry", 0, "changes", 0, "value", "messages", 0, "from"),
    ("entry", 0, "changes", 0, "value", "messages", 0, "id"),
    ("entry", 0, "changes", 0, "value", "messages", 0, "timestamp"),
    ("entry", 0, "changes", 0, "value", "messages", 0, "text"),
    ("entry", 0, "changes", 0, "value", "messages", 0, "interactive"),
    ("entry", 0, "changes", 0, "value", "statuses"),
    ("entry", 0, "changes", 0, "value", "statuses", 0),
    ("entry", 0, "changes", 0, "value", "statuses", 0, "status"),
    ("entry", 0, "changes", 0, "value", "statuses", 0, "timestamp"),
    ("entry", 0, "changes", 0, "value", "statuses", 0, "errors"),
]


def _base(kind: int) -> dict:
    if kind == 0:
        return wh.envelope(messages=[wh.text("Is PS11750057 compatible with my WDT780SAEM1?")])
    if kind == 1:
        return wh.envelope(messages=[wh.tap("act_nothere", "Buy")])
    return wh.envelope(statuses=[wh.status(wh.wamid(), "delivered")])


def _replace(body, path, value):
    node = body
    for step in path[:-1]:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return body
    with contextlib.suppress(IndexError, TypeError):
        node[path[-1]] = value
    return body


def test_any_signed_body_is_answered_below_500_without_a_traceback(client, shop, wa, caplog):  # noqa: F811
    caplog.set_level(logging.ERROR)
    seen = {}

    @bounded(60)
    @given(kind=st.integers(0, 2), changes=st.lists(st.tuples(st.sampled_from(PATHS), values), max_size=3))
    def run(kind, changes):
        body = _base(kind)
        for path, value in changes:
            body = _replace(body, path, value)
        raw = json.dumps(body).encode()
        response = client.post(
            "/webhooks/whatsapp", data=raw, content_type="application/json", HTTP_X_HUB_SIGNATURE_256=wh.sign(raw)
        )
        seen[response.status_code] = seen.get(response.status_code, 0) + 1
        assert response.status_code < 500, (body, response.content[:200])

    run()
    tracebacks = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    print("whatsapp fuzz statuses", dict(sorted(seen.items())))
    assert not tracebacks, tracebacks[:3]
