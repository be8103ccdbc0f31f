"""Action factories; other apps' tests import these.

`ActionFactory()` is a button rendered in an assistant message of a fresh conversation
(status `rendered`, with its `proposed → rendered` transition), a refund_request by default;
label, style and confirmation come from the action type.
"""

import factory

from actions.enums import ActionStatus
from actions.models import Action, ActionTransition
from actions.types import action_type_get
from conversations.tests.factories import ConversationFactory, MessageFactory


class ActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Action
        skip_postgeneration_save = True

    conversation = factory.SubFactory(ConversationFactory)
    message = factory.SubFactory(
        MessageFactory, conversation=factory.SelfAttribute("..conversation"), content="I can ask our team."
    )
    type = "refund_request"
    label = factory.LazyAttribute(lambda o: action_type_get(o.type).label)
    style = factory.LazyAttribute(lambda o: action_type_get(o.type).style)
    requires_confirmation = factory.LazyAttribute(lambda o: action_type_get(o.type).requires_confirmation)
    payload = factory.LazyFunction(lambda: {"orderNumber": "ORD-TEST1", "reason": "Broken on arrival"})
    status = ActionStatus.RENDERED

    @factory.post_generation
    def transition(self, create, extracted, **kwargs):
        if create:  # one row, as a rendered button has (tests count on exactly one)
            ActionTransition.objects.create(action=self, from_status=ActionStatus.PROPOSED, to_status=self.status)
