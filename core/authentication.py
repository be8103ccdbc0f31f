"""How REST callers prove they hold a conversation: `Authorization: Bearer <conversation token>`.

Every layer's API asks this (checkout, alerts and analytics sit below conversations), so it
lives here. The check itself belongs to conversations: settings name it
(`PARLEY_CONVERSATION_AUTHORIZER` for one conversation, `PARLEY_CONVERSATION_IDS_AUTHORIZER` for
a batch naming several, the way Django names its authentication backends), so core and the apps
below conversations never import it nor read its tables.
"""

from django.conf import settings
from django.utils.module_loading import import_string


def bearer_token(request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def conversation_from_request(request, conversation_id: str):
    """The conversation, only for the holder of its token (the authorizer raises otherwise)."""
    authorize = import_string(settings.PARLEY_CONVERSATION_AUTHORIZER)
    return authorize(conversation_id=conversation_id, token=bearer_token(request))


def conversation_ids_authorized(conversation_ids: set[str], token: str | None) -> set[str]:
    """The ids among `conversation_ids` that `token` opens (none for no token), in one read."""
    authorize = import_string(settings.PARLEY_CONVERSATION_IDS_AUTHORIZER)
    return authorize(conversation_ids=set(conversation_ids), token=token)
