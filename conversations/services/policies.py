"""Shop policies (returns, shipping, warranty, payment, contact): written by the shop, quoted by
the assistant."""

from django.db import transaction

from conversations.models import ShopPolicy

_FIELDS = ("title", "text", "questions")


@transaction.atomic
def shop_policies_import(*, data: list[dict]) -> dict[str, int]:
    """Create or update policies by topic (idempotent). Returns created / updated / unchanged counts."""
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    existing = {p.topic: p for p in ShopPolicy.objects.filter(topic__in=[row["topic"] for row in data])}
    for row in data:
        values = {"title": row["title"], "text": row["text"], "questions": list(row.get("questions") or [])}
        policy = existing.get(row["topic"])
        if policy is None:
            ShopPolicy.objects.create(topic=row["topic"], **values)
            counts["created"] += 1
        elif any(getattr(policy, name) != values[name] for name in _FIELDS):
            for name in _FIELDS:
                setattr(policy, name, values[name])
            policy.save(update_fields=[*_FIELDS, "updated_at"])
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1
    return counts
