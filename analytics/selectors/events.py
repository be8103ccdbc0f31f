from analytics.models import Event


def events_for_conversation(*, conversation_id: str):
    return Event.objects.filter(conversation_id=conversation_id).order_by("occurred_at", "id")
