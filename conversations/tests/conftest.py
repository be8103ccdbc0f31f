from core.testing.shop import api, conversation_factory, shop  # noqa: F401
