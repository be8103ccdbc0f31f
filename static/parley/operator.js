/*
 * Parley operator inbox. Strict CSP: no inline script or style; all text goes in with
 * textContent. Feed: /ws/operators/ (operator.snapshot, operator.action, operator.conversation,
 * operator.messages, message, action.status). Decisions: POST /api/actions/<id>/feedback.
 */
(function () {
  "use strict";

  const root = document.getElementById("parley-operator");
  if (!root) return;

  const config = {
    socketUrl: root.dataset.socketUrl || "/ws/operators/",
    pendingUrl: root.dataset.pendingUrl || "/api/actions/pending",
    actionsUrl: root.dataset.actionsUrl || "/api/actions/",
  };
  const $ = (id) => document.getElementById(id);
  const ui = {
    connection: $("op-connection"),
    pendingList: $("op-pending-list"),
    pendingEmpty: $("op-pending-empty"),
    pendingCount: $("op-pending-count"),
    decidedList: $("op-decided-list"),
    conversationList: $("op-conversation-list"),
    conversationsEmpty: $("op-conversations-empty"),
    messages: $("op-messages"),
    threadEmpty: $("op-thread-empty"),
    threadTitle: $("op-thread-title"),
    template: $("op-action-template"),
  };
  const state = {
    socket: null,
    retry: 0,
    actions: new Map(), // id -> {data, element}
    conversations: new Map(), // id -> {data, element}
    selected: null,
  };
  const STATUS_TEXT = {
    pending_approval: "Waiting",
    approved: "Approved",
    denied: "Denied",
    edited: "Edited",
    succeeded: "Customer told",
    failed: "Failed",
    expired: "Expired",
  };

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function customerName(customer) {
    if (!customer) return "Customer";
    return customer.name || customer.email || customer.phone || "Customer";
  }

  function setConnection(stateName, text) {
    ui.connection.dataset.state = stateName;
    ui.connection.textContent = text;
  }

  /* ------------------------------------------------------------------ actions */

  function renderAction(data) {
    let entry = state.actions.get(data.id);
    if (!entry) {
      const fragment = ui.template.content.cloneNode(true);
      const element = fragment.querySelector(".op-action");
      element.dataset.actionId = data.id;
      entry = { data, element };
      state.actions.set(data.id, entry);
      bindAction(entry);
    }
    entry.data = data;
    const { element } = entry;
    element.dataset.status = data.status;
    element.querySelector(".op-action__label").textContent = data.label;
    element.querySelector(".op-action__status").textContent = STATUS_TEXT[data.status] || data.status;
    const when = data.createdAt ? new Date(data.createdAt).toLocaleString() : "";
    const meta = [customerName(data.customer), data.channel, data.type, when];
    if (data.decidedBy) meta.push(`by ${data.decidedBy}`);
    if (data.error) meta.push(`error: ${data.error}`);
    element.querySelector(".op-action__meta").textContent = meta.filter(Boolean).join(" · ");
    element.querySelector(".op-action__payload").textContent = JSON.stringify(data.payload || {}, null, 2);
    const pending = data.status === "pending_approval";
    element.querySelector(".op-decision").hidden = !pending;
    const list = pending ? ui.pendingList : ui.decidedList;
    if (element.parentNode !== list) {
      if (pending) list.appendChild(element);
      else list.insertBefore(element, list.firstChild);
      while (ui.decidedList.children.length > 20) ui.decidedList.removeChild(ui.decidedList.lastChild);
    }
    updateCounts();
  }

  function updateCounts() {
    const waiting = ui.pendingList.children.length;
    ui.pendingCount.textContent = String(waiting);
    ui.pendingEmpty.hidden = waiting > 0;
  }

  function bindAction(entry) {
    const { element } = entry;
    element.querySelector(".op-action__open").addEventListener("click", () => {
      openConversation(entry.data.conversationId);
    });
    const form = element.querySelector(".op-decision");
    const payloadField = form.querySelector(".op-field--payload");
    const payloadInput = form.querySelector(".op-payload");
    const reply = form.querySelector(".op-reply");
    const error = form.querySelector(".op-error");
    const id = entry.data.id;
    reply.id = `op-reply-${id}`;
    payloadInput.id = `op-payload-${id}`;
    form.addEventListener("submit", (event) => event.preventDefault());
    for (const button of form.querySelectorAll("button[data-decision]")) {
      button.addEventListener("click", async () => {
        const decision = button.dataset.decision;
        error.hidden = true;
        const body = { decision, reply_text: reply.value.trim() };
        if (decision === "edited") {
          if (payloadField.hidden) {
            // First press of Edit opens the payload editor; the second sends it.
            payloadField.hidden = false;
            payloadInput.value = JSON.stringify(entry.data.payload || {}, null, 2);
            button.textContent = "Send edit";
            payloadInput.focus();
            return;
          }
          try {
            body.payload = JSON.parse(payloadInput.value);
          } catch (err) {
            showError(error, "The edited payload is not valid JSON.");
            return;
          }
        }
        setBusy(form, true);
        try {
          const data = await decide(id, body);
          renderAction(data);
        } catch (err) {
          showError(error, err.message);
        } finally {
          setBusy(form, false);
        }
      });
    }
  }

  function setBusy(form, busy) {
    for (const button of form.querySelectorAll("button")) button.disabled = busy;
    form.setAttribute("aria-busy", busy ? "true" : "false");
  }

  function showError(node, text) {
    node.textContent = text;
    node.hidden = false;
  }

  async function decide(actionId, body) {
    const response = await fetch(`${config.actionsUrl}${encodeURIComponent(actionId)}/feedback`, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(), Accept: "application/json" },
      body: JSON.stringify(body),
    });
    let data = null;
    try {
      data = await response.json();
    } catch (err) {
      data = null;
    }
    if (!response.ok) {
      const detail = data && data.error ? data.error.detail : `The server answered ${response.status}.`;
      throw new Error(detail);
    }
    return data;
  }

  /* ------------------------------------------------------------ conversations */

  function renderConversation(data) {
    let entry = state.conversations.get(data.id);
    if (!entry) {
      const element = el("li", "op-conversation");
      element.dataset.conversationId = data.id;
      const button = el("button", "op-conversation__button");
      button.type = "button";
      button.addEventListener("click", () => openConversation(data.id));
      element.appendChild(button);
      entry = { data, element, button };
      state.conversations.set(data.id, entry);
    }
    entry.data = data;
    const last = data.lastMessage;
    entry.button.replaceChildren(
      el("span", "op-conversation__name", `${customerName(data.customer)} · ${data.channel}`),
      el("span", "op-conversation__preview", last ? last.content : ""),
    );
    entry.element.classList.toggle("is-selected", state.selected === data.id);
    ui.conversationList.insertBefore(entry.element, ui.conversationList.firstChild);
    ui.conversationsEmpty.hidden = state.conversations.size > 0;
  }

  function openConversation(conversationId) {
    if (!conversationId) return;
    state.selected = conversationId;
    for (const [id, entry] of state.conversations) entry.element.classList.toggle("is-selected", id === conversationId);
    send({ type: "conversation.open", conversation_id: conversationId });
  }

  function renderMessage(message) {
    let item = ui.messages.querySelector(`[data-message-id="${CSS.escape(message.id)}"]`);
    if (!item) {
      item = el("li", `op-message op-message--${message.role}`);
      item.dataset.messageId = message.id;
      ui.messages.appendChild(item);
    }
    const who = { user: "Customer", assistant: "Assistant", operator: "Operator", internal: "Update" }[message.role];
    const children = [el("span", "op-message__who", who || message.role), el("p", "op-message__text", message.content)];
    for (const action of message.actions || []) {
      const chip = el("span", "op-message__action", `${action.label} — ${action.status}`);
      chip.dataset.actionId = action.id;
      children.push(chip);
    }
    item.replaceChildren(...children);
    ui.threadEmpty.hidden = true;
    item.scrollIntoView({ block: "nearest" });
  }

  function applyStatus(event) {
    for (const chip of ui.messages.querySelectorAll(".op-message__action")) {
      if (chip.dataset.actionId === event.action_id) {
        const label = chip.textContent.split(" — ")[0];
        chip.textContent = `${label} — ${event.status}`;
      }
    }
  }

  /* ------------------------------------------------------------------ socket */

  function send(data) {
    if (state.socket && state.socket.readyState === WebSocket.OPEN) state.socket.send(JSON.stringify(data));
  }

  function connect() {
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${window.location.host}${config.socketUrl}`);
    state.socket = socket;
    setConnection("connecting", "Connecting…");
    socket.addEventListener("open", () => {
      state.retry = 0;
      setConnection("open", "Live");
      if (state.selected) openConversation(state.selected);
    });
    socket.addEventListener("message", (event) => {
      let data;
      try {
        data = JSON.parse(event.data);
      } catch (err) {
        return;
      }
      handle(data);
    });
    socket.addEventListener("close", (event) => {
      if (event.code === 4403) {
        setConnection("closed", "Signed out: reload the page to sign in again.");
        return;
      }
      const delay = Math.min(1000 * 2 ** state.retry, 15000);
      state.retry += 1;
      setConnection("closed", "Reconnecting…");
      window.setTimeout(connect, delay);
    });
  }

  function handle(data) {
    switch (data.type) {
      case "operator.snapshot": {
        // The snapshot is the truth for what is waiting: drop anything no longer pending.
        const waiting = new Set((data.actions || []).map((a) => a.id));
        for (const [id, entry] of state.actions) {
          if (!waiting.has(id) && entry.data.status === "pending_approval") {
            entry.element.remove();
            state.actions.delete(id);
          }
        }
        for (const action of data.actions || []) renderAction(action);
        for (const conversation of (data.conversations || []).slice().reverse()) renderConversation(conversation);
        updateCounts();
        break;
      }
      case "operator.action":
        renderAction(data.action);
        break;
      case "operator.conversation":
        renderConversation(data.conversation);
        break;
      case "operator.messages":
        if (data.conversation_id !== state.selected) break;
        ui.messages.replaceChildren();
        ui.threadTitle.textContent = `Conversation ${data.conversation_id}`;
        for (const message of data.messages || []) renderMessage(message);
        break;
      case "message":
        if (data.message) renderMessage(data.message);
        break;
      case "action.status":
        applyStatus(data);
        break;
      default:
        break;
    }
  }

  connect();
})();
