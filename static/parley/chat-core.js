/*
 * Parley chat core: the one implementation of the customer chat, used by the chat page
 * (chat.js) and by the embeddable widget (widget.js). A plain script, no build step.
 *
 *   const chat = window.ParleyChat.mount(rootElement, {apiBase, endpoints, context, ...});
 *   const shell = window.ParleyChat.buildShell(document, {shopName, examples, ...});  // widget
 *
 * It talks to the chat REST API (start / resume a conversation, execute actions) and to the
 * conversation's WebSocket (messages, typing, streamed tokens, live action status, payment
 * and alert notices). Every piece of data reaches the page through textContent /
 * createElement: never as HTML. Elements are found by class inside the root, so the page and
 * the widget (inside a shadow root) share the same markup and the same code.
 *
 * Layout: constants; pure helpers (no DOM, unit-tested under node); DOM helpers and the shell;
 * then one mounted chat, split by concern into parts that share one `chat` object (its config,
 * elements and state, plus what each part exposes to the others):
 *   view (scrolling, errors, connection and typing indicators), storage (the saved
 *   conversation), api (REST and telemetry), connection (conversation start, WebSocket,
 *   reconnect, incoming events), messages (bubbles, streaming, product cards), actions
 *   (buttons, confirmations, the alert form, execution), composer (typing and sending),
 *   handoff (a person from the team: who answers, the email form, the rating prompt).
 */
(() => {
  "use strict";


  const PING_INTERVAL_MS = 25000;
  const TYPING_TIMEOUT_MS = 30000;
  const MAX_BACKOFF_MS = 30000;
  // A conversation is resumed in any tab of this browser for this long after it was last used
  // (the server still checks its token: the id alone opens nothing). PARLEY_CHAT_RESUME_HOURS.
  const DEFAULT_RESUME_HOURS = 168;

  const DEFAULT_ENDPOINTS = {
    conversations: "/api/chat/conversations",
    checkout: "/api/checkout/session",
    alternatives: "/api/chat/actions/alternatives",
    backInStock: "/api/alerts/back-in-stock",
    events: "/api/analytics/events",
  };

  // Operator-decided and other server-side types: the click itself is the customer's request.
  const API_TYPES = new Set(["checkout_now", "check_compatible_alternatives", "notify_when_in_stock"]);
  // "failed" is not here: the server says (enabled) whether a failed action may be retried.
  const DONE_STATUSES = new Set(["succeeded", "denied", "expired"]);
  const STATUS_TEXT = {
    clicked: "",
    pending_approval: "Sent. A team member will review this shortly…",
    approved: "Approved.",
    denied: "Declined.",
    edited: "Updated by a team member.",
    succeeded: "Done.",
    failed: "",
    expired: "This option has expired.",
  };
  const ROLE_NAMES = { user: "You", assistant: "Assistant", operator: "Team member", internal: "Update" };
  const AVAILABILITY = {
    in_stock: ["In stock", "ok"],
    out_of_stock: ["Out of stock", "bad"],
    backordered: ["Backordered", "warn"],
    discontinued: ["Discontinued", "bad"],
  };


  /* ------------------------------------------------------------------ pure helpers
   * No DOM, no window: what the chat decides from data. Unit-tested with node's own runner
   * (conversations/tests/js/chat_core.test.js); the rest of the file draws what they decide. */

  /**
   * The one client-side price format: the shop's locale and currency (PARLEY_LOCALE,
   * PARLEY_CURRENCY, handed to mount() by the page or the widget's config), never the browser's,
   * so a card reads as the server's text does (core.money.money_display: CLDR on both sides).
   */
  const priceFormat = { locale: "en-US", currency: "USD" };

  function formatPrice(amount, currency, locale) {
    const value = Number(amount);
    if (amount === null || amount === undefined || amount === "" || Number.isNaN(value)) return "";
    const code = currency || priceFormat.currency;
    try {
      return new Intl.NumberFormat(locale || priceFormat.locale, { style: "currency", currency: code }).format(value);
    } catch (_err) {
      return `${value.toFixed(2)} ${code}`.trim();
    }
  }

  function formatTime(iso) {
    if (!iso) return "";
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return "";
    return new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" }).format(date);
  }

  /** An http(s) URL resolved against `base`, or null (javascript:, data:, garbage). */
  function safeUrl(value, base) {
    if (typeof value !== "string" || !value) return null;
    try {
      const url = new URL(value, base);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (_err) {
      return null;
    }
  }

  /** Product images may also be inline data images (the CSP allows img-src data:). */
  function safeImageUrl(value, base) {
    if (typeof value === "string" && /^data:image\/(png|jpeg|gif|webp)[;,]/i.test(value)) return value;
    return safeUrl(value, base);
  }

  /** Text as paragraphs (split on blank lines) of lines (split on single newlines), blanks dropped. */
  function textParagraphs(text) {
    return String(text || "")
      .split(/\n{2,}/)
      .filter((paragraph) => paragraph.trim())
      .map((paragraph) => paragraph.split("\n"));
  }

  /** The saved conversation in `raw` (JSON) if it is whole and was used less than `maxAgeMs` ago, else null. */
  function savedConversation(raw, now, maxAgeMs) {
    let saved;
    try {
      saved = JSON.parse(raw);
    } catch (_err) {
      return null;
    }
    if (!saved || typeof saved.id !== "string" || typeof saved.token !== "string") return null;
    if (!Number.isFinite(saved.savedAt) || now - saved.savedAt > maxAgeMs || saved.savedAt > now + 60000) return null;
    return saved;
  }

  /** What a message refused for sending too fast says while it waits (whole seconds left). */
  function waitText(secondsLeft) {
    const seconds = Math.max(0, Math.ceil(secondsLeft));
    return seconds ? `Too many messages at once: sending in ${seconds} s…` : "Sending…";
  }

  /** The "new message" hint's text for this many messages below the view. */
  function unseenText(count) {
    return count > 1 ? `${count} new messages ↓` : "New message ↓";
  }

  /** Milliseconds before retrying to open the conversation: 1 s, 2 s, 4 s … capped. */
  function startRetryDelay(attempt) {
    return Math.min(MAX_BACKOFF_MS, 1000 * 2 ** attempt);
  }

  /** Milliseconds before reconnecting the socket: exponential from 0.5 s, capped, with half of it jittered. */
  function reconnectDelay(attempt, random) {
    const backoff = Math.min(MAX_BACKOFF_MS, 500 * 2 ** attempt);
    return backoff / 2 + random * (backoff / 2);
  }

  /** Close codes with which the server says this conversation's token is no longer accepted. */
  function tokenRefused(code) {
    return [4001, 4003, 4004, 4401, 4403, 4404].includes(code);
  }

  /*
   * The gap rule. Every frame on the conversation's socket carries `seq`: a message its own, any
   * other frame the latest message it follows. The client keeps `contiguous`, the highest seq up
   * to which it has every message (and the seqs it has beyond it). A frame whose seq is above
   * `contiguous` once its own message is recorded means something was missed: the client asks
   * for `history` after `contiguous`. A `resync` frame (the server's channel layer recovered
   * from an error) asks for the same.
   */

  /** A fresh record of the seqs this client has. */
  function seqTracker() {
    return { contiguous: 0, ahead: new Set() };
  }

  /** Note that the message with this seq is here; `contiguous` moves up over what is now whole. */
  function seqRecord(tracker, seq) {
    if (!Number.isInteger(seq) || seq <= tracker.contiguous) return;
    tracker.ahead.add(seq);
    while (tracker.ahead.has(tracker.contiguous + 1)) {
      tracker.contiguous += 1;
      tracker.ahead.delete(tracker.contiguous);
    }
  }

  /** True when a frame relating to `seq` shows a message this client does not have. */
  function seqMissing(tracker, seq) {
    return Number.isInteger(seq) && seq > tracker.contiguous;
  }

  /** A socket frame as an event with a string `type`, or null. */
  function parseEvent(raw) {
    let data;
    try {
      data = JSON.parse(raw);
    } catch (_err) {
      return null;
    }
    return data && typeof data.type === "string" ? data : null;
  }

  function paymentText(order) {
    const total = formatPrice(order.total, order.currency);
    return `Payment received. Order ${order.number || ""}${total ? ` — ${total}` : ""}.`;
  }

  /** The bubble's role (unknown roles read as the assistant's) and its class names. */
  function bubbleClass(message) {
    const role = ROLE_NAMES[message.role] ? message.role : "assistant";
    const type = message.type || "text";
    const isNotice = role === "internal" || (type !== "text" && role !== "user");
    const typeClass = type.replace(/[^a-z0-9_-]/gi, "");
    return { role, className: `msg msg--${role}${isNotice ? " msg--notice" : ""} msg--type-${typeClass}` };
  }

  /** The client id of the message still waiting for this echo (by client id, else by its text), or null. */
  function pendingMatch(message, pending) {
    if (message.role !== "user") return null;
    const clientId = message.clientMessageId || message.client_message_id;
    if (clientId && pending.has(clientId)) return clientId;
    for (const [id, item] of pending) {
      if (item.content.trim() === String(message.content || "").trim()) return id;
    }
    return null;
  }

  /** What a product card shows besides its name: price, stock badge, rating, fit confidence. */
  function cardFacts(card) {
    const facts = { price: formatPrice(card.price, card.currency), stock: null, rating: null, confidence: null };
    const availability =
      card.availability || (card.inStock ? "in_stock" : card.inStock === false ? "out_of_stock" : "");
    if (availability) {
      const [label, tone] = AVAILABILITY[availability] || [String(availability).replace(/_/g, " "), "warn"];
      facts.stock = { label, tone };
    }
    if (card.rating !== null && card.rating !== undefined && card.rating !== "" && !Number.isNaN(Number(card.rating))) {
      facts.rating = Number(card.rating).toFixed(1);
    }
    if (card.confidence !== null && card.confidence !== undefined && card.confidence !== "") {
      const value = Number(card.confidence);
      if (!Number.isNaN(value)) facts.confidence = value <= 1 ? Math.round(value * 100) : Math.round(value);
    }
    return facts;
  }

  /** The question a confirmation asks before an action runs (checkout_now names part, quantity, total). */
  function confirmText(action, parts) {
    const payload = action.payload || {};
    if (action.type === "checkout_now") {
      const card = (parts || []).find(
        (part) => part && part.type === "product_card" && part.psNumber === payload.psNumber,
      );
      const quantity = Number(payload.quantity) || 1;
      const name = card && card.name ? `${card.name} (${payload.psNumber})` : payload.psNumber || "this item";
      const unit = card ? Number(card.price) : NaN;
      const total = Number.isNaN(unit) ? "" : formatPrice((unit * quantity).toFixed(2), card.currency);
      return `Buy ${quantity} × ${name}${total ? ` for ${total}` : ""}? You'll pay on a secure checkout page.`;
    }
    return `${action.label || "Continue"}?`;
  }

  /**
   * How an action's button looks for its data: enabled or not, its label, the status line, the
   * error line, and (checkout) whether the link to the open checkout page is still offered.
   * A checkout follows its payment: waiting while the page is open, "Paid" with the order once
   * paid (never "Done." before), "Try again" after a failed or declined payment; a finished
   * checkout's link is gone (its page is closed).
   */
  function actionView(data, statusOverride) {
    const enabled = data.enabled !== false && !DONE_STATUSES.has(data.status) && data.status !== "pending_approval";
    let statusText = statusOverride || STATUS_TEXT[data.status] || "";
    let label = data.label || "Continue";
    let checkoutLink = false;
    if (data.type === "checkout_now") {
      const order = data.result && data.result.orderNumber;
      if (data.status === "succeeded") statusText = order ? `Paid. Order ${order}.` : "Paid.";
      else if (data.status === "failed" && enabled) label = "Try again";
      checkoutLink = Boolean(data.checkoutUrl) && ["clicked", "rendered"].includes(data.status) && enabled;
      if (checkoutLink) statusText = "Waiting for your payment…";
    } else if (!statusOverride && data.status === "succeeded" && data.type === "talk_to_human") {
      statusText = "We've asked a person from our team to join.";
    } else if (!statusOverride && data.status === "succeeded" && !API_TYPES.has(data.type)) {
      statusText = "Handled by our team: see their reply below.";
    }
    return { enabled, label, statusText, errorText: data.error || "", checkoutLink };
  }

  /** Who answers, as the customer reads it (the `handoff` frame / GET …/handoff): the banner's
   * text ("" when the assistant answers), and whether to ask for an email or a rating. */
  function handoffView(handoff) {
    const h = handoff || {};
    const operatorName = h.operator && h.operator.name ? String(h.operator.name) : "";
    let banner = "";
    if (h.state === "assigned") {
      banner = operatorName ? `You're talking to ${operatorName} from our team.` : "You're talking to our team.";
    } else if (h.state === "waiting_for_human") {
      banner = h.afterHours
        ? `Our team is away right now; someone will answer ${h.nextOpening ? `at ${formatWhen(h.nextOpening)}` : "soon"}.`
        : "Waiting for a person from our team to join…";
    }
    return {
      banner,
      humanHolds: h.state === "assigned" || h.state === "waiting_for_human",
      askEmail: h.state === "waiting_for_human" && Boolean(h.emailWanted),
      askRating: h.state === "resolved" && Boolean(h.canRate),
    };
  }

  function formatWhen(iso) {
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return "";
    return new Intl.DateTimeFormat(undefined, { weekday: "long", hour: "numeric", minute: "2-digit" }).format(date);
  }

  /** The typing line: the operator's name when a person types, the assistant otherwise. */
  function typingText(event) {
    return event && event.role === "operator" && event.name ? `${event.name} is typing…` : "The assistant is typing…";
  }

  class ApiError extends Error {
    constructor(status, body) {
      const error = (body && body.error) || {};
      super(
        error.detail ||
          (status ? `Something went wrong (${status}). Please try again.` : "Can't reach the shop right now. Please try again."),
      );
      this.status = status;
      this.code = error.code || "error";
      this.fields = error.fields || {};
    }
  }

  const helpers = {
    priceFormat,
    savedConversation,
    waitText,
    unseenText,
    formatPrice,
    formatTime,
    safeUrl,
    safeImageUrl,
    textParagraphs,
    startRetryDelay,
    reconnectDelay,
    tokenRefused,
    seqTracker,
    seqRecord,
    seqMissing,
    parseEvent,
    paymentText,
    bubbleClass,
    pendingMatch,
    cardFacts,
    confirmText,
    actionView,
    handoffView,
    typingText,
    ApiError,
  };
  // Under node (the unit tests) the helpers are the module; in a browser the chat is mounted below.
  if (typeof module === "object" && module.exports) {
    module.exports = helpers;
    return;
  }


  if (window.ParleyChat) return; // loaded twice (page + widget): one core is enough

  /* ------------------------------------------------------------------ DOM helpers */

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function uuid() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
    const bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  /** Plain text with line breaks kept: paragraphs on blank lines, <br> on single newlines. */
  function appendText(container, text) {
    for (const lines of textParagraphs(text)) {
      const p = el("p", "msg__text");
      lines.forEach((line, index) => {
        if (index > 0) p.appendChild(document.createElement("br"));
        p.appendChild(document.createTextNode(line));
      });
      container.appendChild(p);
    }
  }

  /** The origin the API lives on: the page's own, or (widget) the script's. */
  function resolveBase(apiBase) {
    try {
      return new URL(apiBase || window.location.href);
    } catch (_err) {
      return new URL(window.location.href);
    }
  }

  /* ------------------------------------------------------------------ the shell (widget) */

  /**
   * The chat's markup, built with createElement (the page renders the same classes on the server).
   * `ids` must be unique in the document or shadow root the shell goes into.
   */
  function buildShell(options) {
    const opts = options || {};
    const prefix = opts.idPrefix || "parley";
    const root = el("div", `chat-app${opts.variant ? ` chat-app--${opts.variant}` : ""}`);

    // In the widget the shell sits inside the shop's page: no banner or contentinfo landmark
    // of its own (the page has those), plain blocks instead.
    const inPage = opts.variant === "widget";
    const header = el(inPage ? "div" : "header", "chat-header");
    const titles = el("div", "chat-header__titles");
    const title = el(opts.variant === "widget" ? "h2" : "h1", "chat-title", opts.shopName || "Chat");
    title.id = `${prefix}-title`;
    titles.appendChild(title);
    const connection = el("p", "chat-connection", "Connecting…");
    connection.setAttribute("role", "status");
    connection.dataset.state = "connecting";
    titles.appendChild(connection);
    header.appendChild(titles);
    if (opts.closeButton) {
      const close = el("button", "chat-close");
      close.type = "button";
      close.setAttribute("aria-label", "Close chat");
      close.appendChild(icon("close"));
      header.appendChild(close);
    }
    root.appendChild(header);

    const main = el("div", "chat-window");
    main.tabIndex = -1;
    const welcome = el("section", "chat-welcome");
    const welcomeTitle = el("h3", "chat-welcome__title", opts.welcomeTitle || "Hi! How can we help?");
    welcomeTitle.id = `${prefix}-welcome-title`;
    welcome.setAttribute("aria-labelledby", welcomeTitle.id);
    welcome.appendChild(welcomeTitle);
    welcome.appendChild(
      el(
        "p",
        "chat-welcome__text",
        opts.welcomeText || "Ask about a part or your appliance's model number: fit, installation, price and stock. For example:",
      ),
    );
    const examples = el("ul", "chat-examples");
    for (const question of opts.examples || []) {
      const li = el("li");
      const button = el("button", "chat-example", question);
      button.type = "button";
      button.dataset.question = question;
      li.appendChild(button);
      examples.appendChild(li);
    }
    welcome.appendChild(examples);
    main.appendChild(welcome);

    // The live region is a wrapper: role="log" on the <ol> itself would unmake the list.
    const region = el("div", "chat-log-region");
    region.setAttribute("role", "log");
    region.setAttribute("aria-live", "polite");
    region.setAttribute("aria-relevant", "additions text");
    region.setAttribute("aria-label", "Conversation");
    region.appendChild(el("ol", "chat-log"));
    main.appendChild(region);

    const typing = el("div", "chat-typing");
    typing.hidden = true;
    const dots = el("span", "chat-typing__dots");
    dots.setAttribute("aria-hidden", "true");
    dots.append(el("span"), el("span"), el("span"));
    typing.append(dots, el("span", "chat-typing__text", "The assistant is typing…"));
    main.appendChild(typing);
    root.appendChild(main);

    const footer = el(inPage ? "div" : "footer", "chat-footer");
    const error = el("p", "chat-error");
    error.setAttribute("role", "alert");
    error.hidden = true;
    footer.appendChild(error);
    const form = el("form", "chat-composer");
    form.noValidate = true;
    const inputId = `${prefix}-input`;
    const label = el("label", "chat-composer__label", "Your message");
    label.htmlFor = inputId;
    const row = el("div", "chat-composer__row");
    const input = el("textarea", "chat-composer__input");
    input.id = inputId;
    input.name = "message";
    input.rows = 1;
    input.maxLength = opts.maxLength || 2000;
    input.autocomplete = "off";
    input.placeholder = opts.placeholder || "Ask about a part number or model number…";
    const hint = el("p", "chat-composer__hint", "Enter to send, Shift+Enter for a new line.");
    hint.id = `${prefix}-input-hint`;
    input.setAttribute("aria-describedby", hint.id);
    const send = el("button", "chat-composer__send", "Send");
    send.type = "submit";
    row.append(input, send);
    form.append(label, row, hint);
    footer.appendChild(form);
    root.appendChild(footer);
    return root;
  }

  /** Small inline SVG icons, built as DOM (no markup strings). */
  function icon(name) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "24");
    svg.setAttribute("height", "24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    const path = document.createElementNS(ns, "path");
    path.setAttribute("fill", "currentColor");
    path.setAttribute(
      "d",
      name === "close"
        ? "M6.4 5 5 6.4 10.6 12 5 17.6 6.4 19l5.6-5.6 5.6 5.6 1.4-1.4-5.6-5.6L19 6.4 17.6 5 12 10.6z"
        : name === "new"
        ? "M11 5h2v6h6v2h-6v6h-2v-6H5v-2h6z"
        : "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2zm3 6v2h2v-2H7zm4 0v2h2v-2h-2zm4 0v2h2v-2h-2z",
    );
    svg.appendChild(path);
    return svg;
  }


  /* ------------------------------------------------------------------ view */

  /** Scrolling, the error line, the connection and typing indicators, the welcome. */
  function createView(chat) {
    const { root, opts, base, config, ui, state } = chat;

    function isNearBottom() {
      const scroller = ui.window;
      return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 120;
    }

    function scrollToBottom(force) {
      if (force || isNearBottom()) {
        window.requestAnimationFrame(() => {
          ui.window.scrollTop = ui.window.scrollHeight;
        });
      }
    }

    function showError(text) {
      ui.error.textContent = text || "";
      ui.error.hidden = !text;
    }

    function setConnection(kind, text) {
      ui.connection.dataset.state = kind;
      ui.connection.textContent = text;
    }

    function setTyping(active, text) {
      window.clearTimeout(state.typingTimer);
      const label = ui.typing.querySelector(".chat-typing__text");
      if (label && active) label.textContent = text || typingText(null);
      ui.typing.hidden = !active;
      if (active) {
        state.typingTimer = window.setTimeout(() => setTyping(false), TYPING_TIMEOUT_MS);
        scrollToBottom(false);
      }
    }

    function hideWelcome() {
      if (ui.welcome) ui.welcome.hidden = true;
      if (ui.newConversation) ui.newConversation.hidden = false;
    }

    function showWelcome() {
      if (ui.welcome) ui.welcome.hidden = false;
      if (ui.newConversation) ui.newConversation.hidden = true;
    }

    // "New message ↓": messages that arrive while the customer reads further up are not
    // scrolled to; a button above the composer says so and takes them to the first of them.
    const footer = ui.form.parentNode;
    const hint = el("button", "chat-new-hint");
    hint.type = "button";
    hint.hidden = true;
    footer.insertBefore(hint, footer.firstChild);
    // Said to screen readers once (a payment's outcome, a message held back): not the log's chatter.
    const announcer = el("p", "visually-hidden chat-announcer");
    announcer.setAttribute("role", "status");
    footer.appendChild(announcer);

    function noteUnseen(item) {
      if (!state.unseen.length) state.unseen = [];
      state.unseen.push(item);
      hint.textContent = unseenText(state.unseen.length);
      hint.hidden = false;
    }

    function clearUnseen() {
      state.unseen = [];
      hint.hidden = true;
    }

    function announce(text) {
      announcer.textContent = "";
      window.setTimeout(() => {
        announcer.textContent = text;
      }, 50);
    }

    hint.addEventListener("click", () => {
      const first = state.unseen.find((item) => item.isConnected);
      clearUnseen();
      if (!first) {
        scrollToBottom(true);
        return;
      }
      first.tabIndex = -1;
      first.scrollIntoView({ block: "start" });
      first.focus({ preventScroll: true });
    });
    ui.window.addEventListener(
      "scroll",
      () => {
        if (state.unseen.length && isNearBottom()) clearUnseen();
      },
      { passive: true },
    );

    return {
      isNearBottom,
      scrollToBottom,
      showError,
      setConnection,
      setTyping,
      hideWelcome,
      showWelcome,
      noteUnseen,
      clearUnseen,
      announce,
    };
  }

  /* ------------------------------------------------------------------ storage */

  /** The conversation kept across reloads and tabs (localStorage, with an expiry from its last use). */
  function createStorage(chat) {
    const { root, opts, base, config, ui, state } = chat;

    function loadSaved() {
      try {
        const raw = window.localStorage.getItem(config.storageKey);
        if (!raw) return null;
        const saved = savedConversation(raw, Date.now(), config.resumeMs);
        if (!saved) window.localStorage.removeItem(config.storageKey); // expired or broken
        return saved;
      } catch (_err) {
        return null;
      }
    }

    /** Remember (or, used again, keep remembering) this conversation for this browser. */
    function save() {
      if (!state.conversationId || !state.token) return;
      try {
        window.localStorage.setItem(
          config.storageKey,
          JSON.stringify({ id: state.conversationId, token: state.token, wsUrl: state.wsUrl, savedAt: Date.now() }),
        );
      } catch (_err) {
        /* private mode: the conversation just won't survive a reload */
      }
    }

    function forget() {
      try {
        window.localStorage.removeItem(config.storageKey);
      } catch (_err) {
        /* nothing to forget */
      }
    }

    return { loadSaved, save, forget };
  }

  /* ------------------------------------------------------------------ api */

  /** REST calls with the conversation token, and batched client telemetry. */
  function createApi(chat) {
    const { root, opts, base, config, ui, state } = chat;
    // Telemetry the server cannot see for itself (e.g. the customer following a payment
    // link), batched to POST /api/analytics/events. It never gets in the customer's way:
    // failures are dropped, and what is left goes out with keepalive when the page is hidden.
    const telemetry = { queue: [], timer: null };

    async function api(method, url, body) {
      const headers = { Accept: "application/json" };
      if (body !== undefined) headers["Content-Type"] = "application/json";
      if (state.token) headers.Authorization = `Bearer ${state.token}`;
      if (config.csrfToken && method !== "GET" && config.credentials !== "omit") headers["X-CSRFToken"] = config.csrfToken;
      let response;
      try {
        response = await fetch(url, {
          method,
          headers,
          credentials: config.credentials,
          mode: "cors",
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      } catch (_err) {
        throw new ApiError(0, null);
      }
      let data = null;
      try {
        data = await response.json();
      } catch (_err) {
        data = null;
      }
      if (!response.ok) throw new ApiError(response.status, data);
      return data || {};
    }

    function track(name, fields) {
      if (!state.conversationId || !state.token) return;
      telemetry.queue.push({
        event_id: uuid(),
        name,
        occurred_at: new Date().toISOString(),
        conversation_id: state.conversationId,
        ...fields,
      });
      if (!telemetry.timer) telemetry.timer = window.setTimeout(() => flushTelemetry(false), 1000);
    }

    function flushTelemetry(leaving) {
      window.clearTimeout(telemetry.timer);
      telemetry.timer = null;
      if (!telemetry.queue.length || !state.token) return;
      const events = telemetry.queue.splice(0, 500);
      fetch(config.eventsUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${state.token}` },
        credentials: "omit",
        mode: "cors",
        keepalive: leaving,
        body: JSON.stringify({ events }),
      }).catch(() => {});
    }

    function messagesUrl(id) {
      return `${config.conversationsUrl}/${encodeURIComponent(id)}/messages`;
    }

    window.addEventListener("pagehide", () => flushTelemetry(true));

    return { api, track, flushTelemetry, messagesUrl };
  }

  /* ------------------------------------------------------------------ connection */

  /** Opening or resuming the conversation, its WebSocket, reconnecting, and incoming events. */
  function createConnection(chat) {
    const { root, opts, base, config, ui, state } = chat;

    function adopt(id, token, wsUrl) {
      state.conversationId = id;
      state.token = token;
      state.wsUrl = wsUrl || `/ws/chat/${encodeURIComponent(id)}/?token=${encodeURIComponent(token)}`;
      chat.save();
    }

    async function createConversation() {
      const data = await chat.api("POST", config.conversationsUrl, { channel: config.channel, context: config.context });
      adopt(data.id, data.token, data.wsUrl);
      chat.renderMessages(data.messages || []);
    }

    async function resume(saved) {
      state.token = saved.token;
      const data = await chat.api("GET", chat.messagesUrl(saved.id));
      adopt(saved.id, saved.token, saved.wsUrl);
      chat.renderMessages(data.messages || []);
    }

    async function start() {
      chat.setConnection("connecting", "Connecting…");
      const saved = chat.loadSaved();
      for (let attempt = 0; ; attempt += 1) {
        try {
          if (saved && !state.conversationId) {
            try {
              await resume(saved);
            } catch (err) {
              if (![401, 403, 404].includes(err.status)) throw err;
              chat.forget();
              state.token = null;
              await createConversation();
            }
          } else if (!state.conversationId) {
            await createConversation();
          }
          state.loaded = true;
          connect();
          return;
        } catch (err) {
          chat.setConnection("offline", "Offline");
          chat.showError(err.message);
          const delay = startRetryDelay(attempt);
          await new Promise((resolve) => window.setTimeout(resolve, delay));
        }
      }
    }

    function ensureStarted() {
      if (!state.starting) state.starting = start();
      return state.starting;
    }

    /** The customer asks for a new conversation: this one is let go (in this browser) and a new one starts. */
    async function restart() {
      await state.starting;
      const socket = state.socket;
      state.socket = null; // its close event is then ignored
      state.socketOpen = false;
      if (socket) socket.close(1000, "new conversation");
      window.clearTimeout(state.reconnectTimer);
      window.clearInterval(state.pingTimer);
      for (const item of state.pending.values()) window.clearInterval(item.timer);
      chat.forget();
      Object.assign(state, {
        conversationId: null,
        token: null,
        wsUrl: null,
        hasConnected: false,
        reconnectAttempts: 0,
        starting: null,
        seqs: seqTracker(),
        gapFetching: false,
        loaded: false,
        handoff: { state: "bot" },
        rated: false,
      });
      state.messages.clear();
      state.actions.clear();
      state.pending.clear();
      ui.log.replaceChildren();
      chat.clearUnseen();
      chat.setTyping(false);
      chat.showError("");
      chat.applyHandoff({ state: "bot" });
      chat.showWelcome();
      ui.input.focus();
      await ensureStarted();
      chat.announce("A new conversation has started.");
    }

    function socketUrl() {
      const url = new URL(state.wsUrl, base);
      url.protocol = base.protocol === "https:" ? "wss:" : "ws:";
      return url.href;
    }

    function sendSocket(event) {
      if (!state.socket || state.socket.readyState !== WebSocket.OPEN) return false;
      try {
        state.socket.send(JSON.stringify(event));
        return true;
      } catch (_err) {
        return false;
      }
    }

    function connect() {
      if (!state.conversationId || state.closing) return;
      if (state.socket && state.socket.readyState <= WebSocket.OPEN) return;
      window.clearTimeout(state.reconnectTimer);
      let socket;
      try {
        socket = new WebSocket(socketUrl());
      } catch (_err) {
        scheduleReconnect();
        return;
      }
      state.socket = socket;
      socket.addEventListener("open", () => onOpen(socket));
      socket.addEventListener("message", (event) => onSocketMessage(event));
      socket.addEventListener("close", (event) => onClose(socket, event));
      socket.addEventListener("error", () => {
        /* a close event follows; reconnecting happens there */
      });
    }

    function onOpen(socket) {
      if (socket !== state.socket) return;
      const wasReconnect = state.hasConnected;
      state.hasConnected = true;
      state.socketOpen = true;
      state.reconnectAttempts = 0;
      chat.setConnection("online", "Online");
      chat.showError("");
      // Whatever was said while we were away (or between the page's fetch and this socket):
      // everything after the last seq up to which this client has every message.
      state.gapFetching = false;
      if (state.loaded || wasReconnect) fetchMissed();
      // Anything typed while away (or sent but never echoed) goes now; the server dedupes by client id.
      for (const [clientId, item] of state.pending) {
        if (item.waitUntil && item.waitUntil > Date.now()) continue; // its countdown sends it
        if (sendSocket({ type: "message", content: item.content, client_message_id: clientId })) {
          item.sent = true;
          item.element.classList.remove("msg--queued");
        }
      }
      chat.refreshHandoff(); // who answers now (a person may have joined while we were away)
      window.clearInterval(state.pingTimer);
      state.pingTimer = window.setInterval(() => sendSocket({ type: "ping" }), PING_INTERVAL_MS);
      chat.updateSendButton();
    }

    function onClose(socket, event) {
      if (socket !== state.socket) return;
      state.socketOpen = false;
      state.socket = null;
      window.clearInterval(state.pingTimer);
      chat.setTyping(false);
      chat.updateSendButton();
      if (state.closing) return;
      if (tokenRefused(event.code)) {
        recoverConversation();
        return;
      }
      scheduleReconnect();
    }

    function scheduleReconnect() {
      window.clearTimeout(state.reconnectTimer);
      const attempt = state.reconnectAttempts;
      state.reconnectAttempts += 1;
      const delay = reconnectDelay(attempt, Math.random());
      chat.setConnection("reconnecting", "Reconnecting…");
      state.reconnectTimer = window.setTimeout(() => {
        // After a few failures, check the conversation still exists before trying again.
        if (state.reconnectAttempts >= 3) recoverConversation();
        else connect();
      }, delay);
    }

    async function recoverConversation() {
      try {
        const data = await chat.api("GET", chat.messagesUrl(state.conversationId));
        chat.renderMessages(data.messages || []);
        connect();
      } catch (err) {
        if ([401, 403, 404].includes(err.status)) {
          chat.forget();
          state.conversationId = null;
          state.token = null;
          state.starting = null;
          chat.showError("Your previous conversation has ended; we started a new one.");
          ensureStarted();
        } else {
          scheduleReconnect();
        }
      }
    }

    /** Ask for every message after the last contiguous seq (one request at a time). */
    function fetchMissed() {
      if (state.gapFetching) return;
      state.gapFetching = sendSocket({ type: "history", after_seq: state.seqs.contiguous });
    }

    function onHistory(messages) {
      const before = state.seqs.contiguous;
      chat.renderMessages(messages);
      state.gapFetching = false;
      // Still short (a page of at most 200, or more arrived meanwhile): ask again while it helps.
      if (state.seqs.ahead.size && state.seqs.contiguous > before) fetchMissed();
    }

    function onSocketMessage(event) {
      const data = parseEvent(event.data);
      if (!data) return;
      handleEvent(data);
      if (data.type === "resync" || (data.type !== "history" && seqMissing(state.seqs, data.seq))) fetchMissed();
    }

    function handleEvent(data) {
      switch (data.type) {
        case "message":
          chat.renderMessage(data.message);
          break;
        case "typing":
          chat.setTyping(Boolean(data.active), typingText(data));
          break;
        case "handoff":
          chat.applyHandoff(data.handoff);
          break;
        case "token":
          chat.appendToken(data.message_id, data.delta);
          break;
        case "action.status":
          chat.updateAction(data.action_id, data);
          break;
        case "payment.confirmed":
          if (data.message) chat.renderMessage(data.message);
          else if (data.order) chat.renderNotice(paymentText(data.order), "payment_confirmed");
          break;
        case "alert.notified":
          if (data.message) chat.renderMessage(data.message);
          break;
        case "history":
          onHistory(data.messages || []);
          break;
        case "error":
          if (String(data.code || "").startsWith("history")) state.gapFetching = false;
          chat.setTyping(false);
          if (data.client_message_id && state.pending.has(data.client_message_id)) {
            chat.messageRefused(data.client_message_id, data);
            break;
          }
          chat.showError(data.detail || "Something went wrong.");
          break;
        case "pong":
        default:
          break;
      }
    }

    window.addEventListener("online", () => {
      if (state.conversationId && !state.socketOpen) {
        state.reconnectAttempts = 0;
        connect();
      }
    });
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible" && state.conversationId && !state.socketOpen) connect();
    });
    window.addEventListener("pagehide", () => {
      state.closing = true;
      if (state.socket) state.socket.close(1000, "page closed");
    });
    window.addEventListener("pageshow", (event) => {
      if (event.persisted) {
        state.closing = false;
        connect();
      }
    });

    return { ensureStarted, restart, connect, sendSocket };
  }

  /* ------------------------------------------------------------------ messages */

  /** Message bubbles in server order, streamed replies, notices and product cards. */
  function createMessages(chat) {
    const { root, opts, base, config, ui, state } = chat;

    function appendToken(messageId, delta) {
      if (!messageId || typeof delta !== "string") return;
      let item = state.messages.get(messageId);
      if (item && !item.classList.contains("msg--streaming")) return; // the full message already arrived
      if (!item) {
        item = buildBubble({ id: messageId, role: "assistant", type: "text" });
        item.classList.add("msg--streaming");
        item.setAttribute("aria-busy", "true");
        const text = el("p", "msg__text msg__text--stream");
        item.querySelector(".msg__body").appendChild(text);
        state.messages.set(messageId, item);
        ui.log.appendChild(item);
        chat.setTyping(false);
      }
      const stream = item.querySelector(".msg__text--stream");
      stream.appendChild(document.createTextNode(delta));
      chat.scrollToBottom(false);
    }

    function renderMessages(list) {
      const stick = chat.isNearBottom();
      const sorted = [...list].filter(Boolean).sort((a, b) => (a.seq || 0) - (b.seq || 0));
      for (const message of sorted) renderMessage(message, { scroll: false });
      chat.scrollToBottom(stick);
    }

    function buildBubble(message) {
      const { role, className } = bubbleClass(message);
      const item = el("li", className);
      if (message.id) item.dataset.messageId = message.id;
      if (Number.isFinite(message.seq)) item.dataset.seq = String(message.seq);
      const who = role === "operator" && message.operator && message.operator.name ? message.operator.name : ROLE_NAMES[role];
      item.appendChild(el("span", "msg__who visually-hidden", `${who}:`));
      item.appendChild(el("div", "msg__body"));
      return item;
    }

    function insertInOrder(item, seq) {
      if (!Number.isFinite(seq)) {
        ui.log.appendChild(item);
        return;
      }
      // Keep server order by seq; messages still waiting for their echo stay at the end.
      const after = Array.from(ui.log.children).find(
        (node) => node !== item && (node.dataset.seq === undefined || Number(node.dataset.seq) > seq),
      );
      ui.log.insertBefore(item, after || null);
    }

    function renderMessage(message, options = {}) {
      if (!message || !message.id) return;
      const scroll = options.scroll !== false;
      const stick = scroll && chat.isNearBottom();

      seqRecord(state.seqs, message.seq);

      const existing = state.messages.get(message.id);
      if (existing && !existing.classList.contains("msg--streaming")) {
        // Seen already (echo, history overlap): only the actions can have moved on.
        for (const action of message.actions || []) chat.updateAction(action.id, action);
        return;
      }

      const pendingId = pendingMatch(message, state.pending);
      const item = buildBubble(message);
      const body = item.querySelector(".msg__body");
      const type = message.type || "text";
      if (type === "payment_confirmed") body.appendChild(el("span", "msg__badge msg__badge--ok", "Payment received"));
      if (type === "payment_failed") body.appendChild(el("span", "msg__badge msg__badge--bad", "Payment failed"));
      if (type === "alert_notified") body.appendChild(el("span", "msg__badge msg__badge--ok", "Back in stock"));
      if (type === "action_status_update") body.appendChild(el("span", "msg__badge", "Update"));
      if (message.role === "operator") {
        const name = message.operator && message.operator.name ? `${message.operator.name} · ` : "";
        body.appendChild(el("span", "msg__badge msg__badge--operator", `${name}Team member`));
      }
      appendText(body, message.content);

      const cards = (message.parts || []).filter((part) => part && part.type === "product_card");
      if (cards.length) {
        const list = el("div", "cards");
        for (const card of cards) list.appendChild(renderProductCard(card));
        body.appendChild(list);
      }

      const actions = (message.actions || []).filter((action) => action && action.id);
      if (actions.length) {
        const group = el("div", "actions");
        group.setAttribute("role", "group");
        group.setAttribute("aria-label", "Suggested actions");
        for (const action of actions) group.appendChild(chat.renderAction(action, message));
        body.appendChild(group);
      }

      const time = formatTime(message.createdAt);
      if (time) {
        const stamp = el("time", "msg__time", time);
        stamp.dateTime = message.createdAt;
        item.appendChild(stamp);
      }

      if (existing) {
        existing.replaceWith(item); // the streamed bubble becomes the final message
        if (Number.isFinite(message.seq)) insertInOrder(item, message.seq);
      } else if (pendingId) {
        const placeholder = state.pending.get(pendingId).element;
        state.pending.delete(pendingId);
        placeholder.remove();
        insertInOrder(item, message.seq);
      } else {
        insertInOrder(item, message.seq);
      }
      state.messages.set(message.id, item);
      if (message.role !== "user") dropOrphanStreams();

      if (message.role === "user") chat.hideWelcome();
      if (message.role !== "user" && type === "text") chat.setTyping(false);
      // A payment's outcome is what the customer came back for: scrolled to, focusable, announced.
      const live = scroll && state.loaded && message.role !== "user";
      const payment = type === "payment_confirmed" || type === "payment_failed";
      // The customer's own message (its echo) is scrolled to; one from their other tab is not.
      if (scroll) chat.scrollToBottom(stick || Boolean(pendingId) || (live && payment));
      if (live && payment) {
        item.tabIndex = -1;
        chat.announce(String(message.content || ""));
      } else if (live && !stick) {
        chat.noteUnseen(item);
      }
      if (live) chat.save(); // used: its expiry moves on
      if (state.loaded && message.role !== "user" && typeof opts.onIncoming === "function") opts.onIncoming(message);
    }

    function dropOrphanStreams() {
      for (const node of ui.log.querySelectorAll(".msg--streaming")) {
        state.messages.delete(node.dataset.messageId);
        node.remove();
      }
    }

    function renderNotice(text, type) {
      const item = buildBubble({ role: "internal", type: type || "notice" });
      appendText(item.querySelector(".msg__body"), text);
      ui.log.appendChild(item);
      chat.scrollToBottom(false);
    }

    function renderProductCard(card) {
      const article = el("article", "card");
      const imageUrl = safeImageUrl(card.imageUrl, base);
      const figure = el("div", "card__media");
      const showNoPicture = () => {
        figure.classList.add("card__media--empty");
        figure.setAttribute("role", "img");
        figure.setAttribute("aria-label", `${card.name ? String(card.name) : "Part"}: no picture available`);
      };
      if (imageUrl) {
        const img = document.createElement("img");
        img.className = "card__image";
        img.src = imageUrl;
        img.alt = card.name ? String(card.name) : "";
        img.loading = "lazy";
        img.decoding = "async";
        img.width = 96;
        img.height = 96;
        img.addEventListener("error", () => {
          img.remove();
          showNoPicture();
        });
        figure.appendChild(img);
      } else {
        showNoPicture();
      }
      article.appendChild(figure);

      const info = el("div", "card__info");
      info.appendChild(el("h3", "card__name", card.name || card.psNumber || "Part"));
      if (card.psNumber) info.appendChild(el("p", "card__ps", card.psNumber));

      const meta = el("p", "card__meta");
      const facts = cardFacts(card);
      if (facts.price) meta.appendChild(el("span", "card__price", facts.price));
      if (facts.stock) meta.appendChild(el("span", `card__stock card__stock--${facts.stock.tone}`, facts.stock.label));
      if (facts.rating !== null) {
        const rating = el("span", "card__rating");
        rating.appendChild(el("span", "card__stars", "★"));
        rating.appendChild(document.createTextNode(` ${facts.rating}`));
        rating.setAttribute("role", "img");
        rating.setAttribute("aria-label", `Rated ${facts.rating} out of 5`);
        meta.appendChild(rating);
      }
      if (facts.confidence !== null) {
        meta.appendChild(el("span", "card__confidence", `Fit confidence ${facts.confidence}%`));
      }
      info.appendChild(meta);
      article.appendChild(info);
      return article;
    }

    return { renderMessages, renderMessage, renderNotice, appendToken, renderProductCard, buildBubble };
  }

  /* ------------------------------------------------------------------ actions */

  /** Action buttons: their live state, confirmations, the alert form, and running them. */
  function createActions(chat) {
    const { root, opts, base, config, ui, state } = chat;

    function renderAction(action, message) {
      const wrapper = el("div", "action");
      wrapper.dataset.actionId = action.id;
      wrapper.dataset.actionType = action.type || "";
      const style = action.style === "primary" ? "primary" : "secondary";
      const button = el("button", `action__button action__button--${style}`, action.label || "Continue");
      button.type = "button";
      wrapper.appendChild(button);

      const panel = el("div", "action__panel");
      panel.hidden = true;
      wrapper.appendChild(panel);
      const status = el("p", "action__status");
      status.setAttribute("role", "status");
      status.hidden = true;
      wrapper.appendChild(status);
      const error = el("p", "action__error");
      error.setAttribute("role", "alert");
      error.hidden = true;
      wrapper.appendChild(error);
      const result = el("div", "action__result");
      result.hidden = true;
      wrapper.appendChild(result);

      const entry = { data: { ...action }, message, wrapper, button, panel, status, error, result, busy: false };
      state.actions.set(action.id, entry);
      button.addEventListener("click", () => onActionClick(entry));
      applyActionState(entry);
      return wrapper;
    }

    function applyActionState(entry) {
      const view = actionView(entry.data, entry.statusOverride);
      // Keep the focus somewhere sensible when the button it sits on is disabled under it.
      const hadFocus = entry.button === (root.getRootNode().activeElement || document.activeElement);
      entry.button.disabled = !view.enabled || entry.busy;
      entry.button.setAttribute("aria-busy", entry.busy ? "true" : "false");
      if (entry.button.textContent !== view.label) entry.button.textContent = view.label;
      if (entry.data.type === "checkout_now" && !view.checkoutLink && entry.result.querySelector(".action__link")) {
        entry.result.replaceChildren(); // the checkout page is closed now: no way back to it
        entry.result.hidden = true;
      }
      entry.wrapper.dataset.status = entry.data.status || "";
      entry.status.textContent = view.statusText;
      entry.status.hidden = !view.statusText;
      entry.error.textContent = view.errorText;
      entry.error.hidden = !view.errorText;
      if (hadFocus && entry.button.disabled) ui.input.focus();
    }

    function updateAction(actionId, update) {
      const entry = state.actions.get(actionId);
      if (!entry || !update) return;
      const before = entry.data.status;
      for (const key of ["status", "enabled", "error", "result", "label"]) {
        if (update[key] !== undefined) entry.data[key] = update[key];
      }
      // A late "clicked" (the press, recorded while the API call ran) does not undo what the call said.
      if (entry.data.status !== before && !["succeeded", "clicked", "rendered"].includes(entry.data.status)) {
        entry.statusOverride = "";
      }
      if (DONE_STATUSES.has(entry.data.status) || entry.data.enabled === false) closePanel(entry);
      applyActionState(entry);
    }

    function failAction(entry, err) {
      entry.busy = false;
      entry.data.enabled = false;
      entry.data.error = err.message;
      closePanel(entry);
      applyActionState(entry);
    }

    function closePanel(entry) {
      if (!entry.panel.hidden && entry.panel.contains(root.getRootNode().activeElement || document.activeElement)) {
        entry.panel.hidden = true;
        entry.panel.replaceChildren();
        entry.button.hidden = false;
        if (!entry.button.disabled) entry.button.focus();
        else ui.input.focus();
        return;
      }
      entry.panel.hidden = true;
      entry.panel.replaceChildren();
      entry.button.hidden = false;
    }

    function onActionClick(entry) {
      if (entry.busy || entry.button.disabled) return;
      entry.data.error = "";
      applyActionState(entry);
      const type = entry.data.type;
      if (!API_TYPES.has(type)) {
        clickOnServer(entry); // an operator-decided request: the click is the request
      } else if (type === "notify_when_in_stock" || entry.data.requiresConfirmation) {
        // A step before the API call: the press itself is recorded now (telemetry, no waiting);
        // the API call that follows is recorded again by the server, which is race-safe.
        chat.sendSocket({ type: "action.click", action_id: entry.data.id });
        if (type === "notify_when_in_stock") openContactForm(entry);
        else openConfirm(entry);
      } else {
        execute(entry); // the API records the click itself
      }
    }

    function openConfirm(entry) {
      closePanel(entry);
      const box = el("div", "confirm");
      box.setAttribute("role", "group");
      const textId = `confirm-${entry.data.id}`;
      const text = el("p", "confirm__text", confirmText(entry.data, entry.message && entry.message.parts));
      text.id = textId;
      box.setAttribute("aria-labelledby", textId);
      box.appendChild(text);
      const row = el("div", "confirm__buttons");
      const yes = el("button", "action__button action__button--primary", "Confirm and pay");
      yes.type = "button";
      const no = el("button", "action__button action__button--secondary", "Cancel");
      no.type = "button";
      row.append(yes, no);
      box.appendChild(row);
      entry.panel.appendChild(box);
      entry.panel.hidden = false;
      entry.button.hidden = true;
      yes.addEventListener("click", () => {
        entry.button.hidden = false;
        entry.panel.hidden = true;
        entry.panel.replaceChildren();
        execute(entry);
      });
      no.addEventListener("click", () => closePanel(entry));
      box.addEventListener("keydown", (event) => {
        if (event.key === "Escape") {
          event.stopPropagation();
          closePanel(entry);
        }
      });
      yes.focus();
    }

    function openContactForm(entry) {
      closePanel(entry);
      const form = el("form", "contact");
      form.noValidate = true;
      const uid = `contact-${entry.data.id}`;

      const choice = el("fieldset", "contact__choice");
      choice.appendChild(el("legend", "contact__label", "How should we tell you it's back in stock?"));
      const radios = {};
      for (const [value, text] of [
        ["email", "By email"],
        ["web", "Here in this chat"],
      ]) {
        const label = el("label", "contact__option");
        const radio = document.createElement("input");
        radio.type = "radio";
        radio.name = `${uid}-channel`;
        radio.value = value;
        radio.checked = value === "email";
        radios[value] = radio;
        label.append(radio, document.createTextNode(` ${text}`));
        choice.appendChild(label);
      }
      form.appendChild(choice);

      const emailRow = el("div", "contact__email");
      const label = el("label", "contact__label", "Email address");
      label.htmlFor = uid;
      const input = document.createElement("input");
      input.className = "contact__input";
      input.type = "email";
      input.id = uid;
      input.name = "contact";
      input.required = true;
      input.autocomplete = "email";
      input.placeholder = "you@example.com";
      const hint = el("p", "contact__error");
      hint.id = `${uid}-error`;
      hint.hidden = true;
      input.setAttribute("aria-describedby", hint.id);
      emailRow.append(label, input, hint);
      form.appendChild(emailRow);

      const row = el("div", "contact__row");
      const submit = el("button", "action__button action__button--primary", "Notify me");
      submit.type = "submit";
      const cancel = el("button", "action__button action__button--secondary", "Cancel");
      cancel.type = "button";
      row.append(submit, cancel);
      form.appendChild(row);
      entry.panel.appendChild(form);
      entry.panel.hidden = false;

      const channel = () => (radios.web.checked ? "web" : "email");
      const syncChannel = () => {
        emailRow.hidden = channel() === "web";
        input.disabled = channel() === "web";
      };
      radios.email.addEventListener("change", syncChannel);
      radios.web.addEventListener("change", syncChannel);
      cancel.addEventListener("click", () => closePanel(entry));
      form.addEventListener("keydown", (event) => {
        if (event.key === "Escape") {
          event.stopPropagation();
          closePanel(entry);
        }
      });
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        const chosen = channel();
        const contact = chosen === "email" ? input.value.trim() : "";
        if (chosen === "email" && (!contact || !input.checkValidity())) {
          hint.textContent = "Please enter a valid email address.";
          hint.hidden = false;
          input.setAttribute("aria-invalid", "true");
          input.focus();
          return;
        }
        submit.disabled = true;
        entry.busy = true;
        applyActionState(entry);
        try {
          const body = { action_id: entry.data.id, channel: chosen };
          if (contact) body.contact = contact;
          const data = await chat.api("POST", config.backInStockUrl, body);
          const subscription = data.subscription || {};
          let text = "We'll tell you here as soon as it's back.";
          if (chosen === "email") {
            text =
              subscription.status === "pending"
                ? `Check your inbox (${contact}) to confirm the alert.`
                : `We'll email ${contact} when it's back.`;
          }
          succeed(entry, text);
        } catch (err) {
          const fieldErrors = err.fields && (err.fields.contact || err.fields.channel);
          if (err.status === 400 && fieldErrors) {
            // The address is the customer's to fix: keep the form open.
            entry.busy = false;
            submit.disabled = false;
            applyActionState(entry);
            hint.textContent = Array.isArray(fieldErrors) ? fieldErrors.join(" ") : String(fieldErrors);
            hint.hidden = false;
            emailRow.hidden = false;
            input.disabled = false;
            input.setAttribute("aria-invalid", "true");
            input.focus();
            return;
          }
          failAction(entry, err);
        }
      });
      input.focus();
    }

    function succeed(entry, text) {
      entry.busy = false;
      entry.data.status = "succeeded";
      entry.data.error = "";
      entry.statusOverride = text || "";
      closePanel(entry);
      applyActionState(entry);
    }

    async function clickOnServer(entry) {
      entry.busy = true;
      applyActionState(entry);
      try {
        const url = `${config.conversationsUrl}/${encodeURIComponent(state.conversationId)}/actions/${encodeURIComponent(entry.data.id)}/click`;
        const data = await chat.api("POST", url);
        entry.busy = false;
        updateAction(entry.data.id, data);
      } catch (err) {
        failAction(entry, err);
      }
    }

    async function execute(entry) {
      entry.busy = true;
      applyActionState(entry);
      try {
        if (entry.data.type === "checkout_now") await executeCheckout(entry);
        else await executeAlternatives(entry);
      } catch (err) {
        failAction(entry, err);
      }
    }

    async function executeCheckout(entry) {
      const data = await chat.api("POST", config.checkoutUrl, { action_id: entry.data.id });
      const url = safeUrl(data.checkout_url, base);
      if (!url) throw new ApiError(502, { error: { detail: "The checkout link could not be created. Please try again." } });
      // The action itself stays open until the payment is confirmed (pressing it again returns
      // the same checkout session); the link stays here in case the tab was closed. The server
      // has marked the action clicked (a retry after a failure too): its push may come later.
      entry.busy = false;
      if (!["succeeded", "expired"].includes(entry.data.status)) entry.data.status = "clicked";
      entry.data.error = "";
      entry.data.checkoutUrl = url;
      const link = el("a", "action__link", "Continue to secure checkout");
      const payload = entry.data.payload || {};
      const linkFields = { action_type: entry.data.type, action_id: entry.data.id, ps_number: payload.psNumber };
      link.addEventListener("click", () => chat.track("payment_link_clicked", linkFields));
      link.href = url;
      link.target = "_blank";
      link.rel = "noopener";
      const note = el("p", "action__note", "Checkout opened in a new tab. Your confirmation will appear here.");
      entry.result.replaceChildren(note, link);
      entry.result.hidden = false;
      applyActionState(entry);
      // A new tab keeps the chat open; if the browser blocks it, go in this tab (the chat resumes on return).
      const opened = window.open(url, "_blank");
      if (opened) {
        opened.opener = null;
        chat.track("payment_link_clicked", linkFields);
      }
      else link.focus(); // blocked: the link is right there, focused
    }

    async function executeAlternatives(entry) {
      const data = await chat.api("POST", config.alternativesUrl, { action_id: entry.data.id });
      const alternatives = Array.isArray(data.alternatives) ? data.alternatives : [];
      entry.busy = false;
      entry.data.status = "succeeded";
      entry.statusOverride = "";
      applyActionState(entry);
      entry.status.hidden = true;
      if (!alternatives.length) {
        entry.result.replaceChildren(el("p", "action__note", "No compatible alternatives found right now."));
      } else {
        const list = el("div", "cards cards--alternatives");
        for (const card of alternatives) list.appendChild(chat.renderProductCard({ type: "product_card", ...card }));
        entry.result.replaceChildren(el("p", "action__note", "Compatible alternatives:"), list);
      }
      entry.result.hidden = false;
      chat.scrollToBottom(false);
    }

    return { renderAction, updateAction };
  }

  /* ------------------------------------------------------------------ composer */

  /** The message box and the example questions: what the customer sends. */
  function createComposer(chat) {
    const { root, opts, base, config, ui, state } = chat;

    function updateSendButton() {
      ui.send.disabled = !ui.input.value.trim();
    }

    function renderPending(content, clientId, queued) {
      const item = chat.buildBubble({ role: "user", type: "text" });
      item.classList.add("msg--pending");
      if (queued) item.classList.add("msg--queued");
      item.dataset.clientMessageId = clientId;
      appendText(item.querySelector(".msg__body"), content);
      ui.log.appendChild(item);
      chat.hideWelcome();
      chat.scrollToBottom(true);
      return item;
    }

    /**
     * The server refused a message this client sent (an `error` frame naming its client id).
     * Too fast (`rate_limited`, with `retry_after`): the bubble counts down and the message is
     * sent again when the wait is over (the customer may drop it instead). Anything else: the
     * bubble says it was not sent, and why.
     */
    function messageRefused(clientId, error) {
      const item = state.pending.get(clientId);
      if (!item || error.code === "reply_in_progress") return;
      window.clearInterval(item.timer);
      const bubble = item.element;
      let note = bubble.querySelector(".msg__note");
      if (!note) {
        note = el("p", "msg__note");
        bubble.querySelector(".msg__body").after(note);
      }
      const seconds = Number(error.retry_after);
      if (error.code !== "rate_limited" || !Number.isFinite(seconds) || seconds <= 0) {
        state.pending.delete(clientId);
        bubble.classList.remove("msg--pending", "msg--waiting");
        bubble.classList.add("msg--failed");
        note.replaceChildren(el("span", "", `Not sent: ${error.detail || "the shop refused this message."}`));
        chat.announce(`Your message was not sent. ${error.detail || ""}`);
        return;
      }
      item.sent = false;
      item.waitUntil = Date.now() + seconds * 1000;
      bubble.classList.add("msg--waiting");
      const text = el("span", "msg__wait", waitText(seconds));
      const drop = el("button", "msg__drop", "Don't send");
      drop.type = "button";
      note.replaceChildren(text, document.createTextNode(" "), drop);
      chat.announce(`You've sent too many messages. This one will be sent in ${seconds} seconds.`);
      drop.addEventListener("click", () => {
        window.clearInterval(item.timer);
        state.pending.delete(clientId);
        bubble.classList.remove("msg--pending", "msg--waiting");
        bubble.classList.add("msg--failed");
        note.replaceChildren(el("span", "", "Not sent."));
        ui.input.focus();
      });
      item.timer = window.setInterval(() => {
        const left = (item.waitUntil - Date.now()) / 1000;
        text.textContent = waitText(left);
        if (left > 0) return;
        window.clearInterval(item.timer);
        item.waitUntil = 0;
        bubble.classList.remove("msg--waiting");
        note.remove();
        item.sent = chat.sendSocket({ type: "message", content: item.content, client_message_id: clientId });
        if (!item.sent) bubble.classList.add("msg--queued"); // sent when the socket is back (onOpen)
      }, 1000);
    }

    function sendMessage(text) {
      const content = String(text || "").trim();
      if (!content) return;
      const clientId = uuid();
      const sent = chat.sendSocket({ type: "message", content, client_message_id: clientId });
      const element = renderPending(content, clientId, !sent);
      state.pending.set(clientId, { content, element, sent });
      // The server's own typing event follows; this just shows it at once (not while a person answers).
      if (sent && !chat.humanHolds()) chat.setTyping(true);
      if (!sent) {
        chat.ensureStarted();
        if (state.conversationId) chat.connect();
      }
      chat.showError("");
      chat.save(); // used: its expiry moves on
    }

    ui.form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = ui.input.value;
      if (!text.trim()) return;
      sendMessage(text);
      ui.input.value = "";
      updateSendButton();
      ui.input.focus();
    });

    ui.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        ui.form.requestSubmit();
      }
    });
    ui.input.addEventListener("input", updateSendButton);

    for (const button of root.querySelectorAll(".chat-example")) {
      button.addEventListener("click", () => {
        sendMessage(button.dataset.question || button.textContent);
        ui.input.focus();
      });
    }

    return { updateSendButton, messageRefused };
  }

  /* ------------------------------------------------------------------ handoff */

  /** A person from the team: the "You're talking to …" banner, the email form outside shop
   * hours, and the rating prompt after a resolved conversation. Built here (not in the page's
   * markup) so the page and the widget get the same elements. */
  function createHandoff(chat) {
    const { config, ui, state } = chat;
    const footer = ui.form.parentNode;

    const banner = el("div", "chat-handoff");
    banner.setAttribute("role", "status");
    banner.hidden = true;
    const bannerText = el("p", "chat-handoff__text");
    banner.appendChild(bannerText);

    const emailForm = el("form", "chat-handoff__email");
    emailForm.noValidate = true;
    emailForm.hidden = true;
    const emailLabel = el("label", "chat-handoff__label", "Leave your email and we'll send the answer there too:");
    const emailInput = el("input", "chat-handoff__input");
    emailInput.type = "email";
    emailInput.autocomplete = "email";
    emailInput.required = true;
    emailInput.id = `${ui.input.id || "parley-input"}-handoff-email`;
    emailLabel.htmlFor = emailInput.id;
    const emailSend = el("button", "chat-handoff__send", "Send");
    emailSend.type = "submit";
    const emailError = el("p", "chat-handoff__error");
    emailError.setAttribute("role", "alert");
    emailError.hidden = true;
    emailForm.append(emailLabel, emailInput, emailSend, emailError);
    banner.appendChild(emailForm);

    const rating = el("form", "chat-rating");
    rating.noValidate = true;
    rating.hidden = true;
    const fieldset = el("fieldset", "chat-rating__fieldset");
    fieldset.appendChild(el("legend", "chat-rating__legend", "How did our team do?"));
    const stars = el("div", "chat-rating__scores");
    for (let score = 1; score <= 5; score += 1) {
      const button = el("button", "chat-rating__score", String(score));
      button.type = "button";
      button.dataset.score = String(score);
      button.setAttribute("aria-pressed", "false");
      button.setAttribute("aria-label", `${score} of 5`);
      stars.appendChild(button);
    }
    fieldset.appendChild(stars);
    const commentId = `${ui.input.id || "parley-input"}-rating-comment`;
    const commentLabel = el("label", "chat-rating__label", "Anything to add? (optional)");
    commentLabel.htmlFor = commentId;
    const comment = el("textarea", "chat-rating__comment");
    comment.id = commentId;
    comment.rows = 2;
    comment.maxLength = 1000;
    const ratingSend = el("button", "chat-rating__send", "Send rating");
    ratingSend.type = "submit";
    ratingSend.disabled = true;
    const ratingStatus = el("p", "chat-rating__status");
    ratingStatus.setAttribute("role", "status");
    fieldset.append(commentLabel, comment, ratingSend, ratingStatus);
    rating.appendChild(fieldset);

    footer.insertBefore(rating, footer.firstChild);
    footer.insertBefore(banner, footer.firstChild);

    function handoffUrl(suffix) {
      return `${config.conversationsUrl}/${encodeURIComponent(state.conversationId)}/handoff${suffix || ""}`;
    }

    function applyHandoff(handoff) {
      state.handoff = handoff || { state: "bot" };
      const view = handoffView(state.handoff);
      bannerText.textContent = view.banner;
      banner.hidden = !view.banner;
      banner.dataset.state = state.handoff.state || "bot";
      emailForm.hidden = !view.askEmail;
      if (!view.askRating && !state.rated) rating.hidden = true;
      if (view.askRating) rating.hidden = false;
      if (state.handoff.state !== "assigned") chat.setTyping(false);
    }

    async function refreshHandoff() {
      if (!state.conversationId) return;
      try {
        const data = await chat.api("GET", handoffUrl());
        applyHandoff(data.handoff);
      } catch (_err) {
        /* the next `handoff` frame (or reconnect) says it again */
      }
    }

    function humanHolds() {
      return handoffView(state.handoff).humanHolds;
    }

    emailForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      emailError.hidden = true;
      emailSend.disabled = true;
      try {
        const data = await chat.api("POST", handoffUrl("/contact"), { email: emailInput.value.trim() });
        applyHandoff(data.handoff);
      } catch (err) {
        emailError.textContent = err.message;
        emailError.hidden = false;
      } finally {
        emailSend.disabled = false;
      }
    });

    let score = 0;
    for (const button of stars.querySelectorAll(".chat-rating__score")) {
      button.addEventListener("click", () => {
        score = Number(button.dataset.score);
        for (const other of stars.querySelectorAll(".chat-rating__score")) {
          other.setAttribute("aria-pressed", other === button ? "true" : "false");
        }
        ratingSend.disabled = false;
      });
    }
    rating.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!score) return;
      ratingSend.disabled = true;
      try {
        await chat.api("POST", handoffUrl("/rating"), { score, comment: comment.value.trim() });
        state.rated = true;
        fieldset.replaceChildren(el("p", "chat-rating__thanks", "Thanks for your rating!"));
      } catch (err) {
        if (err.code === "rating_already_given" || err.code === "rating_not_allowed") rating.hidden = true;
        ratingStatus.textContent = err.message;
        ratingSend.disabled = false;
      }
    });

    return { applyHandoff, refreshHandoff, humanHolds };
  }

  /* ------------------------------------------------------------------ one mounted chat */

  function mount(root, options) {
    const opts = options || {};
    const base = resolveBase(opts.apiBase);
    if (opts.locale) priceFormat.locale = String(opts.locale);
    if (opts.currency) priceFormat.currency = String(opts.currency);
    const endpoints = { ...DEFAULT_ENDPOINTS };
    for (const [name, value] of Object.entries(opts.endpoints || {})) if (value) endpoints[name] = value;
    const apiUrl = (path) => new URL(path, base).href;
    const config = {
      conversationsUrl: apiUrl(endpoints.conversations),
      checkoutUrl: apiUrl(endpoints.checkout),
      alternativesUrl: apiUrl(endpoints.alternatives),
      backInStockUrl: apiUrl(endpoints.backInStock),
      eventsUrl: apiUrl(endpoints.events),
      channel: opts.channel || "web",
      context: opts.context || {},
      storageKey: opts.storageKey || "parley.conversation",
      resumeMs: (Number(opts.resumeHours) > 0 ? Number(opts.resumeHours) : DEFAULT_RESUME_HOURS) * 3600 * 1000,
      csrfToken: opts.csrfToken || "",
      // Cross-origin (widget): no cookies; the conversation token is the only key.
      credentials: base.origin === window.location.origin ? "same-origin" : "omit",
    };

    const q = (selector) => root.querySelector(selector);
    const ui = {
      log: q(".chat-log"),
      welcome: q(".chat-welcome"),
      typing: q(".chat-typing"),
      connection: q(".chat-connection"),
      error: q(".chat-error"),
      form: q(".chat-composer"),
      input: q(".chat-composer__input"),
      send: q(".chat-composer__send"),
      window: q(".chat-window"),
      header: q(".chat-header"),
    };
    // "New conversation": in the header (before the widget's close button), shown once there is one to leave.
    ui.newConversation = el("button", "chat-new", "New conversation");
    ui.newConversation.type = "button";
    if (root.classList.contains("chat-app--widget")) {
      // The widget's narrow header: an icon beside the close button, named for screen readers.
      ui.newConversation.replaceChildren(icon("new"));
      ui.newConversation.setAttribute("aria-label", "New conversation");
      ui.newConversation.title = "New conversation";
    }
    ui.newConversation.hidden = true;
    ui.header.insertBefore(ui.newConversation, q(".chat-close"));

    const state = {
      conversationId: null,
      token: null,
      wsUrl: null,
      socket: null,
      socketOpen: false,
      hasConnected: false,
      reconnectAttempts: 0,
      reconnectTimer: null,
      pingTimer: null,
      typingTimer: null,
      starting: null,
      seqs: seqTracker(), // which message seqs are here: the gap rule (see seqRecord)
      gapFetching: false, // a `history` request for missed messages is on its way
      loaded: false, // the first batch (history) is in: later messages count as new
      messages: new Map(), // message id -> <li>
      actions: new Map(), // action id -> action entry (see renderAction)
      pending: new Map(), // client_message_id -> {content, element, sent}
      closing: false,
      handoff: { state: "bot" }, // who answers (see createHandoff)
      rated: false,
      unseen: [], // message bubbles that arrived below the view (the "new message" hint)
    };

    const chat = { root, opts, base, config, ui, state };
    const parts = [createView, createStorage, createApi, createConnection, createMessages, createActions, createComposer];
    for (const part of [...parts, createHandoff]) {
      Object.assign(chat, part(chat));
    }

    chat.updateSendButton();
    ui.newConversation.addEventListener("click", () => chat.restart());
    if (opts.autoStart !== false || chat.loadSaved()) chat.ensureStarted();

    return {
      start: chat.ensureStarted,
      focusInput: () => ui.input.focus(),
      hasConversation: () => Boolean(chat.loadSaved()),
      get conversationId() {
        return state.conversationId;
      },
    };
  }

  window.ParleyChat = Object.freeze({ mount, buildShell, icon });
})();
