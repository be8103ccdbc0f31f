"""The dashboard's figures as flat tables, for the CSV export."""

from analytics.enums import EventName

STEPS = [
    "chat_opened",
    "message_sent",
    "purchase_intent_detected",
    "payment_link_clicked",
    "payment_completed",
]


def funnel_table(result: dict) -> dict:
    header = ["day", "conversations", *STEPS]
    rows = [[row["day"], row["conversations"], *[row[s] for s in STEPS]] for row in result["daily"]]
    rows.append(["total", result["conversations"], *[step["conversations"] for step in result["steps"]]])
    return {"header": header, "rows": rows}


def dashboard_table(result: dict, report: str) -> dict:
    if report == "funnel":
        return funnel_table({**result["funnel"], "daily": result["daily"]})
    if report == "actions":
        keys = ["action_type", "rendered", "clicked", "client_clicks", "succeeded", "failed"]
        keys += ["click_through_percent", "success_percent"]
        return {"header": keys, "rows": [[row[k] for k in keys] for row in result["actions"]]}
    if report == "orders":
        keys = ["order_source", "currency", "orders", "revenue", "aov"]
        return {"header": keys, "rows": [[row[k] for k in keys] for row in result["orders"]]}
    if report == "parts":
        header = ["ranking", "ps_number", "name", "count", "quantity", "orders", "revenue", "currency"]
        rows = []
        for ranking in ("mentions", "recommendations"):
            rows += [
                [ranking, r["ps_number"], r["name"], r["count"], "", "", "", ""] for r in result["top_parts"][ranking]
            ]
        rows += [
            ["sales", r["ps_number"], r["name"], "", r["quantity"], r["orders"], r["revenue"], r["currency"]]
            for r in result["top_parts"]["sales"]
        ]
        return {"header": header, "rows": rows}
    names = [str(n) for n in EventName]
    header = ["day", "conversations", *STEPS, "orders_conversational", "orders_traditional"]
    header += ["revenue_conversational", "revenue_traditional", *[f"events_{n}" for n in names]]
    rows = [
        [
            row["day"],
            row["conversations"],
            *[row[s] for s in STEPS],
            row["orders_conversational"],
            row["orders_traditional"],
            row["revenue_conversational"],
            row["revenue_traditional"],
            *[row["events"][n] for n in names],
        ]
        for row in result["daily"]
    ]
    return {"header": header, "rows": rows}


EXPERIMENT_DAILY = [
    "day",
    "chat_visitors",
    "chat_converters",
    "chat_revenue",
    "holdout_visitors",
    "holdout_converters",
    "holdout_revenue",
    "difference_points",
    "ci_low_points",
    "ci_high_points",
]


def experiment_table(result: dict) -> dict:
    """Cumulative figures per cohort day, one row a day."""
    return {"header": EXPERIMENT_DAILY, "rows": [[row[k] for k in EXPERIMENT_DAILY] for row in result["daily"]]}
