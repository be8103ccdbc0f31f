/*
 * Parley chat page (/): hands the server-rendered markup to the shared chat core
 * (chat-core.js, loaded just before this script). The widget (widget.js) uses the same core.
 */
(() => {
  "use strict";

  const root = document.getElementById("parley-chat");
  if (!root || !window.ParleyChat) return;

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
    csrfToken: csrfMeta ? csrfMeta.getAttribute("content") || "" : "",
  });
})();
