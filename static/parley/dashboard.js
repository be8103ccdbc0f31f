/* Parley operators' dashboard: reads /api/admin/dashboard, draws its charts with Chart.js
 * through dash-common.js (ParleyDash) and writes a table beside each. No inline script or
 * style (strict CSP): text goes in with textContent. Action types are shown by their names
 * from the action registry (data-action-labels), never as codes. */
(function () {
  "use strict";

  var D = window.ParleyDash;
  var root = document.getElementById("parley-dashboard");
  if (!root || !D) return;
  var el = D.el, clear = D.clear, table = D.table, fmtInt = D.fmtInt, fmtPct = D.fmtPct, fmtMoney = D.fmtMoney;
  var dashboardUrl = root.getAttribute("data-dashboard-url");
  var actionLabels = {};
  try {
    actionLabels = JSON.parse(root.getAttribute("data-action-labels") || "{}");
  } catch (e) {
    actionLabels = {};
  }
  var form = document.getElementById("dash-filters");
  var statusEl = document.getElementById("dash-status");
  var errorEl = document.getElementById("dash-error");
  var trendSelect = document.getElementById("trend-series");
  var STEP_LABELS = {
    chat_opened: "Chat opened",
    message_sent: "Message sent",
    purchase_intent_detected: "Purchase intent",
    payment_link_clicked: "Payment link clicked",
    payment_completed: "Paid"
  };
  var last = null;
  var pending = null;

  /* "check_compatible_alternatives" -> "Show compatible alternatives" (the registry's name), or
   * the code made readable when the registry no longer has it. */
  function actionLabel(code) {
    if (actionLabels[code]) return actionLabels[code];
    var words = String(code).replace(/_/g, " ");
    return words.charAt(0).toUpperCase() + words.slice(1);
  }

  function sourceLabel(source) { return source === "conversational" ? "Chat" : "Non-chat"; }

  // --- rendering ---------------------------------------------------------------------------
  function kpi(list, term, value) {
    list.appendChild(el("dt", null, term));
    list.appendChild(el("dd", null, value));
  }

  function renderOverview(data) {
    var list = document.getElementById("kpis");
    clear(list);
    var o = data.overview;
    kpi(list, "Conversations", fmtInt(o.conversations));
    kpi(list, "Paid conversations", fmtInt(o.paid_conversations));
    kpi(list, "Chat → payment", fmtPct(o.chat_to_payment_percent));
    kpi(list, "Purchase intent → payment", fmtPct(o.intent_to_payment_percent));
    var revenue = o.revenue_attributed.map(function (r) { return fmtMoney(r.revenue, r.currency); }).join(" + ");
    kpi(list, "Revenue from chat (net of refunds)", revenue || fmtMoney(0, currencyOf(data)));
    data.orders.forEach(function (row) {
      kpi(list, "Average order value (AOV), " + sourceLabel(row.order_source).toLowerCase() + " (" + row.currency + ")", fmtMoney(row.aov, row.currency));
    });
    Object.keys(o.aov_uplift_percent).forEach(function (currency) {
      kpi(list, "AOV uplift of chat (" + currency + ")", fmtPct(o.aov_uplift_percent[currency]));
    });
    var cost = data.assistant_cost;
    kpi(list, "Assistant cost per conversation", cost.per_conversation_usd === null ? "–" : "$" + Number(cost.per_conversation_usd).toFixed(4));
    kpi(list, "Assistant cost per chat order", cost.per_order_usd === null ? "–" : "$" + Number(cost.per_order_usd).toFixed(4));
  }

  function renderFunnel(data) {
    var steps = data.funnel.steps;
    D.barChart(document.getElementById("chart-funnel"), { label: "Funnel: conversations reaching each step", colour: "funnel", seriesLabel: "Conversations" },
      steps.map(function (s) {
        return { label: STEP_LABELS[s.name] || s.name, value: s.conversations, text: fmtInt(s.conversations) + (s.percent_of_first === null ? "" : " (" + fmtPct(s.percent_of_first) + ")") };
      }));
    table(document.getElementById("table-funnel"), "Conversations reaching each funnel step",
      ["Step", "Conversations", "% of opened", "% of previous step"],
      steps.map(function (s) { return [STEP_LABELS[s.name] || s.name, fmtInt(s.conversations), fmtPct(s.percent_of_first), fmtPct(s.percent_of_previous)]; }));
  }

  /* The currency of the period's orders (the first one: revenue per day is in the shop's currency). */
  function currencyOf(data) { return data.orders.length ? data.orders[0].currency : root.getAttribute("data-currency") || "USD"; }

  function seriesValue(row, series) {
    if (series === "events_total") {
      return Object.keys(row.events).reduce(function (sum, k) { return sum + row.events[k]; }, 0);
    }
    return Number(row[series]);
  }

  function renderTrend(data) {
    var series = trendSelect.value;
    var money = series.indexOf("revenue") === 0;
    var name = trendSelect.options[trendSelect.selectedIndex].text;
    D.lineChart(document.getElementById("chart-trend"), { label: name + " per day", seriesLabel: name, money: money ? currencyOf(data) : null },
      data.daily.map(function (row) { return { day: row.day, value: seriesValue(row, series) }; }));
    table(document.getElementById("table-daily"), "Figures per day (UTC)",
      ["Day", "Conversations", "Messages sent", "Purchase intent", "Link clicked", "Paid", "Chat orders", "Chat revenue (net)", "Non-chat orders", "Non-chat revenue (net)", "Events"],
      data.daily.map(function (r) {
        return [r.day, fmtInt(r.conversations), fmtInt(r.message_sent), fmtInt(r.purchase_intent_detected), fmtInt(r.payment_link_clicked),
          fmtInt(r.payment_completed), fmtInt(r.orders_conversational), fmtMoney(r.revenue_conversational, currencyOf(data)), fmtInt(r.orders_traditional),
          fmtMoney(r.revenue_traditional, currencyOf(data)), fmtInt(seriesValue(r, "events_total"))];
      }));
  }

  function renderActions(data) {
    D.groupedPercentChart(document.getElementById("chart-actions"),
      { label: "Click-through and success rate by action type", empty: "No action buttons in this period." },
      data.actions.map(function (a) {
        return {
          label: actionLabel(a.action_type),
          bars: [
            { value: a.click_through_percent, text: fmtPct(a.click_through_percent) },
            { value: a.success_percent, text: fmtPct(a.success_percent) }
          ]
        };
      }),
      [{ name: "Click-through", colour: "ctr" }, { name: "Success", colour: "success" }]);
    table(document.getElementById("table-actions"), "Action buttons by type",
      ["Action type", "Rendered", "Clicked", "Clicks reported by the widget", "Succeeded", "Failed", "Click-through", "Success"],
      data.actions.map(function (a) {
        return [actionLabel(a.action_type), fmtInt(a.rendered), fmtInt(a.clicked), fmtInt(a.client_clicks), fmtInt(a.succeeded), fmtInt(a.failed), fmtPct(a.click_through_percent), fmtPct(a.success_percent)];
      }));
  }

  function renderOrders(data) {
    D.barChart(document.getElementById("chart-orders"),
      { label: "Average order value (AOV), chat vs non-chat", seriesLabel: "AOV", colour: "orders", money: currencyOf(data), axisTitle: "Average order value (AOV), net of refunds" },
      data.orders.map(function (r) {
        return { label: sourceLabel(r.order_source) + " (" + r.currency + ")", value: Number(r.aov || 0), text: "AOV " + fmtMoney(r.aov, r.currency) };
      }));
    table(document.getElementById("table-orders"), "Paid orders by source (revenue net of refunds)",
      ["Source", "Currency", "Orders", "Revenue (net)", "Average order value (AOV)"],
      data.orders.map(function (r) { return [sourceLabel(r.order_source), r.currency, fmtInt(r.orders), fmtMoney(r.revenue, r.currency), fmtMoney(r.aov, r.currency)]; }));
  }

  /* A part on two lines: its PS number, then its name (cut to fit; whole in the tooltip and table). */
  function partLabel(p) { return p.name ? [p.ps_number, p.name] : p.ps_number; }

  function renderParts(data) {
    var tp = data.top_parts;
    [["mentions", "Parts most mentioned in conversations"], ["recommendations", "Parts most recommended with action buttons"]].forEach(function (pair) {
      var key = pair[0];
      D.barChart(document.getElementById("chart-" + key), { label: pair[1], seriesLabel: "Count", colour: "parts" },
        tp[key].map(function (p) { return { label: partLabel(p), value: p.count, text: fmtInt(p.count) }; }));
      table(document.getElementById("table-" + key), pair[1], ["Part", "Name", "Count"],
        tp[key].map(function (p) { return [p.ps_number, p.name, fmtInt(p.count)]; }));
    });
    D.barChart(document.getElementById("chart-sales"), { label: "Parts with the most revenue", seriesLabel: "Revenue", colour: "sales", money: currencyOf(data) },
      tp.sales.map(function (p) { return { label: partLabel(p), value: Number(p.revenue), text: fmtMoney(p.revenue, p.currency) }; }));
    table(document.getElementById("table-sales"), "Parts with the most revenue", ["Part", "Name", "Quantity", "Orders", "Revenue"],
      tp.sales.map(function (p) { return [p.ps_number, p.name, fmtInt(p.quantity), fmtInt(p.orders), fmtMoney(p.revenue, p.currency)]; }));
  }

  function renderAlerts(data) {
    var a = data.alerts;
    table(document.getElementById("table-alerts"), "Back-in-stock subscriptions created in the period", ["Figure", "Value"], [
      ["Subscriptions", fmtInt(a.subscriptions)],
      ["Pending opt-in", fmtInt(a.pending)],
      ["Active", fmtInt(a.active)],
      ["Notified", fmtInt(a.notified)],
      ["Unsubscribed", fmtInt(a.unsubscribed)],
      ["Bought after the notice", fmtInt(a.converted)],
      ["Conversion (of notified)", fmtPct(a.conversion_percent)]
    ]);
  }

  function renderCost(data) {
    var c = data.assistant_cost;
    function usd(v, digits) { return v === null ? "–" : "$" + Number(v).toFixed(digits); }
    table(document.getElementById("table-cost"), "Assistant usage in the period", ["Figure", "Value"], [
      ["Assistant replies", fmtInt(c.replies)],
      ["Prompt tokens", fmtInt(c.prompt_tokens)],
      ["Completion tokens", fmtInt(c.completion_tokens)],
      ["Cost", usd(c.cost_usd, 4)],
      ["Per conversation (" + fmtInt(c.conversations) + ")", usd(c.per_conversation_usd, 6)],
      ["Per chat order (" + fmtInt(c.conversational_orders) + ")", usd(c.per_order_usd, 6)]
    ]);
  }

  function fmtDuration(seconds) {
    if (seconds === null || seconds === undefined) return "–";
    if (seconds < 90) return Math.round(seconds) + " s";
    if (seconds < 5400) return (seconds / 60).toFixed(1) + " min";
    return (seconds / 3600).toFixed(1) + " h";
  }

  function renderTeam(data) {
    var h = data.handoff;
    if (!h) return;
    table(document.getElementById("table-team"), "Handoffs to a person in the period", ["Figure", "Value"], [
      ["Requests for a person", fmtInt(h.requests.count)],
      ["Of which out of shop hours", fmtInt(h.requests.afterHours)],
      ["CSAT (average of " + fmtInt(h.csat.count) + " ratings, 1-5)", h.csat.average === null ? "–" : Number(h.csat.average).toFixed(2)],
      ["Satisfied (4 or 5)", fmtPct(h.csat.satisfiedPercent)],
      ["First response (average, " + fmtInt(h.firstResponse.count) + ")", fmtDuration(h.firstResponse.averageSeconds)],
      ["First response (slowest)", fmtDuration(h.firstResponse.slowestSeconds)],
      ["Time to resolve (average, " + fmtInt(h.timeToResolve.count) + ")", fmtDuration(h.timeToResolve.averageSeconds)]
    ]);
    var operators = {};
    function row(entry) {
      var key = String(entry.operatorId);
      if (!operators[key]) operators[key] = { name: entry.operatorName || "#" + key, csat: null, first: null, resolve: null };
      return operators[key];
    }
    h.csat.perOperator.forEach(function (e) { row(e).csat = e; });
    h.firstResponse.perOperator.forEach(function (e) { row(e).first = e; });
    h.timeToResolve.perOperator.forEach(function (e) { row(e).resolve = e; });
    table(document.getElementById("table-team-operators"), "Per operator",
      ["Operator", "CSAT", "Ratings", "First response", "Time to resolve", "Resolved"],
      Object.keys(operators).map(function (key) {
        var o = operators[key];
        return [
          o.name,
          o.csat && o.csat.average !== null ? Number(o.csat.average).toFixed(2) : "–",
          fmtInt(o.csat ? o.csat.count : 0),
          fmtDuration(o.first ? o.first.averageSeconds : null),
          fmtDuration(o.resolve ? o.resolve.averageSeconds : null),
          fmtInt(o.resolve ? o.resolve.count : 0)
        ];
      }));
  }

  function render(data) {
    last = data;
    renderOverview(data);
    renderFunnel(data);
    renderTrend(data);
    renderActions(data);
    renderOrders(data);
    renderParts(data);
    renderAlerts(data);
    renderCost(data);
    renderTeam(data);
    var p = data.period;
    statusEl.textContent = "Showing " + p.start + " to " + p.end + " (" + p.days + " days, UTC)" +
      (data.filters.action_type ? ", action " + actionLabel(data.filters.action_type) : "") +
      (data.filters.ps_number ? ", part " + data.filters.ps_number : "") + ".";
  }

  // --- filters and loading -------------------------------------------------------------------
  function currentParams() {
    var params = new URLSearchParams();
    var days = form.elements.days.value;
    var start = form.elements.start.value;
    var end = form.elements.end.value;
    if (days) {
      params.set("days", days);
    } else if (start) {
      params.set("start", start);
    }
    if (end) params.set("end", end);
    ["action_type", "ps_number"].forEach(function (name) {
      var value = form.elements[name].value.trim();
      if (value) params.set(name, value);
    });
    return params;
  }

  function fillForm(params) {
    if (params.has("start") && !params.has("days")) {
      form.elements.days.value = "";
    } else if (params.has("days")) {
      form.elements.days.value = params.get("days");
      if (form.elements.days.value !== params.get("days")) form.elements.days.value = "30";
    }
    ["start", "end", "action_type", "ps_number"].forEach(function (name) {
      if (params.has(name)) form.elements[name].value = params.get(name);
    });
  }

  function updateExports(params) {
    ["daily", "funnel", "actions", "parts", "orders"].forEach(function (report) {
      var p = new URLSearchParams(params);
      p.set("format", "csv");
      p.set("report", report);
      document.getElementById("csv-" + report).setAttribute("href", dashboardUrl + "?" + p.toString());
    });
  }

  function showError(message) {
    errorEl.textContent = message;
    errorEl.hidden = false;
    statusEl.textContent = "";
  }

  function load() {
    var params = currentParams();
    updateExports(params);
    errorEl.hidden = true;
    statusEl.textContent = "Loading…";
    root.setAttribute("aria-busy", "true");
    if (pending) pending.abort();
    pending = new AbortController();
    fetch(dashboardUrl + "?" + params.toString(), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      signal: pending.signal
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (body) {
        if (!response.ok) {
          var err = body && body.error;
          var fields = err && err.fields ? Object.keys(err.fields).map(function (k) { return k + ": " + [].concat(err.fields[k]).join(" "); }).join("; ") : "";
          if (response.status === 403) throw new Error("Your session has ended or is not staff: sign in again at /admin/.");
          throw new Error((err && err.detail ? err.detail : "The dashboard could not be loaded (HTTP " + response.status + ").") + (fields ? " " + fields : ""));
        }
        return body;
      });
    }).then(function (data) {
      render(data);
    }).catch(function (error) {
      if (error.name === "AbortError") return;
      showError(error.message || "The dashboard could not be loaded.");
    }).then(function () {
      root.removeAttribute("aria-busy");
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var ps = form.elements.ps_number;
    if (ps.value && !ps.checkValidity()) {
      showError("The part must be a PS number: letters, digits and hyphens.");
      ps.focus();
      return;
    }
    var params = currentParams();
    history.replaceState(null, "", "?" + params.toString());
    load();
  });
  form.elements.days.addEventListener("change", function () {
    if (form.elements.days.value) form.elements.start.value = "";
  });
  form.elements.start.addEventListener("change", function () {
    if (form.elements.start.value) form.elements.days.value = "";
  });
  trendSelect.addEventListener("change", function () { if (last) renderTrend(last); });
  D.onRedraw(function () { if (last) render(last); });

  fillForm(new URLSearchParams(window.location.search));
  load();
})();
