/* Shared by the operators' dashboard (dashboard.js) and the experiments page (experiments.js):
 * DOM helpers, number formats, data tables, and charts drawn by Chart.js (vendored in
 * static/parley/vendor/chart.js/, loaded before this file). No inline script or style (strict
 * CSP): text goes in with textContent; colours and sizes come from dashboard.css's custom
 * properties, read again when the colour scheme changes, so charts follow light and dark.
 * Every chart is a labelled image (role="img", aria-label) with a table beside it. */
(function () {
  "use strict";

  var Chart = window.Chart;
  var charts = {}; // container id -> its Chart, destroyed before the container is drawn again
  var redraws = []; // called again when the colour scheme or the width class changes

  // --- DOM -----------------------------------------------------------------------------------
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function clear(node) {
    if (charts[node.id]) {
      charts[node.id].destroy();
      delete charts[node.id];
    }
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  // --- numbers -------------------------------------------------------------------------------
  function missing(v) { return v === null || v === undefined; }
  function fmtInt(n) { return missing(n) ? "–" : Number(n).toLocaleString(); }
  function fmtPct(n) { return missing(n) ? "–" : Number(n).toFixed(1) + "%"; }
  function fmtNum(n, digits) { return missing(n) ? "–" : Number(n).toFixed(digits); }
  function fmtMoney(amount, currency) {
    if (missing(amount)) return "–";
    try {
      return Number(amount).toLocaleString(undefined, { style: "currency", currency: currency || "USD" });
    } catch (e) {
      return Number(amount).toFixed(2) + " " + (currency || "");
    }
  }

  /* An axis tick for money: whole amounts without cents ($1,200), small ones with ($0.50). */
  function fmtMoneyTick(amount, currency) {
    var whole = Math.abs(amount) >= 100 || Number.isInteger(amount);
    try {
      return Number(amount).toLocaleString(undefined, {
        style: "currency", currency: currency || "USD", maximumFractionDigits: whole ? 0 : 2, minimumFractionDigits: 0
      });
    } catch (e) {
      return String(amount);
    }
  }

  // --- tables --------------------------------------------------------------------------------
  /* A data table: caption, column headers, rows of text (the first cell of a row is its header). */
  function table(container, caption, headers, rows, emptyText) {
    clear(container);
    var t = el("table", "dash-data");
    t.appendChild(el("caption", null, caption));
    var tr = el("tr");
    headers.forEach(function (h) {
      var th = el("th", null, h);
      th.setAttribute("scope", "col");
      tr.appendChild(th);
    });
    t.appendChild(el("thead")).appendChild(tr);
    var tbody = t.appendChild(el("tbody"));
    if (!rows.length) {
      var empty = tbody.appendChild(el("tr"));
      var td = empty.appendChild(el("td", "dash-empty", emptyText || "Nothing in this period."));
      td.setAttribute("colspan", String(headers.length));
    }
    rows.forEach(function (row) {
      var r = tbody.appendChild(el("tr"));
      row.forEach(function (cell, i) {
        var c = el(i === 0 ? "th" : "td", null, cell);
        if (i === 0) c.setAttribute("scope", "row");
        r.appendChild(c);
      });
    });
    container.appendChild(t);
  }

  // --- theme ---------------------------------------------------------------------------------
  var darkQuery = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
  var narrowQuery = window.matchMedia ? window.matchMedia("(max-width: 600px)") : null;

  function isNarrow() { return Boolean(narrowQuery && narrowQuery.matches); }

  /* The colours of dashboard.css for the current scheme: {text, muted, grid, accent, …}. */
  function palette() {
    var style = getComputedStyle(document.documentElement);
    var names = ["text", "muted", "grid", "surface", "accent", "funnel", "ctr", "success", "orders", "parts", "sales", "bad", "band"];
    var colours = {};
    names.forEach(function (name) { colours[name] = style.getPropertyValue("--" + name).trim() || "#666"; });
    return colours;
  }

  function applyDefaults() {
    if (!Chart) return;
    var colours = palette();
    var style = getComputedStyle(document.body);
    Chart.defaults.font.family = style.fontFamily;
    // Canvas text is drawn at this size in CSS pixels at every width (the hand-drawn SVG was
    // scaled down with its viewBox: about 6 px on a phone).
    Chart.defaults.font.size = isNarrow() ? 12 : 13;
    Chart.defaults.color = colours.muted;
    Chart.defaults.borderColor = colours.grid;
    Chart.defaults.animation = false;
    Chart.defaults.maintainAspectRatio = false;
    Chart.defaults.responsive = true;
    Chart.defaults.plugins.legend.labels.color = colours.text;
    Chart.defaults.plugins.tooltip.titleFont = { weight: "600" };
  }

  function onThemeChange() {
    applyDefaults();
    redraws.forEach(function (redraw) { redraw(); });
  }
  [darkQuery, narrowQuery].forEach(function (query) {
    if (!query) return;
    if (query.addEventListener) query.addEventListener("change", onThemeChange);
    else if (query.addListener) query.addListener(onThemeChange);
  });
  applyDefaults();

  /* Registers a function that draws the page's charts from its last data, called again when
   * the colour scheme or the phone/desktop width class changes. */
  function onRedraw(redraw) { redraws.push(redraw); }

  // --- labels --------------------------------------------------------------------------------
  /* A label cut to fit an axis ("Dishwasher Upper Rack Adj…"); the tooltip and the table keep it whole. */
  function shorten(text, max) {
    text = String(text);
    return text.length > max ? text.slice(0, max - 1).trimEnd() + "…" : text;
  }

  function labelWidth() { return isNarrow() ? 16 : 28; }

  /* Words on at most two lines of `max` characters, the rest cut: "Show compatible alternatives"
   * -> ["Show compatible", "alternatives"] on a phone. */
  function wrap(text, max) {
    text = String(text);
    if (text.length <= max) return text;
    var first = "", words = text.split(" ");
    while (words.length && (first + " " + words[0]).trim().length <= max) first = (first + " " + words.shift()).trim();
    if (!first) return shorten(text, max);
    return [first, shorten(words.join(" "), max)];
  }

  /* A category label for an axis: a string (wrapped on two lines if long), or lines
   * (["PS11750057", "Dishwasher rack"]), each cut to fit. */
  function axisLabel(label) {
    return Array.isArray(label) ? label.map(function (line) { return shorten(line, labelWidth()); }) : wrap(label, labelWidth());
  }

  function lineCount(labels) {
    return labels.some(function (label) { return Array.isArray(label) || String(label).length > labelWidth(); }) ? 2 : 1;
  }

  function fullLabel(label) { return Array.isArray(label) ? label.join(" ") : String(label); }

  // Draws each bar's text (dataset.valueTexts[i]) just past its end, in the muted colour.
  var valueLabels = {
    id: "parleyValueLabels",
    afterDatasetsDraw: function (chart) {
      var ctx = chart.ctx;
      var horizontal = chart.options.indexAxis === "y";
      ctx.save();
      ctx.font = Chart.helpers.toFont(Chart.defaults.font).string;
      ctx.fillStyle = palette().text;
      chart.data.datasets.forEach(function (dataset, di) {
        if (!dataset.valueTexts || !chart.isDatasetVisible(di)) return;
        chart.getDatasetMeta(di).data.forEach(function (bar, i) {
          var text = dataset.valueTexts[i];
          if (!text) return;
          if (horizontal) {
            ctx.textAlign = "left";
            ctx.textBaseline = "middle";
            ctx.fillText(text, bar.x + 6, bar.y);
          } else {
            ctx.textAlign = "center";
            ctx.textBaseline = "bottom";
            ctx.fillText(text, bar.x, bar.y - 4);
          }
        });
      });
      ctx.restore();
    }
  };

  // A dashed line at zero on the value axis (experiments: "no difference").
  var zeroLine = {
    id: "parleyZeroLine",
    beforeDatasetsDraw: function (chart, args, options) {
      if (!options || !options.axis) return;
      var scale = chart.scales[options.axis];
      if (!scale || scale.min > 0 || scale.max < 0) return;
      var ctx = chart.ctx, area = chart.chartArea, at = scale.getPixelForValue(0);
      ctx.save();
      ctx.strokeStyle = palette().text;
      ctx.setLineDash([4, 3]);
      ctx.lineWidth = 1;
      ctx.beginPath();
      if (options.axis === "x") {
        ctx.moveTo(at, area.top);
        ctx.lineTo(at, area.bottom);
      } else {
        ctx.moveTo(area.left, at);
        ctx.lineTo(area.right, at);
      }
      ctx.stroke();
      ctx.restore();
    }
  };

  // --- charts --------------------------------------------------------------------------------
  /* A canvas in the container, sized by CSS (its height set through the CSSOM, which the CSP
   * allows), labelled for assistive technology; the table beside it holds the figures. */
  function canvasIn(container, label, height) {
    clear(container);
    container.style.height = height + "px";
    var canvas = el("canvas", "dash-canvas");
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", label);
    canvas.textContent = label; // fallback where canvas is not drawn
    container.appendChild(canvas);
    return canvas;
  }

  function emptyNote(container, text) {
    clear(container);
    container.style.height = "";
    container.appendChild(el("p", "dash-empty-chart", text));
  }

  function make(container, canvas, config) {
    if (!Chart) {
      canvas.textContent = canvas.getAttribute("aria-label") + " (the chart library did not load; the table has the figures).";
      return null;
    }
    var chart = new Chart(canvas, config);
    charts[container.id] = chart;
    return chart;
  }

  function countTicks(extra) {
    // Whole numbers only: no "0, 0.5, 1, 1.5" read as "0, 1, 1, 2" once rounded.
    return Object.assign({ precision: 0, callback: function (v) { return fmtInt(v); } }, extra || {});
  }

  /* Horizontal bars. items = [{label, value, text}]; opts = {label, colour, money (currency) | percent, empty}. */
  function barChart(container, opts, items) {
    if (!items.length) return emptyNote(container, opts.empty || "Nothing in this period.");
    var colours = palette();
    var lines = lineCount(items.map(function (i) { return i.label; }));
    var canvas = canvasIn(container, opts.label, Math.max(90, items.length * (lines === 2 ? 46 : 34) + 48));
    var ticks;
    if (opts.percent) ticks = { callback: function (v) { return v + "%"; } };
    else if (opts.money) ticks = { callback: function (v) { return fmtMoneyTick(v, opts.money); }, maxTicksLimit: 4 };
    else ticks = countTicks({ maxTicksLimit: 6 });
    ticks.maxRotation = 0; // fewer ticks rather than slanted ones
    ticks.autoSkipPadding = 12;
    return make(container, canvas, {
      type: "bar",
      data: {
        labels: items.map(function (i) { return fullLabel(i.label); }),
        datasets: [{
          label: opts.seriesLabel || opts.label,
          data: items.map(function (i) { return i.value; }),
          valueTexts: items.map(function (i) { return i.text; }),
          backgroundColor: colours[opts.colour] || colours.accent,
          borderRadius: 3,
          maxBarThickness: 26
        }]
      },
      options: {
        indexAxis: "y",
        layout: { padding: { right: isNarrow() ? 64 : 96 } }, // room for the value past each bar
        scales: {
          x: Object.assign({ beginAtZero: true, grid: { color: colours.grid }, ticks: ticks }, opts.percent ? { max: 100 } : {},
            opts.axisTitle ? { title: { display: true, text: opts.axisTitle, color: colours.muted } } : {}),
          y: { grid: { display: false }, ticks: { color: colours.text, autoSkip: false, callback: function (v) { return axisLabel(items[v].label); } } }
        },
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              title: function (ctxs) { return fullLabel(items[ctxs[0].dataIndex].label); },
              label: function (ctx) { return " " + items[ctx.dataIndex].text; }
            }
          }
        }
      },
      plugins: [valueLabels]
    });
  }

  /* Grouped horizontal bars of percentages. groups = [{label, bars: [{name, value, text}]}], series = [{name, colour}]. */
  function groupedPercentChart(container, opts, groups, series) {
    if (!groups.length) return emptyNote(container, opts.empty || "Nothing in this period.");
    var colours = palette();
    var canvas = canvasIn(container, opts.label, Math.max(120, groups.length * (series.length * 22 + 18) + 70));
    return make(container, canvas, {
      type: "bar",
      data: {
        labels: groups.map(function (g) { return g.label; }),
        datasets: series.map(function (s, si) {
          return {
            label: s.name,
            data: groups.map(function (g) { return missing(g.bars[si].value) ? null : g.bars[si].value; }),
            valueTexts: groups.map(function (g) { return g.bars[si].text; }),
            backgroundColor: colours[s.colour],
            borderRadius: 3,
            maxBarThickness: 18
          };
        })
      },
      options: {
        indexAxis: "y",
        layout: { padding: { right: isNarrow() ? 56 : 72 } },
        scales: {
          x: { beginAtZero: true, max: 100, grid: { color: colours.grid }, ticks: { maxRotation: 0, callback: function (v) { return v + "%"; } } },
          y: { grid: { display: false }, ticks: { color: colours.text, autoSkip: false, callback: function (v) { return axisLabel(groups[v].label); } } }
        },
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 14 } },
          tooltip: { callbacks: { label: function (ctx) { return " " + ctx.dataset.label + ": " + ctx.dataset.valueTexts[ctx.dataIndex]; } } }
        }
      },
      plugins: [valueLabels]
    });
  }

  /* A line over days. points = [{day, value}]; opts = {label, seriesLabel, money (currency)}. */
  function lineChart(container, opts, points) {
    if (!points.length) return emptyNote(container, opts.empty || "Nothing in this period.");
    var colours = palette();
    var canvas = canvasIn(container, opts.label, isNarrow() ? 230 : 270);
    var format = opts.money ? function (v) { return fmtMoney(v, opts.money); } : fmtInt;
    return make(container, canvas, {
      type: "line",
      data: {
        labels: points.map(function (p) { return p.day; }),
        datasets: [{
          label: opts.seriesLabel || opts.label,
          data: points.map(function (p) { return p.value; }),
          borderColor: colours.accent,
          backgroundColor: colours.accent,
          borderWidth: 2,
          pointRadius: points.length > 45 ? 0 : 2.5,
          pointHoverRadius: 4,
          tension: 0
        }]
      },
      options: {
        interaction: { mode: "index", intersect: false },
        scales: {
          x: {
            grid: { display: false },
            // Dates as MM-DD, as many as fit without overlapping (Chart.js skips the rest).
            ticks: { maxRotation: 0, autoSkip: true, autoSkipPadding: 14, callback: function (v, i) { return String(this.getLabelForValue(v)).slice(5); } }
          },
          y: {
            beginAtZero: true,
            grid: { color: colours.grid },
            ticks: opts.money ? { maxTicksLimit: 6, callback: function (v) { return fmtMoneyTick(v, opts.money); } } : countTicks({ maxTicksLimit: 6 })
          }
        },
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { label: function (ctx) { return " " + ctx.dataset.label + ": " + format(ctx.parsed.y); } } }
        }
      }
    });
  }

  /* An estimate with its interval on a horizontal axis, zero dashed. row = {name, estimate, low, high, format}. */
  function intervalChart(container, opts, row) {
    if (missing(row.low)) return emptyNote(container, row.name + ": no interval yet.");
    var colours = palette();
    var canvas = canvasIn(container, opts.label, 96);
    var lo = Math.min(row.low, 0), hi = Math.max(row.high, 0), pad = (hi - lo) * 0.12 || 1;
    return make(container, canvas, {
      type: "bar",
      data: {
        labels: [row.name],
        datasets: [
          {
            type: "bar",
            label: "95% interval",
            data: [[row.low, row.high]],
            backgroundColor: colours.band,
            borderColor: colours.accent,
            borderWidth: 1,
            borderSkipped: false,
            borderRadius: 4,
            maxBarThickness: 22
          },
          {
            type: "scatter",
            label: "Estimate",
            data: [{ x: row.estimate, y: row.name }],
            backgroundColor: colours.accent,
            borderColor: colours.surface,
            borderWidth: 2,
            pointRadius: 7
          }
        ]
      },
      options: {
        indexAxis: "y",
        scales: {
          // suggested bounds: the axis ends on round ticks that hold the interval and zero
          x: { type: "linear", suggestedMin: lo - pad, suggestedMax: hi + pad, grid: { color: colours.grid }, ticks: { maxRotation: 0, maxTicksLimit: isNarrow() ? 4 : 7, callback: function (v) { return row.format(v); } } },
          y: { grid: { display: false }, ticks: { color: colours.text, callback: function () { return wrap(row.name, isNarrow() ? 12 : 20); } } }
        },
        plugins: {
          legend: { display: false },
          parleyZeroLine: { axis: "x" },
          tooltip: {
            callbacks: {
              label: function (ctx) {
                return ctx.datasetIndex === 0
                  ? " 95% interval: " + row.format(row.low) + " to " + row.format(row.high)
                  : " Estimate: " + row.format(row.estimate);
              }
            }
          }
        }
      },
      plugins: [zeroLine]
    });
  }

  /* A line with its interval as a band around it, zero dashed. points = [{day, value, low, high}]. */
  function bandChart(container, opts, points) {
    if (!points.length) return emptyNote(container, opts.empty);
    var colours = palette();
    var canvas = canvasIn(container, opts.label, isNarrow() ? 230 : 270);
    var days = points.map(function (p) { return p.day; });
    return make(container, canvas, {
      type: "line",
      data: {
        labels: days,
        datasets: [
          { label: "95% interval, high", data: points.map(function (p) { return p.high; }), borderWidth: 0, pointRadius: 0, fill: false },
          { label: "95% interval, low", data: points.map(function (p) { return p.low; }), borderWidth: 0, pointRadius: 0, backgroundColor: colours.band, fill: "-1" },
          { label: opts.seriesLabel, data: points.map(function (p) { return p.value; }), borderColor: colours.accent, backgroundColor: colours.accent, borderWidth: 2, pointRadius: points.length > 45 ? 0 : 2, fill: false }
        ]
      },
      options: {
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { grid: { display: false }, ticks: { maxRotation: 0, autoSkip: true, autoSkipPadding: 14, callback: function (v, i) { return String(this.getLabelForValue(v)).slice(5); } } },
          y: { grid: { color: colours.grid }, ticks: { maxTicksLimit: 6, callback: function (v) { return opts.format(v); } }, title: opts.axisTitle ? { display: true, text: opts.axisTitle } : undefined }
        },
        plugins: {
          legend: { display: false },
          parleyZeroLine: { axis: "y" },
          filler: { propagate: false },
          tooltip: { callbacks: { label: function (ctx) { return " " + ctx.dataset.label + ": " + opts.format(ctx.parsed.y); } } }
        }
      },
      plugins: [zeroLine]
    });
  }

  window.ParleyDash = {
    el: el,
    clear: clear,
    missing: missing,
    fmtInt: fmtInt,
    fmtPct: fmtPct,
    fmtNum: fmtNum,
    fmtMoney: fmtMoney,
    table: table,
    onRedraw: onRedraw,
    barChart: barChart,
    groupedPercentChart: groupedPercentChart,
    lineChart: lineChart,
    intervalChart: intervalChart,
    bandChart: bandChart,
    chartFor: function (container) { return charts[container.id] || null; }
  };
})();
