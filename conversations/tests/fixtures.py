"""Conversation fixtures shared by every app's tests (a pytest plugin: the root conftest lists it in
`pytest_plugins`)."""

import pytest


@pytest.fixture
def conversation_factory(db):
    from conversations.services.conversations import conversation_start

    def make(**kwargs):
        conversation, token = conversation_start(**kwargs)
        return conversation, token

    return make
