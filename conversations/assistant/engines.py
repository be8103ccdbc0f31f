"""Which engine drafts replies: the offline rules engine unless a model is configured."""

from conversations.assistant.draft import Draft
from conversations.assistant.rules_engine import RulesEngine

_rules = RulesEngine()


def draft_reply(*, text: str, context: dict, conversation_id: str) -> Draft:
    return _rules.reply(text=text, context=context, conversation_id=conversation_id)
