"""Scores the offline engine (or whichever `draft_reply` is configured) on the labelled set.

Metrics:
- intent accuracy: the reply's intent equals the label.
- entity accuracy: each labelled entity (part resolved, model named, brand, appliance type,
  quantity, budget, e-mail, phone) equals what the engine extracted; one check per key.
- grounded-fact accuracy: every fact in the engine's own draft (part numbers, prices, stock
  claims, compatibility claims, cards), before the grounding check, agrees with the catalogue.
- scope-refusal accuracy: out-of-scope messages refused, in-scope ones not; and the number
  of actions rendered for out-of-scope messages (must be 0).
- search recall@5: |top 5 ∩ relevant| / min(5, |relevant|), averaged over search.jsonl.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ENTITY_KEYS = ("psNumber", "modelNumber", "brand", "applianceType", "quantity", "budget", "email", "phone")


@dataclass
class EvalResult:
    cases: int = 0
    intent_correct: int = 0
    entity_checks: int = 0
    entity_correct: int = 0
    facts: int = 0
    facts_wrong: int = 0
    scope_correct: int = 0
    out_of_scope_cases: int = 0
    out_of_scope_actions: int = 0
    recall_at_5: float = 0.0
    search_queries: int = 0
    failures: list[dict] = field(default_factory=list)

    @property
    def metrics(self) -> dict:
        def ratio(a, b):
            return round(a / b, 4) if b else 1.0

        return {
            "cases": self.cases,
            "intent_accuracy": ratio(self.intent_correct, self.cases),
            "entity_accuracy": ratio(self.entity_correct, self.entity_checks),
            "grounded_fact_accuracy": ratio(self.facts - self.facts_wrong, self.facts),
            "facts_checked": self.facts,
            "scope_refusal_accuracy": ratio(self.scope_correct, self.cases),
            "out_of_scope_cases": self.out_of_scope_cases,
            "out_of_scope_actions_rendered": self.out_of_scope_actions,
            "search_recall_at_5": round(self.recall_at_5, 4),
            "search_queries": self.search_queries,
        }


def load(name: str) -> list[dict]:
    return [json.loads(line) for line in (HERE / name).read_text().splitlines() if line.strip()]


def _normalise(key: str, value):
    if value is None or value == "":
        return None
    if key in ("brand", "applianceType", "email"):
        return str(value).lower()
    if key == "budget":
        return float(value)
    return value


def _selected_actions(draft, context: dict) -> list:
    from actions.services.selection import actions_select
    from actions.types import Prerequisites
    from conversations.assistant import intents

    if draft.intent == intents.OUT_OF_SCOPE:
        return []
    known = Prerequisites(
        model_number=context.get("modelNumber", ""),
        contact_known=True,
        alternatives_requested=draft.intent == intents.ALTERNATIVES,
    )
    return actions_select(proposals=draft.proposals, known=known)


def run_cases(cases: list[dict], result: EvalResult) -> None:
    from conversations.assistant import intents
    from conversations.assistant.engines import rules_engine
    from conversations.assistant.grounding import facts_check, ground

    engine = rules_engine()
    for case in cases:
        page = case.get("page") or {}
        context: dict = {"page": dict(page), **page}
        for turn in case.get("history", []):
            earlier, _ = ground(engine.reply(text=turn, context=context, conversation_id="conv_eval"), user_text=turn)
            context = {**context, **earlier.context}
        raw = engine.reply(text=case["message"], context=context, conversation_id="conv_eval")
        total, wrong, wrong_facts = facts_check(raw.content, raw.parts, user_text=case["message"])
        draft, _ = ground(raw, user_text=case["message"])
        result.cases += 1
        result.facts += total
        result.facts_wrong += wrong
        problems = []
        if draft.intent == case["intent"]:
            result.intent_correct += 1
        else:
            problems.append(f"intent {draft.intent!r} != {case['intent']!r}")
        for key, expected in (case.get("entities") or {}).items():
            if key not in ENTITY_KEYS:
                continue
            result.entity_checks += 1
            got = _normalise(key, (draft.entities or {}).get(key))
            if got == _normalise(key, expected):
                result.entity_correct += 1
            else:
                problems.append(f"{key} {got!r} != {expected!r}")
        refused = draft.intent == intents.OUT_OF_SCOPE
        actions = _selected_actions(draft, {**context, **draft.context})
        if case["out_of_scope"]:
            result.out_of_scope_cases += 1
            result.out_of_scope_actions += len(actions)
        if refused == bool(case["out_of_scope"]):
            result.scope_correct += 1
        else:
            problems.append("refused" if refused else "not refused")
        if wrong_facts:
            problems.append(f"ungrounded facts {wrong_facts}")
        if problems:
            result.failures.append({"id": case["id"], "message": case["message"], "problems": problems})


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


def run_search(queries: list[dict], result: EvalResult) -> None:
    from catalog.selectors import product_search

    total = 0.0
    for item in queries:
        relevant = relevant_ids(item["relevant"])
        top = [p.ps_number for p in product_search(query=item["query"], limit=5)]
        score = len(relevant & set(top)) / min(5, len(relevant)) if relevant else 0.0
        total += score
        if score < 1.0:
            result.failures.append({"search": item["query"], "recall@5": round(score, 2), "top": top})
    result.search_queries = len(queries)
    result.recall_at_5 = total / len(queries) if queries else 0.0


def run() -> EvalResult:
    result = EvalResult()
    run_cases(load("cases.jsonl"), result)
    run_search(load("search.jsonl"), result)
    return result


def report(result: EvalResult, *, verbose: bool = False) -> str:
    m = result.metrics
    lines = [
        f"cases                     {m['cases']}",
        f"intent accuracy           {m['intent_accuracy']:.1%}",
        f"entity accuracy           {m['entity_accuracy']:.1%}",
        f"grounded-fact accuracy    {m['grounded_fact_accuracy']:.1%}  ({m['facts_checked']} facts)",
        f"scope-refusal accuracy    {m['scope_refusal_accuracy']:.1%}  "
        f"({m['out_of_scope_cases']} out of scope, {m['out_of_scope_actions_rendered']} actions rendered for them)",
        f"search recall@5           {m['search_recall_at_5']:.1%}  ({m['search_queries']} queries)",
    ]
    if verbose and result.failures:
        lines.append("")
        lines += [json.dumps(f) for f in result.failures]
    return "\n".join(lines)
