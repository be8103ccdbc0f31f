"""Importing response templates (what the customer is told when an operator decides)."""

from django.db import transaction
from django.template import Template, TemplateSyntaxError

from actions.enums import ActionStatus
from actions.error_codes import ActionErrorCode
from actions.models import ResponseTemplate
from core.exceptions import ApplicationError

OUTCOMES = {ActionStatus.APPROVED, ActionStatus.DENIED, ActionStatus.EDITED}


class ResponseTemplateImportError(ApplicationError):
    code = ActionErrorCode.RESPONSE_TEMPLATE_IMPORT_INVALID


def _values(row: dict, index: int) -> dict:
    action_type = str(row.get("action_type", "")).strip()
    outcome = str(row.get("outcome", "")).strip()
    body = str(row.get("body", "")).strip()
    if not action_type or outcome not in OUTCOMES or not body:
        raise ResponseTemplateImportError(
            f"Template {index} needs action_type, body and an outcome in {sorted(OUTCOMES)}.",
            fields={"templates": [f"Row {index} is incomplete."]},
        )
    try:
        Template(body)
    except TemplateSyntaxError as exc:
        raise ResponseTemplateImportError(
            f"Template {index} ({action_type}/{outcome}) does not compile: {exc}", fields={"templates": [str(exc)]}
        ) from exc
    return {"action_type": action_type, "outcome": outcome, "body": body, "is_active": bool(row.get("is_active", True))}


@transaction.atomic
def response_templates_import(*, data: list[dict]) -> dict[str, int]:
    """Upsert templates by (action_type, outcome); identical rows are not written.

    Every body must compile as a Django template (context: action, payload, reply, customer).
    Templates not in `data` are left alone. Returns counts of created/updated/unchanged.
    """
    rows = [_values(row, i) for i, row in enumerate(data)]
    existing = {(t.action_type, t.outcome): t for t in ResponseTemplate.objects.select_for_update()}
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for row in rows:
        current = existing.get((row["action_type"], row["outcome"]))
        if current is None:
            existing[(row["action_type"], row["outcome"])] = ResponseTemplate.objects.create(**row)
            counts["created"] += 1
        elif current.body != row["body"] or current.is_active != row["is_active"]:
            current.body, current.is_active = row["body"], row["is_active"]
            current.save(update_fields=["body", "is_active", "updated_at"])
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1
    return counts
