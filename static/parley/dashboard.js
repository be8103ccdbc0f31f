/* Parley operators' dashboard: reads /api/admin/dashboard and draws SVG charts.
 * No library, no inline script or style (strict CSP): text goes in with textContent, shapes
 * with createElementNS, colours come from classes in dashboard.css. Every chart has a table
 * beside it as its accessible alternative. */
(function () {
  "use strict";

  var SVG_NS = "http://www.w3.org/2000/svg";
  var root = document.getElementById("parley-dashboard");
  if (!root) return;
  var dashboardUrl = root.getAttribute("data-dashboard-url");
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

  // --- small DOM helpers -------------------------------------------------------------------
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function svg(tag, attrs, text) {
    var node = document.createElementNS(SVG_NS, tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, String(attrs[key])); });
    if (text !== undefined) node.textContent = String(text);
    return node;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  function fmtInt(n) { return n === null || n === undefined ? "–" : Number(n).toLocaleString(); }
  function fmtPct(n) { return n === null || n === undefined ? "–" : Number(n).toFixed(1) + "%"; }
  function fmtMoney(amount, currency) {
    if (amount === null || amount === undefined) return "–";
    try {
      return Number(amount).toLocaleString(undefined, { style: "currency", currency: currency || "USD" });
    } catch (e) {
      return amount + " " + (currency || "");
    }
  }

  function table(container, caption, headers, rows) {
    clear(container);
    var t = el("table", "dash-data");
    t.appendChild(el("caption", null, caption));
    var thead = el("thead");
    var tr = el("tr");
    headers.forEach(function (h) {
      var th = el("th", null, h);
      th.setAttribute("scope", "col");
      tr.appendChild(th);
    });
    thead.appendChild(tr);
    t.appendChild(thead);
    var tbody = el("tbody");
    if (!rows.length) {
      var empty = el("tr");
      var td = el("td", "dash-empty", "Nothing in this period.");
      td.setAttribute("colspan", String(headers.length));
      empty.appendChild(td);
      tbody.appendChild(empty);
    }
    rows.forEach(function (row) {
      var r = el("tr");
      row.forEach(function (cell, i) {
        var c = el(i === 0 ? "th" : "td", null, cell);
        if (i === 0) c.setAttribute("scope", "row");
        r.appendChild(c);
      });
      tbody.appendChild(r);
    });
    t.appendChild(tbody);
    container.appendChild(t);
  }

  function chartFrame(container, label, width, height) {
    clear(container);
    var s = svg("svg", { viewBox: "0 0 " + width + " " + height, role: "img", "aria-label": label, class: "dash-svg" });
    s.appendChild(svg("title", {}, label));
    container.appendChild(s);
    return s;
  }

  // --- charts ------------------------------------------------------------------------------
  /* Horizontal bars: items = [{label, value, text}] */
  function barChart(container, label, items, seriesClass) {
    var rowH = 28, labelW = 170, valueW = 90, width = 560;
    var height = Math.max(rowH * items.length + 10, 40);
    var s = chartFrame(container, label, width, height);
    if (!items.length) {
      s.appendChild(svg("text", { x: 10, y: 25, class: "dash-axis" }, "Nothing in this period."));
      return;
    }
    var max = Math.max.apply(null, items.map(function (i) { return i.value; }).concat([1]));
    var barSpace = width - labelW - valueW;
    items.forEach(function (item, i) {
      var y = 5 + i * rowH;
      s.appendChild(svg("text", { x: labelW - 8, y: y + 18, "text-anchor": "end", class: "dash-label" }, item.label));
      var w = Math.max(item.value > 0 ? 2 : 0, (item.value / max) * barSpace);
      var rect = svg("rect", { x: labelW, y: y + 4, width: w.toFixed(1), height: rowH - 8, rx: 3, class: "dash-bar " + (seriesClass || "") });
      rect.appendChild(svg("title", {}, item.label + ": " + item.text));
      s.appendChild(rect);
      s.appendChild(svg("text", { x: labelW + w + 6, y: y + 18, class: "dash-value" }, item.text));
    });
  }

  /* A line over days with a y axis of 4 ticks. points = [{day, value}] */
  function lineChart(container, label, points, format) {
    var width = 640, height = 240, left = 64, right = 12, top = 12, bottom = 34;
    var s = chartFrame(container, label, width, height);
    if (!points.length) return;
    var max = Math.max.apply(null, points.map(function (p) { return p.value; }).concat([1]));
    var plotW = width - left - right, plotH = height - top - bottom;
    function x(i) { return left + (points.length === 1 ? plotW / 2 : (i * plotW) / (points.length - 1)); }
    function y(v) { return top + plotH - (v / max) * plotH; }
    for (var t = 0; t <= 4; t++) {
      var v = (max * t) / 4;
      s.appendChild(svg("line", { x1: left, x2: width - right, y1: y(v), y2: y(v), class: "dash-grid" }));
      s.appendChild(svg("text", { x: left - 6, y: y(v) + 4, "text-anchor": "end", class: "dash-axis" }, format(v)));
    }
    var step = Math.max(1, Math.ceil(points.length / 8));
    points.forEach(function (p, i) {
      if (i % step === 0 || i === points.length - 1) {
        s.appendChild(svg("text", { x: x(i), y: height - 12, "text-anchor": "middle", class: "dash-axis" }, p.day.slice(5)));
      }
    });
    var d = points.map(function (p, i) { return (i ? "L" : "M") + x(i).toFixed(1) + " " + y(p.value).toFixed(1); }).join(" ");
    s.appendChild(svg("path", { d: d, class: "dash-line" }));
    points.forEach(function (p, i) {
      var dot = svg("circle", { cx: x(i).toFixed(1), cy: y(p.value).toFixed(1), r: points.length > 60 ? 1.5 : 3, class: "dash-dot" });
      dot.appendChild(svg("title", {}, p.day + ": " + format(p.value)));
      s.appendChild(dot);
    });
  }

  /* Grouped bars: groups = [{label, bars: [{name, value, text, cls}]}], values are percents 0-100 */
  function groupedPercentChart(container, label, groups) {
    var width = 560, groupH = 58, labelW = 200, barH = 18;
    var height = Math.max(groups.length * groupH + 30, 50);
    var s = chartFrame(container, label, width, height);
    if (!groups.length) {
      s.appendChild(svg("text", { x: 10, y: 25, class: "dash-axis" }, "No action buttons in this period."));
      return;
    }
    var plotW = width - labelW - 60;
    groups.forEach(function (g, gi) {
      var y0 = 8 + gi * groupH;
      s.appendChild(svg("text", { x: labelW - 8, y: y0 + 24, "text-anchor": "end", class: "dash-label" }, g.label));
      g.bars.forEach(function (b, bi) {
        var y = y0 + bi * (barH + 4);
        var w = Math.max(0, Math.min(100, b.value || 0)) * plotW / 100;
        var rect = svg("rect", { x: labelW, y: y, width: w.toFixed(1), height: barH, rx: 3, class: "dash-bar " + b.cls });
        rect.appendChild(svg("title", {}, g.label + " " + b.name + ": " + b.text));
        s.appendChild(rect);
        s.appendChild(svg("text", { x: labelW + w + 6, y: y + 14, class: "dash-value" }, b.name + " " + b.text));
      });
    });
  }

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
    kpi(list, "Revenue from chat", revenue || fmtMoney(0));
    data.orders.forEach(function (row) {
      kpi(list, "AOV " + (row.order_source === "conversational" ? "chat" : "non-chat") + " (" + row.currency + ")", fmtMoney(row.aov, row.currency));
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
    barChart(document.getElementById("chart-funnel"), "Funnel: conversations reaching each step",
      steps.map(function (s) {
        return { label: STEP_LABELS[s.name] || s.name, value: s.conversations, text: fmtInt(s.conversations) + (s.percent_of_first === null ? "" : " (" + fmtPct(s.percent_of_first) + ")") };
      }), "dash-bar--funnel");
    table(document.getElementById("table-funnel"), "Conversations reaching each funnel step",
      ["Step", "Conversations", "% of opened", "% of previous step"],
      steps.map(function (s) { return [STEP_LABELS[s.name] || s.name, fmtInt(s.conversations), fmtPct(s.percent_of_first), fmtPct(s.percent_of_previous)]; }));
  }

  function seriesValue(row, series) {
    if (series === "events_total") {
      return Object.keys(row.events).reduce(function (sum, k) { return sum + row.events[k]; }, 0);
    }
    return Number(row[series]);
  }

  function renderTrend(data) {
    var series = trendSelect.value;
    var money = series.indexOf("revenue") === 0;
    var label = trendSelect.options[trendSelect.selectedIndex].text + " per day";
    lineChart(document.getElementById("chart-trend"), label,
      data.daily.map(function (row) { return { day: row.day, value: seriesValue(row, series) }; }),
      money ? function (v) { return fmtMoney(v); } : function (v) { return fmtInt(Math.round(v)); });
    table(document.getElementById("table-daily"), "Figures per day (UTC)",
      ["Day", "Conversations", "Messages sent", "Purchase intent", "Link clicked", "Paid", "Chat orders", "Chat revenue", "Non-chat orders", "Non-chat revenue", "Events"],
      data.daily.map(function (r) {
        return [r.day, fmtInt(r.conversations), fmtInt(r.message_sent), fmtInt(r.purchase_intent_detected), fmtInt(r.payment_link_clicked),
          fmtInt(r.payment_completed), fmtInt(r.orders_conversational), fmtMoney(r.revenue_conversational), fmtInt(r.orders_traditional),
          fmtMoney(r.revenue_traditional), fmtInt(seriesValue(r, "events_total"))];
      }));
  }

  function renderActions(data) {
    groupedPercentChart(document.getElementById("chart-actions"), "Click-through and success rate by action type",
      data.actions.map(function (a) {
        return {
          label: a.action_type,
          bars: [
            { name: "click-through", value: a.click_through_percent, text: fmtPct(a.click_through_percent), cls: "dash-bar--ctr" },
            { name: "success", value: a.success_percent, text: fmtPct(a.success_percent), cls: "dash-bar--success" }
          ]
        };
      }));
    table(document.getElementById("table-actions"), "Action buttons by type",
      ["Action type", "Rendered", "Clicked", "Clicks reported by the widget", "Succeeded", "Failed", "Click-through", "Success"],
      data.actions.map(function (a) {
        return [a.action_type, fmtInt(a.rendered), fmtInt(a.clicked), fmtInt(a.client_clicks), fmtInt(a.succeeded), fmtInt(a.failed), fmtPct(a.click_through_percent), fmtPct(a.success_percent)];
      }));
  }

  function renderOrders(data) {
    barChart(document.getElementById("chart-orders"), "Average order value, chat vs non-chat",
      data.orders.map(function (r) {
        return { label: (r.order_source === "conversational" ? "Chat" : "Non-chat") + " (" + r.currency + ")", value: Number(r.aov || 0), text: fmtMoney(r.aov, r.currency) };
      }), "dash-bar--orders");
    table(document.getElementById("table-orders"), "Paid orders by source",
      ["Source", "Currency", "Orders", "Revenue", "Average order value"],
      data.orders.map(function (r) { return [r.order_source, r.currency, fmtInt(r.orders), fmtMoney(r.revenue, r.currency), fmtMoney(r.aov, r.currency)]; }));
  }

  function partLabel(p) { return p.ps_number + (p.name ? " " + p.name.slice(0, 18) : ""); }

  function renderParts(data) {
    var tp = data.top_parts;
    [["mentions", "Parts most mentioned in conversations"], ["recommendations", "Parts most recommended with action buttons"]].forEach(function (pair) {
      var key = pair[0];
      barChart(document.getElementById("chart-" + key), pair[1],
        tp[key].map(function (p) { return { label: partLabel(p), value: p.count, text: fmtInt(p.count) }; }), "dash-bar--parts");
      table(document.getElementById("table-" + key), pair[1], ["Part", "Name", "Count"],
        tp[key].map(function (p) { return [p.ps_number, p.name, fmtInt(p.count)]; }));
    });
    barChart(document.getElementById("chart-sales"), "Parts with the most revenue",
      tp.sales.map(function (p) { return { label: partLabel(p), value: Number(p.revenue), text: fmtMoney(p.revenue, p.currency) }; }), "dash-bar--sales");
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
      (data.filters.action_type ? ", action " + data.filters.action_type : "") +
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

  fillForm(new URLSearchParams(window.location.search));
  load();
})();
