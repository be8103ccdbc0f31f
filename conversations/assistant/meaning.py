"""Reading a message by meaning: nearest labelled examples by sentence embedding.

- Intents: the examples in data/intents.json (shop data, not code), with explicit
  none-of-these classes (`out_of_scope`, `injection`). A label's score is the mean cosine of
  its `TOP_K` nearest examples; the best label wins when its score clears the embedder's
  `abstain` threshold, otherwise the engine asks one clarifying question.
- Symptoms: the catalogue's own symptom names and customer phrasings (catalog.Symptom), so
  "not making any ice anymore" finds "Ice maker not working" without a keyword list.
- Appliance types: each type's words (data/appliances.json) embedded once; a message names a
  type when one of its words is near enough, which also recognises out-of-scope appliances.

Label and symptom vectors are computed once per process (symptoms again when the symptom
table changes); a message costs one embedding (cached by text) and a few matrix products.
The embedder is the catalogue's local one (`catalog.search.embeddings`); with none at all a
hashed bag of words and character n-grams stands in, so the assistant always works.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from pathlib import Path

import numpy as np
from django.conf import settings

from core.stamps import TableStamp

logger = logging.getLogger(__name__)
DATA = Path(__file__).resolve().parent / "data"
TOP_K = 3
# A single problem word must be this close to a symptom's own phrase.
ONE_WORD_SYMPTOM = 0.8
NONE_LABELS = frozenset({"out_of_scope", "injection"})

# Calibrated on the evaluation's development split, per embedder family (cosines differ by model).
THRESHOLDS = {
    "static": {"abstain": 0.45, "symptom": 0.5, "appliance": 0.75, "injection": 0.55, "policy": 0.5},
    "minilm": {"abstain": 0.42, "symptom": 0.45, "appliance": 0.72, "injection": 0.55, "policy": 0.45},
    "lexical": {"abstain": 0.22, "symptom": 0.30, "appliance": 0.60, "injection": 0.3, "policy": 0.3},
}
# An injection label this close to the best one is treated as an injection.
INJECTION_MARGIN = 0.04


class LexicalVectoriser:
    """Hashed words, word pairs and character 4-grams: the stand-in when no embedder is installed."""

    name = "lexical:hash-4096"
    dim = 4096

    def embed(self, texts: list[str]) -> np.ndarray:
        matrix = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            words = re.findall(r"[a-z0-9']+", text.lower())
            features = [*words, *(f"{a}_{b}" for a, b in pairwise(words))]
            for word in words:
                padded = f" {word} "
                features += [padded[i : i + 4] for i in range(max(1, len(padded) - 3))]
            for feature in features:
                digest = hashlib.blake2b(feature.encode(), digest_size=4).digest()
                matrix[row, int.from_bytes(digest, "little") % self.dim] += 1.0
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        return matrix / np.maximum(norms, 1e-12)


_lexical = LexicalVectoriser()


def embedder():
    """The shipped static embedder (numpy only, what `make run` has), the same under tests, the
    evaluation and production; never a remote one (this runs on every message). Without it, a
    hashed bag of words stands in, so the assistant always answers."""
    from catalog.search import embeddings

    if not _static_failed:
        try:
            return embeddings.static_embedder_load()
        except Exception:  # a damaged model file must not silence the assistant
            logger.exception("the static embedder could not be loaded; understanding falls back to words")
            _static_failed.append(True)
    return _lexical


_static_failed: list[bool] = []


def family(name: str) -> str:
    if name.startswith("lexical"):
        return "lexical"
    if "static" in name or "model2vec" in name:
        return "static"
    return "minilm"


def threshold(kind: str) -> float:
    return THRESHOLDS[family(embedder().name)][kind]


@lru_cache(maxsize=4096)
def _vector(name: str, text: str) -> np.ndarray:
    return embedder().embed([text])[0]


def vector(text: str) -> np.ndarray:
    return _vector(embedder().name, text.strip().lower())


@dataclass
class Index:
    labels: list[str]  # one per example, grouped: a label's examples are contiguous
    texts: list[str]
    matrix: np.ndarray
    groups: list[tuple[str, int, int]]  # (label, first row, end row)

    def nearest(self, query: np.ndarray) -> np.ndarray:
        """Each label's nearest example's cosine, one per group in order (float64, the values
        `float()` gives): one matrix product and one reduction for hundreds of symptoms."""
        if not self.groups:
            return np.zeros(0)
        starts = getattr(self, "_starts", None)
        if starts is None:
            starts = self._starts = np.fromiter((start for _, start, _ in self.groups), dtype=np.intp)
        return np.maximum.reduceat(self.matrix @ query, starts).astype(np.float64)

    def scores(self, query: np.ndarray, top_k: int = TOP_K) -> dict[str, float]:
        if top_k == 1:
            return dict(zip((label for label, _, _ in self.groups), self.nearest(query).tolist(), strict=True))
        sims = self.matrix @ query
        # The nearest example counts as much as the mean of the nearest few: a label's examples
        # can be varied (the none-of-these classes are), and one close example is evidence.
        scores = {}
        for label, start, end in self.groups:
            group = sims[start:end]
            if top_k == 1 or end - start == 1:
                scores[label] = float(group.max())
                continue
            nearest = np.partition(group, -min(top_k, end - start))[-min(top_k, end - start) :]
            scores[label] = 0.5 * float(nearest.max()) + 0.5 * float(nearest.mean())
        return scores


def _build(pairs: list[tuple[str, str]]) -> Index:
    order = {label: i for i, label in enumerate(dict.fromkeys(label for label, _ in pairs))}
    pairs = sorted(pairs, key=lambda pair: order[pair[0]])
    texts = [t.lower() for _, t in pairs]
    matrix = embedder().embed(texts) if texts else np.zeros((0, 1), dtype=np.float32)
    labels = [label for label, _ in pairs]
    groups, start = [], 0
    for i in range(1, len(labels) + 1):
        if i == len(labels) or labels[i] != labels[start]:
            groups.append((labels[start], start, i))
            start = i
    return Index(labels=labels, texts=texts, matrix=np.asarray(matrix, dtype=np.float32), groups=groups)


_lock = threading.Lock()
_indexes: dict[tuple, Index] = {}


def _cached(key: tuple, build) -> Index:
    index = _indexes.get(key)
    if index is None:
        with _lock:
            index = _indexes.get(key)
            if index is None:
                for old in [k for k in _indexes if k[0] == key[0]]:
                    del _indexes[old]
                index = _indexes[key] = build()
    return index


@lru_cache(maxsize=4)
def _load(name: str) -> dict:
    return json.loads((DATA / name).read_text())


def intent_examples(scope: tuple[str, ...]) -> list[tuple[str, str]]:
    data = _load("intents.json")
    pairs = [(label, text) for label, texts in data.items() if isinstance(texts, list) for text in texts]
    for appliance_type, texts in data.get("out_of_scope_appliances", {}).items():
        if appliance_type not in scope:
            pairs += [("out_of_scope", text) for text in texts]
    return pairs


def intent_scores(text: str) -> dict[str, float]:
    """label → score for a message (identifiers already masked), highest first."""
    scope = tuple(settings.PARLEY_SHOP_SCOPE)
    index = _cached(("intents", embedder().name, scope), lambda: _build(intent_examples(scope)))
    scores = index.scores(vector(text))
    return dict(sorted(scores.items(), key=lambda kv: -kv[1]))


# --- appliance types ------------------------------------------------------------------


def appliance_words() -> dict[str, list[str]]:
    return _load("appliances.json")["types"]


def appliance_names() -> frozenset[str]:
    """The one-word names of appliances ("fridge", "dishwasher"): a filter, not a part's name."""
    return frozenset(phrase for words in appliance_words().values() for phrase in words if " " not in phrase)


def appliance_types(text: str, *, part_terms: frozenset[str] = frozenset()) -> list[str]:
    """Appliance types the message names (any type, in the shop's scope or not), by meaning of
    its words and word pairs, so "fridge", "icebox" or "a/c" need no exact list. A word of the
    catalogue's part names ("defrost heater") is a part, not an appliance, unless listed as one."""
    words = re.findall(r"[a-z][a-z/'-]*", text.lower())
    grams = list(dict.fromkeys([*words, *(f"{a} {b}" for a, b in pairwise(words))]))
    grams = [g for g in grams if len(g) > 2]
    if not grams:
        return []
    table = appliance_words()
    exact = {w: t for t, ws in table.items() for w in ws}
    found = [exact[g] for g in grams if g in exact]
    name = embedder().name
    if not name.startswith("lexical"):
        index = _cached(("appliances", name), lambda: _build([(t, w) for t, ws in table.items() for w in ws]))
        loose = [g for g in grams if g not in exact and not any(w in part_terms for w in g.split())]
        if not loose:
            return _without_washer(found, text)
        missing = [g for g in loose if (name, g) not in _gram_vectors]
        if missing:
            for g, v in zip(missing, embedder().embed(missing), strict=True):
                _gram_vectors[(name, g)] = v
            while len(_gram_vectors) > 20_000:
                _gram_vectors.pop(next(iter(_gram_vectors)))
        matrix = np.stack([_gram_vectors[(name, g)] for g in loose])
        sims = matrix @ index.matrix.T
        cut = threshold("appliance")
        grams = loose
        for row in range(len(grams)):
            col = int(np.argmax(sims[row]))
            if sims[row, col] >= cut:
                found.append(index.labels[col])
    return _without_washer(found, text)


_gram_vectors: dict[tuple[str, str], np.ndarray] = {}


def _without_washer(found: list[str], text: str) -> list[str]:
    found = list(dict.fromkeys(found))
    # A dishwasher is not a (clothes) washer: the longer name wins when both come from one phrase.
    if "washer" in found and "dishwasher" in found and not re.search(r"(?<!dish)(?<!dish )washer|washing", text, re.I):
        found.remove("washer")
    return found


# --- symptoms -------------------------------------------------------------------------


def _symptom_version() -> tuple:
    from django.db.models import Count, Max

    from catalog.models import Symptom

    row = Symptom.objects.aggregate(n=Count("id"), changed=Max("updated_at"))
    return row["n"], str(row["changed"])


# Read at most every PARLEY_DATA_RECHECK_SECONDS, at once after a save here (core/stamps.py).
_symptoms_stamp = TableStamp("catalog.Symptom", _symptom_version)


_versions: dict[str, tuple] = {}


def new_message() -> None:
    """A new message: take the symptom and policy tables' versions again (once per message; their
    stamps read them at most every PARLEY_DATA_RECHECK_SECONDS)."""
    _versions.clear()


def once_per_message(name: str, read):
    """`read()` the first time in this message, the same value after (table versions, the
    conversation's remembered part and model, which every question of a message shares)."""
    if name not in _versions:
        _versions[name] = read()
    return _versions[name]


_version = once_per_message


def _symptom_part_names() -> list[tuple[str, str]]:
    """(symptom slug, name) of every kind of active part listed for a symptom."""
    from catalog.models import Product

    rows = Product.symptoms.through.objects.filter(product__is_active=True)
    return list(rows.values_list("symptom__slug", "product__name").distinct())


def _symptoms_index() -> tuple[Index, dict]:
    from catalog.models import Symptom
    from catalog.search.text import tokens

    # The vectors are rebuilt only when the symptom table changed.
    version = _version("symptoms", _symptoms_stamp.get)

    def build():
        symptoms = list(Symptom.objects.all())
        pairs = []
        for s in symptoms:
            for phrase in dict.fromkeys(problem_words(p) for p in [s.name, *s.keywords]):
                if phrase:
                    pairs.append((s.slug, phrase))
        index = _build(pairs)
        index.symptoms = {s.slug: s for s in symptoms}  # type: ignore[attr-defined]
        index.words = frozenset(w for _, phrase in pairs for w in phrase.split())  # type: ignore[attr-defined]
        # Per group (symptom), in the index's order: its appliance type, and for each word of
        # substance the groups whose phrases have it, so a message is scored with array operations.
        position = {slug: i for i, (slug, _, _) in enumerate(index.groups)}
        index.types = np.array([index.symptoms[slug].appliance_type for slug, _, _ in index.groups], dtype=object)  # type: ignore[attr-defined]
        having: dict[str, set[int]] = {}
        phrases: dict[str, int] = {}
        for slug, phrase in pairs:
            for term in _substance(phrase):
                having.setdefault(term, set()).add(position[slug])
                phrases[term] = phrases.get(term, 0) + 1
        index.phrases = phrases  # type: ignore[attr-defined]
        index.having = {t: np.fromiter(sorted(g), dtype=np.intp) for t, g in having.items()}  # type: ignore[attr-defined]
        # The words of the parts that fix each symptom ("handle" for a broken handle, "ice" and
        # "dispenser" for a jammed ice dispenser): a part the customer names says which problem it is.
        by_part: dict[str, set[int]] = {}
        for slug, name in _symptom_part_names():
            if slug in position:
                for term in tokens(name):
                    by_part.setdefault(term, set()).add(position[slug])
        index.part_having = {t: np.fromiter(sorted(g), dtype=np.intp) for t, g in by_part.items()}  # type: ignore[attr-defined]
        return index

    index = _cached(("symptoms", embedder().name, version), build)
    return index, index.symptoms  # type: ignore[attr-defined]


_FILLER = frozenset(
    {"hi", "hello", "hey", "ideas", "idea", "help", "anymore", "really", "just", "so", "all", "at", "replace", "fix"}
)


def problem_words(text: str, *, brands=()) -> str:
    """What a problem description says once the appliance, brand and conversational filler are
    set aside: "hi there, the fridge doesn't make ice at all, any ideas?" → "doesn't make ice".
    The appliance is a filter of its own; left in, its word outweighs the problem's."""
    from catalog.search.text import STOP_WORDS

    drop = (STOP_WORDS | _FILLER | appliance_names() | {b.lower() for b in brands}) - _NEGATIONS
    words = re.findall(r"[a-z0-9]+", text.lower().replace("\u2019", "").replace("'", ""))
    kept = [w for w in words if w not in drop and not w.isdigit()]
    return " ".join(kept)


# What a shared word of substance adds to a symptom's score.
SHARED_WORD = 0.08
# What naming the parts listed for a symptom adds (all the part words named; a share for some).
PART_WORD = 0.08
# Words of problem descriptions that say nothing about which problem it is.
_VAGUE = frozenset(
    {"work", "working", "stop", "stopped", "keep", "keeps", "make", "making", "come", "get", "go", "run"}
    | {"much", "too", "lot", "change", "thing", "stuff", "really", "very", "mine", "weird", "strange", "odd", "funny"}
)


def _substance(phrase: str) -> set[str]:
    from catalog.search.text import tokens

    # The search's light stemming keeps "turning" apart from "turn": cut the usual endings too.
    return {
        re.sub(r"(?<=\w{3})(ing|ed|es|s|y|e)$", "", t)
        for t in tokens(phrase)
        if t not in _NEGATIONS and t not in _VAGUE and not t.isdigit() and len(t) > 2
    }


_NEGATIONS = frozenset({"not", "no", "wont", "doesnt", "isnt", "never", "dont", "cant", "wouldnt", "didnt"})


def problem_appliance(text: str, *, brands=()) -> str | None:
    """The appliance a problem description is about when its words say so though no appliance is
    named: words of substance the symptoms of one appliance use repeatedly and the other's never
    ("ice", "soap", "dishes", "cycle"; not "buzzing", said once), the appliance most of them point
    to. None when nothing tells them apart."""
    index, _ = _symptoms_index()
    votes: dict[str, int] = {}
    for term in _substance(problem_words(text, brands=brands)):
        groups = index.having.get(term)  # type: ignore[attr-defined]
        if groups is not None and index.phrases[term] >= OWN_WORD_PHRASES:  # type: ignore[attr-defined]
            own = set(index.types[groups])  # type: ignore[attr-defined]
            if len(own) == 1:
                kind = own.pop()
                votes[kind] = votes.get(kind, 0) + 1
    ranked = sorted(votes.values(), reverse=True)
    if not ranked or (len(ranked) > 1 and ranked[0] == ranked[1]):
        return None
    return max(votes, key=votes.get)


# A word tells the appliance only when that many of its symptom phrases use it.
OWN_WORD_PHRASES = 2


@dataclass
class SymptomReading:
    symptom: object | None  # catalog.Symptom
    score: float
    problem: bool  # a problem is described, even if too briefly to say which ("it's leaking")


def symptom_find(
    text: str, *, appliance_type: str | None = None, brands=(), part_terms: tuple[str, ...] = ()
) -> SymptomReading:
    """The Symptom the text most likely describes (None below the calibrated threshold): its
    nearest phrase's cosine, plus `SHARED_WORD` for a word of substance in common, plus up to
    `PART_WORD` for the share of the part words named (`part_terms`, search stems) that name the
    parts listed for it."""
    index, symptoms = _symptoms_index()
    part_groups = [index.part_having.get(t) for t in part_terms]  # type: ignore[attr-defined]
    part_groups = [g for g in part_groups if g is not None]
    words = problem_words(text, brands=brands)
    if not symptoms or not words:
        return SymptomReading(None, 0.0, False)
    # A word of substance shared with a symptom's own phrases ("light" in "the light inside doesnt
    # come on") counts besides the sentence's meaning, where negations and verbs weigh as much.
    said = _substance(words)
    if not said:
        # "it stopped working", "it won't work": a problem, but nothing says which.
        return SymptomReading(None, 0.0, True)
    # One score per symptom, in the index's order (ties go to the first, as a stable sort would).
    scores = index.nearest(vector(words))
    shared = np.zeros(len(scores), dtype=bool)
    for term in said:
        groups = index.having.get(term)  # type: ignore[attr-defined]
        if groups is not None:
            shared[groups] = True
    scores = scores + np.where(shared, SHARED_WORD, 0.0)
    if part_groups:
        named = np.zeros(len(scores))
        for groups in part_groups:
            named[groups] += 1.0
        scores = scores + PART_WORD * named / len(part_groups)
    best = int(np.argmax(scores))
    cut = threshold("symptom")
    problem = bool(scores[best] >= cut)
    if appliance_type:
        candidates = np.flatnonzero(index.types == appliance_type)  # type: ignore[attr-defined]
        if not candidates.size:
            return SymptomReading(None, 0.0, problem)
        best = int(candidates[np.argmax(scores[candidates])])
    elif len(words.split()) < 2:
        return SymptomReading(None, float(scores[best]), problem)  # "will that one work": too little, on what?
    if len(words.split()) < 2:
        cut = max(cut, ONE_WORD_SYMPTOM)  # "leaking" is a problem; "much" in "how much is it" is not
    if scores[best] < cut:
        return SymptomReading(None, float(scores[best]), problem)
    return SymptomReading(symptoms[index.groups[best][0]], float(scores[best]), problem)


# --- shop policies --------------------------------------------------------------------


def policy_find(text: str, *, topic: str = ""):
    """(the shop policy a question is about, its score), or (None, best score); `topic` picks one."""
    from conversations.selectors import shop_policies_active, shop_policies_version

    def build():
        policies = shop_policies_active()
        pairs = [(p.topic, phrase) for p in policies for phrase in dict.fromkeys([p.title, *p.questions])]
        index = _build(pairs)
        index.items = {p.topic: p for p in policies}  # type: ignore[attr-defined]
        return index

    index = _cached(("policies", embedder().name, _version("policies", shop_policies_version)), build)
    policies = index.items  # type: ignore[attr-defined]
    if topic:
        return policies.get(topic), 1.0
    if not policies:
        return None, 0.0
    ranked = sorted(index.scores(vector(text), top_k=1).items(), key=lambda kv: -kv[1])
    best, score = ranked[0]
    if score < threshold("policy"):
        return None, score
    if score >= POLICY_CLEAR:
        return policies[best], score
    # Short shop questions all sound alike to a sentence embedding ("i need a part" is near "can I
    # send a part back"): below a clear match, the question must also share a word of substance
    # with the policy's own text (its title, questions and terms); the best such policy answers.
    said = _content_words(text)
    for topic, value in ranked:
        if value >= threshold("policy") and said & _policy_words(policies[topic]):
            return policies[topic], value
    return None, score


POLICY_CLEAR = 0.85
# Words every shop question has, which say nothing about which terms it is about.
_SHOP_WORDS = frozenset(
    {"part", "parts", "order", "need", "want", "buy", "help", "get", "one", "use", "work", "fit", "make", "know"}
)


def _content_words(text: str) -> set[str]:
    from catalog.search.text import tokens

    return set(tokens(text)) - _SHOP_WORDS


def _policy_words(policy) -> set[str]:
    # Not the addresses in it: "support@…" in the returns policy is not about support.
    text = re.sub(r"\S+@\S+|https?://\S+", " ", " ".join([policy.title, *policy.questions, policy.text]))
    return _content_words(text)


def shop_words() -> frozenset[str]:
    """Every word (search stems) the shop's own data is written with: the in-scope intents' examples,
    the symptoms' phrases, the shop's policies and the in-scope appliances' names. A message whose
    words of substance are none of these is about something else ("crypto", "oil change")."""
    from catalog.search.text import tokens
    from conversations.selectors import shop_policies_active, shop_policies_version

    symptoms_index, _ = _symptoms_index()
    policies_version = _version("policies", shop_policies_version)
    scope = tuple(settings.PARLEY_SHOP_SCOPE)
    key = (id(symptoms_index), policies_version, scope)
    if _shop_words.get("key") != key:
        data = _load("intents.json")
        texts = [t for label, ts in data.items() if isinstance(ts, list) and label not in NONE_LABELS for t in ts]
        texts += [w for t, ws in appliance_words().items() if t in scope for w in ws]
        texts += [f"{p.title} {' '.join(p.questions)} {p.text}" for p in shop_policies_active()]
        from catalog.search.text import STOP_WORDS

        words = set(symptoms_index.words) | set(STOP_WORDS)  # type: ignore[attr-defined]
        for text in texts:
            words.update(tokens(text))
        _shop_words.update(key=key, value=frozenset(words))
    return _shop_words["value"]


_shop_words: dict = {}


def foreign_word(stem: str) -> bool:
    """A word (search stem) the shop never uses, and not a typo of one ("ordr", "refridgerator")."""
    words = shop_words()
    if stem in words:
        return False
    key = (id(words), stem)
    if key not in _foreign:
        close = len(stem) > 3 and any(len(w) > 3 for w in _one_edit(stem) & words)
        # Another form of a shop word the light stemming kept apart ("compatibility", "compatible").
        close = close or (len(stem) >= 7 and stem[:7] in _prefixes(words))
        while len(_foreign) > 20_000:
            _foreign.pop(next(iter(_foreign)))
        _foreign[key] = not close
    return _foreign[key]


_foreign: dict[tuple, bool] = {}


@lru_cache(maxsize=2)
def _prefixes(words: frozenset[str]) -> frozenset[str]:
    return frozenset(w[:7] for w in words if len(w) >= 7)


_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _one_edit(word: str) -> set[str]:
    """Words one typing slip away: a letter missed or two swapped ("tlak"), and in words of five
    letters or more one added or mistyped ("refridgerator"); short words are too often other
    words ("gold" is not a slip of "cold", nor "bank" of "blank")."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    out = {a + b[1:] for a, b in splits if b}
    out |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    if len(word) >= 5:
        out |= {a + c + b for a, b in splits for c in _LETTERS}
        out |= {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
    return out


def symptom_words() -> frozenset[str]:
    """Every word the catalogue's symptoms are described with ("leaking", "loud", "doesnt")."""
    index, _ = _symptoms_index()
    return index.words  # type: ignore[attr-defined]


def symptom_get(slug: str):
    """A symptom by slug, from the vectors' own copy of the table (no query)."""
    _, symptoms = _symptoms_index()
    return symptoms.get(slug)


def reset() -> None:
    """Forget every computed vector (tests, or after the embedder changed)."""
    with _lock:
        _indexes.clear()
    _vector.cache_clear()
    _gram_vectors.clear()
    _load.cache_clear()
