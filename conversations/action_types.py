"""The action types whose rules are conversations': declared here, where handoffs live, and
registered with the actions registry when conversations is loaded (`ConversationsConfig.ready`)."""

from rest_framework import serializers

from actions.enums import ActionStatus, ActionTypeName
from actions.types import ActionType
from conversations.enums import Handling, HandoffReason
from conversations.models import Conversation


class TalkToHuman(ActionType):
    """ "Talk to a person": pressing it asks for someone from the team (the conversation becomes
    `waiting_for_human`) and the button is done. Offered when the customer asks for a person or
    the assistant cannot help (conversations/services/handoff_offers.py); not shown while a
    person is already asked for or holds the conversation."""

    type = ActionTypeName.TALK_TO_HUMAN
    label = "Talk to a person"

    class Payload(serializers.Serializer):
        reason = serializers.ChoiceField(
            choices=[r for r in HandoffReason.values if r != HandoffReason.OPERATOR_TAKEOVER],
            default=HandoffReason.CUSTOMER_ASKED,
        )

    def is_available(self, payload, known):
        if not known.conversation_id:
            return True
        handling = Conversation.objects.filter(pk=known.conversation_id).values_list("handling", flat=True).first()
        return handling not in (Handling.WAITING_FOR_HUMAN, Handling.ASSIGNED)

    def on_clicked(self, *, action) -> None:
        from actions.services.transitions import action_transition
        from conversations.services.handoff import handoff_request

        handoff = handoff_request(
            conversation=action.conversation, reason=action.payload.get("reason", HandoffReason.CUSTOMER_ASKED)
        )
        return action_transition(
            action=action, to_status=ActionStatus.SUCCEEDED, enabled=False, result={"handoff_id": handoff.pk}
        )
