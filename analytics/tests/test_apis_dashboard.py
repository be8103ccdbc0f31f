"""GET /api/admin/analytics/funnel and /api/admin/dashboard: staff only, validated filters, CSV."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from analytics.tests.history import P1, build_history

FUNNEL = "/api/admin/analytics/funnel"
DASHBOARD = "/api/admin/dashboard"


@pytest.mark.parametrize("url", [FUNNEL, DASHBOARD])
def test_anonymous_callers_get_403(api, db, url):
    response = api.get(url)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize("url", [FUNNEL, DASHBOARD])
def test_customers_who_are_not_staff_get_403(customer_api, url):
    response = customer_api.get(url)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_funnel_for_the_last_n_days(staff_api, shop):
    h = build_history(shop)
    response = staff_api.get(FUNNEL, {"days": 7})
    body = response.json()
    assert response.status_code == 200
    assert body["period"]["start"] == str(h["today"] - timedelta(days=6))
    assert body["period"]["end"] == str(h["today"])
    assert [(s["name"], s["conversations"]) for s in body["steps"]] == [
        ("chat_opened", 7),  # h0..h6: the last 7 days include h0's day (today-4)
        ("message_sent", 5),
        ("purchase_intent_detected", 3),
        ("payment_link_clicked", 3),
        ("payment_completed", 2),
    ]
    assert len(body["daily"]) == 7
    assert body["chat_to_payment_percent"] == 28.57  # 2/7


def test_funnel_defaults_to_seven_days_and_dashboard_to_thirty(staff_api, db):
    assert staff_api.get(FUNNEL).json()["period"]["days"] == 7
    assert staff_api.get(DASHBOARD).json()["period"]["days"] == 30


def test_dashboard_with_an_explicit_range_and_filters(staff_api, shop):
    h = build_history(shop)
    response = staff_api.get(DASHBOARD, {"start": str(h["d1"]), "end": str(h["today"]), "ps_number": P1})
    body = response.json()
    assert response.status_code == 200
    assert body["filters"] == {"action_type": None, "ps_number": P1}
    assert body["overview"]["conversations"] == 3
    assert [s["conversations"] for s in body["funnel"]["steps"]] == [3, 3, 2, 2, 1]
    assert body["top_parts"]["sales"][0] == {
        "ps_number": P1,
        "name": "Dishwasher Upper Rack Adjuster",
        "currency": "USD",
        "quantity": 3,
        "orders": 2,
        "revenue": "74.97",
    }
    assert {"overview", "funnel", "orders", "actions", "top_parts", "alerts", "assistant_cost", "daily"} <= set(body)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"days": 0}, "days"),
        ({"days": 367}, "days"),
        ({"days": "seven"}, "days"),
        ({"start": "2026-02-30"}, "start"),
        ({"start": "2020-01-01", "end": "2019-12-31"}, "start"),
        ({"start": "2020-01-01", "end": "2021-06-01"}, "start"),
        ({"days": 7, "start": "2020-01-01"}, "days"),
        ({"action_type": "checkout now"}, "action_type"),
        ({"action_type": "x" * 65}, "action_type"),
        ({"ps_number": "PS1'; DROP TABLE"}, "ps_number"),
        ({"end": "0001-01-01"}, "end"),  # counting days back from it left the calendar: a 500 (OverflowError)
        ({"end": "0001-01-03", "days": 5}, "end"),
    ],
)
def test_bad_filters_are_400_with_the_field(staff_api, db, params, field):
    response = staff_api.get(DASHBOARD, params)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_an_end_in_the_future_is_refused(staff_api, db):
    tomorrow = timezone.now().date() + timedelta(days=1)
    response = staff_api.get(FUNNEL, {"end": str(tomorrow)})
    assert response.status_code == 400
    assert "end" in response.json()["error"]["fields"]


def read_csv(response):
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_funnel_as_csv(staff_api, shop):
    h = build_history(shop)
    response = staff_api.get(FUNNEL, {"start": str(h["d1"]), "end": str(h["today"]), "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0] == [
        "day",
        "conversations",
        *["chat_opened", "message_sent", "purchase_intent_detected", "payment_link_clicked", "payment_completed"],
    ]
    assert rows[1] == [str(h["d1"]), "2", "2", "2", "1", "1", "1"]
    assert rows[-1] == ["total", "6", "6", "5", "3", "3", "2"]


@pytest.mark.parametrize(
    ("report", "header_start", "first_row_start"),
    [
        ("actions", ["action_type", "rendered", "clicked"], ["checkout_now", "4", "3"]),
        (
            "orders",
            ["order_source", "currency", "orders", "revenue", "aov"],
            ["conversational", "USD", "3", "113.33", "37.78"],
        ),
        ("parts", ["ranking", "ps_number"], ["mentions", P1]),
    ],
)
def test_dashboard_tables_as_csv(staff_api, shop, report, header_start, first_row_start):
    h = build_history(shop)
    response = staff_api.get(
        DASHBOARD, {"start": str(h["d1"]), "end": str(h["today"]), "format": "csv", "report": report}
    )
    rows = read_csv(response)
    assert response.status_code == 200
    assert rows[0][: len(header_start)] == header_start
    assert rows[1][: len(first_row_start)] == first_row_start


def test_daily_csv_has_a_row_per_day(staff_api, shop):
    h = build_history(shop)
    response = staff_api.get(DASHBOARD, {"start": str(h["d1"]), "end": str(h["today"]), "format": "csv"})
    rows = read_csv(response)
    assert [r[0] for r in rows[1:]] == [str(h["d1"]), str(h["d2"]), str(h["d3"]), str(h["today"])]
    header = rows[0]
    assert rows[2][header.index("revenue_conversational")] == "49.98"
    assert rows[1][header.index("events_chat_opened")] == "3"


def test_a_csv_request_with_bad_filters_is_still_a_400(staff_api, db):
    response = staff_api.get(DASHBOARD, {"days": 0, "format": "csv"})
    assert response.status_code == 400
    assert read_csv(response)[1][0] == "invalid"


def test_csv_cells_cannot_become_spreadsheet_formulas():
    from analytics.renderers import CSVRenderer

    out = CSVRenderer().render({"header": ["name"], "rows": [["=HYPERLINK(1)"], ["-12.5"], ["@x"]]}).decode()
    assert out.splitlines() == ["name", "'=HYPERLINK(1)", "-12.5", "'@x"]
