import pytest

from core.authentication import bearer_token, conversation_from_request, conversation_ids_authorized


@pytest.mark.parametrize(
    ("header", "token"),
    [("Bearer abc", "abc"), ("bearer  abc ", "abc"), ("Basic abc", None), ("Bearer ", None), ("", None)],
)
def test_bearer_token_is_read_only_from_a_bearer_header(rf, header, token):
    request = rf.get("/", HTTP_AUTHORIZATION=header) if header else rf.get("/")
    assert bearer_token(request) == token


def authorize_for_test(*, conversation_id, token):
    return (conversation_id, token)


def test_the_conversation_check_is_the_one_settings_name(rf, settings):
    settings.PARLEY_CONVERSATION_AUTHORIZER = "core.tests.test_authentication.authorize_for_test"
    request = rf.get("/", HTTP_AUTHORIZATION="Bearer secret")
    assert conversation_from_request(request, "conv_1") == ("conv_1", "secret")


def authorize_ids_for_test(*, conversation_ids, token):
    return {cid for cid in conversation_ids if cid.endswith(token or "-")}


def test_the_batch_conversation_check_is_the_one_settings_name(settings):
    settings.PARLEY_CONVERSATION_IDS_AUTHORIZER = "core.tests.test_authentication.authorize_ids_for_test"
    assert conversation_ids_authorized(["conv_a1", "conv_b2"], "1") == {"conv_a1"}
