"""Which engine drafts replies, and the checks every draft passes.

The offline rules engine unless `OPENAI_API_KEY` is set; then the OpenAI engine, which
falls back to the rules engine when the model fails. Whatever wrote the draft, its facts
go through the grounding check (grounding.py) before anything is stored or shown, and its
actions through `actions_select` in the reply pipeline.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings

from checkout import selectors as checkout_selectors
from conversations.assistant.draft import Draft
from conversations.assistant.grounding import ground
from conversations.assistant.rules_engine import RulesEngine

logger = logging.getLogger(__name__)

_rules = RulesEngine()


def rules_engine() -> RulesEngine:
    return _rules


def llm_enabled() -> bool:
    return bool(settings.OPENAI_API_KEY)


def draft_reply(
    *,
    text: str,
    context: dict,
    conversation_id: str,
    history: Callable[[], list[dict]] | None = None,
    on_delta: Callable[[str], None] | None = None,
) -> Draft:
    """The reply to `text`, grounded in the catalogue. `on_delta` receives streamed text.
    `history` reads the conversation so far; only an engine that uses it calls it (the rules
    engine answers from `context`, so its replies skip that read)."""
    if llm_enabled():
        from conversations.assistant.openai_engine import openai_engine

        draft = openai_engine().reply(
            text=text,
            context=context,
            conversation_id=conversation_id,
            history=history() if history else [],
            on_delta=on_delta,
        )
    else:
        draft = _rules.reply(text=text, context=context, conversation_id=conversation_id)
    draft, report = ground(
        draft,
        user_text=text,
        orders=lambda: checkout_selectors.orders_for_conversation(conversation_id=conversation_id),
    )
    if report.corrections or report.replaced:
        logger.info("grounding corrected a %s reply: %s", draft.engine, report.as_dict())
    draft.grounding = report.as_dict()
    return draft
