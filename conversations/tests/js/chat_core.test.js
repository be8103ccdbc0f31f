// Unit tests of chat-core.js's pure helpers, with node's built-in runner (no npm install):
//   node --test conversations/tests/js/
// conversations/tests/test_chat_core_js.py runs them as part of the pytest suite.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const path = require("node:path");

const chat = require(path.join(__dirname, "..", "..", "..", "static", "parley", "chat-core.js"));
const BASE = "https://shop.example.com/chat/";

test("urls: only http(s), resolved against the API's origin", () => {
  assert.equal(chat.safeUrl("/checkout/test/chk_1/", BASE), "https://shop.example.com/checkout/test/chk_1/");
  assert.equal(chat.safeUrl("https://checkout.stripe.com/c/pay/cs_1", BASE), "https://checkout.stripe.com/c/pay/cs_1");
  assert.equal(chat.safeUrl("javascript:alert(1)", BASE), null);
  assert.equal(chat.safeUrl("", BASE), null);
  assert.equal(chat.safeUrl(42, BASE), null);
  assert.equal(chat.safeImageUrl("data:image/png;base64,AAAA", BASE), "data:image/png;base64,AAAA");
  assert.equal(chat.safeImageUrl("data:text/html,<b>x</b>", BASE), null);
});

test("text: paragraphs on blank lines, lines kept, blanks dropped", () => {
  assert.deepEqual(chat.textParagraphs("One\ntwo\n\n\nThree\n\n  "), [["One", "two"], ["Three"]]);
  assert.deepEqual(chat.textParagraphs(null), []);
});

test("retries back off exponentially and stop growing", () => {
  assert.deepEqual([0, 1, 2, 3].map(chat.startRetryDelay), [1000, 2000, 4000, 8000]);
  assert.equal(chat.startRetryDelay(20), 30000);
  assert.equal(chat.reconnectDelay(0, 0), 250);
  assert.equal(chat.reconnectDelay(0, 1), 500);
  assert.equal(chat.reconnectDelay(3, 0.5), 3000);
  assert.equal(chat.reconnectDelay(30, 1), 30000);
});

test("close codes that mean the token is refused end the conversation, others reconnect", () => {
  for (const code of [4001, 4003, 4004, 4401, 4403, 4404]) assert.equal(chat.tokenRefused(code), true);
  for (const code of [1000, 1006, 1011, 4000]) assert.equal(chat.tokenRefused(code), false);
});

test("socket frames: a JSON object with a string type, or nothing", () => {
  assert.deepEqual(chat.parseEvent('{"type": "typing", "active": true}'), { type: "typing", active: true });
  assert.equal(chat.parseEvent("not json"), null);
  assert.equal(chat.parseEvent('{"type": 3}'), null);
  assert.equal(chat.parseEvent("null"), null);
});

test("bubbles: unknown roles read as the assistant's; status types are notices", () => {
  assert.deepEqual(chat.bubbleClass({ role: "user" }), { role: "user", className: "msg msg--user msg--type-text" });
  assert.deepEqual(chat.bubbleClass({ role: "robot", type: "payment_confirmed" }), {
    role: "assistant",
    className: "msg msg--assistant msg--notice msg--type-payment_confirmed",
  });
  assert.equal(chat.bubbleClass({ role: "internal", type: "x<y>" }).className, "msg msg--internal msg--notice msg--type-xy");
});

test("an echo replaces the message waiting for it: by client id, else by text", () => {
  const pending = new Map([
    ["c1", { content: "Is it in stock?" }],
    ["c2", { content: "  thanks " }],
  ]);
  assert.equal(chat.pendingMatch({ role: "user", clientMessageId: "c1", content: "x" }, pending), "c1");
  assert.equal(chat.pendingMatch({ role: "user", content: "thanks" }, pending), "c2");
  assert.equal(chat.pendingMatch({ role: "assistant", content: "thanks" }, pending), null);
  assert.equal(chat.pendingMatch({ role: "user", content: "other" }, pending), null);
});

test("product cards: stock badge, rating and fit confidence from the card's data", () => {
  const facts = chat.cardFacts({ price: "49.99", currency: "USD", inStock: true, rating: 4.25, confidence: 0.9 });
  assert.equal(facts.stock.label, "In stock");
  assert.equal(facts.stock.tone, "ok");
  assert.equal(facts.rating, "4.3");
  assert.equal(facts.confidence, 90);
  assert.match(facts.price, /49\.99/);
  const unknown = chat.cardFacts({ availability: "special_order", rating: "", confidence: 85 });
  assert.deepEqual(unknown.stock, { label: "special order", tone: "warn" });
  assert.equal(unknown.rating, null);
  assert.equal(unknown.confidence, 85);
  assert.equal(chat.cardFacts({ inStock: false }).stock.label, "Out of stock");
});

test("the checkout question names part, quantity and total from the message's card", () => {
  const action = { type: "checkout_now", payload: { psNumber: "PS11750057", quantity: 2 } };
  const parts = [{ type: "product_card", psNumber: "PS11750057", name: "Dishwasher Rack Wheel", price: "24.99", currency: "USD" }];
  const text = chat.confirmText(action, parts);
  assert.match(text, /^Buy 2 × Dishwasher Rack Wheel \(PS11750057\) for .*49\.98.*\? You'll pay on a secure checkout page\.$/);
  assert.equal(chat.confirmText({ ...action, payload: { psNumber: "PS1" } }, []), "Buy 1 × PS1? You'll pay on a secure checkout page.");
  assert.equal(chat.confirmText({ type: "policy_exception", label: "Ask for an exception" }, []), "Ask for an exception?");
});

test("action buttons: disabled when done, pending or refused; operator types say who handled them", () => {
  assert.deepEqual(chat.actionView({ type: "checkout_now", status: "rendered", label: "Checkout now" }, ""), {
    enabled: true,
    label: "Checkout now",
    statusText: "",
    errorText: "",
    checkoutLink: false,
  });
  assert.equal(chat.actionView({ type: "refund_request", status: "pending_approval" }, "").enabled, false);
  assert.equal(chat.actionView({ type: "checkout_now", status: "failed", enabled: false, error: "Sold out" }, "").errorText, "Sold out");
  assert.equal(
    chat.actionView({ type: "refund_request", status: "succeeded" }, "").statusText,
    "Handled by our team: see their reply below.",
  );
  assert.equal(chat.actionView({ type: "notify_when_in_stock", status: "succeeded" }, "We'll email you.").statusText, "We'll email you.");
});

test("a checkout button follows its payment: waiting, paid with the order, or try again; never 'Done.' before", () => {
  const base = { type: "checkout_now", label: "Checkout now", enabled: true };
  const open = chat.actionView({ ...base, status: "clicked", checkoutUrl: "https://pay.example/s/1" }, "");
  assert.equal(open.statusText, "Waiting for your payment…");
  assert.equal(open.checkoutLink, true);
  assert.equal(chat.actionView({ ...base, status: "clicked" }, "").statusText, ""); // no page opened here
  const paid = chat.actionView(
    { ...base, status: "succeeded", enabled: false, result: { orderNumber: "ORD-1" }, checkoutUrl: "https://pay.example/s/1" },
    "",
  );
  assert.deepEqual([paid.enabled, paid.statusText, paid.checkoutLink], [false, "Paid. Order ORD-1.", false]);
  const failed = chat.actionView({ ...base, status: "failed", error: "The payment did not go through.", checkoutUrl: "x" }, "");
  assert.deepEqual(
    [failed.enabled, failed.label, failed.errorText, failed.checkoutLink],
    [true, "Try again", "The payment did not go through.", false],
  );
  assert.equal(chat.actionView({ ...base, status: "failed", enabled: false, error: "Sold out" }, "").label, "Checkout now");
});

test("a saved conversation is resumed until it expires; broken or future-dated ones are not", () => {
  const now = 1_000_000_000_000;
  const day = 24 * 3600 * 1000;
  const saved = (fields) => JSON.stringify({ id: "conv_1", token: "t", savedAt: now - day, ...fields });
  assert.equal(chat.savedConversation(saved({}), now, 7 * day).id, "conv_1");
  assert.equal(chat.savedConversation(saved({ savedAt: now - 8 * day }), now, 7 * day), null);
  assert.equal(chat.savedConversation(saved({ savedAt: undefined }), now, 7 * day), null);
  assert.equal(chat.savedConversation(saved({ savedAt: now + day }), now, 7 * day), null);
  assert.equal(chat.savedConversation(saved({ token: 5 }), now, 7 * day), null);
  assert.equal(chat.savedConversation("{not json", now, 7 * day), null);
});

test("a message held back for sending too fast counts down; the hint counts what arrived below", () => {
  assert.equal(chat.waitText(12), "Too many messages at once: sending in 12 s…");
  assert.equal(chat.waitText(0.2), "Too many messages at once: sending in 1 s…");
  assert.equal(chat.waitText(0), "Sending…");
  assert.equal(chat.unseenText(1), "New message ↓");
  assert.equal(chat.unseenText(3), "3 new messages ↓");
});

test("payment notices and API errors read as the customer should see them", () => {
  assert.match(chat.paymentText({ number: "ORD-1", total: "10.00", currency: "USD" }), /^Payment received\. Order ORD-1 — .*10\.00\.$/);
  const error = new chat.ApiError(409, { error: { code: "out_of_stock", detail: "Sold out.", fields: {} } });
  assert.equal(error.message, "Sold out.");
  assert.equal(error.code, "out_of_stock");
  assert.equal(new chat.ApiError(0, null).message, "Can't reach the shop right now. Please try again.");
});

test("the gap rule: contiguous moves over what is whole, a frame above it means a message is missing", () => {
  const seqs = chat.seqTracker();
  for (const seq of [1, 2, 3]) chat.seqRecord(seqs, seq);
  assert.equal(seqs.contiguous, 3);
  assert.equal(chat.seqMissing(seqs, 3), false); // typing / action.status about a message it has

  chat.seqRecord(seqs, 5); // 4 was lost on the way
  assert.equal(seqs.contiguous, 3); // history is asked after 3, not after 5
  assert.equal(chat.seqMissing(seqs, 5), true);

  chat.seqRecord(seqs, 6);
  chat.seqRecord(seqs, 4); // the history answer fills the hole
  assert.equal(seqs.contiguous, 6);
  assert.equal(seqs.ahead.size, 0);
  assert.equal(chat.seqMissing(seqs, 6), false);

  assert.equal(chat.seqMissing(seqs, 8), true); // a token frame after an unseen message 7
  chat.seqRecord(seqs, 2); // duplicates (echoes, history overlap) change nothing
  chat.seqRecord(seqs, 6);
  assert.equal(seqs.contiguous, 6);
});

test("the gap rule ignores frames and messages without a whole-number seq", () => {
  const seqs = chat.seqTracker();
  for (const seq of [undefined, null, "2", 1.5, NaN]) {
    chat.seqRecord(seqs, seq);
    assert.equal(chat.seqMissing(seqs, seq), false);
  }
  assert.deepEqual([seqs.contiguous, seqs.ahead.size], [0, 0]);
});

test("handoff: the banner names the operator, asks for an email or a rating when it should", () => {
  assert.deepEqual(chat.handoffView({ state: "bot" }), { banner: "", humanHolds: false, askEmail: false, askRating: false });
  const talking = chat.handoffView({ state: "assigned", operator: { name: "Dana" } });
  assert.equal(talking.banner, "You're talking to Dana from our team.");
  assert.equal(talking.humanHolds, true);
  const away = chat.handoffView({ state: "waiting_for_human", afterHours: true, nextOpening: null, emailWanted: true });
  assert.match(away.banner, /away right now; someone will answer soon/);
  assert.equal(away.askEmail, true);
  assert.equal(chat.handoffView({ state: "resolved", canRate: true }).askRating, true);
  assert.equal(chat.handoffView({ state: "resolved", canRate: false }).askRating, false);
  assert.equal(chat.handoffView(null).banner, "");
});

test("typing: an operator's typing is named, the assistant's is not", () => {
  assert.equal(chat.typingText({ type: "typing", role: "operator", name: "Dana" }), "Dana is typing…");
  assert.equal(chat.typingText({ type: "typing", active: true }), "The assistant is typing…");
});

test("prices read in the shop's locale and currency (the page's settings), not the browser's", () => {
  assert.equal(chat.formatPrice("34.79", "USD"), "$34.79"); // the default: en-US, as PARLEY_LOCALE's default
  assert.equal(chat.formatPrice("1044.95", "USD"), "$1,044.95");
  assert.equal(chat.formatPrice("1500", "JPY"), "¥1,500");
  assert.equal(chat.formatPrice("34.79", "EUR", "de-DE"), "34,79\u00a0€");
  assert.equal(chat.formatPrice("", "USD"), "");
  const saved = { ...chat.priceFormat };
  Object.assign(chat.priceFormat, { locale: "pt-BR", currency: "BRL" });
  try {
    assert.equal(chat.formatPrice("10"), "R$\u00a010,00"); // the shop's currency when a card has none
    assert.equal(chat.cardFacts({ price: "10", currency: "BRL" }).price, "R$\u00a010,00");
  } finally {
    Object.assign(chat.priceFormat, saved);
  }
});
