"""When the assistant offers a person (the `talk_to_human` button) besides what it answered.

- The customer asked for one (the `human` intent, in any phrasing the assistant understands).
- The assistant could not help twice in a row (it asked to clarify, or did not understand,
  on this message and the one before).
- The customer is upset (angry words, shouting) or repeats what they already said.
- A refund or cancellation is disputed: asked for again after the team declined one, or asked
  for again after the assistant could not offer one.

Refusals (out of scope, injection, discount hunting) get no offer: they are not the help the
shop gives. The offer is a button like any other (actions_select still decides), so the
customer is never handed over without asking.
"""

from __future__ import annotations

import re

from actions.enums import ActionStatus, ActionTypeName
from actions.models import Action
from actions.services.selection import ActionProposal
from conversations.assistant import intents
from conversations.assistant.draft import Draft
from conversations.enums import HandoffReason, Role
from conversations.models import Message

ABSTAINED = frozenset({intents.CLARIFY, intents.UNKNOWN})
DISPUTABLE = {
    intents.REFUND_REQUEST: ActionTypeName.REFUND_REQUEST,
    intents.ORDER_CANCEL: ActionTypeName.ORDER_CANCELLATION,
}
_UPSET = re.compile(
    r"\b(ridiculous|unacceptable|terrible|horrible|awful|useless|worst|furious|angry|annoyed|fed up|scam|"
    r"rip ?off|disgusting|pathetic|joke|wtf|stupid|not helpful|doesn'?t help|don'?t understand me|"
    r"waste of (my )?time|already (told|said|asked))\b",
    re.I,
)
_WORDS = re.compile(r"[a-z0-9]+")
ASKED_TEXT = "Press Talk to a person and someone from our team will join this chat."
OFFER_TEXT = "If you'd rather talk to a person, press Talk to a person and someone from our team will join."


def _normal(text: str) -> str:
    return " ".join(_WORDS.findall(text.lower()))


def customer_is_upset(text: str) -> bool:
    if _UPSET.search(text) or "!!!" in text:
        return True
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 12 and sum(c.isupper() for c in letters) / len(letters) > 0.8


def handoff_offer_reason(*, conversation_id: str, user_message: Message, draft: Draft) -> str | None:
    """Why the reply to `user_message` should offer a person, or None."""
    if draft.intent in intents.REFUSALS:
        return None
    if draft.intent == intents.HUMAN:
        return HandoffReason.CUSTOMER_ASKED
    earlier = list(
        Message.objects.filter(
            conversation_id=conversation_id, seq__lt=user_message.seq, role__in=[Role.USER, Role.ASSISTANT]
        )
        .order_by("-seq")
        .values("role", "content", "metadata")[:6]
    )
    if draft.intent in ABSTAINED:
        previous = next((m for m in earlier if m["role"] == Role.ASSISTANT), None)
        if previous is not None and (previous["metadata"] or {}).get("intent") in ABSTAINED:
            return HandoffReason.ASSISTANT_ABSTAINED
    said = _normal(user_message.content)
    # Saying "hello" twice is not repeating oneself; saying the same question twice is.
    repeated = len(said.split()) >= 3 and any(m["role"] == Role.USER and _normal(m["content"]) == said for m in earlier)
    if repeated or customer_is_upset(user_message.content):
        return HandoffReason.CUSTOMER_UPSET
    action_type = DISPUTABLE.get(draft.intent)
    if action_type is not None:
        # Disputed: asked for again after the team declined it, or after the assistant could not
        # offer it (a first "I can't see a paid order" is an answer, not yet a dispute).
        denied = Action.objects.filter(
            conversation_id=conversation_id, type=action_type, status=ActionStatus.DENIED
        ).exists()
        previous = next((m for m in earlier if m["role"] == Role.ASSISTANT), None)
        refused_before = previous is not None and (previous["metadata"] or {}).get("intent") == draft.intent
        offered = any(p.type == action_type for p in draft.proposals)
        if denied or (refused_before and not offered):
            return HandoffReason.DISPUTE
    return None


def handoff_offer_apply(*, conversation_id: str, user_message: Message, draft: Draft) -> Draft:
    """The draft with the `talk_to_human` button first among its proposals, and a line saying so."""
    reason = handoff_offer_reason(conversation_id=conversation_id, user_message=user_message, draft=draft)
    if reason is None:
        return draft
    draft.proposals = [ActionProposal(ActionTypeName.TALK_TO_HUMAN, {"reason": str(reason)}), *draft.proposals]
    line = ASKED_TEXT if reason == HandoffReason.CUSTOMER_ASKED else OFFER_TEXT
    draft.content = f"{draft.content.rstrip()}\n\n{line}" if draft.content.strip() else line
    return draft
