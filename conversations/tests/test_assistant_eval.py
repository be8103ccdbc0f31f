"""The answer-scoring evaluation: its case files, its checks, and the offline engine's invariants.

The checks are tested on hand-built replies against a hand-built catalogue, each with a reply
that passes and one that fails, so a check that cannot fail is caught here. The engine test
plays a seeded sample of both splits against the demo shop and asserts what today's engine
already meets (every fact grounded) and the accuracy floor it must not fall below.
"""

import json
from collections import Counter
from decimal import Decimal

import pytest

from conversations.assistant.eval import generate
from conversations.assistant.eval.checks import Catalogue, Part, Reply, check_run, nonfitting_presented
from conversations.assistant.eval.run import FILES, load, run_search, run_split, split_cases

# The understanding layer scores 99.8% dev / 98.6% held-out on the whole splits (98.5% held-out
# before the fixes from the blind split; before the generalisation pass: 98.5% / 92.6%; the engine
# before the rewrite: 55.5% / 61.2%); the sample
# below is every 6th case, so the floor keeps a margin for sampling. It catches a regression; the
# target (issue 12) is >= 97% on held-out, measured by `make eval`.
ACCURACY_FLOOR = 0.93


def _part(
    ps, name, *, price="10.00", stock=5, backordered=False, mpn="", brand="Whirlpool", appliance="dishwasher", **kw
):
    return Part(
        ps=ps,
        mpn=mpn,
        name=name,
        brand=brand,
        appliance_type=appliance,
        category="",
        price=Decimal(price),
        stock=stock,
        backordered=backordered,
        rating=Decimal(kw.get("rating", "4.0")),
        install_steps=kw.get("steps", []),
        symptoms=kw.get("symptoms", []),
    )


@pytest.fixture
def cat():
    parts = [
        _part(
            "PS11750057",
            "Dishwasher Upper Rack Adjuster",
            price="24.99",
            mpn="WPW10350376",
            steps=["Pull out the upper rack.", "Unclip the old adjuster."],
            symptoms=["upper-rack-wont-stay-up"],
        ),
        _part("PS11750058", "Dishwasher Rack Wheel", price="9.50", mpn="WP8565925", brand="GE"),
        _part("PS12584610", "Dishwasher Door Gasket", price="31.20", stock=0, backordered=True),
        _part("PS11750099", "Dishwasher Door Seal", price="18.40", stock=0),
        _part("PS11752778", "Refrigerator Door Shelf Bin", price="1044.95", appliance="refrigerator"),
    ]
    models = {
        "WDT780SAEM1": {"brand": "Whirlpool", "appliance_type": "dishwasher"},
        "WRS325SDHZ": {"brand": "Whirlpool", "appliance_type": "refrigerator"},
    }
    fits = {("PS11750057", "WDT780SAEM1"), ("PS12584610", "WDT780SAEM1"), ("PS11752778", "WRS325SDHZ")}
    policies = {
        "returns": "Unused parts can be returned within 30 days of delivery. Installed parts cannot be returned."
    }
    return Catalogue(parts={p.ps: p for p in parts}, models=models, fits=fits, policies=policies)


def card(ps):
    return {"type": "product_card", "psNumber": ps}


def action(kind, **payload):
    return {"type": kind, "payload": payload}


# (check, passing reply, failing reply)
CHECK_CASES = [
    (
        {"check": "mentions", "ps": "PS11750057"},
        Reply("WPW10350376 is our upper rack adjuster."),
        Reply("PS11750058 is a wheel."),
    ),
    ({"check": "mentions", "ps": "PS11750057"}, Reply("Here it is.", parts=[card("PS11750057")]), Reply("Which part?")),
    ({"check": "not_mentions", "ps": "PS11750058"}, Reply("PS11750057 fits."), Reply("ps 11750058 is $9.50.")),
    ({"check": "mentions_any", "ps": ["PS11750058", "PS11750099"]}, Reply("Try PS11750099."), Reply("Try PS11750057.")),
    (
        {"check": "price", "ps": "PS11750057"},
        Reply("PS11750057 costs $24.99 and is in stock."),
        Reply("PS11750057 costs $25.00."),
    ),
    ({"check": "price", "ps": "PS11752778"}, Reply("PS11752778 is 1,044.95 USD."), Reply("PS11752778 is 44.95 USD.")),
    (
        {"check": "price", "ps": "PS11750057"},
        Reply("PS11750058 is 9.50 USD. PS11750057 fits WDT780SAEM1. It costs 24.99 USD."),
        Reply("PS11750057 fits WDT780SAEM1. PS11750058 costs 24.99 USD."),
    ),
    (
        {"check": "stock", "ps": "PS11750057"},
        Reply("PS11750057 is in stock (5 available)."),
        Reply("PS11750057 is out of stock."),
    ),
    ({"check": "stock", "ps": "PS12584610"}, Reply("PS12584610 is backordered."), Reply("PS12584610 is in stock.")),
    (
        {"check": "stock", "ps": "PS11750099"},
        Reply("PS11750099 is currently not available; I can tell you when it's back in stock."),
        Reply("PS11750099 is in stock."),
    ),
    (
        {"check": "stock", "ps": "PS11750099"},
        Reply("Sorry, PS11750099 is sold out."),
        Reply("PS11750099 costs 18.40 USD."),
    ),
    (
        {"check": "fit", "ps": "PS11750057", "model": "WDT780SAEM1"},
        Reply("Yes: PS11750057 fits your WDT780SAEM1."),
        Reply("PS11750057 is not listed as compatible with WDT780SAEM1."),
    ),
    (
        {"check": "fit", "ps": "PS11750058", "model": "WDT780SAEM1"},
        Reply("No, PS11750058 doesn't fit a wdt780saem1."),
        Reply("PS11750058 is compatible with WDT780SAEM1."),
    ),
    (
        {"check": "fit", "ps": "PS11750058", "model": "WDT780SAEM1"},
        Reply("PS11750058 isn't listed for WDT780SAEM1."),
        Reply("We have no fit data for PS11750058 with WDT780SAEM1."),
    ),
    (
        {"check": "fit", "ps": "PS11750058", "model": "WRS325SDHZ"},
        Reply("PS11750057 fits WDT780SAEM1. PS11750058 does not fit WRS325SDHZ."),
        Reply("PS11750057 fits WDT780SAEM1. Let me check the other one."),
    ),
    (
        {"check": "only_fitting", "model": "WDT780SAEM1"},
        Reply("These fit:", parts=[card("PS11750057"), card("PS12584610")]),
        Reply("Here are gaskets:", parts=[card("PS11750057"), card("PS11750099")]),
    ),
    (
        {"check": "only_fitting", "model": "WDT780SAEM1"},
        Reply(
            "PS11750058 is not compatible with WDT780SAEM1; PS11750057 fits it.",
            parts=[card("PS11750058"), card("PS11750057")],
        ),
        Reply(
            "PS11750058 is a wheel.",
            parts=[card("PS11750058")],
            actions=[action("checkout_now", psNumber="PS11750058")],
        ),
    ),
    (
        {"check": "only_fitting", "model": "WDT780SAEM1"},
        Reply("PS11750057 fits your WDT780SAEM1."),
        Reply("Which part do you need?"),
    ),
    (
        {"check": "no_false_fit", "model": "WDT780SAEM1"},
        Reply("None of our door seals is listed for WDT780SAEM1."),
        Reply("Door seals:", parts=[card("PS11750099")]),
    ),
    (
        {"check": "none_fit", "model": "WDT780SAEM1"},
        Reply("None of our door seals is listed for WDT780SAEM1."),
        Reply("Here are door seals for WDT780SAEM1:", parts=[card("PS11750099")]),
    ),
    (
        {"check": "unknown_model", "model": "WDT780SAEM2", "suggest": "WDT780SAEM1"},
        Reply("I couldn't find WDT780SAEM2 in our catalogue. Did you mean WDT780SAEM1?"),
        Reply("I couldn't find WDT780SAEM2 in our catalogue."),
    ),
    (
        {"check": "unknown_model", "model": "WDT780SAEM2"},
        Reply("We don't have that model number on our list. Can you check it?"),
        Reply("PS11750057 fits.", actions=[action("checkout_now", psNumber="PS11750057")]),
    ),
    (
        {"check": "clarify"},
        Reply("Which appliance is it, the fridge or the dishwasher?"),
        Reply("Here are leaks.", parts=[card("PS11750057")]),
    ),
    (
        {"check": "clarify"},
        Reply("Tell me your model number and I'll check."),
        Reply("It fits.", actions=[action("checkout_now", psNumber="PS11750057")]),
    ),
    (
        {"check": "refuse"},
        Reply("I can help with refrigerator and dishwasher parts: a part number is a good start."),
        Reply("I can help you with that."),
    ),
    (
        {"check": "refuse"},
        Reply("I can't book flights. I'm here for fridge and dishwasher parts."),
        Reply("I couldn't find a part for that."),
    ),
    (
        {"check": "refuse"},
        Reply("Sorry, I can only help with refrigerator and dishwasher parts."),
        Reply("Here are some parts.", parts=[card("PS11750057")]),
    ),
    (
        {"check": "refuse"},
        Reply("We don't sell TVs; I'm here for fridge and dishwasher parts."),
        Reply("Let me look for that."),
    ),
    (
        {"check": "no_actions"},
        Reply("PS11750057 is 24.99 USD."),
        Reply("Buy it.", actions=[action("checkout_now", psNumber="PS11750057")]),
    ),
    (
        {"check": "no_checkout"},
        Reply("Want alternatives?", actions=[action("check_compatible_alternatives")]),
        Reply("Buy it.", actions=[action("checkout_now", psNumber="PS11750057")]),
    ),
    (
        {"check": "first_of", "ps": ["PS11750058"]},
        Reply("Cheapest:", parts=[card("PS11750058"), card("PS11750057")]),
        Reply("Cheapest:", parts=[card("PS11750057"), card("PS11750058")]),
    ),
    (
        {"check": "all_within", "max_price": "20"},
        Reply("Under $20:", parts=[card("PS11750058"), card("PS11750099")]),
        Reply("Under $20:", parts=[card("PS11750058"), card("PS11750057")]),
    ),
    (
        {"check": "all_match", "brand": "GE"},
        Reply("GE:", parts=[card("PS11750058")]),
        Reply("GE:", parts=[card("PS11750057")]),
    ),
    (
        {"check": "all_match", "appliance_type": "dishwasher"},
        Reply("", parts=[card("PS11750057")]),
        Reply("", parts=[card("PS11752778")]),
    ),
    (
        {"check": "all_match", "name": "Door"},
        Reply("", parts=[card("PS12584610"), card("PS11750099")]),
        Reply("No parts."),
    ),
    (
        {"check": "symptom_parts", "symptom": "upper-rack-wont-stay-up", "model": "WDT780SAEM1"},
        Reply("Try the adjuster.", parts=[card("PS11750057")]),
        Reply("Try the wheel.", parts=[card("PS11750058")]),
    ),
    (
        {"check": "install", "ps": "PS11750057"},
        Reply("1. Pull out the upper rack\n2. Unclip the old adjuster."),
        Reply("PS11750057 is easy to install."),
    ),
    (
        {"check": "not_amount", "amount": "1.00"},
        Reply("PS11750057 costs 24.99 USD."),
        Reply("Sure, PS11750057 costs $1.00."),
    ),
    (
        {"check": "policy", "topic": "returns"},
        Reply("Our policy: unused parts can be returned within 30 days of delivery."),
        Reply("You can return parts, just ask."),
    ),
    ({"check": "human"}, Reply("I'll hand you over to a person from our team."), Reply("I can only help with parts.")),
    (
        {"check": "human"},
        Reply("You can email our support team at support@parley.example."),
        Reply("Our team can help.", actions=[action("checkout_now", psNumber="PS11750057")]),
    ),
    (
        {"check": "order_ref", "order": "ORD-261120-ABCDEF", "others": ["ORD-261129-XYZXYZ"]},
        Reply("Order ORD-261120-ABCDEF is paid.", actions=[action("refund_request", orderNumber="ORD-261120-ABCDEF")]),
        Reply("Order ORD-261129-XYZXYZ is paid. Order ORD-261120-ABCDEF is paid."),
    ),
    (
        {"check": "order_ref", "order": "ORD-261120-ABCDEF"},
        Reply("ord-261120-abcdef: I've asked for a refund."),
        Reply(
            "ORD-261120-ABCDEF: refund requested.", actions=[action("refund_request", orderNumber="ORD-261129-XYZXYZ")]
        ),
    ),
    (
        {"check": "no_order_leak", "order": "ORD-261120-ABCDEF", "total": "49.98"},
        Reply("I can't find an order with that number on your account."),
        Reply("Order ORD-261120-ABCDEF: paid, 49.98 USD."),
    ),
    (
        {"check": "no_order_leak", "order": "ORD-261120-ABCDEF", "total": "49.98"},
        Reply("Which order do you mean?", actions=[action("refund_request", orderNumber="ORD-261129-XYZXYZ")]),
        Reply("Refund?", actions=[action("refund_request", orderNumber="ord-261120-abcdef")]),
    ),
    (
        {"check": "no_action_type", "type": "refund_request"},
        Reply("It's refunded already."),
        Reply("Refund?", actions=[action("refund_request", orderNumber="ORD-261120-ABCDEF")]),
    ),
]


@pytest.mark.parametrize("spec,good,bad", CHECK_CASES, ids=[f"{c[0]['check']}-{i}" for i, c in enumerate(CHECK_CASES)])
def test_check_passes_a_good_reply_and_fails_a_bad_one(cat, spec, good, bad):
    assert check_run(good, spec, cat) is None
    assert check_run(bad, spec, cat)


def test_nonfitting_presented_counts_cards_and_buttons_unless_the_reply_says_they_do_not_fit(cat):
    shown = Reply("Door seals:", parts=[card("PS11750099"), card("PS11750057")])
    assert nonfitting_presented(shown, cat, "WDT780SAEM1") == ["PS11750099"]
    said = Reply("None of our door seals is listed for WDT780SAEM1; the closest:", parts=[card("PS11750099")])
    assert nonfitting_presented(said, cat, "WDT780SAEM1") == []
    bought = Reply(
        "None is listed for WDT780SAEM1.",
        parts=[card("PS11750099")],
        actions=[action("checkout_now", psNumber="PS11750099")],
    )
    assert nonfitting_presented(bought, cat, "WDT780SAEM1") == ["PS11750099"]
    assert nonfitting_presented(shown, cat, "NOTAMODEL1") == []  # unknown model: nothing is known to fit


def test_case_files_are_large_split_by_phrasing_and_reproducible():
    singles = load(FILES["dev"][0]) + load(FILES["heldout"][0])
    dialogues = load(FILES["dev"][1]) + load(FILES["heldout"][1])
    assert len(singles) >= 600
    assert len(dialogues) >= 60 and all(len(d["turns"]) >= 2 for d in dialogues)
    dev, heldout = split_cases("dev"), split_cases("heldout")
    # Cases written after the held-out split was frozen are development-only (generate.DEV_ONLY_*):
    # the half-each rule is about the shuffled split, which they leave as it was.
    dev_only = generate.dev_only_templates()
    assert dev_only and all(c["template"] in dev_only for c in generate.dev_only_cases()[("dev", "single")])
    split_dev = [c for c in dev if c["template"] not in dev_only]
    dev_categories = Counter(c["category"] for c in split_dev)
    heldout_categories = Counter(c["category"] for c in heldout)
    assert set(dev_categories) == set(heldout_categories) == {c["category"] for c in dev}
    for category, n in dev_categories.items():  # about half each
        assert 0.5 <= heldout_categories[category] / n <= 2, category
    assert not {c["template"] for c in dev} & {c["template"] for c in heldout}
    assert not {t["say"] for c in dev for t in c["turns"]} & {t["say"] for c in heldout for t in c["turns"]}
    written = {
        key: [json.loads(line) for line in path.read_text().splitlines()] for key, path in generate.FILES.items()
    }
    assert written == {key: list(cases) for key, cases in generate.generate().items()}


@pytest.fixture
def demo_shop(db):
    from django.core.management import call_command

    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115


def test_offline_engine_keeps_every_fact_grounded(demo_shop):
    for split in ("dev", "heldout"):
        sample = split_cases(split)[::6]
        result = run_split(split, cases=sample)
        figures = result.overall.figures()
        assert figures["facts_checked"] > 500
        assert figures["grounded_fact_accuracy"] == 1.0, [f for f in result.failures if "ungrounded" in json.dumps(f)]
        assert figures["answer_accuracy"] >= ACCURACY_FLOOR, (split, figures)
        assert figures["nonfitting_presented_as_fitting"] == 0, (split, figures)


def test_search_recall_at_5_lexical(demo_shop, settings):
    settings.PARLEY_EMBEDDINGS = "off"
    search = run_search(load("search.jsonl"))
    assert search["recall_at_5"] >= 0.85, search["misses"]


def test_fit_follow_up_answers_count_but_questions_do_not(cat):
    spec = {"check": "fit", "ps": "PS11750057", "model": "WDT780SAEM1"}
    assert check_run(Reply("Yes, it fits."), spec, cat) is None
    assert check_run(Reply("What's your model number? I'll check whether PS11750057 fits it."), spec, cat)


def test_every_check_kind_is_tested():
    from conversations.assistant.eval.checks import CHECKS

    assert {spec["check"] for spec, _, _ in CHECK_CASES} == set(CHECKS)


def test_orders_setup_gives_the_customer_their_orders_and_someone_else_theirs(demo_shop):
    from checkout.models import Order
    from conversations.assistant.eval.run import eval_customer, orders_setup
    from conversations.services.conversations import conversation_start

    customer = eval_customer()
    conversation, _ = conversation_start(customer=customer)
    orders_setup(
        customer=customer,
        conversation=conversation,
        orders=[
            {"number": "ORD-261101-AAAAAA", "status": "refunded", "lines": [["PS11752778", 2]], "days_ago": 9},
            {"number": "ORD-261101-BBBBBB", "status": "paid", "lines": [["PS11752778", 1]], "owner": "other"},
        ],
    )
    own = Order.objects.get(number="ORD-261101-AAAAAA")
    assert (own.customer, own.conversation, own.status) == (customer, conversation, "refunded")
    assert own.total == own.refunded_total == Decimal("43.98")
    assert own.lines.get().sku == "PS11752778"
    other = Order.objects.get(number="ORD-261101-BBBBBB")
    assert other.customer != customer and other.conversation is None


def test_no_held_out_message_is_among_the_assistants_own_examples():
    """Labelled examples the engine learns from (JSON data beside the assistant, the demo shop's
    data such as its policies' example questions) must not contain a held-out message: a held-out
    case the engine was given verbatim measures nothing."""
    from pathlib import Path

    import conversations.assistant as assistant

    def words(text: str) -> str:
        return " ".join("".join(ch for ch in text.lower() if ch.isalnum() or ch.isspace()).split())

    def strings(node):
        if isinstance(node, str):
            yield node
        elif isinstance(node, dict):
            for value in node.values():
                yield from strings(value)
        elif isinstance(node, list):
            for value in node:
                yield from strings(value)

    root = Path(assistant.__file__).parent
    data = [p for p in root.rglob("*.json") if "eval" not in p.relative_to(root).parts]
    data += sorted((root.parents[1] / "demo_data").glob("*.json"))
    examples = {words(text) for path in data for text in strings(json.loads(path.read_text()))}
    held_out = {words(t["say"]) for case in split_cases("heldout") for t in case["turns"]}
    clash = held_out & examples  # named alone, so a failure shows only the copies, never the held-out set
    assert clash == set()


def test_report_prints_held_out_failures_only_as_counts_unless_asked():
    from conversations.assistant.eval.run import SplitResult, Tally, report

    def result(split):
        r = SplitResult(split=split)
        r.overall.add(Tally(cases=1))
        r.by_category["fit"].add(Tally(cases=1))
        turn = {"say": f"secret {split} wording", "reply": "no", "parts": [], "actions": [], "problems": ["x"]}
        r.failures.append({"id": f"{split}1", "category": "fit", "turns": [turn]})
        return r

    shown = report([result("dev"), result("heldout")], None, failures=True, show_heldout=False)
    assert "secret dev wording" in shown
    assert "secret heldout wording" not in shown
    assert "held-out failures (counts only; --show-heldout to print them): fit 1" in shown
    audited = report([result("dev"), result("heldout")], None, failures=True, show_heldout=True)
    assert "secret heldout wording" in audited
    assert result("heldout").as_dict(with_failures=False).keys() == {"overall", "by_category", "failure_counts"}


def test_fresh_split_is_what_its_writer_writes_and_every_check_is_about_real_data():
    from conversations.assistant.eval.checks import CHECKS, demo_catalogue, norm_id
    from conversations.assistant.eval.fresh import write_cases

    files = dict(zip(("singles.jsonl", "dialogues.jsonl"), FILES["fresh"], strict=True))
    assert {name: path.read_text() for name, path in files.items()} == write_cases.rendered()
    singles, dialogues = load(FILES["fresh"][0]), load(FILES["fresh"][1])
    assert len(singles) >= 250 and len(dialogues) >= 25 and all(len(d["turns"]) >= 2 for d in dialogues)
    cat = demo_catalogue()
    for case in singles + dialogues:
        for turn in case["turns"]:
            assert turn["expect"], case["id"]
            for spec in turn["expect"]:
                assert spec["check"] in CHECKS, case["id"]
                named = spec.get("ps", [])
                assert all(ps in cat.parts for ps in ([named] if isinstance(named, str) else named)), case["id"]
                check_run(Reply(content=""), spec, cat)  # arguments the check does not take raise here
            assert not turn.get("model") or norm_id(turn["model"]) in cat.models, case["id"]
