/*
 * Parley shop beacon: the shop's own side of the funnel, for holdout experiments. On any page:
 *
 *   <script src="https://chat.example.com/static/parley/beacon.js" defer
 *           data-event="product_viewed" data-ps-number="PS11750057"></script>
 *
 * and on the order-confirmation page:
 *
 *   <script src="https://chat.example.com/static/parley/beacon.js" defer
 *           data-event="order_completed" data-order-id="1001" data-value="49.90"></script>
 *
 * From the page's own code: ParleyBeacon.track("cart_added", { psNumber: "PS11750057" }), and
 * ParleyBeacon.visitorId() for the order webhook (send it with the order, server to server).
 *
 * The visitor id is the one the chat widget uses: a random id in this site's localStorage
 * (first party, no cookie). Events go to the Parley origin's ingest API (that origin must list
 * this shop in PARLEY_EMBED_ORIGINS, as for the widget). An order counts once per order id.
 */
(() => {
  "use strict";

  const script = document.currentScript;
  if (!script || window.ParleyBeacon) return;
  const endpoint = new URL("/api/analytics/events", new URL(script.src, window.location.href).origin).href;
  const VISITOR_KEY = "parley.visitor";

  function randomHex(bytes) {
    return Array.from(window.crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function visitorId() {
    try {
      let id = window.localStorage.getItem(VISITOR_KEY);
      if (!id || !/^[A-Za-z0-9_-]{8,48}$/.test(id)) {
        id = `v_${randomHex(16)}`;
        window.localStorage.setItem(VISITOR_KEY, id);
      }
      return id;
    } catch (_err) {
      return null; // storage off: nothing to attribute to
    }
  }

  function track(name, fields = {}) {
    const visitor = visitorId();
    if (!visitor) return Promise.resolve(false);
    const event = {
      event_id: `b${Date.now().toString(36)}${randomHex(6)}`,
      name,
      occurred_at: new Date().toISOString(),
      visitor_id: visitor,
    };
    if (fields.psNumber) event.ps_number = String(fields.psNumber);
    if (fields.orderId) event.order_id = String(fields.orderId);
    if (fields.value !== undefined && fields.value !== "") event.value = String(fields.value);
    if (fields.currency) event.currency = String(fields.currency);
    return fetch(endpoint, {
      method: "POST",
      credentials: "omit",
      mode: "cors",
      keepalive: true, // an order page may be left at once
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ events: [event] }),
    }).then(
      (response) => response.ok,
      () => false,
    );
  }

  window.ParleyBeacon = { track, visitorId };

  const data = script.dataset;
  if (data.event) {
    track(data.event, { psNumber: data.psNumber, orderId: data.orderId, value: data.value, currency: data.currency });
  }
})();
