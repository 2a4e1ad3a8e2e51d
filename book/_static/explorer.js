/* What-if explorer (analysis/explorer.py writes the data; this file only reads and shows it).
   Each div.explorer holds a <script type="application/json"> with a grid of the headline metrics
   over a few parameters, computed by the engine at build time. Moving a slider interpolates the
   grid (multilinear, as analysis.explorer.interpolate does) and redraws the outputs, the verdict
   and a chart of the decision metric along that slider. Plain JavaScript, no request: it works
   offline and from file://. Text from the data is set with textContent, never as HTML. */
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function svg(tag, attrs) {
    var e = document.createElementNS(SVG, tag);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    return e;
  }

  // The book's number forms (analysis/core/numbers.py): a no-break space before "%", no signed
  // zero (a value that rounds to zero is "0.00", never "-0.00").
  var PERCENT = "\u00a0%";

  function grouped(x, d) {
    var r = Number(x.toFixed(d)) + 0;  // -0 + 0 is 0
    return r.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d });
  }

  // Metric.format: "12.3 %", "2,244,518", "n/a".
  function format(m, v) {
    if (v === null || !isFinite(v)) return "n/a";
    if (m.fmt === "percent") return grouped(100 * v, m.decimals) + PERCENT;
    return grouped(v, m.decimals);
  }

  function paramText(p, v) {
    if (p.whole) return String(Math.round(v));
    if (p.percent) return grouped(100 * v, 2) + PERCENT;
    return String(Number(v.toPrecision(4)));
  }

  // Multilinear interpolation; NaN (null) when a corner it needs has no value.
  function interpolate(axes, values, point) {
    var lows = [], weights = [], strides = [], stride = 1, i;
    for (i = axes.length - 1; i >= 0; i--) { strides[i] = stride; stride *= axes[i].length; }
    for (i = 0; i < axes.length; i++) {
      var ax = axes[i], x = point[i];
      if (ax.length === 1) { lows.push(0); weights.push(0); continue; }
      var j = 0;
      while (j < ax.length - 2 && x >= ax[j + 1]) j++;
      lows.push(j);
      weights.push(Math.min(1, Math.max(0, (x - ax[j]) / (ax[j + 1] - ax[j]))));
    }
    var total = 0;
    for (var c = 0; c < (1 << axes.length); c++) {
      var w = 1, index = 0;
      for (i = 0; i < axes.length; i++) {
        var up = (c >> (axes.length - 1 - i)) & 1;
        w *= up ? weights[i] : 1 - weights[i];
        index += Math.min(lows[i] + up, axes[i].length - 1) * strides[i];
      }
      if (w === 0) continue;
      var v = values[index];
      if (v === null) return NaN;
      total += w * v;
    }
    return total;
  }

  function passes(crit, v) {
    return crit.direction === ">=" ? v >= crit.threshold : v <= crit.threshold;
  }

  function setup(root) {
    var data = JSON.parse(root.querySelector("script[type='application/json']").textContent);
    var params = data.parameters, metrics = data.metrics, crit = data.criterion;
    var axes = params.map(function (p) { return p.axis; });
    var point = params.map(function (p) { return p.value; });
    var decisive = metrics.filter(function (m) { return m.name === crit.metric; })[0] || metrics[0];
    var moved = 0;
    var id = "explorer-" + data.evaluation;

    var controls = el("div", { "class": "explorer-controls" });
    var inputs = params.map(function (p, i) {
      var row = el("div", { "class": "explorer-slider" });
      var label = el("label", { "for": id + "-" + p.key }, p.label + " (" + p.unit + ")");
      var input = el("input", {
        type: "range", id: id + "-" + p.key, min: p.low, max: p.high, step: p.step, value: p.value,
        "data-parameter": p.key
      });
      var shown = el("output", { "for": id + "-" + p.key, "class": "explorer-value" });
      var note = el("div", { "class": "explorer-range" },
        "range " + paramText(p, p.low) + " to " + paramText(p, p.high) + "; scenario " + paramText(p, p.value));
      input.addEventListener("input", function () { point[i] = Number(input.value); moved = i; update(); });
      row.appendChild(label); row.appendChild(input); row.appendChild(shown); row.appendChild(note);
      controls.appendChild(row);
      return { input: input, shown: shown, p: p };
    });
    var reset = el("button", { type: "button", "class": "explorer-reset" }, "Back to the scenario's values");
    reset.addEventListener("click", function () {
      inputs.forEach(function (x, i) { x.input.value = x.p.value; point[i] = x.p.value; });
      update();
    });
    controls.appendChild(reset);

    var table = el("table", { "class": "explorer-outputs analysis-table" });
    table.appendChild(el("caption", {}, data.caption || "What the engine's grid gives at the sliders' values"));
    var head = el("tr");
    ["metric", "at these values", "scenario", "published", "interpolation error (largest)"].forEach(function (t) {
      head.appendChild(el("th", { scope: "col" }, t));
    });
    var thead = el("thead"); thead.appendChild(head); table.appendChild(thead);
    var tbody = el("tbody");
    var cells = metrics.map(function (m) {
      var tr = el("tr");
      tr.appendChild(el("th", { scope: "row" }, m.label));
      var now = el("td", { "class": "num", "data-metric": m.name });
      tr.appendChild(now);
      tr.appendChild(el("td", { "class": "num" }, format(m, m.scenario)));
      tr.appendChild(el("td", { "class": "num" }, m.published === null ? "not published" : format(m, m.published)));
      tr.appendChild(el("td", { "class": "num" }, "± " + format(Object.assign({}, m, { decimals: m.decimals + 2 }), m.error)));
      tbody.appendChild(tr);
      return now;
    });
    table.appendChild(tbody);
    // tabindex: a keyboard reaches a box that scrolls (as analysis.publish.markup.show's)
    var scroll = el("div", { "class": "table-scroll", tabindex: "0" }); scroll.appendChild(table);

    var verdict = el("p", { "class": "explorer-verdict", role: "status", "aria-live": "polite" });
    var chart = svg("svg", { "class": "explorer-chart", viewBox: "-40 0 400 162", role: "img" });
    var chartTitle = el("p", { "class": "explorer-chart-title" });

    var ui = el("div", { "class": "explorer-ui" });
    ui.appendChild(controls); ui.appendChild(verdict); ui.appendChild(scroll);
    ui.appendChild(chartTitle); ui.appendChild(chart);
    root.appendChild(ui);

    function draw() {
      while (chart.firstChild) chart.removeChild(chart.firstChild);
      var p = params[moved], n = 60, xs = [], ys = [];
      for (var k = 0; k <= n; k++) {
        var x = p.low + (p.high - p.low) * k / n, pt = point.slice();
        pt[moved] = x;
        xs.push(x); ys.push(interpolate(axes, decisive.values, pt));
      }
      var marks = [crit.threshold, decisive.scenario, decisive.published].filter(function (v) { return v !== null && isFinite(v); });
      var finite = ys.filter(isFinite).concat(marks);
      var lo = Math.min.apply(null, finite), hi = Math.max.apply(null, finite);
      if (hi === lo) { hi += 1; lo -= 1; }
      var X = function (x) { return 40 + 310 * (x - p.low) / (p.high - p.low); };
      var Y = function (y) { return 145 - 130 * (y - lo) / (hi - lo); };
      var path = "";
      ys.forEach(function (y, k) { if (isFinite(y)) path += (path ? "L" : "M") + X(xs[k]).toFixed(1) + "," + Y(y).toFixed(1); });
      function label(x, y, text, anchor) {
        var t = svg("text", { x: x, y: y, "text-anchor": anchor || "start" }); t.textContent = text; chart.appendChild(t);
      }
      function hline(v, cls, text, right) {
        if (v === null || !isFinite(v)) return;
        chart.appendChild(svg("line", { x1: 40, x2: 350, y1: Y(v), y2: Y(v), "class": cls }));
        label(right ? 348 : 44, Y(v) - 3, text, right ? "end" : "start");
      }
      hline(crit.threshold, "explorer-threshold", "threshold");
      hline(decisive.scenario, "explorer-scenario", "scenario");
      hline(decisive.published, "explorer-published", "published", true);
      chart.appendChild(svg("line", { x1: 40, x2: 350, y1: 147, y2: 147, "class": "explorer-axis" }));
      label(40, 158, paramText(p, p.low)); label(350, 158, paramText(p, p.high), "end");
      label(36, 18, format(decisive, hi), "end"); label(36, 148, format(decisive, lo), "end");
      chart.appendChild(svg("path", { d: path, "class": "explorer-line" }));
      var now = interpolate(axes, decisive.values, point);
      if (isFinite(now)) chart.appendChild(svg("circle", { cx: X(point[moved]), cy: Y(now), r: 4, "class": "explorer-now" }));
      var desc = decisive.label + " along " + p.label + ", the other parameters where the sliders are";
      chartTitle.textContent = desc;
      chart.setAttribute("aria-label", desc);
    }

    function update() {
      inputs.forEach(function (x, i) {
        x.shown.textContent = paramText(x.p, point[i]);
        x.input.setAttribute("aria-valuetext", paramText(x.p, point[i]) + " " + x.p.unit);
      });
      metrics.forEach(function (m, k) {
        var v = interpolate(axes, m.values, point);
        cells[k].textContent = format(m, v);
        cells[k].setAttribute("data-value", isFinite(v) ? String(v) : "");
      });
      var v = interpolate(axes, decisive.values, point), text;
      if (!isFinite(v)) text = "No value of " + decisive.label + " here: the criterion cannot be applied.";
      else if (Math.abs(v - crit.threshold) <= decisive.error)
        text = "Too close to call: " + decisive.label + " is " + format(decisive, v) +
          ", within the interpolation error of the threshold; run the command line at these values.";
      else {
        var words = passes(crit, v) ? crit.holds : crit.fails;  // analysis.core.verdict.AT_A_POINT
        text = words.charAt(0).toUpperCase() + words.slice(1) + ": " + crit.label + " (" + decisive.label + " " + format(decisive, v) + ").";
      }
      verdict.textContent = text;
      verdict.setAttribute("data-passes", isFinite(v) ? String(passes(crit, v)) : "");
      draw();
    }
    update();
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("div.explorer"), function (root) {
      try { setup(root); } catch (e) {
        root.appendChild(el("p", { "class": "explorer-error" }, "The explorer could not start: " + e.message));
      }
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
