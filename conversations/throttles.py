"""Who may open how many conversations (each one is a new customer with its own message budget)."""

from core.ratelimit import RateThrottle, body_text, client_address


class ConversationStartAddressThrottle(RateThrottle):
    scope = "conversations:address"
    rate_setting = "PARLEY_CONVERSATIONS_RATE_PER_ADDRESS"

    def key(self, request, view):
        return client_address(request)


class ConversationStartEmailThrottle(RateThrottle):
    """Per customer: the e-mail address given, when one is (a new conversation has no customer yet)."""

    scope = "conversations:email"
    rate_setting = "PARLEY_CONVERSATIONS_RATE_PER_EMAIL"

    def key(self, request, view):
        return body_text(request, "email").lower() or None
