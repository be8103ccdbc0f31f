/*
 * Parley chat page (/): hands the server-rendered markup to the shared chat core
 * (chat-core.js, loaded just before this script). The widget (widget.js) uses the same core.
 */
(() => {
  "use strict";

  const root = document.getElementById("parley-chat");
  if (!root || !window.ParleyChat) return;

  // Back from a checkout page (/?conversation=…&checkout=success|cancel): the conversation is the
  // one this browser saved (its token opens it; the id in the address opens nothing), so the
  // address only gets tidied, not trusted.
  const here = new URL(window.location.href);
  if (here.searchParams.has("conversation") || here.searchParams.has("checkout")) {
    here.searchParams.delete("conversation");
    here.searchParams.delete("checkout");
    window.history.replaceState(null, "", here.pathname + here.search + here.hash);
  }

  const csrfMeta = document.querySelector('meta[name="csrf-token"]');
  window.ParleyChat.mount(root, {
    endpoints: {
      conversations: root.dataset.conversationsUrl,
      checkout: root.dataset.checkoutUrl,
      alternatives: root.dataset.alternativesUrl,
      backInStock: root.dataset.backInStockUrl,
    },
    channel: root.dataset.channel || "web",
    storageKey: "parley.conversation",
    locale: root.dataset.locale,
    currency: root.dataset.currency,
    resumeHours: Number(root.dataset.resumeHours) || undefined,
    csrfToken: csrfMeta ? csrfMeta.getAttribute("content") || "" : "",
  });
})();
