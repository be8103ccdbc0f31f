"""Action factories; other apps' tests import these.

`ActionFactory()` is a button rendered in an assistant message of a fresh conversation
(status `rendered`, with its `proposed → rendered` transition), a refund_request by default;
label, style and confirmation come from the action type. A refund_request is only ever shown
for a paid order of its conversation, so one is made (`OrderFactory`) unless its number exists.
"""

import factory

from actions.enums import ActionStatus, ActionTypeName
from actions.models import Action, ActionTransition
from actions.types import action_type_get
from checkout.models import Order
from checkout.services.orders import order_number_new
from checkout.tests.factories import OrderFactory
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
    payload = factory.LazyFunction(lambda: {"orderNumber": order_number_new(), "reason": "Broken on arrival"})
    status = ActionStatus.RENDERED

    @factory.post_generation
    def order(self, create, extracted, **kwargs):
        number = self.payload.get("orderNumber")
        is_refund = create and self.type == ActionTypeName.REFUND_REQUEST and number
        if is_refund and not Order.objects.filter(number=number).exists():
            OrderFactory(conversation=self.conversation, number=number)

    @factory.post_generation
    def transition(self, create, extracted, **kwargs):
        if create:  # one row, as a rendered button has (tests count on exactly one)
            ActionTransition.objects.create(action=self, from_status=ActionStatus.PROPOSED, to_status=self.status)
