import pytest

from conversations.selectors import conversation_ids_authorized
from conversations.tests.factories import ConversationFactory

pytestmark = pytest.mark.django_db


def test_a_token_opens_only_its_own_conversation_among_those_named():
    mine, other = ConversationFactory(), ConversationFactory()
    named = {mine.id, other.id, "conv_unknown"}

    assert conversation_ids_authorized(conversation_ids=named, token=mine.token) == {mine.id}
    assert conversation_ids_authorized(conversation_ids=named, token="not-a-token") == set()
    assert conversation_ids_authorized(conversation_ids=named, token=None) == set()
    assert conversation_ids_authorized(conversation_ids=set(), token=mine.token) == set()
