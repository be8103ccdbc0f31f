"""RFC headers: Authorization, API-Version, Signature + Timestamp, Request-Id, and idempotency (§6)."""

import json
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from agentic.models import AcpCheckoutSession, AgentApiKey, IdempotencyRecord
from agentic.services.auth import signature_for
from agentic.services.idempotency import idempotency_records_purge, request_fingerprint
from agentic.tests.acp import ADDRESS, create_body, payment
from checkout.models import Order

pytestmark = pytest.mark.django_db


def test_the_api_key_is_required_and_only_its_hash_is_stored(acp, platform):
    assert acp.create(create_body(), key=False).status_code == 401
    wrong = acp.create(create_body(), key="acp_wrong")
    assert wrong.status_code == 401
    assert wrong.data["code"] == "invalid_api_key"
    assert wrong.headers["WWW-Authenticate"].startswith("Bearer")
    stored = AgentApiKey.objects.get()
    assert platform.raw_key not in stored.key_hash and len(stored.key_hash) == 64
    assert acp.get("acs_x", key=False).status_code == 401
    stored.is_active = False
    stored.save()
    assert acp.create(create_body()).status_code == 401
    assert not AcpCheckoutSession.objects.exists()


@pytest.mark.parametrize("version, code", [(None, "missing_api_version"), ("2025-09-29", "unsupported_api_version")])
def test_api_version_is_checked_and_the_supported_ones_listed(acp, version, code):
    response = acp.create(create_body(), headers={"API-Version": version})
    assert response.status_code == 400
    assert response.data["code"] == code
    assert response.data["supported_versions"] == ["2026-04-17"]
    get = acp.get("acs_x", headers={"API-Version": version})
    assert get.status_code == 400 and get.data["supported_versions"] == ["2026-04-17"]


def test_request_id_and_idempotency_key_are_echoed(acp):
    response = acp.create(create_body(), idempotency_key="key-1", headers={"Request-Id": "req_42"})
    assert response.headers["Request-Id"] == "req_42"
    assert response.headers["Idempotency-Key"] == "key-1"
    assert acp.get(response.data["id"], headers={"Request-Id": "req_43"}).headers["Request-Id"] == "req_43"


def test_refusals_before_the_idempotency_step_echo_the_key_too(acp, platform):
    unauthenticated = acp.create(create_body(), key=False, idempotency_key="echo-1")
    assert (unauthenticated.status_code, unauthenticated.headers["Idempotency-Key"]) == (401, "echo-1")
    wrong_key = acp.cancel("acs_x", key="acp_wrong", idempotency_key="echo-2")
    assert (wrong_key.status_code, wrong_key.headers["Idempotency-Key"]) == (401, "echo-2")
    version = acp.create(create_body(), idempotency_key="echo-3", headers={"API-Version": "1999-01-01"})
    assert (version.status_code, version.headers["Idempotency-Key"]) == (400, "echo-3")
    assert "param" not in version.data  # a header is not a JSONPath into the body
    platform.signing_secret = "whsec_test"
    platform.save()
    unsigned = acp.create(create_body(), idempotency_key="echo-4")
    assert (unsigned.status_code, unsigned.data["code"]) == (401, "invalid_signature")
    assert unsigned.headers["Idempotency-Key"] == "echo-4"
    # A key that is not a valid header value is refused and not echoed back.
    too_long = acp.create(create_body(), key=False, idempotency_key="k" * 256)
    assert too_long.status_code == 401 and "Idempotency-Key" not in too_long.headers
    assert acp.get("acs_x", key=False).headers.get("Idempotency-Key") is None  # GETs carry none


def test_every_post_needs_an_idempotency_key(acp):
    missing = acp.create(create_body(), idempotency_key=False)
    assert missing.status_code == 400
    assert missing.data == {
        "type": "invalid_request",
        "code": "idempotency_key_required",
        "message": "Idempotency-Key header is required on all POST requests",
    }
    too_long = acp.create(create_body(), idempotency_key="k" * 256)
    assert (too_long.status_code, too_long.data["code"]) == (400, "idempotency_key_invalid")
    assert "param" not in too_long.data
    assert acp.create(create_body(), idempotency_key="k" * 255).status_code == 201
    assert acp.cancel("acs_x", idempotency_key=False).data["code"] == "idempotency_key_required"


def test_same_key_same_body_replays_the_first_answer_without_doing_it_again(acp):
    first = acp.create(create_body(("PS11750057", 2)), idempotency_key="create-1")
    replay_body = json.loads(json.dumps(create_body(("PS11750057", 2))))
    replay_body = dict(reversed(list(replay_body.items())))  # another key order
    replay_body["line_items"][0]["quantity"] = 2.0  # 2.0 == 2
    replay = acp.create(replay_body, idempotency_key="create-1")
    assert replay.status_code == 201
    assert replay.data == first.data
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert AcpCheckoutSession.objects.count() == 1

    session_id = first.data["id"]
    paid = acp.complete(session_id, payment(), idempotency_key="pay-1")
    paid_again = acp.complete(session_id, payment(), idempotency_key="pay-1")
    assert (paid.status_code, paid_again.status_code) == (200, 200)
    assert paid_again.data["order"] == paid.data["order"]
    assert paid_again.headers["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1


def test_same_key_another_body_is_a_422_conflict(acp):
    acp.create(create_body(("PS11750057", 1)), idempotency_key="k1")
    conflict = acp.create(create_body(("PS11750057", 2)), idempotency_key="k1")
    assert conflict.status_code == 422
    assert conflict.data["code"] == "idempotency_conflict"
    session_id = AcpCheckoutSession.objects.get().id
    acp.update(session_id, {"buyer": {"email": "a@example.com"}}, idempotency_key="u1")
    # null is not absent: {"buyer": null} clears the buyer, so it is another request
    assert acp.update(session_id, {"buyer": None}, idempotency_key="u1").status_code == 422
    # arrays are ordered
    acp.update(session_id, {"line_items": [{"id": "PS11750057"}, {"id": "PS11750058"}]}, idempotency_key="u2")
    swapped = acp.update(session_id, {"line_items": [{"id": "PS11750058"}, {"id": "PS11750057"}]}, idempotency_key="u2")
    assert swapped.status_code == 422


def test_keys_are_scoped_to_the_endpoint_path(acp):
    first = acp.create(create_body(), idempotency_key="shared")
    other = acp.create(create_body(), idempotency_key="shared-2")
    assert acp.cancel(first.data["id"], idempotency_key="shared").status_code == 200
    assert acp.cancel(other.data["id"], idempotency_key="shared").status_code == 200
    assert AcpCheckoutSession.objects.filter(status="canceled").count() == 2


def test_client_errors_are_kept_and_replayed(acp):
    refused = acp.create(create_body(("PS00000000", 1)), idempotency_key="bad")
    again = acp.create(create_body(("PS00000000", 1)), idempotency_key="bad")
    assert (refused.status_code, again.status_code) == (400, 400)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert IdempotencyRecord.objects.get(key="bad").response_status == 400


def test_a_key_in_flight_is_409_with_retry_after_and_a_dead_claim_is_taken_over(acp, platform):
    body = create_body()
    record = IdempotencyRecord.objects.create(
        platform=platform,
        key="busy",
        path="/acp/checkout_sessions",
        request_hash=request_fingerprint(json.loads(json.dumps(body))),
        locked_until=timezone.now() + timedelta(seconds=60),
    )
    busy = acp.create(body, idempotency_key="busy")
    assert busy.status_code == 409
    assert busy.data["code"] == "idempotency_in_flight"
    assert 1 <= int(busy.headers["Retry-After"]) <= 5
    assert not AcpCheckoutSession.objects.exists()
    record.locked_until = timezone.now() - timedelta(seconds=1)
    record.save()
    assert acp.create(body, idempotency_key="busy").status_code == 201
    assert IdempotencyRecord.objects.get(key="busy").in_flight is False


def test_a_5xx_is_not_kept_and_the_retry_runs_afresh(acp, stripe_stub):
    session_id = acp.create(create_body()).data["id"]
    stripe_stub.fail_with = (500, {"error": {"type": "api_error", "message": "Stripe is down"}})
    down = acp.complete(session_id, payment("spt_ok"), idempotency_key="pay")
    assert down.status_code == 503
    assert down.data["type"] == "service_unavailable"
    assert not IdempotencyRecord.objects.filter(key="pay").exists()
    assert not Order.objects.exists()
    assert AcpCheckoutSession.objects.get().status == "ready_for_payment"
    stripe_stub.fail_with = None
    paid = acp.complete(session_id, payment("spt_ok"), idempotency_key="pay")
    assert paid.status_code == 200 and "Idempotent-Replayed" not in paid.headers
    assert Order.objects.count() == 1


def test_records_are_kept_24_hours_then_purged_and_an_old_key_is_new_again(acp, platform):
    acp.create(create_body(), idempotency_key="old")
    IdempotencyRecord.objects.filter(key="old").update(created_at=timezone.now() - timedelta(hours=23))
    assert idempotency_records_purge() == 0
    IdempotencyRecord.objects.filter(key="old").update(created_at=timezone.now() - timedelta(hours=49))
    fresh = acp.create(create_body(("PS11750058", 1)), idempotency_key="old")  # another body: no conflict now
    assert fresh.status_code == 201
    IdempotencyRecord.objects.filter(key="old").update(created_at=timezone.now() - timedelta(hours=49))
    assert idempotency_records_purge() == 1
    assert not IdempotencyRecord.objects.exists()
    with override_settings(ACP_IDEMPOTENCY_RETENTION_HOURS=72):
        acp.create(create_body(), idempotency_key="kept")
        IdempotencyRecord.objects.filter(key="kept").update(created_at=timezone.now() - timedelta(hours=49))
        assert idempotency_records_purge() == 0


def test_the_purge_task_runs_the_purge(acp):
    from agentic.tasks import idempotency_records_purge_task

    acp.create(create_body(), idempotency_key="x")
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(days=3))
    assert idempotency_records_purge_task.apply().get() == 1


def test_malformed_bodies_are_400s(acp):
    assert acp.create(None, raw="{not json").data["code"] == "invalid_json"
    assert acp.create(None, raw="[1, 2]").data["code"] == "invalid"
    assert acp.create(None, raw='{"currency": NaN}').data["code"] == "invalid_json"
    assert acp.create(None, raw="").data["code"] == "missing"
    nul = acp.create({**create_body(), "metadata": {"note": "a\x00b"}})
    assert (nul.status_code, nul.data["param"]) == (400, "$.metadata.note")
    # A key the agent chose is put in RFC 9535 bracket notation when it is not a plain name.
    odd = acp.create({**create_body(), "metadata": {"it's a key": ["x", "a\x00b"]}})
    assert odd.data["param"] == "$.metadata['it\\'s a key'][1]"
    address = acp.create({**create_body(), "fulfillment_details": {"address": {**ADDRESS, "floor no.": "2"}}})
    assert address.data["param"] == "$.fulfillment_details.address['floor no.']"
    deep = "[" * 5000 + "]" * 5000
    assert acp.create(None, raw='{"metadata": ' + deep + "}").status_code == 400


def test_lone_surrogates_and_deep_documents_are_400s_naming_where(acp):
    """Found by the outside attack run: a lone surrogate escape (valid JSON, not valid text) and a
    document nested a few hundred levels (under the parser's limit) were 500 internal_error (the
    idempotency fingerprint could not encode the one and recursed past the limit on the other)."""
    body = json.dumps(create_body())[:-1]
    surrogate = acp.create(None, raw=body + ', "metadata": {"note": "a\\ud800b"}}')
    assert (surrogate.status_code, surrogate.data["code"], surrogate.data["param"]) == (
        400,
        "invalid",
        "$.metadata.note",
    )
    in_key = acp.create(None, raw=body + ', "metadata": {"\\udfff": 1}}')
    assert (in_key.status_code, in_key.data["param"]) == (400, "$.metadata")
    nested = acp.create(None, raw=body + ', "metadata": ' + '{"a":' * 900 + "1" + "}" * 900 + "}")
    # Refused by the depth check with where it went too deep, or, in a process whose stack is
    # already deep (a pytest-xdist worker), by the parser's own recursion limit: a 400 either way.
    assert nested.status_code == 400
    assert nested.data["code"] == "invalid_json" or nested.data["param"].startswith("$.metadata.a.a.")
    shallow = acp.create(None, raw=body + ', "metadata": ' + '{"a":' * 40 + "1" + "}" * 40 + "}")
    assert (shallow.status_code, shallow.data["code"]) == (400, "invalid")
    assert shallow.data["param"].startswith("$.metadata.a.a.")
    assert AcpCheckoutSession.objects.count() == 0


class TestSignatures:
    @pytest.fixture
    def signed(self, platform):
        platform.signing_secret = "sign-secret"
        platform.save()
        return platform

    def _headers(self, body: bytes, *, secret="sign-secret", when=None, canonical=False):
        stamp = (when or timezone.now()).isoformat().replace("+00:00", "Z")
        if canonical:
            body = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
        return {"Signature": signature_for(secret=secret, timestamp=stamp, body=body), "Timestamp": stamp}

    def test_signed_requests_pass_and_unsigned_or_forged_ones_do_not(self, acp, signed):
        raw = json.dumps(create_body())
        assert acp.create(None, raw=raw, headers=self._headers(raw.encode())).status_code == 201
        assert acp.create(None, raw=raw, headers=self._headers(raw.encode(), canonical=True)).status_code == 201
        unsigned = acp.create(None, raw=raw)
        assert (unsigned.status_code, unsigned.data["code"]) == (401, "invalid_signature")
        forged = acp.create(None, raw=raw, headers=self._headers(raw.encode(), secret="guess"))
        assert forged.status_code == 401
        tampered = acp.create(None, raw=raw.replace("PS11750057", "PS11750058"), headers=self._headers(raw.encode()))
        assert tampered.status_code == 401
        assert AcpCheckoutSession.objects.count() == 2

    def test_the_timestamp_must_be_within_the_skew(self, acp, signed):
        raw = json.dumps(create_body())
        stale = self._headers(raw.encode(), when=timezone.now() - timedelta(seconds=301))
        assert acp.create(None, raw=raw, headers=stale).status_code == 401
        early = self._headers(raw.encode(), when=timezone.now() + timedelta(seconds=200))
        assert acp.create(None, raw=raw, headers=early).status_code == 201
        garbage = {**self._headers(raw.encode()), "Timestamp": "yesterday"}
        assert acp.create(None, raw=raw, headers=garbage).status_code == 401

    def test_a_signed_body_with_a_lone_surrogate_is_a_400_not_a_500(self, acp, signed):
        # The canonical form the signature may be over cannot be written as UTF-8: the raw body's
        # signature still counts, and the body is refused as text, not as a server failure.
        raw = json.dumps({**create_body(), "metadata": {"note": "\ud800"}})
        assert "\\ud800" in raw
        refused = acp.create(None, raw=raw, headers=self._headers(raw.encode()))
        assert (refused.status_code, refused.data["param"]) == (400, "$.metadata.note")
        forged = acp.create(None, raw=raw, headers=self._headers(raw.encode(), secret="guess"))
        assert (forged.status_code, forged.data["code"]) == (401, "invalid_signature")

    def test_get_signs_an_empty_body(self, acp, signed):
        raw = json.dumps(create_body())
        session_id = acp.create(None, raw=raw, headers=self._headers(raw.encode())).data["id"]
        assert acp.get(session_id, headers=self._headers(b"")).status_code == 200
        assert acp.get(session_id).status_code == 401
