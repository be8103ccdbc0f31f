"""Executing the customer-side buttons. The stored payload is the truth; the client's copy is only compared."""

from django.db import transaction

from actions.enums import ActionStatus, ActionTypeName
from actions.error_codes import ActionErrorCode
from actions.exceptions import ActionNotAllowed, ActionPayloadInvalid
from actions.models import Action
from actions.services.clicks import action_click
from actions.services.transitions import action_transition
from actions.state_machine import can_transition
from actions.types import action_type_get
from analytics.enums import EventName
from analytics.services import event_record
from catalog import selectors as catalog
from catalog.serializers import product_card


def action_payload_verify(*, action: Action, submitted_payload: dict | None, expected_type: str) -> None:
    """Refuse a call for the wrong kind of action, or one carrying a payload that differs from ours."""
    if action.type != expected_type:
        raise ActionNotAllowed(
            f"This is a {action.type} action, not {expected_type}.", code=ActionErrorCode.ACTION_TYPE_MISMATCH
        )
    if submitted_payload is None:
        return
    action_type = action_type_get(action.type)
    cleaned = action_type.clean_payload(submitted_payload) if action_type else None
    unknown_keys = set(submitted_payload) - set(action_type.Payload().fields) if action_type else set()
    if unknown_keys or cleaned != action.payload:
        if can_transition(action.status, ActionStatus.FAILED):
            action_transition(
                action=action,
                to_status=ActionStatus.FAILED,
                enabled=True,
                error="The request did not match this action.",
                note="payload tampered",
            )
        else:
            event_record(
                name=EventName.ACTION_FAILED,
                conversation_id=action.conversation_id,
                action_type=action.type,
                properties={"error": ActionErrorCode.PAYLOAD_MISMATCH},
            )
        raise ActionPayloadInvalid(
            "The action's details were changed; the server's copy is the only one accepted.",
            code=ActionErrorCode.PAYLOAD_MISMATCH,
        )


def action_alternatives_execute(*, action: Action, submitted_payload: dict | None = None) -> list[dict]:
    action_payload_verify(
        action=action, submitted_payload=submitted_payload, expected_type=ActionTypeName.CHECK_COMPATIBLE_ALTERNATIVES
    )
    payload = action.payload
    product = catalog.product_get(ps_number=payload["psNumber"]) if payload.get("psNumber") else None
    model = catalog.appliance_model_get(model_number=payload["modelNumber"]) if payload.get("modelNumber") else None
    alternatives = catalog.compatible_alternatives(
        product=product, appliance_model=model, appliance_type=payload.get("applianceType"), limit=5
    )
    cards = []
    for alternative in alternatives:
        card = product_card(alternative)
        card["confidence"] = getattr(alternative, "confidence", None)
        cards.append(card)
    with transaction.atomic():
        action.status = Action.objects.select_for_update().values_list("status", flat=True).get(pk=action.pk)
        if action.status != ActionStatus.SUCCEEDED:
            action_click(action=action)
            action_transition(
                action=action,
                to_status=ActionStatus.SUCCEEDED,
                enabled=False,
                result={"alternatives": [c["psNumber"] for c in cards]},
            )
    return cards
