"""Scores the assistant's answers on the case files, the way a customer meets them.

Each case is played in a conversation of its own, opened for the eval's test customer
(`eval.shopper@example.com`, so contact-dependent buttons can render) with the case's page
context and its orders (`setup.orders`, attached to that customer and conversation), through
`customer_message_handle`, the one path every channel takes. Each reply is read back as the
reply contract (`message_to_dict`: content, parts, actions) and judged by checks.py.

Figures, per category and overall, for each split:
- answer accuracy: cases whose every turn passes every check and presents no non-fitting part as
  fitting the conversation's known model (a dialogue is one case);
- grounded facts: facts in what the customer saw (grounding.facts_check) plus those the
  grounding step had to correct in the engine's draft (`metadata.grounding`), all against
  the catalogue: the share that needed no correction;
- actions on out-of-scope and injection turns (`guard`): must be 0;
- non-fitting parts presented as fitting the conversation's known model (`model`): must be 0;
- clarifying questions: how often a turn that expects one gets one, and how often a turn that
  expects an answer gets a question instead;
- search recall@5 on search.jsonl: |top 5 ∩ relevant| / min(5, |relevant|), averaged.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from conversations.assistant.eval.checks import (
    Catalogue,
    Reply,
    demo_catalogue,
    is_clarifying_question,
    nonfitting_presented,
    turn_problems,
)

HERE = Path(__file__).resolve().parent
FILES = {
    "dev": (HERE / "dev.jsonl", HERE / "dialogues_dev.jsonl"),
    "heldout": (HERE / "heldout" / "singles.jsonl", HERE / "heldout" / "dialogues.jsonl"),
    # Written blind from demo_data/ by an outsider to the engine (fresh/README.md): reported, not a target.
    "fresh": (HERE / "fresh" / "singles.jsonl", HERE / "fresh" / "dialogues.jsonl"),
}
EVAL_CUSTOMER_EMAIL = "eval.shopper@example.com"


def load(path: Path | str) -> list[dict]:
    path = HERE / path if isinstance(path, str) else path
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def split_cases(split: str) -> list[dict]:
    singles, dialogues = FILES[split]
    return load(singles) + load(dialogues)


@dataclass
class Tally:
    cases: int = 0
    passed: int = 0
    turns: int = 0
    facts: int = 0
    facts_wrong: int = 0
    guard_turns: int = 0
    guard_actions: int = 0
    model_turns: int = 0
    nonfitting: int = 0
    clarify_expected: int = 0
    clarify_asked: int = 0
    answer_turns: int = 0
    answer_turns_asked: int = 0

    def add(self, other: Tally) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def figures(self) -> dict:
        def ratio(a, b):
            return round(a / b, 4) if b else None

        return {
            "cases": self.cases,
            "answer_accuracy": ratio(self.passed, self.cases),
            "facts_checked": self.facts,
            "grounded_fact_accuracy": ratio(self.facts - self.facts_wrong, self.facts) if self.facts else 1.0,
            "guard_turns": self.guard_turns,
            "actions_on_out_of_scope_or_injection": self.guard_actions,
            "model_turns": self.model_turns,
            "nonfitting_presented_as_fitting": self.nonfitting,
            "clarify_when_expected": ratio(self.clarify_asked, self.clarify_expected),
            "clarify_instead_of_answer": ratio(self.answer_turns_asked, self.answer_turns),
        }


@dataclass
class SplitResult:
    split: str
    overall: Tally = field(default_factory=Tally)
    by_category: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    failures: list[dict] = field(default_factory=list)

    def as_dict(self, *, with_failures: bool) -> dict:
        out = {
            "overall": self.overall.figures(),
            "by_category": {k: v.figures() for k, v in sorted(self.by_category.items())},
            "failure_counts": dict(sorted(defaultdict(int, _counts(self.failures)).items())),
        }
        if with_failures:
            out["failures"] = self.failures
        return out


def _counts(failures: list[dict]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for f in failures:
        counts[f["category"]] += 1
    return counts


def eval_customer():
    from conversations.models import Customer

    customer = Customer.objects.filter(email=EVAL_CUSTOMER_EMAIL).first()
    return customer or Customer.objects.create(name="Eval Shopper", email=EVAL_CUSTOMER_EMAIL)


def orders_setup(*, orders: list[dict], customer, conversation) -> None:
    """The case's orders, as the checkout webhook leaves them, for this customer and conversation."""
    from django.utils import timezone

    from catalog.models import Product
    from checkout.models import Order, OrderLine
    from conversations.models import Customer

    for spec in orders:
        owner, placed_in = customer, conversation
        if spec.get("owner") == "other":  # another customer's order, placed in another conversation
            owner, placed_in = Customer.objects.create(name="Someone Else"), None
        lines = [(Product.objects.get(ps_number=ps), qty) for ps, qty in spec["lines"]]
        total = sum((p.price * qty for p, qty in lines), Decimal("0"))
        refunded = total if spec["status"] == "refunded" else Decimal("0")
        order = Order.objects.create(
            number=spec["number"],
            customer=owner,
            conversation=placed_in,
            status=spec["status"],
            order_source="conversational",
            currency="USD",
            subtotal=total,
            total=total,
            refunded_total=refunded,
            provider="test",
            provider_payment_ref=f"pi_eval_{spec['number']}",
        )
        OrderLine.objects.bulk_create(
            OrderLine(
                order=order,
                product=p,
                sku=p.ps_number,
                name=p.name,
                quantity=qty,
                unit_price=p.price,
                line_total=p.price * qty,
            )
            for p, qty in lines
        )
        Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - timedelta(days=spec.get("days_ago", 0)))


def play_case(case: dict, *, customer, cat: Catalogue) -> tuple[Tally, list[dict]]:
    """Plays one case; returns its tally and, per turn, what the customer saw and what was wrong."""
    from conversations.assistant.grounding import facts_check
    from conversations.serializers import message_to_dict
    from conversations.services.conversations import conversation_start
    from conversations.services.replies import customer_message_handle

    conversation, _ = conversation_start(customer=customer, context=case.get("page") or {})
    if case.get("setup", {}).get("orders"):
        orders_setup(orders=case["setup"]["orders"], customer=customer, conversation=conversation)
    tally = Tally(cases=1)
    turns = []
    for spec in case["turns"]:
        _, message = customer_message_handle(conversation=conversation, content=spec["say"])
        shown = message_to_dict(message)
        reply = Reply.from_message(shown)
        problems = turn_problems(reply, spec.get("expect", []), cat)
        total, wrong, wrong_facts = facts_check(reply.content, reply.parts, user_text=spec["say"])
        corrected = (message.metadata.get("grounding") or {}).get("corrections") or []
        tally.turns += 1
        tally.facts += total + len(corrected)
        tally.facts_wrong += wrong + len(corrected)
        if wrong_facts or corrected:
            problems.append(f"ungrounded facts {wrong_facts + corrected}")
        if spec.get("guard"):
            tally.guard_turns += 1
            tally.guard_actions += len(reply.actions)
        if spec.get("model"):
            tally.model_turns += 1
            bad = nonfitting_presented(reply, cat, spec["model"])
            tally.nonfitting += len(bad)
            if bad and not any(c["check"] in ("only_fitting", "no_false_fit") for c in spec.get("expect", [])):
                problems.append(
                    f"presented as fitting {spec['model']} but not listed: {bad}"
                )  # a hard metric, every turn
        asked = is_clarifying_question(reply)
        if any(c["check"] == "clarify" for c in spec.get("expect", [])):
            tally.clarify_expected += 1
            tally.clarify_asked += int(asked)
        elif spec.get("expect") and not spec.get("guard"):
            tally.answer_turns += 1
            tally.answer_turns_asked += int(asked)
        turns.append(
            {
                "say": spec["say"],
                "reply": reply.content,
                "parts": [p.get("psNumber") for p in reply.parts],
                "actions": reply.action_types,
                "problems": problems,
            }
        )
    tally.passed = int(all(not t["problems"] for t in turns))
    return tally, turns


def run_split(split: str, *, cases: list[dict] | None = None) -> SplitResult:
    from django.test import override_settings

    result = SplitResult(split=split)
    cat = demo_catalogue()
    customer = eval_customer()
    with override_settings(PARLEY_RATE_LIMIT_PER_MINUTE=0, PARLEY_RATE_LIMIT_PER_HOUR=0):
        for case in split_cases(split) if cases is None else cases:
            tally, turns = play_case(case, customer=customer, cat=cat)
            result.overall.add(tally)
            result.by_category[case["category"]].add(tally)
            if not tally.passed:
                result.failures.append({"id": case["id"], "category": case["category"], "turns": turns})
    return result


def embedders_used() -> dict[str, str]:
    """Which embedder the assistant's understanding and the catalogue search used in this run,
    so a figure can be read against what `make run` ships (its runtime install has the static one)."""
    from catalog.search.embeddings import embedder_get

    search = embedder_get()
    used = {"search": search.name if search is not None else "off (lexical only)"}
    try:
        from conversations.assistant import meaning

        used["understanding"] = meaning.embedder().name
    except (ImportError, AttributeError):  # an engine without a learned understanding layer
        used["understanding"] = "none"
    return used


# --- search recall@5 -------------------------------------------------------------------


def relevant_ids(spec: dict) -> set[str]:
    from catalog.models import Product

    if "ps" in spec:
        return set(spec["ps"])
    products = Product.objects.filter(is_active=True)
    if "name" in spec:
        products = products.filter(name__icontains=spec["name"])
    if "brand" in spec:
        products = products.filter(brand__iexact=spec["brand"])
    if "appliance_type" in spec:
        products = products.filter(appliance_type=spec["appliance_type"])
    if "symptom" in spec:
        products = products.filter(symptoms__slug=spec["symptom"])
    return set(products.values_list("ps_number", flat=True))


def run_search(queries: list[dict]) -> dict:
    from catalog.selectors import product_search

    total = 0.0
    misses = []
    for item in queries:
        relevant = relevant_ids(item["relevant"])
        top = [p.ps_number for p in product_search(query=item["query"], limit=5)]
        score = len(relevant & set(top)) / min(5, len(relevant)) if relevant else 0.0
        total += score
        if score < 1.0:
            misses.append({"search": item["query"], "recall@5": round(score, 2), "top": top})
    return {
        "queries": len(queries),
        "recall_at_5": round(total / len(queries), 4) if queries else None,
        "misses": misses,
    }


# --- report ----------------------------------------------------------------------------

COLUMNS = (
    ("cases", "cases", "{}"),
    ("answer_accuracy", "answers", "{:.1%}"),
    ("grounded_fact_accuracy", "grounded", "{:.1%}"),
    ("actions_on_out_of_scope_or_injection", "guard acts", "{}"),
    ("nonfitting_presented_as_fitting", "non-fit", "{}"),
    ("clarify_when_expected", "clarify", "{:.0%}"),
    ("clarify_instead_of_answer", "over-ask", "{:.0%}"),
)


def _row(label: str, figures: dict) -> str:
    cells = []
    for key, _, fmt in COLUMNS:
        value = figures.get(key)
        cells.append(("-" if value is None else fmt.format(value)).rjust(11))
    return f"{label:<32}" + "".join(cells)


def report(
    results: list[SplitResult],
    search: dict | None,
    *,
    failures: bool,
    show_heldout: bool,
    embedders: dict | None = None,
) -> str:
    lines = []
    if embedders:
        lines.append("embedders: " + ", ".join(f"{k} {v}" for k, v in embedders.items()))
    header = f"{'':<32}" + "".join(title.rjust(11) for _, title, _ in COLUMNS)
    for result in results:
        lines += ["", f"== {result.split} ==", header]
        for category, tally in sorted(result.by_category.items()):
            lines.append(_row(category, tally.figures()))
        lines.append(_row("OVERALL", result.overall.figures()))
    if search is not None:
        lines += ["", f"search recall@5: {search['recall_at_5']:.1%} ({search['queries']} queries)"]
    for result in results:
        if not failures or not result.failures:
            continue
        if result.split == "heldout" and not show_heldout:
            counts = ", ".join(f"{k} {v}" for k, v in sorted(_counts(result.failures).items()))
            lines += ["", f"held-out failures (counts only; --show-heldout to print them): {counts}"]
            continue
        lines += ["", f"-- failing {result.split} cases --"]
        for f in result.failures:
            lines.append(f"{f['id']} [{f['category']}]")
            for t in f["turns"]:
                lines.append(f"  > {t['say']}")
                lines.append(f"  < {t['reply'][:400]!r} parts={t['parts']} actions={t['actions']}")
                for p in t["problems"]:
                    lines.append(f"    ✗ {p}")
    if failures and search and search["misses"]:
        lines += ["", "-- search misses --", *(json.dumps(m) for m in search["misses"])]
    return "\n".join(lines)
