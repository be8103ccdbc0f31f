from analytics.models import Event


def events_for_conversation(*, conversation_id: str):
    return Event.objects.filter(conversation_id=conversation_id).order_by("occurred_at", "id")


def event_ids_recorded(*, event_ids: list[str]) -> set[str]:
    """Which of these event ids are already recorded (a backfill writes only the others)."""
    return set(Event.objects.filter(event_id__in=event_ids).values_list("event_id", flat=True))
