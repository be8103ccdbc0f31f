/*
 * Parley embeddable chat widget. On any page, no build step:
 *
 *   <script src="https://chat.example.com/static/parley/widget.js" defer
 *           data-ps-number="PS11750057" data-model-number="WDT780SAEM1"
 *           data-appliance-type="dishwasher" data-brand="Whirlpool"></script>
 *
 * Data attributes (all optional): data-ps-number, data-model-number, data-appliance-type,
 * data-brand, data-page-url (default: this page's address) are the page's product context,
 * sent when the conversation opens; without them on the script tag, the first element of the
 * page carrying data-ps-number (a product block) is read instead. data-label sets the
 * launcher's text, data-open="true" opens the chat at once.
 *
 * Experiments: a holdout experiment running in the admin is asked about before the widget
 * draws; a visitor in its holdout arm never sees the widget (see "the experiment" below).
 *
 * The API, the socket, the stylesheet and the chat core (chat-core.js, shared with the chat
 * page) all come from the script's own origin, so the widget works embedded on another site
 * (that origin must be listed in the server's PARLEY_EMBED_ORIGINS). Everything lives in a
 * shadow root: the shop's CSS does not leak in, ours does not leak out.
 */
(() => {
  "use strict";

  const script = document.currentScript;
  if (!script || window.__parleyWidgetLoaded) return;
  window.__parleyWidgetLoaded = true;

  const scriptUrl = new URL(script.src, window.location.href);
  const origin = scriptUrl.origin;
  const staticBase = new URL(".", scriptUrl); // …/static/parley/
  const data = script.dataset;
  const OPEN_KEY = `parley.widget.open@${origin}`;
  const CONTEXT_KEYS = {
    psNumber: "psNumber",
    modelNumber: "modelNumber",
    applianceType: "applianceType",
    brand: "brand",
    pageUrl: "pageUrl",
  };

  function readContext() {
    const product = data.psNumber ? null : document.querySelector("[data-ps-number]:not(script)");
    const source = product ? product.dataset : data;
    const context = {};
    for (const [attr, key] of Object.entries(CONTEXT_KEYS)) {
      const value = (source[attr] || data[attr] || "").trim();
      if (value) context[key] = value.slice(0, 200);
    }
    if (!context.pageUrl) context.pageUrl = window.location.href.slice(0, 200);
    return context;
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function chatIcon() {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "22");
    svg.setAttribute("height", "22");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    const path = document.createElementNS(ns, "path");
    path.setAttribute("fill", "currentColor");
    path.setAttribute(
      "d",
      "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2zm3 6v2h2v-2H7zm4 0v2h2v-2h-2zm4 0v2h2v-2h-2z",
    );
    svg.appendChild(path);
    return svg;
  }

  function remember(key, value) {
    try {
      if (value) window.sessionStorage.setItem(key, "1");
      else window.sessionStorage.removeItem(key);
    } catch (_err) {
      /* private mode */
    }
  }

  function recalled(key) {
    try {
      return window.sessionStorage.getItem(key) === "1";
    } catch (_err) {
      return false;
    }
  }

  /* ---------------------------------------------------------------- the core, the config */

  function loadCore() {
    if (window.ParleyChat) return Promise.resolve(window.ParleyChat);
    return new Promise((resolve, reject) => {
      const tag = document.createElement("script");
      tag.src = new URL("chat-core.js", staticBase).href;
      tag.async = true;
      tag.addEventListener("load", () => (window.ParleyChat ? resolve(window.ParleyChat) : reject(new Error("core"))));
      tag.addEventListener("error", () => reject(new Error("core")));
      document.head.appendChild(tag);
    });
  }

  async function loadConfig(context) {
    const url = new URL(data.configUrl || "/chat/widget/config", origin);
    for (const key of ["psNumber", "modelNumber", "applianceType"]) {
      if (context[key]) url.searchParams.set(key, context[key]);
    }
    try {
      const response = await fetch(url.href, { credentials: "omit", mode: "cors" });
      if (response.ok) return await response.json();
    } catch (_err) {
      /* the defaults below still make a working chat */
    }
    return {};
  }

  /* ---------------------------------------------------------------- the frame */

  const context = readContext();
  const host = el("div");
  host.id = "parley-widget";
  host.dataset.parleyWidget = "";
  const shadow = host.attachShadow({ mode: "open" });

  const stylesheet = document.createElement("link");
  stylesheet.rel = "stylesheet";
  stylesheet.href = new URL("chat.css", staticBase).href;
  shadow.appendChild(stylesheet);

  const frame = el("div", "parley-widget");
  frame.hidden = true; // shown once the stylesheet is in, so the page never sees it unstyled
  shadow.appendChild(frame);

  const launcher = el("button", "pw-launcher");
  launcher.type = "button";
  launcher.setAttribute("aria-expanded", "false");
  launcher.setAttribute("aria-controls", "parley-widget-panel");
  launcher.setAttribute("aria-haspopup", "dialog");
  const launcherText = el("span", "pw-launcher__text", data.label || "Chat with us");
  const badge = el("span", "pw-launcher__badge");
  badge.hidden = true;
  badge.setAttribute("aria-hidden", "true");
  launcher.append(chatIcon(), launcherText, badge);
  frame.appendChild(launcher);

  const panel = el("div", "pw-panel");
  panel.id = "parley-widget-panel";
  panel.hidden = true;
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-modal", "false");
  panel.setAttribute("aria-labelledby", "parley-w-title");
  frame.appendChild(panel);

  // Said aloud when something arrives while the chat is closed.
  const announcer = el("p", "visually-hidden");
  announcer.setAttribute("role", "status");
  frame.appendChild(announcer);

  const widget = { chat: null, open: false, unread: 0, ready: null };

  function setUnread(count) {
    widget.unread = count;
    badge.textContent = count > 9 ? "9+" : String(count);
    badge.hidden = count === 0;
    const label = data.label || "Chat with us";
    if (count) launcher.setAttribute("aria-label", `${label} (${count} new message${count === 1 ? "" : "s"})`);
    else launcher.removeAttribute("aria-label");
  }

  function onIncoming(message) {
    if (widget.open) return;
    setUnread(widget.unread + 1);
    announcer.textContent = `New message: ${String(message.content || "").slice(0, 140)}`;
  }

  async function build() {
    const [core, config] = await Promise.all([loadCore(), loadConfig(context)]);
    const shell = core.buildShell({
      idPrefix: "parley-w",
      variant: "widget",
      closeButton: true,
      shopName: config.shopName || data.shopName || "Chat",
      welcomeTitle: config.welcomeTitle,
      welcomeText: config.welcomeText,
      examples: Array.isArray(config.examples) ? config.examples : [],
      maxLength: config.maxLength,
      placeholder: config.placeholder,
    });
    panel.appendChild(shell);
    shell.querySelector(".chat-close").addEventListener("click", () => close(true));
    widget.chat = core.mount(shell, {
      apiBase: origin,
      endpoints: config.endpoints || {},
      context,
      channel: "web",
      storageKey: `parley.widget@${origin}`,
      locale: config.locale,
      currency: config.currency,
      resumeHours: config.resumeHours,
      autoStart: false, // no conversation for a page view: only when the chat opens (or one exists)
      onIncoming,
    });
    return widget.chat;
  }

  function ready() {
    if (!widget.ready) widget.ready = build();
    return widget.ready;
  }

  async function open() {
    widget.open = true;
    panel.hidden = false;
    frame.classList.add("parley-widget--open");
    launcher.setAttribute("aria-expanded", "true");
    setUnread(0);
    announcer.textContent = "";
    remember(OPEN_KEY, true);
    const chat = await ready();
    if (!widget.open) return;
    chat.start();
    chat.focusInput();
  }

  function close(returnFocus) {
    widget.open = false;
    panel.hidden = true;
    frame.classList.remove("parley-widget--open");
    launcher.setAttribute("aria-expanded", "false");
    setUnread(widget.unread);
    remember(OPEN_KEY, false);
    if (returnFocus) launcher.focus();
  }

  launcher.addEventListener("click", () => (widget.open ? close(true) : open()));
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !event.defaultPrevented) {
      event.preventDefault();
      close(true);
    }
  });

  stylesheet.addEventListener("load", () => {
    frame.hidden = false;
  });
  stylesheet.addEventListener("error", () => {
    frame.hidden = false;
  });

  function attach() {
    document.body.appendChild(host);
    // An earlier conversation in this browser: reconnect now so replies and notices (payment,
    // back in stock) arrive with the chat closed, counted on the launcher (the core drops an
    // expired one).
    const resumeNow = (() => {
      try {
        return Boolean(window.localStorage.getItem(`parley.widget@${origin}`));
      } catch (_err) {
        return false;
      }
    })();
    if (data.open === "true" || recalled(OPEN_KEY)) open();
    else if (resumeNow) ready();
  }

  /* ---------------------------------------------------------------- the experiment */
  // The shop's visitor: a random id in the shop page's own localStorage (first party, no
  // cookie; beacon.js reads the same key). Before anything is drawn the server says which arm
  // of a running experiment the visitor is in (and records it once): `holdout` never sees the
  // widget. The last arm is kept so a failed request does not show the chat to a holdout visitor.
  const VISITOR_KEY = "parley.visitor";
  const ARM_KEY = "parley.arm";

  function store(key, value) {
    try {
      if (value === undefined) return window.localStorage.getItem(key);
      window.localStorage.setItem(key, value);
    } catch (_err) {
      /* storage off: no id, so no experiment; the chat still works */
    }
    return null;
  }

  function visitorId() {
    let id = store(VISITOR_KEY);
    if (!id || !/^[A-Za-z0-9_-]{8,48}$/.test(id)) {
      const bytes = window.crypto.getRandomValues(new Uint8Array(16));
      id = `v_${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
      store(VISITOR_KEY, id);
    }
    return store(VISITOR_KEY) === id ? id : null;
  }

  async function arm(visitor) {
    try {
      const response = await fetch(new URL("/api/analytics/experiments/assign", origin).href, {
        method: "POST",
        credentials: "omit",
        mode: "cors",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ visitor_id: visitor, page_url: window.location.href.slice(0, 2000) }),
      });
      if (response.ok) {
        const answer = await response.json();
        store(ARM_KEY, answer.arm || "");
        return answer.arm;
      }
    } catch (_err) {
      /* unreachable: fall back on the last answer */
    }
    return store(ARM_KEY);
  }

  async function start() {
    const visitor = visitorId();
    if (visitor) {
      context.visitorId = visitor; // an order paid in the chat converts this visitor
      if ((await arm(visitor)) === "holdout") return;
    }
    if (document.body) attach();
    else document.addEventListener("DOMContentLoaded", attach, { once: true });
  }

  start();
})();
