// Charts: draws the series the page carries (<script id="chart-data" type="application/json">) with uPlot, and
// fetches the same page at another range when the person switches ranges (the API's /api/v1/charts/... serves the same series to token holders). Every chart has a text
// alternative in the page itself; without this file the page still reads.
(function () {
  "use strict";
  var STEP_COLOURS = ["--c-step1", "--c-step2", "--c-step3", "--c-step4", "--c-step5", "--c-step6"];

  function css(name, fallback) {
    var v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return v || fallback;
  }

  function fmtTime(t) {
    return new Date(t * 1000).toLocaleString(undefined, {day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit"});
  }

  // Every series on one x axis (uPlot wants aligned columns): a union of times, null where a series has no point.
  function align(columns) {
    var times = {};
    columns.forEach(function (c) { c.t.forEach(function (t) { times[t] = true; }); });
    var xs = Object.keys(times).map(Number).sort(function (a, b) { return a - b; });
    var index = {};
    xs.forEach(function (x, i) { index[x] = i; });
    var out = [xs];
    columns.forEach(function (c) {
      var ys = new Array(xs.length).fill(null);
      c.t.forEach(function (t, i) { ys[index[t]] = c.v[i]; });
      out.push(ys);
    });
    return out;
  }

  function build(item, mini) {
    var columns = [], series = [{label: "Time", value: function (u, v) { return v == null ? "" : fmtTime(v); }}];
    var level = item.level, unit = item.protocol.unit, ink = css("--ink", "#1b1f24");
    var lineColour = css("--c-level", "#0b5fff");
    if (level.available) {
      columns.push(level.past, level.projection);
      series.push({label: level.label || "Estimated amount (" + unit + ")", scale: "level", stroke: lineColour, width: 2, points: {show: false}, spanGaps: true});
      series.push({label: "Projection, an estimate", scale: "level", stroke: lineColour, width: 2, dash: [6, 5], points: {show: false}, spanGaps: true});
    }
    var steps = {};
    item.doses.forEach(function (d) {
      var key = d.status === "effective" ? "step" + (d.step || 0) : "replaced";
      (steps[key] = steps[key] || {t: [], v: [], step: d.step, status: d.status}).t.push(d.t);
      steps[key].v.push(d.amount == null ? 0 : d.amount);
    });
    Object.keys(steps).sort().forEach(function (key) {
      var s = steps[key], replaced = key === "replaced";
      var colour = replaced ? css("--muted", "#5b6470") : css(STEP_COLOURS[((s.step || 1) - 1) % STEP_COLOURS.length], "#c2410c");
      columns.push({t: s.t, v: s.v});
      series.push({
        label: replaced ? "Voided or corrected (hollow)" : (s.step ? "Dose, step " + s.step : "Dose") + " (" + unit + ")",
        scale: "dose", stroke: colour, width: 0, paths: function () { return null; },
        points: {show: true, size: mini ? 6 : 9, width: 2, stroke: colour, fill: replaced ? css("--card", "#fff") : colour}
      });
    });
    if (!mini && item.labs.length) {
      var labs = {};
      item.labs.forEach(function (l) { (labs[l.name + " (" + l.unit + ")"] = labs[l.name + " (" + l.unit + ")"] || {t: [], v: []}); labs[l.name + " (" + l.unit + ")"].t.push(l.t); labs[l.name + " (" + l.unit + ")"].v.push(Number(l.value)); });
      Object.keys(labs).forEach(function (name) {
        columns.push(labs[name]);
        series.push({label: "Lab: " + name, scale: "lab", stroke: css("--c-lab", "#7c3aed"), width: 0, paths: function () { return null; }, points: {show: true, size: 10, fill: css("--c-lab", "#7c3aed")}});
      });
    }
    if (!mini && item.side_effects.length) {
      columns.push({t: item.side_effects.map(function (e) { return e.t; }), v: item.side_effects.map(function (e) { return e.severity; })});
      series.push({label: "Side-effect severity (0-10)", scale: "sev", stroke: css("--c-sev", "#b3261e"), fill: css("--c-sev-fill", "rgba(179,38,30,0.15)"), width: 1, paths: uPlot.paths.stepped({align: 1}), points: {show: true, size: 5}});
    }
    if (!columns.length) return null;
    var data = align(columns);
    var r = item.range;
    var axes = [{stroke: ink, grid: {stroke: css("--line", "#d8dde3"), width: 1}, ticks: {stroke: css("--line", "#d8dde3")}}];
    if (level.available) axes.push({scale: "level", stroke: ink, size: mini ? 40 : 55, grid: {show: false}, label: mini ? "" : "estimated " + (level.calibrated ? level.unit : unit)});
    axes.push({scale: "dose", side: 1, stroke: ink, size: mini ? 36 : 50, grid: {show: !level.available}, label: mini ? "" : "dose " + unit});
    var scales = {x: {time: true, min: r.start, max: level.available && level.projection.t.length ? level.projection.t[level.projection.t.length - 1] : r.end}};
    scales.dose = {range: function (u, min, max) { return [0, Math.max(max || 1, 0.001) * 1.15]; }};
    scales.level = {range: function (u, min, max) { return [0, Math.max(max || 1, 0.001) * 1.1]; }};
    scales.sev = {range: [0, 10]};
    return {data: data, opts: {series: series, axes: axes, scales: scales, legend: {show: !mini, live: true}, cursor: {points: {size: 8}}}};
  }

  // A metric: its values (and the second number of a pair) on one axis, the doses as marks along the bottom.
  function buildMetric(item) {
    var ink = css("--ink", "#1b1f24"), colour = css("--c-level", "#0b5fff");
    var columns = [{t: item.points.t, v: item.points.v}];
    var series = [{label: "Time", value: function (u, v) { return v == null ? "" : fmtTime(v); }},
      {label: item.name + " (" + item.unit + ")", stroke: colour, width: 2, points: {show: true, size: 5}, spanGaps: true}];
    if (item.points.v2.some(function (v) { return v != null; })) {
      columns.push({t: item.points.t, v: item.points.v2});
      series.push({label: "second value (" + item.unit + ")", stroke: css("--c-step3", "#7c3aed"), width: 2, points: {show: true, size: 5}, spanGaps: true});
    }
    if (item.doses.length) {
      columns.push({t: item.doses, v: item.doses.map(function () { return 0.04; })});
      series.push({label: "Dose", scale: "marks", stroke: css("--c-step1", "#c2410c"), width: 0, paths: function () { return null; },
        points: {show: true, size: 7, fill: css("--c-step1", "#c2410c")}, value: function (u, v) { return v == null ? "" : "taken"; }});
    }
    var axes = [{stroke: ink, grid: {stroke: css("--line", "#d8dde3"), width: 1}}, {stroke: ink, size: 55, label: item.unit}];
    return {data: align(columns), opts: {series: series, axes: axes, scales: {x: {time: true}, marks: {range: [0, 1]}}, legend: {show: true, live: true}}};
  }

  function draw(el, item, mini) {
    var built = el.getAttribute("data-chart") === "metric" ? buildMetric(item) : build(item, mini);
    el.textContent = "";
    if (!built) {
      var p = document.createElement("p");
      p.className = "small muted chart-empty";
      p.textContent = "Nothing to draw in this range yet.";
      el.appendChild(p);
      return null;
    }
    var width = Math.max(260, el.clientWidth || el.parentNode.clientWidth || 600);
    built.opts.width = width;
    built.opts.height = mini ? 120 : Math.min(380, Math.max(240, Math.round(width * 0.45)));
    if (!mini && el.getAttribute("data-chart") !== "metric") {
      built.opts.hooks = {setCursor: [function (u) {
        var out = document.getElementById("chart-readout");
        var i = u.cursor.idx;
        if (!out || i == null) return;
        var parts = [fmtTime(u.data[0][i])];
        for (var s = 1; s < u.series.length; s++) if (u.data[s][i] != null) parts.push(u.series[s].label + ": " + (Math.round(u.data[s][i] * 1000) / 1000));
        out.textContent = parts.join(" · ");
      }]};
    }
    var chart = new uPlot(built.opts, built.data, el);
    el.setAttribute("data-drawn", "1");
    return chart;
  }

  function start() {
    if (typeof uPlot === "undefined") return;
    var payloads = {};
    var charts = [];
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var id = el.getAttribute("data-source") || "chart-data", source = document.getElementById(id);
      if (!source) return;
      payloads[id] = payloads[id] || JSON.parse(source.textContent);
      var item = payloads[id].items[Number(el.getAttribute("data-index") || 0)];
      if (item) charts.push({el: el, mini: el.getAttribute("data-chart") === "mini", plot: draw(el, item, el.getAttribute("data-chart") === "mini"), item: item});
    });
    // Ranges: one request for the same page at the new range; its data and its text alternative are swapped in
    // (the links work without this: they load the page).
    document.querySelectorAll("[data-range]").forEach(function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        fetch(link.href, {credentials: "same-origin"})
          .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
          .then(function (html) {
            var doc = new DOMParser().parseFromString(html, "text/html");
            var items = JSON.parse(doc.getElementById("chart-data").textContent).items;
            charts.forEach(function (c) { if (c.plot) c.plot.destroy(); c.item = items[Number(c.el.getAttribute("data-index") || 0)]; c.plot = c.item ? draw(c.el, c.item, c.mini) : null; });
            document.querySelectorAll("[data-swap]").forEach(function (region) {
              var fresh = doc.getElementById(region.id);
              if (fresh) region.innerHTML = fresh.innerHTML;
            });
            document.querySelectorAll("[data-range]").forEach(function (l) { l.removeAttribute("aria-current"); });
            link.setAttribute("aria-current", "true");
            var status = document.getElementById("chart-status");
            if (status) status.textContent = "Showing " + link.textContent.trim() + ".";
            history.replaceState(null, "", link.href);
          })
          .catch(function () { window.location.href = link.href; });
      });
    });
    var resizeTimer = null;
    window.addEventListener("resize", function () {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(function () {
        charts.forEach(function (c) { if (c.plot) c.plot.setSize({width: Math.max(260, c.el.clientWidth), height: c.plot.height}); });
      }, 150);
    });
  }
  document.addEventListener("DOMContentLoaded", start);
})();
