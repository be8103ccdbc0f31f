/* Parley experiments page: reads GET /api/admin/experiments/{id} and draws the arms side by
 * side, the difference with its 95% interval, and the cumulative difference by day. No library,
 * no inline script or style (strict CSP): text goes in with textContent, shapes with
 * createElementNS; every chart has a table or a sentence beside it. */
(function () {
  "use strict";

  var SVG_NS = "http://www.w3.org/2000/svg";
  var root = document.getElementById("parley-experiments");
  if (!root) return;
  var url = root.getAttribute("data-report-url");
  var statusEl = document.getElementById("exp-status");
  var errorEl = document.getElementById("exp-error");
  var select = document.getElementById("exp-select");
  if (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  }
  if (!url) return;

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
  function missing(v) { return v === null || v === undefined; }
  function fmtInt(n) { return missing(n) ? "–" : Number(n).toLocaleString(); }
  function fmtRate(r) { return missing(r) ? "–" : (r * 100).toFixed(2) + "%"; }
  function fmtNum(n, digits) { return missing(n) ? "–" : Number(n).toFixed(digits); }
  function fmtMoney(n, currency) {
    if (missing(n)) return "–";
    try {
      return Number(n).toLocaleString(undefined, { style: "currency", currency: currency });
    } catch (e) {
      return Number(n).toFixed(2) + " " + currency;
    }
  }

  function table(container, caption, headers, rows) {
    clear(container);
    var t = el("table", "dash-data");
    t.appendChild(el("caption", null, caption));
    var head = el("tr");
    headers.forEach(function (h) {
      var th = el("th", null, h);
      th.setAttribute("scope", "col");
      head.appendChild(th);
    });
    t.appendChild(el("thead")).appendChild(head);
    var body = t.appendChild(el("tbody"));
    rows.forEach(function (row) {
      var tr = body.appendChild(el("tr"));
      row.forEach(function (cell, i) {
        var c = el(i === 0 ? "th" : "td", null, cell);
        if (i === 0) c.setAttribute("scope", "row");
        tr.appendChild(c);
      });
    });
    container.appendChild(t);
  }

  function frame(container, label, width, height) {
    clear(container);
    var s = svg("svg", { viewBox: "0 0 " + width + " " + height, class: "dash-svg", role: "img", "aria-label": label });
    s.appendChild(svg("title", {}, label));
    container.appendChild(s);
    return s;
  }

  // One horizontal interval per metric, each on its own scale, with zero marked.
  function intervalChart(container, rows) {
    var width = 560, rowH = 56, left = 150, right = 20;
    var label = rows.map(function (r) { return r.name + ": " + r.text; }).join("; ");
    var s = frame(container, label, width, rowH * rows.length + 10);
    rows.forEach(function (r, i) {
      var y = 28 + i * rowH;
      s.appendChild(svg("text", { x: 0, y: y + 4, class: "dash-label" }, r.name));
      if (missing(r.low)) {
        s.appendChild(svg("text", { x: left, y: y + 4, class: "dash-value" }, "no interval yet"));
        return;
      }
      var lo = Math.min(r.low, 0), hi = Math.max(r.high, 0), pad = (hi - lo) * 0.1 || 1;
      lo -= pad; hi += pad;
      var x = function (v) { return left + ((v - lo) / (hi - lo)) * (width - left - right); };
      s.appendChild(svg("line", { x1: x(0), x2: x(0), y1: y - 16, y2: y + 16, class: "exp-zero" }));
      s.appendChild(svg("line", { x1: x(r.low), x2: x(r.high), y1: y, y2: y, class: "exp-interval" }));
      s.appendChild(svg("circle", { cx: x(r.estimate), cy: y, r: 5, class: "dash-dot" }));
      s.appendChild(svg("text", { x: x(r.low), y: y + 22, class: "dash-axis", "text-anchor": "middle" }, r.lowText));
      s.appendChild(svg("text", { x: x(r.high), y: y + 22, class: "dash-axis", "text-anchor": "middle" }, r.highText));
    });
  }

  // The cumulative difference in conversion (points) by day, its interval as a band.
  function curveChart(container, daily) {
    var points = daily.filter(function (d) { return !missing(d.ci_low_points); });
    var width = 900, height = 240, left = 56, right = 16, top = 12, bottom = 28;
    var label = "Cumulative difference in conversion, percentage points, by day of assignment";
    var s = frame(container, label, width, height);
    if (!points.length) {
      s.appendChild(svg("text", { x: left, y: height / 2, class: "dash-value" }, "No interval yet: both arms need visitors and conversions."));
      return;
    }
    var lo = Math.min(0, Math.min.apply(null, points.map(function (p) { return p.ci_low_points; })));
    var hi = Math.max(0, Math.max.apply(null, points.map(function (p) { return p.ci_high_points; })));
    if (hi === lo) hi = lo + 1;
    var x = function (i) { return left + (points.length === 1 ? (width - left - right) / 2 : (i * (width - left - right)) / (points.length - 1)); };
    var y = function (v) { return top + (1 - (v - lo) / (hi - lo)) * (height - top - bottom); };
    [lo, 0, hi].forEach(function (v) {
      s.appendChild(svg("line", { x1: left, x2: width - right, y1: y(v), y2: y(v), class: v === 0 ? "exp-zero" : "dash-grid" }));
      s.appendChild(svg("text", { x: left - 6, y: y(v) + 4, class: "dash-axis", "text-anchor": "end" }, v.toFixed(2)));
    });
    var band = points.map(function (p, i) { return (i ? "L" : "M") + x(i).toFixed(1) + " " + y(p.ci_high_points).toFixed(1); });
    for (var i = points.length - 1; i >= 0; i--) band.push("L" + x(i).toFixed(1) + " " + y(points[i].ci_low_points).toFixed(1));
    s.appendChild(svg("path", { d: band.join(" ") + " Z", class: "exp-band" }));
    var line = points.map(function (p, i) { return (i ? "L" : "M") + x(i).toFixed(1) + " " + y(p.difference_points).toFixed(1); });
    s.appendChild(svg("path", { d: line.join(" "), class: "dash-line" }));
    s.appendChild(svg("text", { x: left, y: height - 8, class: "dash-axis" }, points[0].day));
    s.appendChild(svg("text", { x: width - right, y: height - 8, class: "dash-axis", "text-anchor": "end" }, points[points.length - 1].day));
  }

  function render(data) {
    var currency = data.experiment.currency;
    document.getElementById("exp-verdict").textContent = data.verdict.text;
    document.getElementById("exp-csv").setAttribute("href", url + "?format=csv");
    var arms = data.arms;
    table(document.getElementById("exp-arms"), "Per arm (intention to treat)", ["", "Chat", "Holdout"], [
      ["Visitors", fmtInt(arms[0].visitors), fmtInt(arms[1].visitors)],
      ["Converting visitors", fmtInt(arms[0].converters), fmtInt(arms[1].converters)],
      ["Conversion rate", fmtRate(arms[0].conversion_rate), fmtRate(arms[1].conversion_rate)],
      ["Orders", fmtInt(arms[0].orders), fmtInt(arms[1].orders)],
      ["Revenue", fmtMoney(arms[0].revenue, currency), fmtMoney(arms[1].revenue, currency)],
      ["Revenue per visitor", fmtMoney(arms[0].revenue_per_visitor, currency), fmtMoney(arms[1].revenue_per_visitor, currency)],
      ["Average order value", fmtMoney(arms[0].aov, currency), fmtMoney(arms[1].aov, currency)]
    ]);
    var c = data.conversion, r = data.revenue_per_visitor;
    intervalChart(document.getElementById("exp-interval"), [
      {
        name: "Conversion (points)", estimate: c.estimate, low: c.ci_low, high: c.ci_high,
        lowText: fmtNum(c.ci_low, 2), highText: fmtNum(c.ci_high, 2),
        text: missing(c.ci_low) ? "no interval" : fmtNum(c.estimate, 2) + " points, 95% CI " + fmtNum(c.ci_low, 2) + " to " + fmtNum(c.ci_high, 2)
      },
      {
        name: "Revenue per visitor", estimate: r.estimate, low: r.ci_low, high: r.ci_high,
        lowText: fmtMoney(r.ci_low, currency), highText: fmtMoney(r.ci_high, currency),
        text: missing(r.ci_low) ? "no interval" : fmtMoney(r.estimate, currency) + ", 95% CI " + fmtMoney(r.ci_low, currency) + " to " + fmtMoney(r.ci_high, currency)
      }
    ]);
    var ss = data.sample_size, ratio = data.sample_ratio;
    table(document.getElementById("exp-checks"), "Tests and checks", ["", "Value"], [
      ["Conversion p-value", fmtNum(c.p_value, 4)],
      ["Revenue per visitor p-value (" + r.method + ")", fmtNum(r.p_value, 4)],
      ["Visitors needed for a " + ss.mde_points + "-point effect (80% power)", fmtInt(ss.needed_visitors)],
      ["Visitors so far", fmtInt(ss.visitors)],
      ["Holdout share: configured / observed", fmtRate(ratio.expected_holdout_share) + " / " + fmtRate(ratio.observed_holdout_share)],
      ["Sample-ratio check (chi-square p)", ratio.mismatch ? "MISMATCH, p = " + fmtNum(ratio.p_value, 6) : fmtNum(ratio.p_value, 4)]
    ]);
    curveChart(document.getElementById("exp-curve"), data.daily);
    table(document.getElementById("exp-daily"), "Cumulative by day of assignment",
      ["Day", "Chat visitors", "Chat converters", "Holdout visitors", "Holdout converters", "Difference (points)", "95% CI"],
      data.daily.map(function (d) {
        return [d.day, fmtInt(d.chat_visitors), fmtInt(d.chat_converters), fmtInt(d.holdout_visitors), fmtInt(d.holdout_converters),
          fmtNum(d.difference_points, 2), missing(d.ci_low_points) ? "–" : fmtNum(d.ci_low_points, 2) + " to " + fmtNum(d.ci_high_points, 2)];
      }));
    statusEl.textContent = data.experiment.name + " (" + data.experiment.status + ")" + (data.as_of ? ", as of " + data.as_of : "");
  }

  statusEl.textContent = "Loading…";
  fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) throw new Error((body.error && body.error.detail) || "The report could not be loaded.");
        return body;
      });
    })
    .then(render)
    .catch(function (err) {
      statusEl.textContent = "";
      errorEl.hidden = false;
      errorEl.textContent = err.message;
    });
})();
