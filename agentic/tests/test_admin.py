import re

import pytest
from django.contrib.auth.models import User

from agentic.models import AgentApiKey, AgentPlatform
from agentic.services.auth import platform_authenticate

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    client.force_login(User.objects.create_superuser("ops", "ops@example.com", "pw"))
    return client


def test_a_new_platform_gets_a_key_shown_once_and_stored_as_a_hash(staff):
    response = staff.post(
        "/admin/agentic/agentplatform/add/",
        {
            "name": "ChatGPT",
            "slug": "chatgpt",
            "is_active": "on",
            "signing_secret": "",
            "webhook_url": "https://openai.example.com/agentic_checkout/webhooks/order_events",
            "webhook_secret": "whsec_1",
            "api_keys-TOTAL_FORMS": "0",
            "api_keys-INITIAL_FORMS": "0",
        },
        follow=True,
    )
    page = response.content.decode()
    key = re.search(r"<code>(acp_[\w-]+)</code>", page)[1]
    platform = AgentPlatform.objects.get()
    stored = AgentApiKey.objects.get()
    assert key not in (stored.key_hash, stored.prefix) and key.startswith(stored.prefix)
    assert platform_authenticate(authorization=f"Bearer {key}") == platform
    assert key not in staff.get(f"/admin/agentic/agentplatform/{platform.pk}/change/").content.decode()


def test_the_issue_key_action_adds_a_working_key(staff, platform):
    response = staff.post(
        "/admin/agentic/agentplatform/",
        {"action": "issue_api_key", "_selected_action": [platform.pk]},
        follow=True,
    )
    key = re.search(r"<code>(acp_[\w-]+)</code>", response.content.decode())[1]
    assert AgentApiKey.objects.filter(platform=platform).count() == 2
    assert platform_authenticate(authorization=f"Bearer {key}") == platform


def test_sessions_and_idempotency_records_are_readable(staff, acp):
    from agentic.tests.acp import create_body

    session_id = acp.create(create_body()).data["id"]
    assert session_id in staff.get("/admin/agentic/acpcheckoutsession/").content.decode()
    assert staff.get(f"/admin/agentic/acpcheckoutsession/{session_id}/change/").status_code == 200
    assert staff.get("/admin/agentic/idempotencyrecord/").status_code == 200
