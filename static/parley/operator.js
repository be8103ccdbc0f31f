/*
 * Parley operator inbox. Strict CSP: no inline script or style; all text goes in with
 * textContent (never as markup), so whatever a customer or a model wrote is shown as text.
 *
 * Feed: /ws/operators/ — operator.snapshot (pending requests, recent decisions, this operator's
 * open conversations with unread counts), operator.action, operator.conversation,
 * operator.messages, operator.read, operator.handoff, operator.note, operator.delivery, message,
 * action.status. Lists and search:
 * GET /api/operator/conversations?view=&q=. Decisions: POST /api/actions/<id>/feedback.
 */
(function () {
  "use strict";

  const root = document.getElementById("parley-operator");
  if (!root) return;

  const config = {
    socketUrl: root.dataset.socketUrl || "/ws/operators/",
    actionsUrl: root.dataset.actionsUrl || "/api/actions/",
    conversationsUrl: root.dataset.conversationsUrl || "/api/operator/conversations",
    operatorUrl: root.dataset.operatorUrl || "/api/operator/",
    userId: Number(root.dataset.userId || 0),
  };
  const TYPING_IDLE_MS = 3000;
  const DECIDED_SHOWN = 20;
  const $ = (id) => document.getElementById(id);
  const ui = {
    connection: $("op-connection"),
    pendingList: $("op-pending-list"),
    pendingEmpty: $("op-pending-empty"),
    pendingCount: $("op-pending-count"),
    decidedList: $("op-decided-list"),
    decidedEmpty: $("op-decided-empty"),
    conversationList: $("op-conversation-list"),
    conversationsEmpty: $("op-conversations-empty"),
    searchForm: $("op-search"),
    searchInput: $("op-search-input"),
    views: Array.from(document.querySelectorAll(".op-view")),
    messages: $("op-messages"),
    threadEmpty: $("op-thread-empty"),
    threadTitle: $("op-thread-title"),
    customer: $("op-customer"),
    template: $("op-action-template"),
    handling: $("op-handling"),
    handlingState: $("op-handling-state"),
    handlingError: $("op-handling-error"),
    claim: $("op-claim"),
    unassign: $("op-unassign"),
    resolve: $("op-resolve"),
    reopen: $("op-reopen"),
    assignForm: $("op-assign"),
    assignTo: $("op-assign-to"),
    replyForm: $("op-reply-form"),
    replyText: $("op-reply-text"),
    replyLabel: $("op-reply-label"),
    replyError: $("op-reply-error"),
    savedSelect: $("op-saved-reply"),
    savedInsert: $("op-saved-insert"),
    savedPreview: $("op-saved-preview"),
    savedPreviewText: $("op-saved-preview-text"),
    notes: $("op-notes"),
    notesList: $("op-notes-list"),
    noteForm: $("op-note-form"),
    noteText: $("op-note-text"),
    noteError: $("op-note-error"),
  };
  const state = {
    socket: null,
    retry: 0,
    actions: new Map(), // id -> {data, element}
    rows: new Map(), // conversation id -> {data, element, button}
    view: root.dataset.defaultView || "open",
    query: "",
    listRequest: 0,
    selected: null,
    selectedSeq: 0,
    handoff: null, // the selected conversation's handoff (operator view)
    unanswered: null, // the latest customer message id no operator reply has followed
    typingTimer: 0,
    typingActive: false,
  };
  const STATUS_TEXT = {
    pending_approval: "Waiting",
    approved: "Approved",
    denied: "Denied",
    edited: "Approved with changes",
    succeeded: "Done · customer told",
    failed: "Failed",
    expired: "Expired",
  };
  const ROLE_TEXT = { user: "Customer", assistant: "Assistant", operator: "Operator", internal: "Update" };
  const HANDLING_TEXT = {
    bot: "The assistant is answering.",
    waiting_for_human: "Waiting for a person.",
    assigned: "With {name}.",
    resolved: "Resolved: back with the assistant.",
  };

  /* ------------------------------------------------------------------ helpers */

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
    return customer.name || customer.email || customer.phone || "Unnamed customer";
  }

  function setConnection(stateName, text) {
    ui.connection.dataset.state = stateName;
    ui.connection.textContent = text;
  }

  function timeElement(iso, className) {
    const node = el("time", className);
    if (!iso) return node;
    const when = new Date(iso);
    node.dateTime = iso;
    node.title = when.toLocaleString();
    node.textContent = relativeTime(when);
    return node;
  }

  function relativeTime(when) {
    const seconds = Math.round((Date.now() - when.getTime()) / 1000);
    if (seconds < 45) return "just now";
    const minutes = Math.round(seconds / 60);
    if (minutes < 60) return `${minutes} min ago`;
    const hours = Math.round(minutes / 60);
    if (hours < 24) return `${hours} h ago`;
    return when.toLocaleDateString();
  }

  function refreshTimes() {
    for (const node of document.querySelectorAll("time[datetime]")) {
      node.textContent = relativeTime(new Date(node.dateTime));
    }
  }

  async function api(method, url, body) {
    const response = await fetch(url, {
      method,
      credentials: "same-origin",
      headers: {
        Accept: "application/json",
        ...(method !== "GET" ? { "X-CSRFToken": csrfToken() } : {}),
        ...(body ? { "Content-Type": "application/json" } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    let data = null;
    try {
      data = await response.json();
    } catch (err) {
      data = null;
    }
    if (!response.ok) {
      const error = new Error(data && data.error ? data.error.detail : `The server answered ${response.status}.`);
      error.code = data && data.error ? data.error.code : "";
      error.fields = (data && data.error && data.error.fields) || {};
      throw error;
    }
    return data;
  }

  /* ------------------------------------------------------------------ actions */

  function renderAction(data) {
    let entry = state.actions.get(data.id);
    if (!entry) {
      const fragment = ui.template.content.cloneNode(true);
      const element = fragment.querySelector(".op-action");
      element.dataset.actionId = data.id;
      entry = { data, element, editing: false };
      state.actions.set(data.id, entry);
      bindAction(entry);
    }
    entry.data = data;
    const { element } = entry;
    element.dataset.status = data.status;
    element.dataset.type = data.type;
    element.querySelector(".op-action__title").textContent = data.title || data.label;
    element.querySelector(".op-action__status").textContent = STATUS_TEXT[data.status] || data.status;

    const meta = element.querySelector(".op-action__meta");
    const parts = [customerName(data.customer), channelLabel(data.channel)];
    meta.replaceChildren(el("span", "", parts.filter(Boolean).join(" · ")), document.createTextNode(" · "));
    meta.appendChild(timeElement(data.decidedAt || data.createdAt));
    if (data.decidedBy) meta.appendChild(document.createTextNode(` · by ${data.decidedBy}`));

    element.querySelector(".op-action__facts").replaceChildren(...facts(data));
    const warning = element.querySelector(".op-action__warning");
    const problem = orderProblem(data);
    warning.hidden = !problem;
    warning.textContent = problem;

    const pending = data.status === "pending_approval";
    element.querySelector(".op-decision").hidden = !pending;
    if (!pending) setEditing(entry, false);
    const list = pending ? ui.pendingList : ui.decidedList;
    if (element.parentNode !== list) {
      if (pending) list.appendChild(element);
      else list.insertBefore(element, list.firstChild);
    }
    trimDecided();
    updateCounts();
  }

  function channelLabel(channel) {
    return { web: "Web chat", whatsapp: "WhatsApp", email: "Email", api: "API" }[channel] || channel || "";
  }

  function fact(label, value, className) {
    const wrapper = el("div", `op-fact${className ? ` ${className}` : ""}`);
    wrapper.append(el("dt", "", label), el("dd", "", value));
    return wrapper;
  }

  function facts(data) {
    const out = [];
    const order = data.order;
    const orderField = (data.fields || []).find((f) => f.name === "orderNumber");
    if (order) {
      out.push(fact("Order", `${order.number} · ${order.statusLabel}`));
      if (order.fulfilmentLabel) {
        out.push(fact("Parcel", order.tracking ? `${order.fulfilmentLabel} · ${order.tracking}` : order.fulfilmentLabel));
      }
      out.push(fact("Amount", `${order.totalDisplay} paid · ${order.refundedDisplay} refunded so far`));
    } else if (orderField && orderField.value) {
      out.push(fact("Order", `${orderField.value} (not an order of this conversation)`));
    }
    if (data.reason) out.push(fact("Customer's reason", data.reason, "op-fact--reason"));
    for (const field of data.fields || []) {
      if (["orderNumber", "reason"].includes(field.name)) continue;
      if (field.value === "" || field.value === null || field.value === undefined) continue;
      out.push(fact(field.label, String(field.value)));
    }
    if (data.changes) out.push(fact("Changed", data.changes));
    if (data.decisionNote && data.status !== "pending_approval") out.push(fact("Reply", data.decisionNote));
    if (data.error) out.push(fact("Problem", data.error, "op-fact--error"));
    return out;
  }

  function orderProblem(data) {
    if (data.status !== "pending_approval" || !data.order || data.type !== "refund_request") return "";
    if (Number(data.order.refundable) <= 0) return "This order is already refunded in full: approving it will be refused.";
    return "";
  }

  function trimDecided() {
    while (ui.decidedList.children.length > DECIDED_SHOWN) {
      const last = ui.decidedList.lastChild;
      state.actions.delete(last.dataset.actionId);
      ui.decidedList.removeChild(last);
    }
  }

  function updateCounts() {
    const waiting = ui.pendingList.children.length;
    ui.pendingCount.textContent = String(waiting);
    ui.pendingEmpty.hidden = waiting > 0;
    ui.decidedEmpty.hidden = ui.decidedList.children.length > 0;
  }

  function buildEditFields(entry) {
    const container = entry.element.querySelector(".op-edit__fields");
    container.replaceChildren();
    for (const field of entry.data.fields || []) {
      const id = `op-edit-${entry.data.id}-${field.name}`;
      const wrapper = el("div", "op-field");
      wrapper.dataset.field = field.name;
      const label = el("label", "op-field__label", field.label + (field.required ? " (required)" : ""));
      label.htmlFor = id;
      let input;
      if (field.kind === "choice") {
        input = el("select");
        for (const choice of field.choices) {
          const option = el("option", "", choice);
          option.value = choice;
          input.appendChild(option);
        }
      } else if (field.kind === "textarea") {
        input = el("textarea");
        input.rows = 2;
      } else {
        input = el("input");
        input.type = "text";
        if (field.kind === "money") {
          input.inputMode = "decimal";
          input.placeholder = entry.data.order ? `up to ${entry.data.order.refundable}` : "0.00";
        }
        if (field.kind === "integer") input.inputMode = "numeric";
      }
      input.id = id;
      input.name = field.name;
      input.value = field.value === null || field.value === undefined ? "" : String(field.value);
      if (field.maxLength) input.maxLength = field.maxLength;
      if (field.required) input.required = true;
      const describedBy = [];
      wrapper.append(label, input);
      if (field.help) {
        const help = el("span", "op-field__help", field.help);
        help.id = `${id}-help`;
        describedBy.push(help.id);
        wrapper.appendChild(help);
      }
      const error = el("span", "op-field__error");
      error.id = `${id}-error`;
      error.hidden = true;
      describedBy.push(error.id);
      wrapper.appendChild(error);
      input.setAttribute("aria-describedby", describedBy.join(" "));
      container.appendChild(wrapper);
    }
  }

  function setEditing(entry, editing) {
    entry.editing = editing;
    const form = entry.element.querySelector(".op-decision");
    form.querySelector(".op-edit").hidden = !editing;
    form.querySelector(".op-buttons--decide").hidden = editing;
    form.querySelector(".op-buttons--edit").hidden = !editing;
    form.querySelector("[data-edit=open]").setAttribute("aria-expanded", editing ? "true" : "false");
  }

  function editedPayload(entry) {
    const payload = {};
    for (const input of entry.element.querySelectorAll(".op-edit__fields [name]")) {
      const value = input.value.trim();
      if (value !== "") payload[input.name] = input.value.trim();
    }
    return payload;
  }

  function showFieldErrors(entry, fields) {
    let first = null;
    for (const wrapper of entry.element.querySelectorAll(".op-edit__fields .op-field")) {
      const messages = fields[wrapper.dataset.field];
      const error = wrapper.querySelector(".op-field__error");
      const input = wrapper.querySelector("[name]");
      if (messages && messages.length) {
        error.textContent = messages.join(" ");
        error.hidden = false;
        input.setAttribute("aria-invalid", "true");
        if (!first) first = input;
      } else {
        error.hidden = true;
        input.removeAttribute("aria-invalid");
      }
    }
    return first;
  }

  function bindAction(entry) {
    const { element } = entry;
    const id = entry.data.id;
    element.querySelector(".op-action__open").addEventListener("click", () => {
      openConversation(entry.data.conversationId);
      ui.threadTitle.parentElement.focus();
    });
    const form = element.querySelector(".op-decision");
    const reply = form.querySelector(".op-reply");
    const error = form.querySelector(".op-error");
    reply.id = `op-reply-${id}`;
    form.addEventListener("submit", (event) => event.preventDefault());
    form.querySelector("[data-edit=open]").addEventListener("click", () => {
      buildEditFields(entry);
      setEditing(entry, true);
      const first = form.querySelector(".op-edit__fields [name]");
      if (first) first.focus();
    });
    form.querySelector("[data-edit=cancel]").addEventListener("click", () => {
      setEditing(entry, false);
      error.hidden = true;
      form.querySelector("[data-edit=open]").focus();
    });
    for (const button of form.querySelectorAll("button[data-decision]")) {
      button.addEventListener("click", async () => {
        const decision = button.dataset.decision;
        error.hidden = true;
        const body = { decision, reply_text: reply.value.trim() };
        if (decision === "edited") body.payload = editedPayload(entry);
        setBusy(form, true);
        try {
          const data = await api("POST", `${config.actionsUrl}${encodeURIComponent(id)}/feedback`, body);
          renderAction(data);
        } catch (err) {
          const first = entry.editing ? showFieldErrors(entry, err.fields || {}) : null;
          showError(error, err.message);
          (first || button).focus();
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

  /* ------------------------------------------------------------ conversations */

  function matchesList(data) {
    // Live rows join the plain "all open" (or "all") list; a search or another view is reloaded
    // when asked for instead.
    if (state.query) return false;
    return state.view === "all" || (state.view === "open" && data.status === "open");
  }

  function renderRow(data, { live = false } = {}) {
    let entry = state.rows.get(data.id);
    if (!entry) {
      const element = el("li", "op-row");
      element.dataset.conversationId = data.id;
      const button = el("button", "op-row__button");
      button.type = "button";
      button.addEventListener("click", () => openConversation(data.id));
      element.appendChild(button);
      entry = { data, element, button };
      state.rows.set(data.id, entry);
    }
    if (live) {
      // A pushed row does not know this operator's unread count: one more, unless it is open.
      const before = entry.data.unread || 0;
      const fromCustomer = data.lastMessage && data.lastMessage.role === "user";
      data = { ...data, unread: state.selected === data.id ? 0 : before + (fromCustomer ? 1 : 0) };
    }
    entry.data = data;
    const customer = data.customer || {};
    const name = el("span", "op-row__name", customerName(customer));
    const contact = el("span", "op-row__contact", [customer.email, customer.phone].filter(Boolean).join(" · "));
    const channel = el("span", "op-row__channel", data.channelLabel || channelLabel(data.channel));
    channel.dataset.channel = data.channel;
    const when = timeElement(data.lastMessageAt, "op-row__time");
    const top = el("span", "op-row__top");
    top.append(name, when);
    const second = el("span", "op-row__second");
    second.append(channel, contact);
    const preview = el("span", "op-row__preview", data.lastMessage ? data.lastMessage.content : "");
    const children = [top, second];
    const holder = handlingLabel(data.handling, data.assignee);
    if (data.handling && data.handling !== "bot") {
      const badge = el("span", "op-row__handling", holder);
      badge.dataset.handling = data.handling;
      second.appendChild(badge);
    }
    children.push(preview);
    if (data.unread) {
      const badge = el("span", "op-row__unread", data.unread > 99 ? "99+" : String(data.unread));
      badge.setAttribute("aria-label", `${data.unread} unread`);
      top.appendChild(badge);
    }
    entry.button.replaceChildren(...children);
    entry.element.classList.toggle("is-unread", Boolean(data.unread));
    entry.element.classList.toggle("is-selected", state.selected === data.id);
    if (state.selected === data.id) entry.button.setAttribute("aria-current", "true");
    else entry.button.removeAttribute("aria-current");
    return entry;
  }

  function showRows(rows) {
    const keep = new Set(rows.map((row) => row.id));
    for (const [id, entry] of state.rows) {
      if (!keep.has(id)) {
        entry.element.remove();
        state.rows.delete(id);
      }
    }
    const elements = rows.map((row) => renderRow(row).element);
    ui.conversationList.replaceChildren(...elements);
    updateListEmpty();
  }

  function updateListEmpty() {
    const count = ui.conversationList.children.length;
    ui.conversationsEmpty.hidden = count > 0;
    if (!count) ui.conversationsEmpty.textContent = state.query ? `No conversation matches “${state.query}”.` : "No conversations here.";
  }

  async function loadList() {
    const request = ++state.listRequest;
    const params = new URLSearchParams({ view: state.view });
    if (state.query) params.set("q", state.query);
    ui.conversationList.setAttribute("aria-busy", "true");
    try {
      const data = await api("GET", `${config.conversationsUrl}?${params}`);
      if (request !== state.listRequest) return; // a newer search answered first
      showRows(data.conversations || []);
    } catch (err) {
      if (request !== state.listRequest) return;
      ui.conversationList.replaceChildren();
      state.rows.clear();
      ui.conversationsEmpty.hidden = false;
      ui.conversationsEmpty.textContent = err.message;
    } finally {
      if (request === state.listRequest) ui.conversationList.removeAttribute("aria-busy");
    }
  }

  function selectView(view) {
    state.view = view;
    for (const button of ui.views) button.setAttribute("aria-pressed", button.dataset.view === view ? "true" : "false");
    loadList();
  }

  function openConversation(conversationId) {
    if (!conversationId) return;
    if (state.selected !== conversationId) {
      typing(false); // stop showing this operator typing in the conversation left
      window.clearTimeout(state.typingTimer);
      state.handoff = null;
      state.unanswered = null;
      ui.notesList.replaceChildren();
      ui.replyError.hidden = true;
      ui.noteError.hidden = true;
      ui.savedSelect.value = "";
      ui.savedPreview.hidden = true;
      ui.savedInsert.disabled = true;
    }
    state.selected = conversationId;
    state.selectedSeq = 0;
    for (const [id, entry] of state.rows) {
      entry.element.classList.toggle("is-selected", id === conversationId);
      if (id === conversationId) entry.button.setAttribute("aria-current", "true");
      else entry.button.removeAttribute("aria-current");
    }
    send({ type: "conversation.open", conversation_id: conversationId });
    loadDetail(conversationId);
  }

  function handlingLabel(handling, assignee) {
    if (handling === "assigned") return assignee ? (assignee.id === config.userId ? "With you" : `With ${assignee.name}`) : "Assigned";
    return { waiting_for_human: "Waiting for a person", resolved: "Resolved", bot: "Assistant" }[handling] || "";
  }

  async function loadDetail(conversationId) {
    try {
      const data = await api("GET", `${config.operatorUrl}conversations/${encodeURIComponent(conversationId)}`);
      if (state.selected !== conversationId) return;
      if (state.rows.has(conversationId)) renderRow({ ...data.conversation, unread: 0 });
      showCustomerDetails(data.conversation.customer, data.conversation.channelLabel);
      showHandoff(data.handoff);
      ui.notesList.replaceChildren(...(data.notes || []).map(noteElement));
      ui.notes.hidden = false;
      ui.replyForm.hidden = false;
      const customer = data.conversation.customer || {};
      const who = customer.name || customer.email || customer.phone || "the customer";
      ui.replyLabel.textContent = `Reply to ${who} (${data.conversation.channelLabel})`;
      for (const message of data.messages || []) trackAnswered(message);
    } catch (err) {
      showError(ui.handlingError, err.message);
      ui.handling.hidden = false;
    }
  }

  function trackAnswered(message) {
    if (message.role === "user") state.unanswered = message.id;
    else if (message.role === "operator") state.unanswered = null;
  }

  function showHandoff(handoff) {
    state.handoff = handoff;
    ui.handling.hidden = false;
    ui.handlingError.hidden = true;
    const stateName = handoff ? handoff.state : "bot";
    const assignee = handoff && handoff.assignee;
    const mine = Boolean(assignee && assignee.id === config.userId);
    let text = HANDLING_TEXT[stateName] || stateName;
    text = text.replace("{name}", mine ? "you" : assignee ? assignee.name : "an operator");
    ui.handlingState.textContent = text;
    ui.handling.dataset.state = stateName;
    ui.claim.hidden = mine;
    ui.claim.textContent = stateName === "assigned" ? "Take over" : "Claim";
    ui.unassign.hidden = stateName !== "assigned";
    ui.resolve.hidden = !["waiting_for_human", "assigned"].includes(stateName);
    ui.reopen.hidden = stateName !== "resolved";
    ui.claim.disabled = stateName === "assigned" && !mine; // another operator holds it: assign instead
    if (ui.assignTo.value === "" && assignee) ui.assignTo.value = String(assignee.id);
  }

  async function handoffAction(path, body) {
    const conversationId = state.selected;
    if (!conversationId) return;
    ui.handlingError.hidden = true;
    setBusy(ui.handling, true);
    try {
      const data = await api("POST", `${config.operatorUrl}conversations/${encodeURIComponent(conversationId)}/${path}`, body);
      if (state.selected === conversationId) showHandoff(data.handoff);
      updateRowHandoff(conversationId, data.handoff);
    } catch (err) {
      showError(ui.handlingError, err.message);
    } finally {
      setBusy(ui.handling, false);
    }
  }

  function updateRowHandoff(conversationId, handoff) {
    const entry = state.rows.get(conversationId);
    if (!entry || !handoff) return;
    renderRow({ ...entry.data, handling: handoff.state, assignee: handoff.assignee });
  }

  function noteElement(note) {
    const item = el("li", "op-note");
    item.dataset.noteId = String(note.id);
    const head = el("span", "op-note__who", note.author ? note.author.name : "Someone");
    head.appendChild(document.createTextNode(" · "));
    head.appendChild(timeElement(note.createdAt));
    item.append(head, el("p", "op-note__text", note.content));
    return item;
  }

  function addNote(note) {
    if (!note || note.conversationId !== state.selected) return;
    if (ui.notesList.querySelector(`[data-note-id="${CSS.escape(String(note.id))}"]`)) return;
    ui.notesList.appendChild(noteElement(note));
  }

  async function loadOperators() {
    try {
      const data = await api("GET", `${config.operatorUrl}operators`);
      const options = [el("option", "", "Choose an operator…")];
      options[0].value = "";
      for (const operator of data.operators || []) {
        const option = el("option", "", operator.id === config.userId ? `${operator.name} (you)` : operator.name);
        option.value = String(operator.id);
        options.push(option);
      }
      ui.assignTo.replaceChildren(...options);
    } catch (err) {
      showError(ui.handlingError, err.message);
    }
  }

  async function loadSavedReplies() {
    try {
      const data = await api("GET", `${config.operatorUrl}saved-replies`);
      for (const reply of data.savedReplies || []) {
        const option = el("option", "", reply.title);
        option.value = String(reply.id);
        ui.savedSelect.appendChild(option);
      }
    } catch (err) {
      showError(ui.replyError, err.message);
    }
  }

  async function previewSavedReply() {
    const id = ui.savedSelect.value;
    ui.savedInsert.disabled = true;
    ui.savedPreview.hidden = true;
    if (!id || !state.selected) return;
    try {
      const data = await api("POST", `${config.operatorUrl}saved-replies/${encodeURIComponent(id)}/render`, {
        conversation_id: state.selected,
      });
      if (ui.savedSelect.value !== id) return;
      ui.savedPreviewText.textContent = data.text;
      ui.savedPreview.hidden = false;
      ui.savedInsert.disabled = false;
    } catch (err) {
      showError(ui.replyError, err.message);
    }
  }

  function typing(active) {
    if (!state.selected || state.typingActive === active) return;
    const holder = state.handoff && state.handoff.assignee;
    if (active && !(holder && holder.id === config.userId)) return; // only the holder's typing is shown
    state.typingActive = active;
    send({ type: "typing", conversation_id: state.selected, active });
  }

  async function sendReply(event) {
    event.preventDefault();
    const content = ui.replyText.value.trim();
    ui.replyError.hidden = true;
    if (!content || !state.selected) {
      showError(ui.replyError, "Write a reply first.");
      ui.replyText.focus();
      return;
    }
    const body = { content, client_message_id: `op-${Date.now()}-${Math.random().toString(36).slice(2, 10)}` };
    if (state.unanswered) body.reply_to = state.unanswered;
    setBusy(ui.replyForm, true);
    try {
      const data = await api("POST", `${config.operatorUrl}conversations/${encodeURIComponent(state.selected)}/messages`, body);
      ui.replyText.value = "";
      window.clearTimeout(state.typingTimer);
      typing(false);
      if (data.message) {
        renderMessage(data.message);
        trackAnswered(data.message);
      }
    } catch (err) {
      showError(ui.replyError, err.message);
    } finally {
      setBusy(ui.replyForm, false);
      ui.replyText.focus();
    }
  }

  async function addNoteSubmit(event) {
    event.preventDefault();
    const content = ui.noteText.value.trim();
    ui.noteError.hidden = true;
    if (!content || !state.selected) {
      showError(ui.noteError, "Write the note first.");
      ui.noteText.focus();
      return;
    }
    setBusy(ui.noteForm, true);
    try {
      const note = await api("POST", `${config.operatorUrl}conversations/${encodeURIComponent(state.selected)}/notes`, { content });
      ui.noteText.value = "";
      addNote(note);
    } catch (err) {
      showError(ui.noteError, err.message);
    } finally {
      setBusy(ui.noteForm, false);
    }
  }

  function showCustomer(conversationId) {
    const entry = state.rows.get(conversationId);
    const action = Array.from(state.actions.values()).find((a) => a.data.conversationId === conversationId);
    const customer = (entry && entry.data.customer) || (action && action.data.customer) || null;
    const channel = entry ? entry.data.channelLabel : action ? channelLabel(action.data.channel) : "";
    showCustomerDetails(customer, channel);
    if (entry) renderRow({ ...entry.data, unread: 0 });
  }

  function showCustomerDetails(customer, channel) {
    ui.threadTitle.textContent = customer ? customerName(customer) : "Conversation";
    const items = [];
    if (customer && customer.email) items.push(fact("Email", customer.email));
    if (customer && customer.phone) items.push(fact("Phone", customer.phone));
    if (channel) items.push(fact("Channel", channel));
    ui.customer.replaceChildren(...items);
    ui.customer.hidden = items.length === 0;
  }

  function renderMessage(message) {
    let item = ui.messages.querySelector(`[data-message-id="${CSS.escape(message.id)}"]`);
    if (!item) {
      item = el("li", `op-message op-message--${message.role}`);
      item.dataset.messageId = message.id;
      ui.messages.appendChild(item);
    }
    const who = message.role === "operator" && message.operator ? `${message.operator.name} (operator)` : ROLE_TEXT[message.role] || message.role;
    const head = el("span", "op-message__who", who);
    if (message.createdAt) {
      head.appendChild(document.createTextNode(" · "));
      head.appendChild(timeElement(message.createdAt));
    }
    const children = [head, el("p", "op-message__text", message.content)];
    if (message.delivery) children.push(deliveryElement(message.delivery));
    for (const action of message.actions || []) {
      const chip = el("span", "op-message__action", `${action.label} — ${STATUS_TEXT[action.status] || action.status}`);
      chip.dataset.actionId = action.id;
      chip.dataset.label = action.label;
      children.push(chip);
    }
    item.replaceChildren(...children);
    ui.threadEmpty.hidden = true;
    if (typeof message.seq === "number") state.selectedSeq = Math.max(state.selectedSeq, message.seq);
    item.scrollIntoView({ block: "nearest" });
  }

  const DELIVERY_TEXT = { accepted: "Sending", sent: "Sent", delivered: "Delivered", read: "Read", failed: "Not delivered" };

  function deliveryElement(delivery) {
    const channel = delivery.channel === "whatsapp" ? "WhatsApp" : delivery.channel;
    let text = `${channel}: ${DELIVERY_TEXT[delivery.status] || delivery.status}`;
    if (delivery.error) text += ` (${delivery.error})`;
    const node = el("span", "op-message__delivery", text);
    node.dataset.status = delivery.status;
    return node;
  }

  function applyDelivery(event) {
    if (event.conversationId !== state.selected) return;
    const item = ui.messages.querySelector(`[data-message-id="${CSS.escape(event.messageId)}"]`);
    if (!item) return;
    const old = item.querySelector(".op-message__delivery");
    const node = deliveryElement(event.delivery || {});
    if (old) old.replaceWith(node);
    else item.insertBefore(node, item.querySelector(".op-message__action"));
  }

  function applyStatus(event) {
    for (const chip of ui.messages.querySelectorAll(".op-message__action")) {
      if (chip.dataset.actionId === event.action_id) {
        chip.textContent = `${chip.dataset.label} — ${STATUS_TEXT[event.status] || event.status}`;
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
        // The snapshot is the truth: what is waiting, what was decided last, this list's rows.
        const waiting = new Set((data.actions || []).map((a) => a.id));
        for (const [id, entry] of state.actions) {
          if (!waiting.has(id) && entry.data.status === "pending_approval") {
            entry.element.remove();
            state.actions.delete(id);
          }
        }
        for (const action of (data.decided || []).slice().reverse()) renderAction(action);
        for (const action of data.actions || []) renderAction(action);
        if (state.view === "open" && !state.query) showRows(data.conversations || []);
        else loadList();
        updateCounts();
        break;
      }
      case "operator.action":
        renderAction(data.action);
        break;
      case "operator.conversation": {
        const row = data.conversation;
        if (!row) break;
        if (matchesList(row)) {
          const entry = renderRow(row, { live: true });
          ui.conversationList.insertBefore(entry.element, ui.conversationList.firstChild);
          updateListEmpty();
        } else if (state.rows.has(row.id)) {
          renderRow(row, { live: true });
        }
        break;
      }
      case "operator.messages":
        if (data.conversation_id !== state.selected) break;
        ui.messages.replaceChildren();
        showCustomer(data.conversation_id);
        for (const message of data.messages || []) {
          renderMessage(message);
          trackAnswered(message);
        }
        if (!(data.messages || []).length) ui.threadEmpty.hidden = false;
        break;
      case "message":
        if (!data.message || !state.selected) break;
        renderMessage(data.message);
        trackAnswered(data.message);
        // Read as it arrives: the conversation is open on this screen.
        if (data.message.role === "user") send({ type: "conversation.read", conversation_id: state.selected, seq: data.message.seq });
        break;
      case "action.status":
        applyStatus(data);
        break;
      case "operator.handoff":
        updateRowHandoff(data.conversationId, data.handoff);
        if (data.conversationId === state.selected) showHandoff(data.handoff);
        if (["waiting", "mine", "resolved"].includes(state.view)) loadList(); // the row may have joined or left
        break;
      case "operator.note":
        addNote(data.note);
        break;
      case "operator.delivery":
        applyDelivery(data);
        break;
      default:
        break;
    }
  }

  /* ------------------------------------------------------------------ start */

  for (const button of ui.views) button.addEventListener("click", () => selectView(button.dataset.view));
  ui.searchForm.addEventListener("submit", (event) => {
    event.preventDefault();
    state.query = ui.searchInput.value.trim();
    loadList();
  });
  ui.searchInput.addEventListener("search", () => {
    // The clear button of a search field: back to the whole list.
    if (!ui.searchInput.value && state.query) {
      state.query = "";
      loadList();
    }
  });
  ui.claim.addEventListener("click", () => handoffAction("claim"));
  ui.unassign.addEventListener("click", () => handoffAction("unassign"));
  ui.resolve.addEventListener("click", () => handoffAction("resolve"));
  ui.reopen.addEventListener("click", () => handoffAction("reopen"));
  ui.assignForm.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!ui.assignTo.value) {
      showError(ui.handlingError, "Choose who to assign it to.");
      ui.assignTo.focus();
      return;
    }
    handoffAction("assign", { operator_id: Number(ui.assignTo.value) });
  });
  ui.replyForm.addEventListener("submit", sendReply);
  ui.replyText.addEventListener("input", () => {
    typing(true);
    window.clearTimeout(state.typingTimer);
    state.typingTimer = window.setTimeout(() => typing(false), TYPING_IDLE_MS);
  });
  ui.savedSelect.addEventListener("change", previewSavedReply);
  ui.savedInsert.addEventListener("click", () => {
    const text = ui.savedPreviewText.textContent;
    const current = ui.replyText.value;
    ui.replyText.value = current.trim() ? `${current.trimEnd()}\n${text}` : text;
    ui.replyText.focus();
  });
  ui.noteForm.addEventListener("submit", addNoteSubmit);
  window.setInterval(refreshTimes, 60000);
  loadOperators();
  loadSavedReplies();
  connect();
})();
