"""Approve / deny in the Django admin, single and bulk, through the same service."""

import pytest

from actions.models import Action, ActionResponse
from actions.tests.factories import ActionFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def admin_client(client, django_user_model):
    user = django_user_model.objects.create_superuser(username="root", password="pw-root-1234", email="r@x.io")
    client.force_login(user)
    return client


def test_bulk_approve_decides_the_pending_and_reports_the_rest(admin_client, pending_action):
    first = pending_action(type="policy_exception", payload={"reason": "a"})
    second = pending_action(type="policy_exception", payload={"reason": "b"})
    not_pending = ActionFactory(conversation=first.conversation, type="policy_clarification", payload={})

    response = admin_client.post(
        "/admin/actions/action/",
        {"action": "approve_selected", "_selected_action": [first.pk, second.pk, not_pending.pk]},
        follow=True,
    )

    assert response.status_code == 200
    statuses = dict(Action.objects.values_list("pk", "status"))
    assert statuses[first.pk] == statuses[second.pk] == "succeeded"
    assert statuses[not_pending.pk] == "rendered"
    assert Action.objects.get(pk=first.pk).decided_by.username == "root"
    text = response.content.decode()
    assert "2 action(s) approved" in text and "not waiting for a decision" in text


def test_bulk_deny(admin_client, pending_action):
    action = pending_action(type="policy_exception", payload={})
    admin_client.post("/admin/actions/action/", {"action": "deny_selected", "_selected_action": [action.pk]})
    assert Action.objects.get(pk=action.pk).status == "denied"


def test_single_decision_from_the_change_page_with_a_reply(admin_client, pending_action):
    action = pending_action(type="policy_exception", payload={}, label="Late return")
    page = admin_client.get(f"/admin/actions/action/{action.pk}/change/").content.decode()
    assert 'name="_approve"' in page and 'name="_deny"' in page

    response = admin_client.post(
        f"/admin/actions/action/{action.pk}/change/", {"_approve": "Approve", "_reply_text": "Sure."}
    )

    assert response.status_code == 302
    action.refresh_from_db()
    assert action.status == "succeeded" and action.decision_note == "Sure."
    assert ActionResponse.objects.get(action=action).text.endswith("Sure.")
    page = admin_client.get(f"/admin/actions/action/{action.pk}/change/").content.decode()
    assert 'name="_approve"' not in page  # decided: no buttons

    admin_client.post(f"/admin/actions/action/{action.pk}/change/", {"_deny": "Deny"})
    assert Action.objects.get(pk=action.pk).status == "succeeded"
    assert ActionResponse.objects.filter(action=action).count() == 1


def test_staff_who_can_see_actions_can_decide_as_in_the_api(client, django_user_model, pending_action):
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user(username="viewer", password="pw-12345678", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_action"))
    client.force_login(user)
    action = pending_action(type="policy_exception", payload={})

    client.post(f"/admin/actions/action/{action.pk}/change/", {"_approve": "Approve"})

    # Deciding is the operator's job (staff, as in the API); editing the row stays impossible.
    assert Action.objects.get(pk=action.pk).status == "succeeded"


def test_staff_without_access_to_actions_cannot_decide(client, django_user_model, pending_action):
    user = django_user_model.objects.create_user(username="nobody", password="pw-12345678", is_staff=True)
    client.force_login(user)
    action = pending_action(type="policy_exception", payload={})

    response = client.post(f"/admin/actions/action/{action.pk}/change/", {"_approve": "Approve"})

    assert response.status_code == 403
    assert Action.objects.get(pk=action.pk).status == "pending_approval"
