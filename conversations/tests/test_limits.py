"""Opening conversations is limited per client address and per e-mail, also under concurrency."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from conversations.models import Conversation

START = "/api/chat/conversations"


@pytest.mark.django_db
def test_conversations_per_address_are_limited(api, settings):
    settings.PARLEY_CONVERSATIONS_RATE_PER_ADDRESS = "20/m,200/h"

    statuses = [api.post(START, {}, format="json").status_code for _ in range(21)]  # was: 100 of 100 created

    assert statuses == [201] * 20 + [429]
    refused = api.post(START, {}, format="json")
    assert refused.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(refused["Retry-After"]) <= 61
    assert api.post(START, {}, format="json", REMOTE_ADDR="10.1.1.1").status_code == 201
    assert Conversation.objects.count() == 21


@pytest.mark.django_db
def test_conversations_per_email_are_limited_from_any_address(api, settings):
    settings.PARLEY_CONVERSATIONS_RATE_PER_EMAIL = "3/m"
    body = {"email": "Ana@Example.com"}

    statuses = [api.post(START, body, format="json", REMOTE_ADDR=f"10.2.0.{i}").status_code for i in range(4)]

    assert statuses == [201, 201, 201, 429]


@pytest.mark.django_db
def test_the_address_behind_the_proxy_is_the_one_counted(api, settings):
    settings.PARLEY_CONVERSATIONS_RATE_PER_ADDRESS = "2/m"
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    proxy = {"REMOTE_ADDR": "10.9.9.9"}

    first = [api.post(START, {}, format="json", HTTP_X_FORWARDED_FOR="203.0.113.5", **proxy) for _ in range(3)]
    other = api.post(START, {}, format="json", HTTP_X_FORWARDED_FOR="203.0.113.6", **proxy)

    assert [r.status_code for r in first] == [201, 201, 429]
    assert other.status_code == 201


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_starts_cannot_pass_the_limit_together(settings):
    settings.PARLEY_CONVERSATIONS_RATE_PER_ADDRESS = "20/m"
    barrier = threading.Barrier(40)
    statuses, lock = [], threading.Lock()

    def start():
        try:
            barrier.wait(timeout=30)
            status = APIClient().post(START, {}, format="json").status_code
        finally:
            connection.close()
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=start) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(statuses) == [201] * 20 + [429] * 20
    assert Conversation.objects.count() == 20
