"""Every dashboard figure against the hand-worked history in history.py, read three ways: straight
from raw events (no rollup yet), after the incremental refresh (whole days from rollups, today raw),
and after a full backfill. The three must agree with the hand-computed numbers."""

from datetime import timedelta

import pytest
from django.utils import timezone

from analytics.models import (
    ConversationFunnel,
    Event,
    EventDailyRollup,
    FunnelDailyRollup,
    FunnelDailyTotalRollup,
    RollupState,
)
from analytics.selectors import Period, dashboard_get, funnel_get
from analytics.services.rollups import analytics_rollups_rebuild, analytics_rollups_refresh
from analytics.tests.history import ICE, P1, P2, P3, SEAL, WHEEL, build_history

STEPS = ["chat_opened", "message_sent", "purchase_intent_detected", "payment_link_clicked", "payment_completed"]


def later():
    # the refresh leaves events younger than 5 s for its next run; the history was just written
    return timezone.now() + timedelta(seconds=10)


@pytest.fixture(params=["raw", "refreshed", "backfilled"])
def history(request, shop):
    h = build_history(shop)
    if request.param == "refreshed":
        assert analytics_rollups_refresh(now=later()).ran
        assert RollupState.objects.get().complete_through == h["d3"]
    elif request.param == "backfilled":
        analytics_rollups_rebuild(now=later())
    h["mode"] = request.param
    return h


def period(h, **filters):
    return Period(start=h["d1"], end=h["today"], **filters)


def daily(result):
    return [[row["day"], row["conversations"], *[row[s] for s in STEPS]] for row in result["daily"]]


def test_funnel_counts_conversations_reaching_each_step(history):
    h = history
    result = funnel_get(period=period(h))

    # h1..h6 started in the period (h0 the day before). Reached: opened h1-h6 = 6; message h1,h2,h4,h5,h6 = 5;
    # purchase intent h1,h4,h5 = 3; link clicked h1,h4,h5 = 3; paid h1 (on D2),h5 = 2.
    assert result["conversations"] == 6
    assert [(s["name"], s["conversations"]) for s in result["steps"]] == list(zip(STEPS, [6, 5, 3, 3, 2], strict=True))
    # % of first: 5/6, 3/6, 3/6, 2/6; % of previous: 5/6, 3/5, 3/3, 2/3
    assert [s["percent_of_first"] for s in result["steps"]] == [100.0, 83.33, 50.0, 50.0, 33.33]
    assert [s["percent_of_previous"] for s in result["steps"]] == [None, 83.33, 60.0, 100.0, 66.67]
    assert result["chat_to_payment_percent"] == 33.33  # 2/6
    assert result["intent_to_payment_percent"] == 66.67  # 2/3
    assert result["link_click_to_payment_percent"] == 66.67  # 2/3
    # cohort days: D1 h1,h2; D2 h3,h4; D3 h5; today h6. h1 paid on D2 but counts in D1's cohort.
    assert daily(result) == [
        [h["d1"], 2, 2, 2, 1, 1, 1],
        [h["d2"], 2, 2, 1, 1, 1, 0],
        [h["d3"], 1, 1, 1, 1, 1, 1],
        [h["today"], 1, 1, 1, 0, 0, 0],
    ]


def test_funnel_of_a_shorter_period_counts_only_its_cohorts(history):
    h = history
    result = funnel_get(period=Period(start=h["d2"], end=h["d3"]))
    # h3 (opened), h4 (to link), h5 (paid); h1's payment on D2 belongs to D1's cohort
    assert [s["conversations"] for s in result["steps"]] == [3, 2, 2, 2, 1]
    assert result["period"]["days"] == 2


def test_funnel_filtered_by_part_is_first_touch(history):
    h = history
    result = funnel_get(period=period(h, ps_number=P1))
    # first part named: h1 P1 (page), h4 P1, h6 P1; h2 is P2, h5 P3, h3 none
    assert [s["conversations"] for s in result["steps"]] == [3, 3, 2, 2, 1]
    assert daily(result) == [
        [h["d1"], 1, 1, 1, 1, 1, 1],
        [h["d2"], 1, 1, 1, 1, 1, 0],
        [h["d3"], 0, 0, 0, 0, 0, 0],
        [h["today"], 1, 1, 1, 0, 0, 0],
    ]


def test_funnel_filtered_by_action_type_is_first_touch(history):
    h = history
    # first action type named: h1 checkout_now (10:00:05, before alternatives), h4 and h5 checkout_now
    result = funnel_get(period=period(h, action_type="checkout_now"))
    assert [s["conversations"] for s in result["steps"]] == [3, 3, 3, 3, 2]
    alternatives = funnel_get(period=period(h, action_type="check_compatible_alternatives"))
    assert [s["conversations"] for s in alternatives["steps"]] == [1, 1, 0, 0, 0]  # h6


def test_action_click_through_and_success_by_type(history):
    result = dashboard_get(period=period(history))
    assert result["actions"] == [
        # rendered h1, h4, h5 ×2 = 4; server clicks h1, h4, h5 = 3 (h1's widget click apart);
        # succeeded h1, h5; failed h4. CTR 3/4, success 2/3
        {
            "action_type": "checkout_now",
            "rendered": 4,
            "clicked": 3,
            "client_clicks": 1,
            "succeeded": 2,
            "failed": 1,
            "click_through_percent": 75.0,
            "success_percent": 66.67,
        },
        # rendered h1, h6; clicked and succeeded h6
        {
            "action_type": "check_compatible_alternatives",
            "rendered": 2,
            "clicked": 1,
            "client_clicks": 0,
            "succeeded": 1,
            "failed": 0,
            "click_through_percent": 50.0,
            "success_percent": 100.0,
        },
        {
            "action_type": "notify_when_in_stock",
            "rendered": 1,
            "clicked": 1,
            "client_clicks": 0,
            "succeeded": 1,
            "failed": 0,
            "click_through_percent": 100.0,
            "success_percent": 100.0,
        },
    ]


def test_aov_chat_vs_non_chat_and_attributed_revenue(history):
    result = dashboard_get(period=period(history))
    # chat: O1 49.98 + O2 44.95 + O6 18.40 = 113.33 / 3 = 37.7767; non-chat: O3 24.99 + O4 19.00 + O8 31.20
    # = 75.19 / 3 = 25.0633 (O5 refunded and O7 before the period are out)
    assert result["orders"] == [
        {"order_source": "conversational", "currency": "USD", "orders": 3, "revenue": "113.33", "aov": "37.78"},
        {"order_source": "traditional", "currency": "USD", "orders": 3, "revenue": "75.19", "aov": "25.06"},
    ]
    # (37.7767 - 25.0633) / 25.0633 = 113.33 / 75.19 - 1 = 0.507248…
    assert result["overview"]["aov_uplift_percent"] == {"USD": 50.72}
    assert result["overview"]["revenue_attributed"] == [{"currency": "USD", "orders": 3, "revenue": "113.33"}]
    assert result["overview"]["conversations"] == 6
    assert result["overview"]["paid_conversations"] == 2
    by_day = {row["day"]: row for row in result["daily"]}
    h = history
    assert [by_day[d]["revenue_conversational"] for d in (h["d1"], h["d2"], h["d3"], h["today"])] == [
        "0.00",
        "49.98",
        "44.95",
        "18.40",
    ]
    assert [by_day[d]["orders_traditional"] for d in (h["d1"], h["d2"], h["d3"], h["today"])] == [1, 0, 2, 0]


def test_top_parts_by_mentions_recommendations_and_sales(history):
    result = dashboard_get(period=period(history))["top_parts"]
    # intent_detected naming a part: P1 h1, h4, h6; P2 h2; P3 h5 (h0's is before the period); ties by PS number
    assert [(p["ps_number"], p["count"]) for p in result["mentions"]] == [(P1, 3), (P3, 1), (P2, 1)]
    assert result["mentions"][0]["name"] == "Dishwasher Upper Rack Adjuster"
    # action_rendered: P1 h1 ×2, h4, h6 = 4; P3 h5 ×2; P2 h2
    assert [(p["ps_number"], p["count"]) for p in result["recommendations"]] == [(P1, 4), (P3, 2), (P2, 1)]
    # paid order lines: P1 O1 (2 × 24.99) + O3 (24.99) = 74.97; P3 44.95; P2 31.20; wheel 2 × 9.50; seal 18.40
    assert [(p["ps_number"], p["quantity"], p["orders"], p["revenue"]) for p in result["sales"]] == [
        (P1, 3, 2, "74.97"),
        (P3, 1, 1, "44.95"),
        (P2, 1, 1, "31.20"),
        (WHEEL, 2, 1, "19.00"),
        (SEAL, 1, 1, "18.40"),
    ]
    assert ICE not in {p["ps_number"] for p in result["sales"]}  # only in a refunded order and one before


def test_alert_subscriptions_and_their_conversion(history):
    result = dashboard_get(period=period(history))["alerts"]
    # alice and bob notified on D2; alice then bought P2 (O8, D3); carol pending, dan unsubscribed, erin active
    assert result == {
        "subscriptions": 5,
        "pending": 1,
        "active": 1,
        "notified": 2,
        "unsubscribed": 1,
        "converted": 1,
        "conversion_percent": 50.0,
    }


def test_assistant_cost_per_conversation_and_per_order(history):
    result = dashboard_get(period=period(history))["assistant_cost"]
    # assistant replies in the period: m1 (1000/200/$0.0015), m2 (500/"100"/"0.00075"), m3 (no usage),
    # m4 (cost "n/a" → 0); m5 is the customer's, m6 before the period.
    assert result == {
        "replies": 4,
        "prompt_tokens": 1500,
        "completion_tokens": 300,
        "cost_usd": "0.002250",
        "conversations": 6,
        "conversational_orders": 3,
        "per_conversation_usd": "0.000375",  # 0.00225 / 6
        "per_order_usd": "0.000750",  # 0.00225 / 3
    }


def test_event_trend_per_day(history):
    h = history
    result = dashboard_get(period=period(h))
    by_day = {row["day"]: row["events"] for row in result["daily"]}
    # chat_opened: D1 h1 (server + widget), h2 = 3; D2 h3, h4 = 2; D3 h5; today h6
    assert [by_day[d]["chat_opened"] for d in (h["d1"], h["d2"], h["d3"], h["today"])] == [3, 2, 1, 1]
    # payment_completed: D2 h1 + the shop order; D3 h5
    assert [by_day[d]["payment_completed"] for d in (h["d1"], h["d2"], h["d3"], h["today"])] == [0, 2, 1, 0]
    assert sum(sum(day.values()) for day in by_day.values()) == Event.objects.exclude(conversation_id="conv_h0").count()


def test_filters_by_part_narrow_every_breakdown(history):
    result = dashboard_get(period=period(history, ps_number=P1))
    assert [
        (a["action_type"], a["rendered"], a["clicked"], a["succeeded"], a["failed"]) for a in result["actions"]
    ] == [
        ("check_compatible_alternatives", 2, 1, 1, 0),  # h1, h6 (ties on rendered, then by name)
        ("checkout_now", 2, 2, 1, 1),  # h1, h4
    ]
    assert [(o["order_source"], o["orders"], o["revenue"]) for o in result["orders"]] == [
        ("conversational", 1, "49.98"),  # O1
        ("traditional", 1, "24.99"),  # O3
    ]
    assert [(p["ps_number"], p["revenue"]) for p in result["top_parts"]["sales"]] == [(P1, "74.97")]
    assert result["alerts"]["subscriptions"] == 1  # erin
    assert result["alerts"]["conversion_percent"] is None
    assert result["overview"]["conversations"] == 3


def test_filter_by_action_type_keeps_orders_placed_through_it(history):
    result = dashboard_get(period=period(history, action_type="notify_when_in_stock"))
    assert [a["action_type"] for a in result["actions"]] == ["notify_when_in_stock"]
    assert result["orders"] == []  # none of the history's orders came from an action
    assert [s["conversations"] for s in result["funnel"]["steps"]] == [1, 1, 0, 0, 0]  # h2


def test_late_events_count_at_once_and_reach_the_rollups_on_the_next_refresh(shop):
    h = build_history(shop)
    analytics_rollups_refresh(now=later())
    d2 = h["d2"]
    from analytics.tests.history import day_start

    # h4 finally pays (an event of D2 arriving late) and a new conversation h7 of D2 shows up
    Event.objects.create(
        event_id="late-1",
        name="payment_completed",
        occurred_at=day_start(d2) + timedelta(hours=20),
        conversation_id="conv_h4",
        action_type="checkout_now",
    )
    Event.objects.create(
        event_id="late-2",
        name="chat_opened",
        occurred_at=day_start(d2) + timedelta(hours=21),
        conversation_id="conv_h7",
    )
    # read at once from the events newer than the rollups: h7 starts on D2, h4 now reaches payment
    live = funnel_get(period=Period(start=h["d1"], end=h["today"]))
    assert [s["conversations"] for s in live["steps"]] == [7, 5, 3, 3, 3]
    assert [row["conversations"] for row in live["daily"]] == [2, 3, 1, 1]
    assert [row["payment_completed"] for row in live["daily"]] == [1, 1, 1, 0]
    assert FunnelDailyTotalRollup.objects.get(day=d2).payment_completed == 0  # not rolled up yet

    result = analytics_rollups_refresh(now=later())

    assert result.events == 2
    rolled = funnel_get(period=Period(start=h["d1"], end=h["today"]))
    assert rolled["steps"] == live["steps"] and rolled["daily"] == live["daily"]
    assert ConversationFunnel.objects.get(conversation_id="conv_h4").payment_completed == 1
    totals = FunnelDailyTotalRollup.objects.get(day=d2)
    assert (totals.conversations, totals.payment_completed) == (3, 1)
    by_part = funnel_get(period=Period(start=h["d1"], end=h["today"], ps_number=P1))
    assert [s["conversations"] for s in by_part["steps"]] == [3, 3, 2, 2, 2]  # h4 is a P1 conversation


def test_refresh_is_idempotent(shop):
    build_history(shop)
    analytics_rollups_refresh(now=later())
    counts = (EventDailyRollup.objects.count(), FunnelDailyRollup.objects.count(), ConversationFunnel.objects.count())
    first = dashboard_get(period=Period(start=timezone.now().date() - timedelta(days=3), end=timezone.now().date()))

    again = analytics_rollups_refresh(now=later())

    assert again.events == 0
    assert counts == (
        EventDailyRollup.objects.count(),
        FunnelDailyRollup.objects.count(),
        ConversationFunnel.objects.count(),
    )
    second = dashboard_get(period=Period(start=timezone.now().date() - timedelta(days=3), end=timezone.now().date()))
    first.pop("generated_at"), second.pop("generated_at")
    assert first == second


def test_conversation_rows_know_their_cohort_and_first_touch(shop):
    h = build_history(shop)
    analytics_rollups_rebuild(now=later())
    row = ConversationFunnel.objects.get(conversation_id="conv_h1")
    assert (row.day, row.ps_number, row.action_type) == (h["d1"], P1, "checkout_now")
    assert [getattr(row, s) for s in STEPS] == [1, 1, 1, 1, 1]
    h3 = ConversationFunnel.objects.get(conversation_id="conv_h3")
    assert (h3.ps_number, h3.action_type, h3.message_sent) == ("", "", 0)
    assert not ConversationFunnel.objects.filter(conversation_id="").exists()


@pytest.mark.parametrize("rolled", [False, True])
def test_an_order_with_two_lines_of_one_part_counts_once_for_that_part(shop, rolled):
    from decimal import Decimal

    from checkout.models import Order, OrderLine

    order = Order.objects.create(
        number="TWO-LINES",
        order_source="conversational",
        currency="USD",
        subtotal=Decimal("59.48"),
        total=Decimal("59.48"),
    )
    yesterday = timezone.now() - timedelta(days=1)
    Order.objects.filter(pk=order.pk).update(created_at=yesterday)
    for sku, qty, price in ((P1, 1, "24.99"), (P1, 1, "24.99"), (WHEEL, 1, "9.50")):
        OrderLine.objects.create(
            order=order, sku=sku, name=sku, quantity=qty, unit_price=Decimal(price), line_total=Decimal(price)
        )
    if rolled:
        analytics_rollups_rebuild(now=later())
    today = timezone.now().date()
    result = dashboard_get(period=Period(start=today - timedelta(days=2), end=today, ps_number=P1))
    assert result["orders"] == [
        {"order_source": "conversational", "currency": "USD", "orders": 1, "revenue": "59.48", "aov": "59.48"}
    ]
    assert [(p["ps_number"], p["quantity"], p["orders"], p["revenue"]) for p in result["top_parts"]["sales"]] == [
        (P1, 2, 1, "49.98")
    ]


@pytest.mark.parametrize("rolled", [False, True])
def test_revenue_is_net_of_refunds(shop, rolled):
    """A partly refunded order counts for what the shop kept, in revenue, AOV, the day's revenue,
    the part's order revenue and the admin's figures; when the refund comes after its day was
    rolled up, the next refresh rebuilds that day."""
    from decimal import Decimal

    from analytics.selectors.dashboard import day_summary_get
    from checkout.models import Order, OrderLine

    order = Order.objects.create(
        number="PART-REFUND",
        order_source="conversational",
        currency="USD",
        subtotal=Decimal("100.00"),
        total=Decimal("100.00"),
        status="paid",
    )
    OrderLine.objects.create(
        order=order, sku=P1, name=P1, quantity=4, unit_price=Decimal("25.00"), line_total=Decimal("100.00")
    )
    placed = timezone.now() - timedelta(days=3)
    Order.objects.filter(pk=order.pk).update(created_at=placed)
    if rolled:
        analytics_rollups_refresh(now=later())  # the day is rolled up while the order is paid in full
    Order.objects.filter(pk=order.pk).update(
        status="partially_refunded", refunded_total=Decimal("30.00"), updated_at=timezone.now()
    )
    if rolled:
        analytics_rollups_refresh(now=later())
        assert RollupState.objects.get().complete_through >= placed.date()

    today = timezone.now().date()
    result = dashboard_get(period=Period(start=placed.date(), end=today))
    assert result["orders"] == [
        {"order_source": "conversational", "currency": "USD", "orders": 1, "revenue": "70.00", "aov": "70.00"}
    ]
    assert result["overview"]["revenue_attributed"] == [{"currency": "USD", "orders": 1, "revenue": "70.00"}]
    assert result["daily"][0]["revenue_conversational"] == "70.00"
    by_part = dashboard_get(period=Period(start=placed.date(), end=today, ps_number=P1))
    assert [(o["orders"], o["revenue"]) for o in by_part["orders"]] == [(1, "70.00")]
    assert day_summary_get(day=placed.date())["revenue"] == [{"currency": "USD", "orders": 1, "amount": "70.00"}]
