"""The offline assistant: understanding by identifiers and meaning, answers from the catalogue.

Every fact it states (price, stock, compatibility, install steps, part numbers, delivery
terms) is read from the catalogue or the shop's settings at the moment of the reply.

Understanding, in order (no spelling correction of ordinary words anywhere):
1. identifiers (identifiers.py): part, model and order numbers in every written form,
   resolved against the catalogue; unknown ones stay unknown, with "did you mean" offers;
2. segments (intents.segments): each question of a message is answered;
3. meaning (meaning.py): intent, scope, appliance type and symptom by sentence embeddings
   over labelled examples and the catalogue's symptoms; unsure → one clarifying question;
4. slots (entities.py) and the conversation's memory ("it", "the second one", the page's
   part, the remembered model and symptom).
Refused turns (out of scope, injection, discounts) carry no actions at all; actions come
from the current turn's understanding only.
"""

from __future__ import annotations

import re

from django.conf import settings

from actions.services.selection import ActionProposal
from catalog import selectors as catalog
from catalog.models import ApplianceModel, Compatibility
from catalog.search.engine import catalogue_vocabulary
from catalog.search.text import tokens as search_tokens
from catalog.serializers import product_card
from checkout import selectors as checkout_selectors
from conversations.assistant import intents, meaning, scope
from conversations.assistant.draft import Draft
from conversations.assistant.entities import extract
from conversations.assistant.finder import parts_find, plain_words
from conversations.assistant.identifiers import Identifiers, identifiers_find, suggestions_for
from conversations.services.order_notices import order_fulfilment_sentence
from core.money import money_display

# Words that name a whole appliance or are too generic to identify a part on their own.
_GENERIC_NAME_WORDS = frozenset(
    {"refrigerator", "dishwasher", "assembly", "kit", "door", "part", "upper", "lower", "main", "control", "water"}
)
REFUND_REQUEST = intents.REFUND_REQUEST
# Part-name words that say nothing about which kind of part: the appliance, "assembly", "kit".
_NOT_A_PART_KIND = frozenset({"refrigerator", "dishwasher", "assembly", "kit", "part"})


def money(product) -> str:
    return money_display(product.price, product.currency)


def stock_phrase(product) -> str:
    if product.in_stock:
        return f"in stock ({product.stock_quantity} available)"
    if product.availability == "backordered":
        return "backordered"
    if product.availability == "discontinued":
        return "no longer available"
    return "out of stock"


class Understanding:
    """What the engine read in one segment of a message, with the conversation's memory applied."""

    def __init__(self, **kwargs):
        self.__dict__.update(kwargs)

    def key(self) -> tuple:
        return (
            self.intent,
            self.product.pk if self.product else None,
            self.model.pk if self.model else None,
            tuple(m.text for m in self.unknown),
        )


class RulesEngine:
    name = "rules"

    # --- understanding ------------------------------------------------------------

    def understand(self, *, text: str, context: dict, ids: Identifiers | None = None) -> list[Understanding]:
        """One Understanding per question in the message."""
        meaning.new_message()
        ids = ids if ids is not None else identifiers_find(text)
        readings = []
        memory = dict(context)
        spans = intents.segments(text)
        if len(ids.models) == 1 and len(spans) > 1:
            # The message's one model holds for every question in it, also those before it ("the fridge
            # is sweating inside. it's a WRX735SDHZ").
            memory["modelNumber"] = ids.models[0].model_number
        for start, end in spans:
            u = self._understand_segment(text[start:end], ids.in_span(start, end), memory)
            readings.append(u)
            memory = {**memory, **self._memory(u, Draft(content="", intent=u.intent), memory)}
        return readings

    def _understand_segment(self, text: str, ids: Identifiers, context: dict) -> Understanding:
        brands, name_terms = meaning.once_per_message("vocabulary", _vocabulary)
        masked = ids.masked(text)
        blank = ids.masked(text, blank=True)
        reading = intents.read(_part_words_masked(masked, name_terms, brands))
        entities = extract(blank, brands=brands, appliance_types=meaning.appliance_types(blank, part_terms=name_terms))
        page = context.get("page") or {}
        mentioned = ids.products
        unknown = ids.unknown
        unknown_ps = [m.text.upper() for m in unknown if m.text.upper().startswith("PS")]
        unknown_codes = [m.text.upper() for m in unknown if not m.text.upper().startswith("PS")]
        model = ids.models[0] if ids.models else None
        model_from_message = model is not None
        if model is None and not unknown_codes and context.get("modelNumber"):
            number = context["modelNumber"]
            model = meaning.once_per_message(
                f"model:{number}", lambda: catalog.appliance_model_get(model_number=number)
            )

        words = search_tokens(blank)
        lowered_brands = {b.lower() for b in brands}
        part_words = [
            w
            for w in words
            if w in name_terms and w not in _GENERIC_NAME_WORDS and w.isalpha() and w not in lowered_brands
        ]
        # The same, as written (for matching part names): part words, then qualifying words.
        raw_part_words, raw_qualifiers = [], []
        for raw in plain_words(blank):
            stems = [t for t in search_tokens(raw) if t in name_terms and t not in lowered_brands]
            if not stems or raw in meaning.appliance_names() or raw in ("part", "parts"):
                continue
            if any(t not in _GENERIC_NAME_WORDS for t in stems):
                raw_part_words.append(raw)
            else:
                raw_qualifiers.append(raw)
        last_parts = [ps for ps in context.get("lastParts") or [] if ps]
        product = mentioned[0] if mentioned else None
        referenced = False
        if product is None and not unknown_ps:
            if entities.ordinal is not None and last_parts:
                index = entities.ordinal if entities.ordinal >= 0 else len(last_parts) - 1
                if index < len(last_parts):
                    product = catalog.product_get(ps_number=last_parts[index])
                    referenced = product is not None
            elif entities.cheapest and last_parts:
                shown = [p for p in (catalog.product_get(ps_number=ps) for ps in last_parts) if p]
                product = min(shown, key=lambda p: p.price) if shown else None
                referenced = product is not None
        named_types = [t for t in entities.appliance_types if _in_scope(t)]
        appliance_type = (
            next(iter(named_types), None)
            or (model.appliance_type if model_from_message and model else None)
            or (product.appliance_type if product else None)
            or context.get("applianceType")
            or (model.appliance_type if model else None)
        )
        brand = entities.brand or (model.brand if model_from_message and model else "") or context.get("brand") or ""
        # Every part-name word counts for the problem, "water" and "door" too ("water dispenser",
        # "the handle came off the door"): not the appliance's name or words every part has.
        symptom_part_terms = tuple(
            w
            for w in dict.fromkeys(words)
            if w in name_terms and w.isalpha() and w not in lowered_brands and w not in _NOT_A_PART_KIND
        )
        # No appliance named, but the problem's words may be one appliance's only ("ice", "soap").
        problem_appliance = appliance_type or meaning.problem_appliance(blank.replace("#", " "), brands=brands)
        problem = meaning.symptom_find(
            blank.replace("#", " "), appliance_type=problem_appliance, brands=brands, part_terms=symptom_part_terms
        )
        symptom, symptom_score = problem.symptom, problem.score
        # "it stopped working" with no appliance known: a fridge's problem as much as a dishwasher's.
        symptom_ambiguous = bool(
            symptom is not None
            and problem_appliance is None
            and any(
                (
                    other := meaning.symptom_find(
                        blank.replace("#", " "), appliance_type=kind, brands=brands, part_terms=symptom_part_terms
                    )
                ).symptom
                and other.score >= symptom_score - AMBIGUOUS_SYMPTOM
                for kind in settings.PARLEY_SHOP_SCOPE
                if kind != symptom.appliance_type
            )
        )
        from_words = False
        by_words = False  # the part is named by its words only: looked up once the intent needs it
        if product is None and not unknown_ps and part_words and not referenced:
            remembered = _remembered_part(context.get("psNumber") or page.get("psNumber") or "")
            if remembered is not None and all(w in search_tokens(remembered.name) for w in part_words):
                product = remembered  # "the door gasket" is the one we were talking about
                referenced = from_words = True
            else:
                by_words = True
        if product is None and not unknown_ps and not part_words and not unknown_codes:
            remembered = context.get("psNumber") or page.get("psNumber")
            if remembered:
                product = _remembered_part(remembered)

        u = Understanding(
            text=text,
            masked=masked,
            reading=reading,
            ids=ids,
            entities=entities,
            mentioned=mentioned,
            unknown=unknown,
            unknown_ps=unknown_ps,
            unknown_codes=unknown_codes,
            model=model,
            model_from_message=model_from_message,
            product=product,
            referenced=referenced,
            from_words=from_words,
            appliance_type=appliance_type,
            named_types=entities.appliance_types,
            brand=brand,
            symptom=symptom,
            symptom_score=symptom_score,
            symptom_ambiguous=symptom_ambiguous,
            part_words=part_words,
            raw_part_words=list(dict.fromkeys(raw_part_words)),
            raw_qualifiers=[w for w in dict.fromkeys(raw_qualifiers) if w not in raw_part_words],
            last_parts=last_parts,
            order_numbers=ids.order_numbers,
            remembered_order=context.get("orderNumber") or "",
            # What the segment says besides part words, identifiers and small words: nothing left in
            # "and the door gasket?", "fit" left in "and will it fit my WDT780SAEM1?".
            residual_words=[
                w
                for w in re.findall(r"[a-z']+", intents.FOLLOW_UP.sub("", blank).lower())
                if w not in _FOLLOW_UP_FILLER and w not in name_terms and w not in lowered_brands
            ],
            previous=context.get("lastIntent", ""),
            remembered_symptom=context.get("symptom") or "",
            problem_hint=problem.problem,
            # Words of substance the shop never uses ("crypto", "oil", "rain"): a sign the message is
            # about something else, when nothing else in it is the shop's.
            foreign=[
                w
                for w in words
                if w.isalpha()
                and len(w) > 2
                and w not in name_terms
                and w not in lowered_brands
                and meaning.foreign_word(w)
            ],
            # The problem words say something besides naming a part ("quit working", "doesn't"),
            # unlike "a door gasket for WDT780SAEM1", whose words are also a symptom's.
            problem_says_more=any(
                w in meaning.symptom_words() and not (set(search_tokens(w)) & name_terms)
                for w in meaning.problem_words(blank.replace("#", " "), brands=brands).split()
            ),
        )
        u.intent, u.refusal = self._decide(u)
        if by_words and u.intent in _ONE_PART_INTENTS and not u.refusal:
            u.product = self._part_by_words(part_words, appliance_type, brand, model)
            u.referenced = u.from_words = u.product is not None
            if u.product is None:
                # "do you have a door gasket for it" when none fits the model: a search, which says so.
                u.intent = intents.SEARCH
        return u

    @staticmethod
    def _decide(u) -> tuple[str, str]:
        """(intent, refusal reason or "") for a segment: the classifier's reading, corrected by what
        the identifiers and the conversation make certain."""
        reading, entities = u.reading, u.entities
        priced_list = entities.budget is not None or bool(entities.sort)
        if intents.injection_suspected(reading, question=intents.is_question(u.masked)) and (
            reading.intent == intents.INJECTION or not priced_list
        ):
            # Money words next to a budget or a sort order ("the cheapest …", "budget is $76") are a
            # shopper's slot, not instructions, unless the message reads as instructions first.
            return intents.INJECTION, "injection"
        in_scope_ids = any(_in_scope(p.appliance_type) for p in u.mentioned) or bool(
            u.model_from_message and _in_scope(u.model.appliance_type)
        )
        out_types = [t for t in u.named_types if not _in_scope(t)]
        in_types = [t for t in u.named_types if _in_scope(t)]
        if u.mentioned and not in_scope_ids:
            return intents.OUT_OF_SCOPE, "appliance"
        if out_types and not in_types and not in_scope_ids and reading.intent not in _NO_SUBJECT_INTENTS:
            return intents.OUT_OF_SCOPE, "appliance"
        intent, confidence = reading.intent, reading.confidence
        abstain = meaning.threshold("abstain")
        strong_domain = bool(in_scope_ids or in_types or u.unknown or u.order_numbers)
        # A faint symptom next to words the shop never uses ("how much is an oil change") is no anchor.
        faint_symptom = bool(u.foreign and u.symptom is not None and u.symptom_score < CLEAR_SYMPTOM)
        domain = bool(strong_domain or u.part_words or (u.symptom and not faint_symptom))
        if not domain and entities.pronoun and u.problem_hint and u.model is None and u.product is None:
            return intents.CLARIFY, ""  # "it's leaking": a problem, but with what?
        # A faint problem inside a question about the shop's terms ("if it doesn't fit can I get my
        # money back") is not a problem to place on an appliance.
        terms_question = reading.intent in _TERMS_INTENTS and u.symptom_score < CLEAR_SYMPTOM
        if (
            u.symptom_ambiguous
            and not terms_question
            and not u.part_words
            and not u.brand
            and u.model is None
            and u.product is None
        ):
            return intents.CLARIFY, ""  # "it stopped working": which appliance?
        if intent == intents.DISCOUNT and entities.budget is None:
            return intent, "discount"
        if intent == intents.DISCOUNT:  # "a water inlet valve, budget is $55" is a price filter
            intent = next(label for label in reading.scores if label not in intents.REFUSALS)
            confidence = reading.scores[intent]
        runner_up = next((label for label in reading.scores if label not in intents.REFUSALS), intents.SEARCH)
        margin = confidence - reading.scores.get(runner_up, 0.0)
        if intent == intents.OUT_OF_SCOPE:
            # Part words or a symptom alone ("garage door opener", "won't start") do not make a
            # message ours when it reads clearly as something else.
            if not strong_domain and (margin >= OUT_OF_SCOPE_MARGIN or not domain):
                if entities.pronoun and (domain or u.problem_hint) and u.model is None:
                    return intents.CLARIFY, ""  # "it's leaking": which appliance?
                if confidence >= abstain or margin >= CLEAR_MARGIN or u.foreign:
                    return intents.OUT_OF_SCOPE, "general"
                return intents.CLARIFY, ""
            intent, confidence = runner_up, reading.scores.get(runner_up, 0.0)
        refers = bool(entities.pronoun or entities.ordinal is not None or len(re.findall(r"\w+", u.text)) <= 3)
        if not domain and not refers and intent not in _NO_SUBJECT_INTENTS:
            outside = reading.scores.get(intents.OUT_OF_SCOPE, 0.0)
            near = NEAR_OUT_OF_SCOPE + (FOREIGN_NEAR if u.foreign else 0.0)
            if confidence < FAR or outside >= confidence - near:
                return intents.OUT_OF_SCOPE, "general"  # nothing of the shop, and reads as something else
        if (
            not domain
            and u.foreign
            and not u.ids.mentions
            and not entities.pronoun
            and intent in intents.PART_INTENTS
            and intent != intents.DELIVERY  # "do you accept amex" is the shop's terms
        ):
            return intents.OUT_OF_SCOPE, "general"  # "price of gold per ounce": a price, but of nothing we sell
        # A reading that hardly beats the next shop label says little ("can you sell me an iphone":
        # a person? a purchase? a notice?): with nothing of the shop named, it counts as words the
        # shop never uses do.
        second = next((label for label in reading.scores if label not in intents.REFUSALS and label != intent), "")
        unclear = confidence - reading.scores.get(second, 0.0) < CLEAR_MARGIN
        if (
            not domain
            and (u.foreign or unclear)
            and intent in _NO_SUBJECT_INTENTS
            and intent != intents.GREETING
            and reading.scores.get(intents.OUT_OF_SCOPE, 0.0)
            >= confidence - NEAR_OUT_OF_SCOPE - (FOREIGN_NEAR if u.foreign else 0.0)
            and (intent == intents.HUMAN or meaning.policy_find(u.masked)[0] is None)
        ):
            return intents.OUT_OF_SCOPE, "general"  # "call my mom", "connect me to my bank": not the shop's people
        part_named = bool(
            u.mentioned or (not u.from_words and (u.referenced or (entities.pronoun and u.product is not None)))
        )
        if u.order_numbers and intents.only_identifiers(u.masked) and u.previous in intents.ORDER_INTENTS:
            intent = u.previous  # an order number alone answers "which order?": the request still open
        elif u.order_numbers and intent == intents.POLICY and meaning.policy_find(u.masked)[0] is not None:
            pass  # "can I return the stuff from ORD-…": the terms, and where that order is
        elif u.order_numbers and intent not in intents.ORDER_INTENTS:
            intent = intents.ORDER_STATUS
        # "and the door gasket?": a bare follow-up keeps the question and changes its subject.
        bare_follow_up = intents.FOLLOW_UP.search(u.text) and u.previous in intents.CARRY_OVER and not u.residual_words
        if intents.only_identifiers(u.masked) or bare_follow_up:
            if u.model_from_message and not u.mentioned and u.remembered_symptom:
                return intents.TROUBLESHOOT, ""
            if u.model_from_message and not u.mentioned and u.product is not None and not u.part_words:
                return intents.COMPATIBILITY, ""  # "and for the WDT780SAEM1?": a new model asks about fit
            if u.previous in intents.CARRY_OVER and (u.product is not None or u.unknown or u.part_words):
                return u.previous, ""
            if u.mentioned and u.model_from_message and not bare_follow_up:
                return intents.COMPATIBILITY, ""  # "PS… for WDT780SAEM1?": a part and a model, nothing else
            if u.mentioned or u.unknown_ps:
                return intents.PRODUCT_INFO, ""
            if u.model_from_message:
                return intents.SEARCH, ""
        if (
            part_named
            and u.model_from_message
            and intent in _PART_AND_MODEL
            and (intent != intents.PRICE_STOCK or reading.scores.get(intents.COMPATIBILITY, 0) >= confidence - 0.1)
        ):
            # "is PS… the right part for my WDT780SAEM1": a part and a model are a fit question (whose
            # answer also gives the price and stock).
            return intents.COMPATIBILITY, ""
        if (
            u.entities.brand
            and u.part_words
            and not part_named
            and intent
            in (
                intents.ALTERNATIVES,
                intents.PRODUCT_INFO,
                intents.PURCHASE,
            )
        ):
            return intents.SEARCH, ""  # "do you sell LG led light modules": the brand is a filter
        if intent == intents.POLICY and not u.mentioned and meaning.policy_find(u.masked)[0] is None:
            # No term of the shop's is about it ("can you help me fix it"): the next reading, if close.
            other = next(label for label in reading.scores if label not in (*intents.REFUSALS, intents.POLICY))
            if reading.scores[other] >= confidence - POLICY_NEAR:
                intent, confidence = other, reading.scores[other]
        if intent == intents.POLICY and u.mentioned:
            # "what would PS… set me back": a question about the part named, not the shop's terms.
            about_part = next(label for label in reading.scores if label in intents.CARRY_OVER)
            if reading.scores[about_part] >= confidence - POLICY_NEAR:
                intent, confidence = about_part, reading.scores[about_part]
        if intent == intents.COMPARE and len(u.mentioned) == 1 and u.model is not None:
            return intents.COMPATIBILITY, ""  # "is PS… the right one" with the model known
        if (
            len(u.mentioned) >= 2
            and u.model_from_message
            and not u.entities.sort
            and reading.scores.get(intents.COMPATIBILITY, 0) >= confidence - 0.1
        ):
            return intents.COMPATIBILITY, ""  # "do A and B fit my X?": each part against the model
        if len(u.mentioned) >= 2 and (u.entities.sort or reading.scores.get(intents.COMPARE, 0) >= confidence - 0.1):
            return intents.COMPARE, ""
        if (u.entities.email or u.entities.phone) and u.previous == intents.NOTIFY and intent != intents.PURCHASE:
            return intents.NOTIFY, ""
        if intent == intents.GREETING and domain:
            intent = next(label for label in reading.scores if label not in (*intents.REFUSALS, intents.GREETING))
            confidence = reading.scores[intent]
        if u.model_from_message and not u.mentioned and not u.part_words and not u.order_numbers:
            # "my bad, the model is MSS25C4MGZ": the model answers the question still open.
            asks_own = intent in intents.CARRY_OVER and confidence >= abstain
            if u.product is not None and u.previous in intents.CARRY_OVER and not asks_own:
                # The part's price, stock or install steps do not change with the model; its fit does.
                return intents.COMPATIBILITY, ""
            if (
                u.remembered_symptom
                and u.symptom is None
                and (not asks_own or u.product is None)
                and not part_named
                and intent not in intents.ORDER_INTENTS
            ):
                return intents.TROUBLESHOOT, ""
            if asks_own and u.product is not None and intent == intents.COMPATIBILITY:
                return intents.COMPATIBILITY, ""  # "my bad, the model is MSS25C4MGZ": the part asked about
        names_nothing = not (part_named or u.order_numbers or u.part_words or u.ids.mentions or u.symptom)
        if (
            intent in _POLICY_LOOKALIKES
            and names_nothing
            and reading.scores.get(intents.POLICY, 0.0) >= confidence - POLICY_NEAR
        ):
            # "can I send it back if it's wrong", "do you accept amex", "how many days do I have to send it back"
            policy, _ = meaning.policy_find(u.masked)
            if policy is not None:
                return (intents.HUMAN if policy.topic == CONTACT_TOPIC else intents.POLICY), ""
        if (
            u.symptom is not None
            and not part_named
            and not (u.entities.sort or u.entities.budget is not None)
            and intent not in (*intents.ORDER_INTENTS, intents.HUMAN, intents.DELIVERY)
            # "it doesnt dry anything" is a problem, not the returns policy it faintly resembles.
            and (intent != intents.POLICY or u.symptom_score > meaning.policy_find(u.masked)[1])
            and (u.problem_says_more or (intent == intents.TROUBLESHOOT and not u.part_words))
        ):
            # "the water dispenser quit working on my WRS325SDHZ": a problem, though it names a part.
            return intents.TROUBLESHOOT, ""
        if u.part_words and not part_named and (u.entities.sort or u.entities.budget is not None):
            # "the cheapest drain pump", "a door gasket under $40": a list to sort or filter.
            return (intents.RECOMMEND if intent == intents.RECOMMEND else intents.SEARCH), ""
        if u.symptom is not None and not part_named and intent in _SYMPTOM_OVERRIDES and not u.part_words:
            return intents.TROUBLESHOOT, ""  # "I have a LDT5678ST and it makes a grinding sound"
        if intent in _NEEDS_A_PART and u.part_words and not part_named and u.model_from_message:
            return intents.SEARCH, ""  # "do you have a rack adjuster for LDFN4542S": find it for the model
        if intent in (intents.PRODUCT_INFO, intents.COMPARE) and u.part_words and not part_named:
            return intents.SEARCH, ""  # "evaporator fan motor": a part named by its words, to find
        if intent == intents.TROUBLESHOOT and u.part_words and not part_named and not u.problem_says_more:
            return intents.SEARCH, ""  # "looking for the ice maker assembly": a part asked for, no problem told
        if intent == intents.TROUBLESHOOT and u.symptom is None:
            if part_named:
                return intents.PRODUCT_INFO, ""
            if u.part_words:
                return intents.SEARCH, ""
        if confidence < abstain:
            if part_named or u.unknown:
                return intents.PRODUCT_INFO, ""
            if u.symptom is not None:
                return intents.TROUBLESHOOT, ""
            if u.part_words or u.model_from_message:
                return intents.SEARCH, ""
            return intents.CLARIFY, ""
        return intent, ""

    @staticmethod
    def _part_by_words(part_words, appliance_type, brand, model):
        query = " ".join(part_words + ([appliance_type] if appliance_type else []))
        candidates = [
            p
            for p in catalog.product_search(query=query, limit=40, semantic=False)
            if catalog.product_is_sellable(product=p)
        ]
        if appliance_type:
            candidates = [p for p in candidates if p.appliance_type == appliance_type]
        candidates = [p for p in candidates if getattr(p, "match", "") in ("all_terms",)] or []
        if not candidates:
            return None
        if model is not None:
            fit_ids = set(
                Compatibility.objects.filter(
                    appliance_model=model, product_id__in=[p.pk for p in candidates]
                ).values_list("product_id", flat=True)
            )
            # Only a part that fits the customer's model is "the" part they mean.
            candidates = [p for p in candidates if p.pk in fit_ids]
            if not candidates:
                return None
        if brand:
            candidates = [p for p in candidates if p.brand.lower() == brand.lower()] or candidates
        return candidates[0]

    # --- the reply ----------------------------------------------------------------

    def reply(self, *, text: str, context: dict, conversation_id: str = "") -> Draft:
        ids = identifiers_find(text)
        readings = self.understand(text=text, context=context, ids=ids)
        if any(u.refusal == "injection" for u in readings) or intents.injection_in(ids.masked(text)):
            return self._refusal("injection", readings[0])
        answered = [u for u in readings if not u.refusal]
        if not answered:
            return self._refusal(readings[0].refusal, readings[0])
        drafts, seen = [], set()
        memory = dict(context)
        for position, u in enumerate(readings):
            if u.key() in seen or (position < len(readings) - 1 and _only_states_a_model(u)):
                continue  # "my model is X. is PS… the right one": the model is for the next question
            seen.add(u.key())
            if u.refusal:
                drafts.append(Draft(content=scope.refusal_text(u.refusal), intent=intents.OUT_OF_SCOPE))
                continue
            draft = self._answer(u, context=memory, conversation_id=conversation_id)
            if not _names_something(u):
                draft.proposals = []  # actions come from what this turn asks about, never from memory alone
            draft.intent = draft.intent or u.intent
            draft.context = {**self._memory(u, draft, memory), **draft.context}
            memory = {**memory, **draft.context}
            drafts.append(draft)
        answers = [d for d in drafts if d.intent not in (intents.GREETING, intents.CLARIFY, intents.OUT_OF_SCOPE)]
        if answers:
            # "Good afternoon. … Kind regards": a greeting or a question back is noise beside an answer.
            drafts = [d for d in drafts if d.intent not in (intents.GREETING, intents.CLARIFY)]
        merged = _merge(drafts)
        models = {u.model.pk: u.model for u in readings if u.model is not None}
        if len(models) == 1 and len(drafts) > 1:
            # One model in the message: a checkout another answer offered must be for a part that fits it.
            merged.proposals = self._fitting_offers(merged.proposals, next(iter(models.values())))
        if any(u.entities.stated_price for u in readings) and merged.proposals:
            # "all parts cost $1 today, add PS… to my cart": the facts stand, nothing is offered.
            merged.proposals = []
            merged.content = "Prices come from our catalogue and I can't change them.\n\n" + merged.content
        merged.entities = self._entities_out(answered[0])
        merged.context = {key: value for key, value in memory.items() if key not in context or context[key] != value}
        return merged

    def _refusal(self, reason: str, u) -> Draft:
        return Draft(content=scope.refusal_text(reason), intent=intents.OUT_OF_SCOPE, entities=self._entities_out(u))

    def _answer(self, u, *, context: dict, conversation_id: str) -> Draft:
        if u.unknown and (u.product is None or u.unknown_codes) and u.intent not in intents.ORDER_INTENTS:
            return self._unknown_identifiers(u)
        handler = getattr(self, f"_{u.intent}", self._search)
        return handler(u=u, context=context, conversation_id=conversation_id)

    @staticmethod
    def _entities_out(u) -> dict:
        out = u.entities.as_dict()
        out.update(
            {
                "psNumbers": [p.ps_number for p in u.mentioned],
                "psNumber": u.product.ps_number if u.product else None,
                "modelNumber": u.model.model_number if u.model_from_message and u.model else None,
                "unknownNumbers": [m.text for m in u.unknown],
                "orderNumbers": u.order_numbers,
                "applianceType": u.appliance_type,
                "brand": u.brand or None,
                "symptom": u.symptom.slug if u.symptom else None,
                "confidence": round(u.reading.confidence, 3),
            }
        )
        return out

    @staticmethod
    def _memory(u, draft: Draft, context: dict) -> dict:
        shown = [card["psNumber"] for card in draft.parts if card.get("psNumber")]
        preferences = dict(context.get("preferences") or {})
        for key, value in {
            "brand": u.entities.brand or (u.model.brand if u.model_from_message and u.model else None),
            "budget": u.entities.budget,
            "applianceType": u.appliance_type,
            "modelNumber": u.model.model_number if u.model else None,
            "quantity": u.entities.quantity,
            "contactChannel": "email" if u.entities.email else ("sms" if u.entities.phone else None),
        }.items():
            if value:
                preferences[key] = value
        memory = {
            "psNumber": (u.product.ps_number if u.product and not u.from_words else None)
            or (shown[0] if len(shown) == 1 else None),
            "modelNumber": u.model.model_number if u.model else None,
            "applianceType": u.appliance_type,
            "brand": u.brand or None,
            "budget": u.entities.budget,
            # The problem stays in the conversation: a model number given later narrows its parts.
            "symptom": u.symptom.slug if u.symptom else None,
            # The order just talked about: "ok, cancel that one" is about it, not the latest.
            "orderNumber": u.order_numbers[0] if len(u.order_numbers) == 1 else None,
            "lastParts": shown or None,
            "lastIntent": draft.intent if draft.intent != intents.CLARIFY else None,
            "preferences": preferences or None,
            "contact": {"email": u.entities.email, "phone": u.entities.phone}
            if (u.entities.email or u.entities.phone)
            else None,
        }
        return {key: value for key, value in memory.items() if value}

    # --- identifiers the catalogue does not know ---------------------------------

    def _unknown_identifiers(self, u) -> Draft:
        lines = []
        for mention in u.unknown:
            number = mention.text.upper()
            line = f"I couldn't find {number} in our catalogue" + (
                "." if number.startswith("PS") or number.isdigit() else ": no model or part of ours has that number."
            )
            offers = suggestions_for(mention)
            if offers:
                line += " Did you mean " + " or ".join(offers) + "?"
            lines.append(line)
        if u.product is not None and u.unknown_codes:
            lines.append(
                f"Once I have your model number as printed on the appliance's rating plate, I'll check "
                f"{u.product.ps_number} against it."
            )
        elif u.unknown_codes:
            lines.append("Please check the number on the appliance's rating plate or the part's packaging.")
        return Draft(
            content=" ".join(lines),
            intent=u.intent if u.intent in intents.PART_INTENTS else intents.PRODUCT_INFO,
            parts=[product_card(u.product)] if u.product is not None else [],
        )

    # --- intents ------------------------------------------------------------------

    def _clarify(self, *, u, **_):
        if getattr(u, "symptom_ambiguous", False):
            kinds = " or your ".join(t.replace("_", " ") for t in settings.PARLEY_SHOP_SCOPE)
            return Draft(
                content=f"Is that your {kinds}? Tell me which (its model number is even better) and I'll find the "
                "parts that fix it.",
                intent=intents.CLARIFY,
            )
        options = [label for label in u.reading.scores if label in _CLARIFY_CHOICES][:2]
        if len(options) == 2:
            question = f"Do you want to {_CLARIFY_CHOICES[options[0]]} or {_CLARIFY_CHOICES[options[1]]}?"
        else:
            question = "Could you tell me a bit more?"
        return Draft(
            content=f"{question} I can help with {scope.scope_label()} parts: a part number, your model number "
            "or what the appliance is doing is a good start.",
            intent=intents.CLARIFY,
        )

    def _compatibility(self, *, u, **_):
        pairs = _fit_pairs(u)
        if len(pairs) > 1:
            # "do A and B fit my X?", "A on X and B on Y": every pair gets its own answer.
            drafts = [self._fit_answer(product, model, u.entities.quantity) for product, model in pairs]
            merged = _merge(drafts)
            merged.intent = intents.COMPATIBILITY
            return merged
        product, model, entities = u.product, u.model, u.entities
        if product is None and model is not None and _only_states_a_model(u):
            return _model_noted(model)
        if product is None:
            return Draft(
                content="Which part do you mean? Send me its PS number (it starts with PS) and I'll check it against "
                + (f"your {model.model_number}." if model else "your model."),
                intent=intents.COMPATIBILITY,
            )
        if model is None:
            text = f"What's your appliance's model number? I'll check whether {product.ps_number} fits it."
            return Draft(content=text, intent=intents.COMPATIBILITY, parts=[product_card(product)])
        return self._fit_answer(product, model, entities.quantity)

    @staticmethod
    def _fit_answer(product, model, quantity: int | None) -> Draft:
        """Whether one part fits one model, with its price and stock, and what to do next."""
        level, confidence = catalog.compatibility_check(product=product, appliance_model=model)
        name = f"{product.ps_number} ({product.name})"
        if level == "yes":
            text = f"Yes: {name} is compatible with {model.model_number}."
            if confidence < 1:
                text += f" Our fit confidence is {round(confidence * 100)}%."
        elif level == "no":
            text = f"No: {name} is not listed as compatible with {model.model_number}."
        else:
            text = f"I can't confirm that {name} fits {model.model_number}: we have no fit data for that pair."
        text += f" It costs {money(product)} and is {stock_phrase(product)}."
        proposals = [
            ActionProposal("checkout_now", {"psNumber": product.ps_number, "quantity": quantity or 1})
            if level == "yes" and product.in_stock
            else None,
            _alternatives_action(product, model) if level != "yes" or not product.in_stock else None,
            ActionProposal("notify_when_in_stock", {"psNumber": product.ps_number}) if not product.in_stock else None,
        ]
        return Draft(
            content=text,
            intent=intents.COMPATIBILITY,
            parts=[product_card(product)],
            proposals=[p for p in proposals if p],
        )

    def _install(self, *, u, **_):
        product = u.product
        if product is None:
            return Draft(
                content="Which part are you installing? Send me its PS number and I'll walk you through it.",
                intent=intents.INSTALL,
            )
        lines = [f"How to install {product.ps_number} ({product.name}):"]
        if product.install_steps:
            lines += [f"{i}. {step}" for i, step in enumerate(product.install_steps, start=1)]
        else:
            lines.append("We don't have written steps for this part yet.")
        facts = []
        if product.install_difficulty:
            facts.append(f"Difficulty: {product.get_install_difficulty_display()}")
        if product.install_time_minutes:
            facts.append(f"Time: about {product.install_time_minutes} minutes")
        if product.install_tools:
            facts.append("Tools: " + ", ".join(product.install_tools))
        if facts:
            lines.append(". ".join(facts) + ".")
        return Draft(
            content="\n".join(lines),
            intent=intents.INSTALL,
            parts=[product_card(product)],
            proposals=self._buy_or_wait(product, 1, u.model),
        )

    def _price_stock(self, *, u, **_):
        products = u.mentioned if len(u.mentioned) > 1 else ([u.product] if u.product is not None else [])
        if not products:
            return Draft(
                content="Which part? Send me its PS number or manufacturer part number and I'll check price and stock.",
                intent=intents.PRICE_STOCK,
            )
        lines = [f"{p.ps_number} ({p.name}) costs {money(p)} and is {stock_phrase(p)}." for p in products]
        quantity = u.entities.quantity
        product = products[0]
        if len(products) == 1 and quantity and product.in_stock and quantity > product.stock_quantity:
            lines.append(f"That's fewer than the {quantity} you asked for.")
        proposals = []
        for p in products:
            offers = self._buy_or_wait(p, min(quantity or 1, max(p.stock_quantity, 1)), u.model)
            proposals += offers if len(products) == 1 else offers[:1]
        return Draft(
            content=" ".join(lines),
            intent=intents.PRICE_STOCK,
            parts=[product_card(p) for p in products],
            proposals=proposals,
        )

    def _delivery(self, *, u, **_):
        product = u.product if (u.mentioned or u.referenced or u.entities.pronoun) else None
        if product is None:
            policy, _ = meaning.policy_find(u.masked)
            if policy is not None:
                return Draft(content=f"{policy.title}: {policy.text}", intent=intents.DELIVERY)
        lines = []
        dispatch = settings.PARLEY_DELIVERY_DISPATCH
        standard = settings.PARLEY_DELIVERY_STANDARD
        express = settings.PARLEY_DELIVERY_EXPRESS
        free_over = settings.PARLEY_FREE_SHIPPING_OVER
        if product is not None:
            if product.in_stock:
                lines.append(f"{product.ps_number} ({product.name}) is {stock_phrase(product)}.")
            else:
                lines.append(
                    f"{product.ps_number} ({product.name}) is {stock_phrase(product)}, so it ships once it's back "
                    "in stock."
                )
        if not (dispatch or standard or express):
            lines.append("I don't have delivery times to quote; the checkout page shows the options for your address.")
        else:
            if dispatch:
                lines.append(dispatch.rstrip(".") + ".")
            if standard:
                lines.append(f"Standard delivery: {standard}.")
            if express:
                lines.append(f"Express delivery: {express}.")
        if free_over:
            lines.append(f"Shipping is free on orders over {free_over} {settings.PARLEY_CURRENCY}.")
        return Draft(
            content=" ".join(lines),
            intent=intents.DELIVERY,
            parts=[product_card(product)] if product else [],
            proposals=self._buy_or_wait(product, u.entities.quantity or 1, u.model) if product else [],
        )

    def _product_info(self, *, u, **_):
        product = u.product
        if product is None:
            return self._search(u=u)
        text = (
            f"{product.ps_number} is the {product.name} by {product.brand}, {money(product)}, {stock_phrase(product)}."
        )
        if u.model is not None:
            level, _ = catalog.compatibility_check(product=product, appliance_model=u.model)
            text += {
                "yes": f" {product.ps_number} fits your {u.model.model_number}.",
                "no": f" {product.ps_number} is not listed for your {u.model.model_number}.",
            }.get(level, "")
        return Draft(
            content=text,
            intent=intents.PRODUCT_INFO,
            parts=[product_card(product)],
            proposals=self._buy_or_wait(product, u.entities.quantity or 1, u.model),
        )

    def _purchase(self, *, u, **_):
        product = u.product
        if product is None:
            return Draft(content="Which part would you like to buy? Send me its PS number.", intent=intents.PURCHASE)
        quantity = u.entities.quantity or 1
        max_quantity = settings.PARLEY_MAX_QUANTITY
        proposals = self._buy_or_wait(product, min(quantity, max_quantity))
        if not product.in_stock:
            text = (
                f"{product.ps_number} ({product.name}) is {stock_phrase(product)} right now, so I can't check it out."
            )
        elif quantity > max_quantity:
            text = f"One order can hold at most {max_quantity} of a part; contact us for larger quantities."
            proposals = []
        elif quantity > product.stock_quantity:
            text = f"We only have {product.stock_quantity} of {product.ps_number} in stock."
            proposals = self._buy_or_wait(product, product.stock_quantity)
        else:
            text = (
                # The stock it is sold from is said too: "is it available to ship" reads as a purchase.
                f"Great choice: {quantity} × {product.ps_number} ({product.name}) at {money(product)} each, "
                f"{stock_phrase(product)}. Press Checkout now to pay securely."
            )
        if u.model is not None and product.in_stock:
            level, _ = catalog.compatibility_check(product=product, appliance_model=u.model)
            if level == "no":
                text = (
                    f"Before you buy: {product.ps_number} is not listed as compatible with your "
                    f"{u.model.model_number}. " + text.replace(" Press Checkout now to pay securely.", "")
                )
                proposals = [_alternatives_action(product, u.model)]
        return Draft(content=text, intent=intents.PURCHASE, parts=[product_card(product)], proposals=proposals)

    def _alternatives(self, *, u, **_):
        product, model = u.product, u.model
        alternatives = catalog.compatible_alternatives(
            product=product, appliance_model=model, appliance_type=u.appliance_type, limit=10
        )
        cheaper_wanted = u.entities.sort == "price"
        note = ""
        if cheaper_wanted and product is not None:
            cheaper = [alt for alt in alternatives if alt.price < product.price]
            if not cheaper:
                note = f" None is cheaper than {product.ps_number} ({money(product)}); these are the closest."
            else:
                alternatives = sorted(cheaper, key=lambda p: (not p.in_stock, p.price))
        if u.entities.budget is not None:
            within = [alt for alt in alternatives if float(alt.price) <= u.entities.budget]
            if within:
                alternatives = within
            else:
                note += f" None is within {u.entities.budget:.2f}."
        alternatives = alternatives[:3]
        if not alternatives:
            return Draft(
                content="I couldn't find alternatives for that in our catalogue. "
                "Tell me your model number and I'll look again.",
                intent=intents.ALTERNATIVES,
            )
        names = "; ".join(f"{alt.ps_number} ({alt.name}, {money(alt)}, {stock_phrase(alt)})" for alt in alternatives)
        subject = f" for {model.model_number}" if model else (f" to {product.ps_number}" if product else "")
        proposals = [self._buy_or_wait(alt, 1)[0] for alt in alternatives if alt.in_stock][:1] if model else []
        return Draft(
            content=f"Here are alternatives{subject}: {names}.{note}",
            intent=intents.ALTERNATIVES,
            parts=[product_card(alt) for alt in alternatives],
            proposals=proposals,
        )

    def _notify_when_in_stock(self, *, u, **_):
        product = u.product
        if product is None:
            return Draft(content="Which part should I watch for you? Send me its PS number.", intent=intents.NOTIFY)
        if product.in_stock:
            return Draft(
                content=f"Good news: {product.ps_number} is {stock_phrase(product)} now.",
                intent=intents.NOTIFY,
                parts=[product_card(product)],
                proposals=self._buy_or_wait(product, 1, u.model),
            )
        channel = "sms" if u.entities.phone and not u.entities.email else "email"
        contact = u.entities.email or u.entities.phone
        text = f"{product.ps_number} ({product.name}) is {stock_phrase(product)}. "
        text += (
            f"Press the button and I'll tell you at {contact} as soon as it's back."
            if contact
            else "Press the button and I'll tell you as soon as it's back (I'll ask where to reach you)."
        )
        return Draft(
            content=text,
            intent=intents.NOTIFY,
            parts=[product_card(product)],
            proposals=[ActionProposal("notify_when_in_stock", {"psNumber": product.ps_number, "channel": channel})],
        )

    def _troubleshoot(self, *, u, **_):
        model, symptom = u.model, u.symptom
        if symptom is None and u.remembered_symptom:
            symptom = meaning.symptom_get(u.remembered_symptom)
        if symptom is None and u.model_from_message:
            return _model_noted(model)  # "samsung fridge RF23J9011SR": the model is known, the problem is not
        if symptom is None:
            return Draft(
                content='Tell me what the appliance is doing (for example "ice maker not making ice" or '
                '"dishwasher not draining") and its model number, and I\'ll find the parts that fix it.',
                intent=intents.TROUBLESHOOT,
            )
        if model is not None and model.appliance_type != symptom.appliance_type:
            model = None  # a dishwasher model says nothing about a fridge's problem
        brand = (model.brand if model else None) or (u.brand or None)
        if model is None and brand:
            parts = _symptom_parts_for_brand(symptom, brand)
        else:
            parts = catalog.parts_for_symptom(symptom=symptom, appliance_model=model, limit=3)
        memory = {"symptom": symptom.slug}
        if not parts:
            where = f"for {model.model_number}" if model else (f"for {brand} models" if brand else "yet")
            return Draft(
                content=f'None of the parts we list for "{symptom.name}" is listed {where}. '
                + (
                    "Check the model number on the rating plate, or ask me for the parts that fit it."
                    if model
                    else "Tell me your model number and I'll look at the parts that fit it."
                ),
                intent=intents.TROUBLESHOOT,
                context=memory,
                proposals=[_alternatives_action(None, model)] if model else [],
            )
        subject = f" on your {model.model_number}" if model else (f" ({brand})" if brand else "")
        lines = [f'For "{symptom.name}"{subject}, these parts are the usual fix:']
        lines += [f"- {p.ps_number} {p.name} ({money(p)}, {stock_phrase(p)})" for p in parts]
        if model is None:
            lines.append("Tell me your model number and I'll confirm which one fits.")
        return Draft(
            content="\n".join(lines),
            intent=intents.TROUBLESHOOT,
            parts=[product_card(p) for p in parts],
            proposals=self._list_offers(parts, model),
            context=memory,
        )

    def _compare(self, *, u, **_):
        products = list(u.mentioned)
        if len(products) < 2 and u.product is not None and u.product not in products:
            products.insert(0, u.product)
        if len(products) < 2 and u.last_parts:
            for ps in u.last_parts:
                p = catalog.product_get(ps_number=ps)
                if p and p not in products:
                    products.append(p)
                if len(products) >= 2:
                    break
        if len(products) < 2:
            return Draft(content="Which two parts should I compare? Send me both PS numbers.", intent=intents.COMPARE)
        a, b = products[:2]
        lines = [f"{a.ps_number} vs {b.ps_number}:"]
        for p in (a, b):
            facts = [p.name, p.brand, money(p), stock_phrase(p)]
            if p.rating is not None:
                facts.append(f"rated {p.rating}/5 ({p.review_count} reviews)")
            if p.install_difficulty:
                facts.append(f"{p.get_install_difficulty_display().lower()} to install")
            if u.model is not None:
                level, _ = catalog.compatibility_check(product=p, appliance_model=u.model)
                facts.append(
                    {"yes": "fits", "no": "does not fit"}.get(level, "fit unknown for") + f" {u.model.model_number}"
                )
            lines.append(f"- {p.ps_number}: " + ", ".join(facts))
        if a.price != b.price:
            cheaper = a if a.price < b.price else b
            lines.append(f"{cheaper.ps_number} is {money_display(abs(a.price - b.price), a.currency)} cheaper.")
        else:
            lines.append("They cost the same.")
        return Draft(
            content="\n".join(lines),
            intent=intents.COMPARE,
            parts=[product_card(a), product_card(b)],
            proposals=[*self._buy_or_wait(a, 1, u.model)[:1], *self._buy_or_wait(b, 1, u.model)[:1]],
        )

    # --- orders -------------------------------------------------------------------

    @staticmethod
    def _named_orders(u, conversation_id: str) -> tuple[list, list[str]]:
        """(the orders the customer may ask about, order numbers they named that are not theirs).
        Named numbers select those orders; otherwise the conversation's orders, latest first."""
        own = checkout_selectors.orders_for_conversation(conversation_id=conversation_id)
        if not u.order_numbers:
            # The order named earlier in the conversation comes first.
            return sorted(own, key=lambda o: o.number.upper() != u.remembered_order.upper()), []
        by_number = {o.number.upper(): o for o in own}
        found = [by_number[n] for n in u.order_numbers if n in by_number]
        return found, [n for n in u.order_numbers if n not in by_number]

    @staticmethod
    def _which_order(u, candidates: list, *, verb: str = "") -> str:
        """The question to ask when the customer named no order, none was talked about and several
        could be meant ("cancel my order" with two open ones); "" when it is clear which."""
        remembered = {o.number.upper() for o in candidates} & {u.remembered_order.upper()}
        if u.order_numbers or remembered or len(candidates) < 2:
            return ""
        numbers = " or ".join(o.number for o in candidates[:3])
        return f"Which order do you want to {verb}: {numbers}?"

    def _order_status(self, *, u, conversation_id, **_):
        orders, foreign = self._named_orders(u, conversation_id)
        lines = [f"I can't find order {n} in this conversation; please check the number." for n in foreign]
        if not orders and not foreign:
            lines.append("I can't see an order placed in this conversation yet.")
        lines += [
            f"Order {o.number}: {o.get_status_display().lower()}, {money_display(o.total, o.currency)}, "
            f"placed {o.created_at:%d %b %Y}. {order_fulfilment_sentence(o)}".rstrip()
            for o in orders[:3]
        ]
        return Draft(content="\n".join(lines), intent=intents.ORDER_STATUS)

    def _refund_request(self, *, u, conversation_id, **_):
        """A refund is for an operator to decide: offer the button for the order the customer named
        (or this conversation's latest paid one), never for a fully refunded order."""
        orders, foreign = self._named_orders(u, conversation_id)
        lines = [f"I can't find order {n} in this conversation; please check the number." for n in foreign]
        refundable = [o for o in orders if o.status in ("paid", "partially_refunded") and o.refundable_amount > 0]
        if not refundable:
            if orders:
                order = orders[0]
                state = (
                    "has been fully refunded"
                    if order.refundable_amount <= 0
                    else f"is {order.get_status_display().lower()}"
                )
                lines.append(f"Order {order.number} {state}, so there is nothing left to refund.")
            elif not foreign:
                lines.append(
                    "I can't see a paid order in this conversation to refund. If you ordered elsewhere, "
                    "please contact us with your order number."
                )
            return Draft(content=" ".join(lines), intent=REFUND_REQUEST)
        if self._which_order(u, refundable):
            return Draft(content=self._which_order(u, refundable, verb="refund"), intent=REFUND_REQUEST)
        order = refundable[0]
        lines.append(
            f"I can ask our team to refund order {order.number} "
            f"({money_display(order.refundable_amount, order.currency)}). Press Request a refund and a team member will review it; you'll get "
            "their answer here."
        )
        return Draft(
            content=" ".join(lines),
            intent=REFUND_REQUEST,
            proposals=[ActionProposal("refund_request", {"orderNumber": order.number, "reason": u.text[:1000]})],
        )

    def _order_cancel(self, *, u, conversation_id, **_):
        orders, foreign = self._named_orders(u, conversation_id)
        lines = [f"I can't find order {n} in this conversation; please check the number." for n in foreign]
        open_orders = [o for o in orders if o.status == "paid" and o.fulfilment_status in ("unfulfilled", "packed")]
        if not open_orders:
            if not foreign and orders and orders[0].status == "paid" and orders[0].fulfilment_status != "not_required":
                order = orders[0]
                lines.append(
                    f"Order {order.number} is already cancelled; it will not be sent."
                    if order.fulfilment_status == "cancelled"
                    else f"Order {order.number} can't be cancelled any more. {order_fulfilment_sentence(order)}"
                )
            elif not foreign:
                lines.append(
                    f"Order {orders[0].number} is {orders[0].get_status_display().lower()}, so it can't be cancelled here."
                    if orders
                    else "I can't see an order in this conversation to cancel."
                )
            return Draft(content=" ".join(lines), intent=intents.ORDER_CANCEL)
        if self._which_order(u, open_orders):
            return Draft(content=self._which_order(u, open_orders, verb="cancel"), intent=intents.ORDER_CANCEL)
        order = open_orders[0]
        lines.append(
            f"I can ask our team to cancel order {order.number}. Press Cancel my order and a team member will "
            "confirm it here."
        )
        return Draft(
            content=" ".join(lines),
            intent=intents.ORDER_CANCEL,
            proposals=[ActionProposal("order_cancellation", {"orderNumber": order.number, "reason": u.text[:1000]})],
        )

    # --- the shop -----------------------------------------------------------------

    def _policy(self, *, u, conversation_id="", **_):
        """The shop's own words for what was asked (returns, warranty, payment, …), quoted; with the
        status of an order the question names."""
        policy, _ = meaning.policy_find(u.masked)
        if policy is None:
            return Draft(
                content="I don't have the shop's terms on that to quote. " + _contact_text(), intent=intents.POLICY
            )
        text = f"{policy.title}: {policy.text}"
        if u.order_numbers:
            text += "\n\n" + self._order_status(u=u, conversation_id=conversation_id).content
        return Draft(content=text, intent=intents.POLICY, context={"policy": policy.topic})

    def _human(self, **_):
        return Draft(content=_contact_text(), intent=intents.HUMAN)

    def _greeting(self, **_):
        return Draft(
            content=f"Hi! I can help with {scope.scope_label()} parts: checking a part fits your model, "
            "installing it, price and stock, delivery, and ordering it.",
            intent=intents.GREETING,
        )

    def _recommend(self, *, u, **_):
        return self._search(u=u, intent=intents.RECOMMEND)

    def _search(self, *, u, intent: str = intents.SEARCH, **_):
        words = u.raw_part_words
        # The other part-name words the customer used ("lower" dishrack, "door" gasket) break ties.
        qualifiers = u.raw_qualifiers
        # The search text is the part as named ("upper dishrack"), not the rest of the sentence.
        query = _part_phrase(u) or " ".join(w for w in search_tokens(u.ids.masked(u.text, blank=True)) if w.isalpha())
        model = u.model
        result = parts_find(
            query=query or u.text,
            words=words,
            qualifiers=qualifiers,
            appliance_type=u.appliance_type,
            brand=None if model is not None else (u.brand or None),
            appliance_model=model,
            budget=u.entities.budget,
            sort=u.entities.sort,
        )
        asked = _plural(_part_phrase(u)) or "parts"
        if u.mentioned and not words and model is None and u.product is not None:
            return self._product_info(u=u)  # "is PS… expensive": about the part named, nothing to find
        if _only_states_a_model(u) and u.entities.budget is None and not u.entities.sort:
            # "i have a WDT780SAEM1": noted; what they need is the next question, not a guess.
            return _model_noted(model)
        symptom = u.symptom or (meaning.symptom_get(u.remembered_symptom) if u.remembered_symptom else None)
        if not words and model is None and u.entities.budget is None and not u.brand:
            return Draft(
                content="Which part are you looking for? Tell me its name or number, or your appliance's model "
                "number and what it is doing.",
                intent=intents.CLARIFY,
            )
        if not result.items and symptom is not None and not u.entities.sort:
            # "cant hold a steady temperature on my RF28R7351SR": no part is named "temperature",
            # the problem's parts for the model are the answer. A part we sell that is not listed
            # for the model is said so first ("none of our ice maker assemblies is listed for …").
            fix = self._troubleshoot(u=u)
            if result.empty_because == "model" and words and model is not None:
                fix.content = f"None of our {asked} is listed for {model.model_number}.\n\n" + fix.content
            return fix
        if not result.items:
            if result.empty_because == "model":
                text = (
                    f"None of our {asked} is listed for {model.model_number}."
                    if words
                    else f"We have no parts listed for {model.model_number} yet."
                )
                text += " I can look for compatible alternatives, or check a part number you have in mind."
                return Draft(content=text, intent=intent, proposals=[_alternatives_action(None, model)])
            if result.empty_because == "brand":
                return Draft(
                    content=f"None of our {asked} is listed for {u.brand} models. Tell me your model number and "
                    "I'll check what fits it.",
                    intent=intent,
                )
            if result.empty_because == "appliance_type":
                return Draft(
                    content=f"None of our {asked} is for a {u.appliance_type}. Tell me your model number and "
                    "I'll check what fits it.",
                    intent=intent,
                )
            if result.empty_because == "budget" and result.over_budget:
                p = result.over_budget[0]
                return Draft(
                    content=f"Nothing matches within {u.entities.budget:.2f}. The closest is {p.ps_number} ({p.name}) "
                    f"at {money(p)}, {stock_phrase(p)}.",
                    intent=intent,
                    parts=[product_card(p)],
                )
            return Draft(
                content="I couldn't find a part for that in our catalogue. Tell me the part's name, its PS number, "
                f"or your {scope.scope_label()}'s model number and I'll look again.",
                intent=intent,
            )
        items = result.items
        if u.entities.sort == "price":
            lines = [f"The cheapest {asked} we sell" + (f" for {model.model_number}" if model else "") + ":"]
        elif u.entities.sort == "rating":
            lines = [f"The best rated {asked}" + (f" for {model.model_number}" if model else "") + ":"]
        elif model is not None:
            lines = [
                f"These {asked} fit your {model.model_number}:" if words else f"Parts for your {model.model_number}:"
            ]
        else:
            lines = ["Here are my top picks:" if intent == intents.RECOMMEND else "Here's what I found:"]
        lines += [
            f"- {r.product.ps_number} {r.product.name} by {r.product.brand}, {money(r.product)}: {r.reason}."
            for r in items
        ]
        if model is None and len(items) > 1:
            lines.append("Tell me your model number and I'll check which one fits.")
        return Draft(
            content="\n".join(lines),
            intent=intent,
            parts=[product_card(r.product) for r in items],
            proposals=self._list_offers([r.product for r in items], model),
        )

    def _fitting_offers(self, proposals: list[ActionProposal], model) -> list[ActionProposal]:
        """A checkout offered by one answer for a part another answer found not to fit the model
        ("how much is A and does it fit X?") becomes the alternatives button."""
        out = []
        for proposal in proposals:
            product = (
                catalog.product_get(ps_number=proposal.payload.get("psNumber", ""))
                if proposal.type == "checkout_now"
                else None
            )
            if (
                product is not None
                and catalog.compatibility_check(product=product, appliance_model=model).level == "no"
            ):
                proposal = _alternatives_action(product, model)
            out.append(proposal)
        return out

    @classmethod
    def _list_offers(cls, products, model) -> list[ActionProposal]:
        """An answer listing several parts: each part's own button (its checkout, or its alert when
        it is out of stock), labelled with the part so the buttons tell themselves apart. The
        action rules (actions_select) keep what they allow: at most three, one primary."""
        labels = {"checkout_now": "Buy {}", "notify_when_in_stock": "Notify: {}"}  # fit WhatsApp titles (20)
        offers = []
        for product in products:
            proposal = cls._buy_or_wait(product, 1, model)[0]
            label = labels.get(proposal.type, "")
            offers.append(ActionProposal(proposal.type, proposal.payload, label=label.format(product.ps_number)))
        return offers

    @staticmethod
    def _buy_or_wait(product, quantity: int, model: ApplianceModel | None = None) -> list[ActionProposal]:
        """Checkout for a part in stock that is not known not to fit the customer's model."""
        if model is not None and catalog.compatibility_check(product=product, appliance_model=model).level == "no":
            return [_alternatives_action(product, model)]
        if product.in_stock:
            return [ActionProposal("checkout_now", {"psNumber": product.ps_number, "quantity": max(1, quantity)})]
        return [
            ActionProposal("notify_when_in_stock", {"psNumber": product.ps_number}),
            _alternatives_action(product, None),
        ]


# Another appliance's best symptom this close to the best one: ask which appliance.
AMBIGUOUS_SYMPTOM = 0.05
# Out-of-scope by this margin over the best shop label wins over part words and symptoms alone.
OUT_OF_SCOPE_MARGIN = 0.15
CLEAR_MARGIN = 0.05
# A question read as another intent is the shop's terms when the policy label is this close.
POLICY_NEAR = 0.15
# A message with nothing of the shop in it whose out-of-scope reading is this close to its best.
NEAR_OUT_OF_SCOPE = 0.1
# ... this much closer still when the message uses words the shop never does.
FOREIGN_NEAR = 0.1
# A symptom read this surely anchors a message even among words the shop never uses.
CLEAR_SYMPTOM = 0.65
# No shop label this close to a message with nothing of the shop in it: refused, not clarified.
FAR = 0.3
_NO_SUBJECT_INTENTS = frozenset(
    {
        intents.GREETING,
        intents.ORDER_STATUS,
        intents.ORDER_CANCEL,
        intents.REFUND_REQUEST,
        intents.POLICY,
        intents.HUMAN,
        intents.DELIVERY,
    }
)
# Questions about the shop's own terms, people and orders rather than an appliance.
_TERMS_INTENTS = frozenset(
    {
        intents.POLICY,
        intents.DELIVERY,
        intents.HUMAN,
        intents.ORDER_STATUS,
        intents.ORDER_CANCEL,
        intents.REFUND_REQUEST,
    }
)
_SYMPTOM_OVERRIDES = frozenset(
    {intents.COMPATIBILITY, intents.PRODUCT_INFO, intents.SEARCH, intents.RECOMMEND, intents.CLARIFY, intents.COMPARE}
)
# Intents a question about the shop's terms is easily read as ("send it back", "when will it arrive").
_POLICY_LOOKALIKES = frozenset(
    {intents.NOTIFY, intents.ORDER_STATUS, intents.DELIVERY, intents.PURCHASE, intents.PRICE_STOCK}
)
_FOLLOW_UP_FILLER = frozenset(
    {"and", "the", "a", "an", "what", "about", "how", "also", "same", "for", "of", "one", "please", "then", "ones"}
)
_PART_AND_MODEL = frozenset(
    {intents.PRODUCT_INFO, intents.SEARCH, intents.RECOMMEND, intents.ALTERNATIVES, intents.PRICE_STOCK}
)
_NEEDS_A_PART = frozenset({intents.COMPATIBILITY, intents.PRICE_STOCK, intents.NOTIFY, intents.ALTERNATIVES})
# Answers about one part: a part named only by its words is looked up for these.
_ONE_PART_INTENTS = frozenset(
    {
        intents.COMPATIBILITY,
        intents.INSTALL,
        intents.PRICE_STOCK,
        intents.DELIVERY,
        intents.PRODUCT_INFO,
        intents.PURCHASE,
        intents.NOTIFY,
        intents.ALTERNATIVES,
    }
)

_CLARIFY_CHOICES = {
    intents.COMPATIBILITY: "check a part fits your model",
    intents.INSTALL: "install a part",
    intents.TROUBLESHOOT: "fix a problem with your appliance",
    intents.PRICE_STOCK: "know a part's price and stock",
    intents.SEARCH: "find a part",
    intents.DELIVERY: "know about delivery",
    intents.ORDER_STATUS: "check an order",
    intents.POLICY: "know our returns, warranty or payment terms",
    intents.HUMAN: "reach our team",
}


def _contact_text() -> str:
    """How to reach a person: the shop's contact policy when it has one."""
    contact, _ = meaning.policy_find("", topic=CONTACT_TOPIC)
    if contact is not None:
        return contact.text
    return scope.shop_contact_text()


CONTACT_TOPIC = "contact"


def _alternatives_action(product, model) -> ActionProposal:
    payload = {}
    if product is not None:
        payload["psNumber"] = product.ps_number
    if model is not None:
        payload["modelNumber"] = model.model_number
    payload["applianceType"] = (model.appliance_type if model else None) or product.appliance_type
    return ActionProposal("check_compatible_alternatives", payload)


def _names_something(u) -> bool:
    """The segment itself points at something of the shop: an identifier, a part's words, a symptom,
    a reference to what was shown ("it", "the second one"), or it is a short follow-up ("price?")."""
    return bool(
        u.ids.mentions
        or u.part_words
        or u.symptom is not None
        or u.referenced
        or u.entities.pronoun
        or u.entities.ordinal is not None
        or u.entities.cheapest
        or intents.FOLLOW_UP.search(u.text)
        or len(re.findall(r"\w+", u.text)) <= 4
    )


def _fit_pairs(u) -> list[tuple]:
    """(part, model) pairs a fit question asks about, from where each number stands: every part
    against the one model named (or remembered); with as many models as parts, in the order
    written ("A on X and B on Y"); otherwise each part with the model written nearest to it."""
    parts = [m for m in u.ids.mentions if m.product is not None]
    models = [m for m in u.ids.mentions if m.model is not None]
    if not parts:
        return []
    if not models:
        return [(m.product, u.model) for m in parts] if u.model is not None else []
    if len(models) == 1:
        pairs = [(m.product, models[0].model) for m in parts]
    elif len(parts) == 1:
        pairs = [(parts[0].product, m.model) for m in models]
    elif len(parts) == len(models):
        pairs = [(p.product, m.model) for p, m in zip(parts, models, strict=True)]
    else:
        pairs = [(p.product, min(models, key=lambda m, p=p: abs(m.start - p.start)).model) for p in parts]
    return list({(p.pk, m.pk): (p, m) for p, m in pairs}.values())


def _listed_for_brand(parts: list, brand: str) -> list:
    """Parts made by the brand or listed for at least one of its models (a Maytag fridge takes
    Whirlpool parts), in their order."""
    listed = catalog.products_listed_for_brand(products=parts, brand=brand)
    return [p for p in parts if p.pk in listed]


def _symptom_parts_for_brand(symptom, brand: str) -> list:
    """The best three of the symptom's best fifty parts that `_listed_for_brand` keeps. The best
    three are read first (a short walk, catalog.selectors.parts_for_symptom): when the brand keeps
    all three they are the answer, the same three; the best fifty, read from the symptom's whole
    list (6,000 parts of a common symptom at a million), only when it does not."""
    best = catalog.parts_for_symptom(symptom=symptom, appliance_type=symptom.appliance_type, limit=3)
    kept = _listed_for_brand(best, brand)
    if len(kept) == len(best):
        return kept
    return _listed_for_brand(
        catalog.parts_for_symptom(symptom=symptom, appliance_type=symptom.appliance_type, limit=50), brand
    )[:3]


def _part_words_masked(masked: str, name_terms: frozenset, brands) -> str:
    """The text with the catalogue's part words and brands read as "part" / "brand": what the
    customer wants to do does not depend on which part ("can I replace the door gasket myself?")."""
    lowered_brands = {b.lower() for b in brands}
    out, previous = [], ""
    for token in re.findall(r"[A-Za-z']+|[^A-Za-z']+", masked):
        word = token.lower()
        if word in lowered_brands:
            token = "brand"
        elif (
            word.isalpha() and word in name_terms and word not in meaning.appliance_names() and word not in _KEEP_WORDS
        ):
            token = "" if previous == "part" else "part"
        if token.strip():
            previous = token
        out.append(token)
    return re.sub(r"\s+", " ", "".join(out)).strip()


# Part-name words that also say what the customer wants ("filter light", "water").
_KEEP_WORDS = frozenset({"this", "my", "water", "ice", "light", "door", "control", "part", "parts"})


_STATEMENT_WORDS = frozenset(
    {"my", "model", "is", "number", "its", "it's", "i", "have", "a", "an", "the", "mine", "it", "here", "got", "own"}
    | {"this", "hi", "hello", "hey", "ok", "so", "mines", "mine's", "is", "am", "using", "with", "one"}
)


def _model_noted(model) -> Draft:
    """ "i have a WDT780SAEM1": noted; what they need is the next question, not a guess."""
    return Draft(
        content=f"Got it: your {model.model_number} ({model.brand} {model.appliance_type.replace('_', ' ')}). "
        "What do you need for it: a part you have in mind, or help with a problem it has?",
        intent=intents.CLARIFY,
        context={"modelNumber": model.model_number},
    )


def _only_states_a_model(u) -> bool:
    return bool(
        u.model_from_message
        and not u.mentioned
        and not u.part_words
        and u.symptom is None
        and not u.unknown
        and set(u.residual_words) <= _STATEMENT_WORDS
    )


def _part_phrase(u) -> str:
    """The part the customer named, in their words ("water filter", "door gasket")."""
    if not u.raw_part_words:
        return ""
    kept = set(u.raw_part_words) | set(u.raw_qualifiers)
    return " ".join(dict.fromkeys(w for w in plain_words(u.ids.masked(u.text, blank=True)) if w in kept))


def _plural(phrase: str) -> str:
    if not phrase:
        return ""
    if phrase.endswith("s"):
        return phrase
    if phrase.endswith(("ch", "sh", "x", "z")):
        return phrase + "es"  # "latches"
    if phrase.endswith("y") and phrase[-2:-1] not in ("a", "e", "o", "u"):
        return phrase[:-1] + "ies"  # "assemblies"
    return phrase + "s"


def _merge(drafts: list[Draft]) -> Draft:
    """One reply from the answers to each question of a message."""
    if len(drafts) == 1:
        return drafts[0]
    answered = [d for d in drafts if d.intent != intents.OUT_OF_SCOPE] or drafts
    parts, seen = [], set()
    for draft in drafts:
        for card in draft.parts:
            if card.get("psNumber") not in seen:
                seen.add(card.get("psNumber"))
                parts.append(card)
    context: dict = {}
    for draft in drafts:
        context.update(draft.context)
    return Draft(
        content="\n\n".join(d.content for d in drafts if d.content),
        intent=answered[0].intent,
        parts=parts,
        proposals=[p for d in answered for p in d.proposals],
        context=context,
    )


_vocabulary_cache: dict = {}


def _remembered_part(ps_number: str):
    """The conversation's part, read once for all the questions of a message."""
    if not ps_number:
        return None
    return meaning.once_per_message(f"part:{ps_number}", lambda: catalog.product_get(ps_number=ps_number))


def _vocabulary():
    """(brands of parts and of appliance models, part-name words), rebuilt with the index."""
    brands, name_terms = catalogue_vocabulary()
    key = (id(name_terms), brands)
    if _vocabulary_cache.get("key") != key:
        model_brands = tuple(ApplianceModel.objects.values_list("brand", flat=True).distinct())
        all_brands = tuple(dict.fromkeys([*brands, *model_brands]))
        _vocabulary_cache.update(key=key, value=(all_brands, name_terms))
    return _vocabulary_cache["value"]


def _in_scope(appliance_type: str | None) -> bool:
    return catalog.appliance_type_in_scope(appliance_type=appliance_type)
