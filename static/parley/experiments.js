/* Parley experiments page: reads GET /api/admin/experiments/{id} and shows the arms side by
 * side, the difference with its 95% interval, and the cumulative difference by day, drawn with
 * Chart.js through dash-common.js (ParleyDash). No inline script or style (strict CSP): text
 * goes in with textContent; every chart has a table or a sentence beside it. */
(function () {
  "use strict";

  var D = window.ParleyDash;
  var root = document.getElementById("parley-experiments");
  if (!root || !D) return;
  var url = root.getAttribute("data-report-url");
  var statusEl = document.getElementById("exp-status");
  var errorEl = document.getElementById("exp-error");
  var select = document.getElementById("exp-select");
  if (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  }
  if (!url) return;
  var table = D.table, missing = D.missing, fmtInt = D.fmtInt, fmtNum = D.fmtNum, fmtMoney = D.fmtMoney;
  var last = null;

  function fmtRate(r) { return missing(r) ? "–" : (r * 100).toFixed(2) + "%"; }

  function intervalSentence(name, estimate, low, high, format) {
    return missing(low) ? name + ": no interval yet." : name + ": " + format(estimate) + " (95% interval " + format(low) + " to " + format(high) + ").";
  }

  function render(data) {
    last = data;
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
      ["Average order value (AOV)", fmtMoney(arms[0].aov, currency), fmtMoney(arms[1].aov, currency)]
    ]);
    var c = data.conversion, r = data.revenue_per_visitor;
    var points = function (v) { return (v > 0 ? "+" : "") + fmtNum(v, 2) + " pts"; };
    var money = function (v) { return fmtMoney(v, currency); };
    D.intervalChart(document.getElementById("exp-interval-conversion"),
      { label: intervalSentence("Difference in conversion, percentage points", c.estimate, c.ci_low, c.ci_high, points) },
      { name: "Conversion (points)", estimate: c.estimate, low: c.ci_low, high: c.ci_high, format: points });
    D.intervalChart(document.getElementById("exp-interval-revenue"),
      { label: intervalSentence("Difference in revenue per visitor", r.estimate, r.ci_low, r.ci_high, money) },
      { name: "Revenue per visitor", estimate: r.estimate, low: r.ci_low, high: r.ci_high, format: money });
    document.getElementById("exp-interval-text").textContent =
      intervalSentence("Conversion", c.estimate, c.ci_low, c.ci_high, points) + " " +
      intervalSentence("Revenue per visitor", r.estimate, r.ci_low, r.ci_high, money) + " The dashed line is no difference.";
    var ss = data.sample_size, ratio = data.sample_ratio;
    table(document.getElementById("exp-checks"), "Tests and checks", ["", "Value"], [
      ["Conversion p-value", fmtNum(c.p_value, 4)],
      ["Revenue per visitor p-value (" + r.method + ")", fmtNum(r.p_value, 4)],
      ["Visitors needed for a " + ss.mde_points + "-point effect (80% power)", fmtInt(ss.needed_visitors)],
      ["Visitors so far", fmtInt(ss.visitors)],
      ["Holdout share: configured / observed", fmtRate(ratio.expected_holdout_share) + " / " + fmtRate(ratio.observed_holdout_share)],
      ["Sample-ratio check (chi-square p)", ratio.mismatch ? "MISMATCH, p = " + fmtNum(ratio.p_value, 6) : fmtNum(ratio.p_value, 4)]
    ]);
    D.bandChart(document.getElementById("exp-curve"), {
      label: "Cumulative difference in conversion, percentage points, by day of assignment, with its 95% interval",
      seriesLabel: "Difference (points)",
      axisTitle: "Percentage points",
      empty: "No interval yet: both arms need visitors and conversions.",
      format: function (v) { return fmtNum(v, 2); }
    }, data.daily.filter(function (d) { return !missing(d.ci_low_points); }).map(function (d) {
      return { day: d.day, value: d.difference_points, low: d.ci_low_points, high: d.ci_high_points };
    }));
    table(document.getElementById("exp-daily"), "Cumulative by day of assignment",
      ["Day", "Chat visitors", "Chat converters", "Holdout visitors", "Holdout converters", "Difference (points)", "95% CI"],
      data.daily.map(function (d) {
        return [d.day, fmtInt(d.chat_visitors), fmtInt(d.chat_converters), fmtInt(d.holdout_visitors), fmtInt(d.holdout_converters),
          fmtNum(d.difference_points, 2), missing(d.ci_low_points) ? "–" : fmtNum(d.ci_low_points, 2) + " to " + fmtNum(d.ci_high_points, 2)];
      }));
    statusEl.textContent = data.experiment.name + " (" + data.experiment.status + ")" + (data.as_of ? ", as of " + data.as_of : "");
  }

  D.onRedraw(function () { if (last) render(last); });

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
