"""A small, fixed history of telemetry, orders, alerts and assistant usage, with every dashboard
figure worked out by hand (see test_selectors_dashboard.py).

Days: D1 = today-3, D2 = today-2, D3 = today-1 (yesterday), T = today (UTC).

Conversations (ids in events only; first event gives the cohort day):
  h1  D1  opened on P1's page; message; intent P1; purchase intent; renders checkout_now (10:00:05) and
          alternatives (10:00:06); clicks checkout (server + widget); link generated and clicked;
          paid on D2 (payment_completed, action_succeeded)        → all 5 steps, part P1, type checkout_now
  h2  D1  two messages; intent P2; renders notify, clicks it, succeeds; alert_subscribed
                                                                    → opened, message; part P2, type notify
  h3  D2  only opens the chat                                       → opened
  h4  D2  message; intent P1; purchase intent; checkout rendered and clicked; link clicked; payment
          failed, action failed                                    → opened, message, intent, link; P1, checkout
  h5  D3  message; intent P3; purchase intent; checkout rendered twice, clicked once; link clicked;
          paid; action succeeded                                   → all 5; P3, checkout_now
  h6  T   message; intent P1; alternatives rendered, clicked, succeeded → opened, message; P1, alternatives
plus a payment_completed on D2 with no conversation (a shop order), which no funnel counts.
"""

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

P1, P2, P3 = "PS11750057", "PS12584610", "PS11752778"  # rack adjuster, door gasket, door shelf bin
WHEEL, SEAL, ICE = "PS11750058", "PS11750099", "PS11739035"


def day_start(day):
    return datetime.combine(day, time.min, tzinfo=UTC)


def build_history(shop):
    from alerts.models import BackInStockSubscription
    from analytics.models import Event
    from checkout.models import Order, OrderLine
    from conversations.models import Conversation, Customer, Message

    now = timezone.now()
    today = now.date()
    d1, d2, d3 = (day_start(today - timedelta(days=n)) for n in (3, 2, 1))
    t_today = day_start(today) + (now - day_start(today)) / 2
    events = []

    def ev(conv, name, when, source="server", action_type="", ps="", intent=""):
        events.append(
            Event(
                event_id=f"h{len(events)}",
                name=name,
                source=source,
                occurred_at=when,
                conversation_id=conv,
                action_type=action_type,
                ps_number=ps,
                intent=intent,
            )
        )

    s = timedelta(seconds=1)
    # h1
    t = d1 + timedelta(hours=10)
    ev("conv_h1", "chat_opened", t, ps=P1)
    ev("conv_h1", "chat_opened", t + s, source="client")
    ev("conv_h1", "message_sent", t + 2 * s)
    ev("conv_h1", "intent_detected", t + 3 * s, ps=P1, intent="purchase")
    ev("conv_h1", "purchase_intent_detected", t + 4 * s, ps=P1, intent="purchase")
    ev("conv_h1", "action_rendered", t + 5 * s, action_type="checkout_now", ps=P1)
    ev("conv_h1", "action_rendered", t + 6 * s, action_type="check_compatible_alternatives", ps=P1)
    ev("conv_h1", "action_clicked", t + 7 * s, action_type="checkout_now", ps=P1)
    ev("conv_h1", "action_clicked", t + 7 * s, source="client", action_type="checkout_now", ps=P1)
    ev("conv_h1", "payment_link_generated", t + 8 * s, action_type="checkout_now", ps=P1)
    ev("conv_h1", "payment_link_clicked", t + 9 * s, source="client", action_type="checkout_now", ps=P1)
    ev("conv_h1", "payment_completed", d2 + timedelta(hours=9), action_type="checkout_now", ps=P1)
    ev("conv_h1", "action_succeeded", d2 + timedelta(hours=9), action_type="checkout_now", ps=P1)
    # h2
    t = d1 + timedelta(hours=11)
    ev("conv_h2", "chat_opened", t)
    ev("conv_h2", "message_sent", t + s)
    ev("conv_h2", "message_sent", t + 2 * s)
    ev("conv_h2", "intent_detected", t + 3 * s, ps=P2, intent="price_stock")
    ev("conv_h2", "action_rendered", t + 4 * s, action_type="notify_when_in_stock", ps=P2)
    ev("conv_h2", "action_clicked", t + 5 * s, action_type="notify_when_in_stock", ps=P2)
    ev("conv_h2", "action_succeeded", t + 6 * s, action_type="notify_when_in_stock", ps=P2)
    ev("conv_h2", "alert_subscribed", t + 6 * s, ps=P2)
    # h3
    ev("conv_h3", "chat_opened", d2 + timedelta(hours=12))
    # h4
    t = d2 + timedelta(hours=13)
    ev("conv_h4", "chat_opened", t)
    ev("conv_h4", "message_sent", t + s)
    ev("conv_h4", "intent_detected", t + 2 * s, ps=P1, intent="purchase")
    ev("conv_h4", "purchase_intent_detected", t + 3 * s, ps=P1, intent="purchase")
    ev("conv_h4", "action_rendered", t + 4 * s, action_type="checkout_now", ps=P1)
    ev("conv_h4", "action_clicked", t + 5 * s, action_type="checkout_now", ps=P1)
    ev("conv_h4", "payment_link_generated", t + 6 * s, action_type="checkout_now", ps=P1)
    ev("conv_h4", "payment_link_clicked", t + 7 * s, source="client", action_type="checkout_now", ps=P1)
    ev("conv_h4", "payment_failed", t + 8 * s, action_type="checkout_now")
    ev("conv_h4", "action_failed", t + 8 * s, action_type="checkout_now", ps=P1)
    # h5
    t = d3 + timedelta(hours=8)
    ev("conv_h5", "chat_opened", t)
    ev("conv_h5", "message_sent", t + s)
    ev("conv_h5", "intent_detected", t + 2 * s, ps=P3, intent="purchase")
    ev("conv_h5", "purchase_intent_detected", t + 3 * s, ps=P3, intent="purchase")
    ev("conv_h5", "action_rendered", t + 4 * s, action_type="checkout_now", ps=P3)
    ev("conv_h5", "action_rendered", t + 5 * s, action_type="checkout_now", ps=P3)
    ev("conv_h5", "action_clicked", t + 6 * s, action_type="checkout_now", ps=P3)
    ev("conv_h5", "payment_link_clicked", t + 7 * s, source="client", action_type="checkout_now", ps=P3)
    ev("conv_h5", "payment_completed", t + 600 * s, action_type="checkout_now", ps=P3)
    ev("conv_h5", "action_succeeded", t + 600 * s, action_type="checkout_now", ps=P3)
    # h6 (today, before now)
    ms = timedelta(milliseconds=1)
    ev("conv_h6", "chat_opened", t_today)
    ev("conv_h6", "message_sent", t_today + ms)
    ev("conv_h6", "intent_detected", t_today + 2 * ms, ps=P1, intent="compatibility")
    ev("conv_h6", "action_rendered", t_today + 3 * ms, action_type="check_compatible_alternatives", ps=P1)
    ev("conv_h6", "action_clicked", t_today + 4 * ms, action_type="check_compatible_alternatives", ps=P1)
    ev("conv_h6", "action_succeeded", t_today + 5 * ms, action_type="check_compatible_alternatives", ps=P1)
    # a shop order's payment: no conversation
    ev("", "payment_completed", d2 + timedelta(hours=15), ps=WHEEL)
    # before the period: must not count
    ev("conv_h0", "chat_opened", d1 - timedelta(hours=2))
    ev("conv_h0", "intent_detected", d1 - timedelta(hours=2), ps=P2, intent="purchase")
    Event.objects.bulk_create(events)

    # --- customers, orders -------------------------------------------------------------
    alice = Customer.objects.create(name="Alice", email="alice@example.com")
    bob = Customer.objects.create(name="Bob", email="bob@example.com")
    products = {p.ps_number: p for p in shop.values() if hasattr(p, "ps_number")}

    def order(number, source, when, lines, status="paid", customer=None):
        total = sum((products[sku].price * qty for sku, qty in lines), Decimal(0))
        o = Order.objects.create(
            number=number,
            order_source=source,
            currency="USD",
            subtotal=total,
            total=total,
            status=status,
            customer=customer,
            provider="test",
        )
        for sku, qty in lines:
            p = products[sku]
            OrderLine.objects.create(
                order=o, product=p, sku=sku, name=p.name, quantity=qty, unit_price=p.price, line_total=p.price * qty
            )
        Order.objects.filter(pk=o.pk).update(created_at=when)
        return o

    order("O1", "conversational", d2 + timedelta(hours=9), [(P1, 2)])  # 49.98
    order("O2", "conversational", d3 + timedelta(hours=8, minutes=10), [(P3, 1)])  # 44.95
    order("O3", "traditional", d1 + timedelta(hours=14), [(P1, 1)])  # 24.99
    order("O4", "traditional", d3 + timedelta(hours=16), [(WHEEL, 2)])  # 19.00
    order("O5", "traditional", d2 + timedelta(hours=16), [(ICE, 1)], status="refunded")  # 119.00, not counted
    order("O6", "conversational", t_today, [(SEAL, 1)])  # 18.40
    order("O7", "traditional", d1 - timedelta(hours=3), [(ICE, 4)])  # before the period
    order("O8", "traditional", d3 + timedelta(hours=9), [(P2, 1)], customer=alice)  # 31.20, after her notice

    # --- back-in-stock subscriptions ------------------------------------------------------
    def subscription(product, contact, status, when, customer=None, notified_at=None):
        sub = BackInStockSubscription.objects.create(
            product=products[product],
            customer=customer,
            channel="email",
            contact=contact,
            status=status,
            notified_at=notified_at,
        )
        BackInStockSubscription.objects.filter(pk=sub.pk).update(created_at=when)

    subscription(P2, "alice@example.com", "notified", d1 + timedelta(hours=11), alice, d2 + timedelta(hours=10))
    subscription(P2, "bob@example.com", "notified", d1 + timedelta(hours=12), bob, d2 + timedelta(hours=10))
    subscription(ICE, "carol@example.com", "pending", d3 + timedelta(hours=1))
    subscription(P2, "dan@example.com", "unsubscribed", d1 + timedelta(hours=13))
    subscription(P1, "erin@example.com", "active", d2 + timedelta(hours=1))
    subscription(P2, "old@example.com", "active", d1 - timedelta(days=2))  # before the period

    # --- assistant usage -------------------------------------------------------------------
    conversation = Conversation.objects.create(customer=alice, token_hash="x" * 64)

    def message(seq, role, when, metadata):
        m = Message.objects.create(conversation=conversation, seq=seq, role=role, content="…", metadata=metadata)
        Message.objects.filter(pk=m.pk).update(created_at=when)

    usage = {"prompt_tokens": 1000, "completion_tokens": 200, "cost_usd": 0.0015}
    message(1, "assistant", d1 + timedelta(hours=10), {"usage": usage})
    message(
        2,
        "assistant",
        d3 + timedelta(hours=8),
        {"usage": {"prompt_tokens": 500, "completion_tokens": "100", "cost_usd": "0.00075"}},
    )
    message(3, "assistant", t_today, {"usage": {}})
    message(4, "assistant", d2 + timedelta(hours=2), {"usage": {"cost_usd": "n/a"}, "engine": "rules"})
    message(5, "user", d2 + timedelta(hours=2), {"usage": {"cost_usd": 5}})
    message(6, "assistant", d1 - timedelta(hours=1), {"usage": {"cost_usd": 1.0}})
    return {"today": today, "d1": d1.date(), "d2": d2.date(), "d3": d3.date(), "now": now}
