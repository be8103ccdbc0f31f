"""Identifiers first: the part, model and order numbers a message names, resolved against the
catalogue before anything else is read from it.

- Part numbers in every written form: "PS11750057", "ps 11750057", "ps-11750057", the bare
  digits "11750057", a manufacturer number ("WPW10321304", "DA97-16683A", "2421853583"), and
  letters typed for look-alike digits inside a PS number ("PS1175OO57").
- Model numbers: exact, or ignoring case, spaces, dashes and dots.
- A number that is not in the catalogue stays unknown: it is never swapped for a near
  neighbour. Close catalogue numbers are returned as suggestions, for "did you mean …".
- Order numbers ("ORD-251130-ABC234").

Two queries resolve every candidate of a message (products, then models); suggestions cost
one more query per unknown number, which only happens when a number is unknown.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field, replace

from django.db.models import Q
from django.db.models.functions import Upper

from catalog.models import ApplianceModel, Product, model_number_key
from catalog.selectors import catalog_reads_known, identifier_key

ORDER_NUMBER = re.compile(r"\bORD[\s-]?\d{6}[\s-]?[A-Z0-9]{4,8}\b", re.I)  # "ORD 261118 U2EW9J" too
# "PS" then digits, where a typed O / o stands for 0 and I / l for 1.
PS_FORM = re.compile(r"\bps[\s-]?([\dOoIl]{5,10})\b", re.I)
BARE_DIGITS = re.compile(r"(?<![\w$£€.,-])(\d{6,12})(?![\w%]|[.,]\d)")
# Model and manufacturer numbers: letters and digits (at least one digit, at least 5
# characters), dashes and dots inside ("WDT780SAEM1", "665.13223N410", "DA97-16683A").
CODE = re.compile(r"(?<![\w@.$£€])(?=[A-Za-z0-9.-]*\d)[A-Za-z0-9][A-Za-z0-9.-]{3,22}[A-Za-z0-9](?![\w@])")
EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")
PHONE = re.compile(r"(?<![\w])\+?\d[\d\s().-]{7,}\d")
_LOOKALIKE = str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1"})
MAX_SUGGESTIONS = 2


@dataclass
class Mention:
    """One identifier as written, and what it resolved to."""

    text: str
    start: int
    end: int
    kind: str = ""  # "part" | "model" | "order" | "unknown"
    product: Product | None = None
    model: ApplianceModel | None = None
    order_number: str = ""
    suggestions: list[str] = field(default_factory=list)


@dataclass
class Identifiers:
    mentions: list[Mention] = field(default_factory=list)

    @property
    def products(self) -> list[Product]:
        seen, out = set(), []
        for m in self.mentions:
            if m.product is not None and m.product.pk not in seen:
                seen.add(m.product.pk)
                out.append(m.product)
        return out

    @property
    def models(self) -> list[ApplianceModel]:
        seen, out = set(), []
        for m in self.mentions:
            if m.model is not None and m.model.pk not in seen:
                seen.add(m.model.pk)
                out.append(m.model)
        return out

    @property
    def unknown(self) -> list[Mention]:
        return [m for m in self.mentions if m.kind == "unknown"]

    @property
    def order_numbers(self) -> list[str]:
        return list(dict.fromkeys(m.order_number for m in self.mentions if m.kind == "order"))

    def in_span(self, start: int, end: int) -> Identifiers:
        """The identifiers inside text[start:end], with offsets relative to that slice."""
        return Identifiers(
            [
                replace(m, start=m.start - start, end=m.end - start)
                for m in self.mentions
                if m.start >= start and m.end <= end
            ]
        )

    def masked(self, text: str, *, blank: bool = False) -> str:
        """The text with each identifier replaced by what it is (for reading its meaning), or by
        a neutral mark (`blank`, for reading slots: a part number is not a quantity)."""
        names = {"part": "this part", "model": "my model", "order": "my order"}
        out, last = [], 0
        for m in sorted(self.mentions, key=lambda m: m.start):
            out.append(text[last : m.start])
            out.append("#" if blank else names.get(m.kind, "this number"))
            last = m.end
        out.append(text[last:])
        return "".join(out)


# Written like a phone number: with a country code, or grouped 3-3-4. Other digit runs with dots
# or dashes ("665.13242K900", "106.41132210") are model numbers.
PHONE_WRITTEN = re.compile(r"(?<![\w.])(?:\+\d[\d\s().-]{7,}\d|\(?\d{3}\)?[\s.-]?\d{3}[\s.-]\d{4})(?![\w.])")


def _contacts(text: str) -> list[tuple[int, int]]:
    spans = [m.span() for m in EMAIL.finditer(text)]
    spans += [m.span() for m in PHONE_WRITTEN.finditer(EMAIL.sub(lambda m: " " * len(m.group(0)), text))]
    return spans


def _candidates(text: str) -> list[Mention]:
    taken: list[tuple[int, int]] = list(_contacts(text))

    def free(start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in taken)

    found: list[Mention] = []
    for match in ORDER_NUMBER.finditer(text):
        if free(*match.span()):
            number = identifier_key(match.group(0))
            number = f"ORD-{number[3:9]}-{number[9:]}"
            found.append(Mention(match.group(0), *match.span(), kind="order", order_number=number))
            taken.append(match.span())
    for match in PS_FORM.finditer(text):
        if free(*match.span()):
            found.append(Mention("PS" + match.group(1).translate(_LOOKALIKE), *match.span()))
            taken.append(match.span())
    for match in CODE.finditer(text):
        token = match.group(0).strip("-.")
        if not free(*match.span()) or (not re.search(r"[A-Za-z]", token) and len(re.sub(r"\D", "", token)) < 6):
            continue
        if re.fullmatch(r"\d+(\.\d+)?", token) and len(token) < 6:
            continue  # an amount
        if re.fullmatch(r"\d{1,3}(st|nd|rd|th|pm|am|mm|cm|in|lbs?|kg|usd)", token, re.I):
            continue
        found.append(Mention(token, *match.span()))
        taken.append(match.span())
    for match in BARE_DIGITS.finditer(text):
        if free(*match.span()):
            found.append(Mention(match.group(1), *match.span()))
    return sorted(found, key=lambda m: m.start)


def identifiers_find(text: str) -> Identifiers:
    """Every identifier in `text`, resolved against the catalogue (two queries)."""
    mentions = _candidates(text or "")
    pending = [m for m in mentions if m.kind == ""]
    if not pending:
        return Identifiers(mentions)
    keys: dict[int, set[str]] = {}
    for i, m in enumerate(pending):
        key = identifier_key(m.text)
        options = {key, m.text.upper()}  # "DD82-10326B" is stored with its dash
        if key.isdigit():
            options.add("PS" + key)
        keys[i] = options
    wanted = set().union(*keys.values())
    products = list(
        Product.objects.alias(ps_upper=Upper("ps_number"), mpn_upper=Upper("manufacturer_part_number"))
        .filter(Q(ps_upper__in=wanted) | Q(mpn_upper__in=wanted))
        .order_by("-is_active", "ps_number")
    )
    by_ps = {p.ps_number.upper(): p for p in products}
    by_mpn: dict[str, Product] = {}
    for p in products:
        by_mpn.setdefault(identifier_key(p.manufacturer_part_number), p)
    model_keys = {identifier_key(m.text) for m in pending}
    models = {
        identifier_key(m.model_number): m
        for m in ApplianceModel.objects.alias(key=model_number_key()).filter(key__in=model_keys)
    }
    catalog_reads_known(products=products, models=models.values())  # the reply reads them again
    for i, m in enumerate(pending):
        options = keys[i]
        product = next((by_ps[k] for k in sorted(options) if k in by_ps), None)
        key = identifier_key(m.text)
        if product is None and not key.startswith("PS"):
            model = models.get(key)
            if model is not None:
                m.kind, m.model = "model", model
                continue
            product = by_mpn.get(key)
        if product is not None:
            m.kind, m.product = "part", product
        elif key.isdigit() and len(key) < 8 and not m.text.upper().startswith("PS"):
            m.kind = "drop"  # a short number that is nothing of ours: a quantity, a year, a zip code
        else:
            m.kind = "unknown"
    mentions = [m for m in mentions if m.kind != "drop"]
    return Identifiers(mentions)


def suggestions_for(mention: Mention) -> list[str]:
    """Catalogue numbers close to an unknown one ("did you mean …"), best first; never used silently.
    Digits alone may be a part number or a model number written with dots ("106.41132410")."""
    key = identifier_key(mention.text)
    if len(key) < 5:
        return []
    scored: dict[str, float] = {}
    if key.startswith("PS") or key.isdigit():
        digits = key[2:] if key.startswith("PS") else key
        # Same head or same tail: a slip near either end still leaves the other end as written.
        parts = Product.objects.filter(
            Q(ps_number__startswith="PS" + digits[:3]) | Q(ps_number__endswith=digits[-3:]), is_active=True
        ).values_list("ps_number", flat=True)[:5000]
        scored.update(_close("PS" + digits, list(parts)))
    if not key.startswith("PS") and (not key.isdigit() or re.search(r"\d[.\s-]\d", mention.text)):
        models = ApplianceModel.objects.filter(
            Q(model_number__istartswith=key[:3]) | Q(model_number__iendswith=key[-3:])
        ).values_list("model_number", flat=True)[:5000]
        scored.update(_close(key, list(models)))
    return sorted(scored, key=lambda n: -scored[n])[:MAX_SUGGESTIONS]


def _close(target: str, numbers: list[str]) -> dict[str, float]:
    """The numbers (as written) whose letters and digits are close to `target`'s, with how close."""
    by_key = {identifier_key(n): n for n in numbers}
    close = difflib.get_close_matches(target, list(by_key), n=MAX_SUGGESTIONS, cutoff=0.8)
    return {by_key[c]: difflib.SequenceMatcher(None, target, c).ratio() for c in close}
