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

  // "Sun 29 Nov 2026, 16:25" in the person's time zone, as the pages' tables say it.
  function fmtWhen(t, zone) {
    var parts = {};
    try {
      new Intl.DateTimeFormat("en-GB", {timeZone: zone || undefined, weekday: "short", day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23"})
        .formatToParts(new Date(t * 1000)).forEach(function (p) { parts[p.type] = p.value; });
    } catch (e) { return fmtTime(t); }
    return parts.weekday + " " + parts.day + " " + parts.month.slice(0, 3) + " " + parts.year + ", " + parts.hour + ":" + parts.minute;
  }

  // Time-axis labels as the pages write dates ("9 Oct", "Oct 2026", "9 Oct 14:00"), in the person's zone: uPlot's
  // default "10/9" reads as 10 September to most of the world.
  function timeTicks(zone) {
    return function (u, splits) {
      var span = u.scales.x.max - u.scales.x.min;
      var opts = span > 400 * 86400 ? {month: "short", year: "numeric"}
        : span > 3 * 86400 ? {day: "numeric", month: "short"}
        : {day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23"};
      if (zone) opts.timeZone = zone;
      var f;
      try { f = new Intl.DateTimeFormat("en-GB", opts); } catch (e) { delete opts.timeZone; f = new Intl.DateTimeFormat("en-GB", opts); }
      return splits.map(function (s) { return f.format(new Date(s * 1000)); });
    };
  }

  function num(v) { return String(Math.round(v * 100) / 100); }

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

  // Each record a chart draws (a dose, a lab, a side effect, a reading) with where it sits: the one nearest the
  // pointer is told in words under the chart. `s` is its series (a series hidden in the legend is skipped).
  // The stretch of time a timeline spans: its range, to the end of its projection.
  function spanOf(item) {
    var level = item.level, p = level.available ? level.projection.t : [];
    return {min: item.range.start, max: p.length ? Math.max(p[p.length - 1], item.range.end) : item.range.end};
  }

  // The room the shown value axes take on the left (side 3) and on the right (side 1).
  function sides(axes) {
    var room = {left: 0, right: 0};
    axes.forEach(function (a, i) { if (i > 0 && a.show !== false) room[a.side === 1 ? "right" : "left"] += (a.size || 50) + (a.label ? 30 : 0); });  // uPlot's labelSize
    return room;
  }

  function widthOf(el) { return Math.max(260, el.clientWidth || el.parentNode.clientWidth || 600); }

  function build(item, mini, width, shared) {
    var zone = item.time_zone;
    var columns = [], series = [{label: "Time", value: function (u, v) { return v == null ? "" : fmtWhen(v, zone); }}];
    var records = [];
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
      (steps[key] = steps[key] || {t: [], v: [], doses: [], step: d.step, status: d.status}).t.push(d.t);
      steps[key].doses.push(d);
      steps[key].v.push(d.amount == null ? 0 : d.amount);
    });
    Object.keys(steps).sort().forEach(function (key) {
      var s = steps[key], replaced = key === "replaced";
      var colour = replaced ? css("--muted", "#5b6470") : css(STEP_COLOURS[((s.step || 1) - 1) % STEP_COLOURS.length], "#c2410c");
      columns.push({t: s.t, v: s.v});
      s.doses.forEach(function (d) { records.push({t: d.t, y: d.amount == null ? 0 : d.amount, scale: "dose", s: series.length, kind: "dose", rec: d}); });
      series.push({
        label: replaced ? "Voided or corrected (hollow)" : (s.step ? "Dose, step " + s.step : "Dose") + " (" + unit + ")",
        scale: "dose", stroke: colour, width: 0, paths: function () { return null; },
        points: {show: true, size: mini ? 6 : 9, width: 2, stroke: colour, fill: replaced ? css("--card", "#fff") : colour}
      });
    });
    // Labs: with a calibrated curve (drawn in the lab's own unit, scaled to the person's labs) the lab it was
    // calibrated against sits on the curve's scale, to be compared with it; any other lab gets an axis of its own,
    // from zero, named with its unit.
    var labAxes = [], wide = width >= 640;
    if (!mini && item.labs.length) {
      var labs = {}, labColour = css("--c-lab", "#1e293b");
      item.labs.forEach(function (l) {
        var name = l.name + " (" + l.unit + ")";
        var onCurve = level.available && level.calibrated && l.type === level.lab_type;
        (labs[name] = labs[name] || {t: [], v: [], scale: onCurve ? "level" : "lab_" + Object.keys(labs).length, l: l}).t.push(l.t);
        labs[name].v.push(Number(l.value));
      });
      Object.keys(labs).forEach(function (name) {
        var g = labs[name];
        item.labs.forEach(function (l) { if (l.name + " (" + l.unit + ")" === name) records.push({t: l.t, y: Number(l.value), scale: g.scale, s: series.length, kind: "lab", rec: l}); });
        columns.push(g);
        series.push({label: "Lab: " + name, scale: g.scale, stroke: labColour, width: 0, paths: function () { return null; }, points: {show: true, size: 10, stroke: labColour, fill: labColour}});
        if (g.scale !== "level") labAxes.push({scale: g.scale, side: 1, stroke: labColour, size: 55, grid: {show: false}, show: wide, label: g.l.name.toLowerCase() + " " + g.l.unit});
      });
    }
    if (!mini && item.side_effects.length) {
      item.side_effects.forEach(function (e) { records.push({t: e.t, y: e.severity, scale: "sev", s: series.length, kind: "effect", rec: e}); });
      columns.push({t: item.side_effects.map(function (e) { return e.t; }), v: item.side_effects.map(function (e) { return e.severity; })});
      // A band: each severity holds until the next one (align() puts nulls between, which spanGaps steps over).
      series.push({label: "Side-effect severity (0-10)", scale: "sev", stroke: css("--c-sev", "#b3261e"), fill: css("--c-sev-fill", "rgba(179,38,30,0.15)"), width: 1, paths: uPlot.paths.stepped({align: 1}), spanGaps: true, points: {show: true, size: 5}});
    }
    // Weight and blood pressure (systolic and diastolic on one scale), each on its own axis; on a narrow screen
    // the axes would leave no room for the chart, so the legend and the details under it give their values.
    var metricAxes = [];
    if (!mini) (item.metrics || []).forEach(function (m) {
      var key = m.type === "blood_pressure" ? "bp" : "m_" + m.type, colour = css(m.type === "weight" ? "--c-weight" : "--c-bp", "#0f766e");
      var pair = m.points.v2 && m.points.v2.length;
      m.points.t.forEach(function (t, i) {
        records.push({t: t, y: m.points.v[i], scale: key, s: series.length, kind: "reading", rec: {t: t, m: m, v: m.points.v[i], v2: pair ? m.points.v2[i] : null}});
        if (pair && m.points.v2[i] != null) records.push({t: t, y: m.points.v2[i], scale: key, s: series.length + 1, kind: "reading", rec: {t: t, m: m, v: m.points.v[i], v2: m.points.v2[i]}});
      });
      columns.push({t: m.points.t, v: m.points.v});
      series.push({label: pair ? m.name + ", systolic (" + m.unit + ")" : m.name + " (" + m.unit + ")", scale: key, stroke: colour, width: 2, spanGaps: true});
      if (pair) {
        columns.push({t: m.points.t, v: m.points.v2});
        series.push({label: m.name + ", diastolic (" + m.unit + ")", scale: key, stroke: colour, width: 2, dash: [4, 4], spanGaps: true});
      }
      metricAxes.push({scale: key, side: m.type === "weight" ? 3 : 1, stroke: colour, size: 50, grid: {show: false}, show: wide, label: (m.type === "weight" ? m.name.toLowerCase() + " " : "") + m.unit});
    });
    if (!columns.length) return null;
    var data = align(columns);
    var r = item.range;
    var axes = [{stroke: ink, grid: {stroke: css("--line", "#d8dde3"), width: 1}, ticks: {stroke: css("--line", "#d8dde3")}, values: timeTicks(zone), space: 60}];
    // A card's chart on a phone is a sparkline: its two value axes took 76 of about 300 px, and the card says the
    // numbers in words above it.
    var bare = mini && width < 480;
    if (level.available) axes.push({scale: "level", stroke: ink, size: mini ? 40 : 55, show: !bare, grid: {show: false}, label: mini ? "" : "estimated " + (level.calibrated ? level.unit : unit)});
    axes.push({scale: "dose", side: 1, stroke: ink, size: mini ? 36 : 50, show: !bare, grid: {show: !level.available}, label: mini ? "" : "dose " + unit});
    axes = axes.concat(labAxes, metricAxes);
    // Timelines sharing a time axis get the same room for their value axes on each side (an empty axis makes up the
    // difference), so that one moment sits at the same place down the page.
    var room = sides(axes);
    if (shared && shared.left != null) {
      [[3, shared.left - room.left], [1, shared.right - room.right]].forEach(function (pad) {
        if (pad[1] > 0) axes.push({scale: "pad", side: pad[0], size: pad[1], stroke: "transparent", grid: {show: false}, ticks: {show: false}, splits: function () { return []; }});
      });
    }
    var span = spanOf(item), scales = {x: {time: true, min: shared ? shared.min : span.min, max: shared ? shared.max : span.max}};
    scales.dose = {range: function (u, min, max) { return [0, Math.max(max || 1, 0.001) * 1.15]; }};
    scales.level = {range: function (u, min, max) { return [0, Math.max(max || 1, 0.001) * 1.1]; }};
    scales.sev = {range: [0, 10]};
    scales.pad = {range: [0, 1]};
    labAxes.forEach(function (a) { scales[a.scale] = {range: function (u, min, max) { return [0, Math.max(max || 1, 0.001) * 1.15]; }}; });
    // A metric's axis spans its own readings with a margin, not from zero: a weight of 82 kg drawn on 0-160
    // is a flat line, and a change of 2 kg is what the person looks for.
    metricAxes.forEach(function (a) {
      scales[a.scale] = {range: function (u, min, max) {
        if (min == null || max == null) return [0, 1];
        var pad = Math.max((max - min) * 0.15, Math.abs(max) * 0.02, 0.5);
        return [min - pad, max + pad];
      }};
    });
    // The axis says dates in the person's time zone, as the tables and the details do (not the browser's).
    var tzDate = zone ? function (ts) { return uPlot.tzDate(new Date(ts * 1e3), zone); } : undefined;
    // Dragging across a timeline zooms in on that stretch of time; the small charts on the dashboard do not zoom.
    // Timelines on one page share a time axis and a cursor (uPlot's sync key): a pointer on one shows the moment
    // on all of them.
    var cursor = {points: {size: 8}, drag: {x: !mini, y: false, setScale: !mini}};
    if (shared) cursor.sync = {key: shared.key, setSeries: false};
    return {data: data, records: records, opts: {series: series, axes: axes, scales: scales, legend: {show: !mini, live: true}, tzDate: tzDate, cursor: cursor}};
  }

  // The record nearest the pointer (in pixels), among those drawn in the visible range of a shown series.
  function nearest(u, records, left, top) {
    var best = null, bestD = Infinity, xMin = u.scales.x.min, xMax = u.scales.x.max;
    for (var i = 0; i < records.length; i++) {
      var r = records[i];
      if (r.t < xMin || r.t > xMax || (u.series[r.s] && u.series[r.s].show === false) || r.y == null) continue;
      var dx = u.valToPos(r.t, "x") - left, dy = u.valToPos(r.y, r.scale) - top, d = dx * dx + dy * dy;
      if (d < bestD) { bestD = d; best = r; }
    }
    return best;
  }

  function line(panel, parts) {
    var p = document.createElement("p");
    parts.forEach(function (part) { if (typeof part === "string") p.appendChild(document.createTextNode(part)); else p.appendChild(part); });
    panel.appendChild(p);
    return p;
  }

  function strong(text) { var b = document.createElement("strong"); b.textContent = text; return b; }

  // The record in plain words, in the panel under the chart (aria-live: a screen reader hears it once per record).
  function tell(panel, r, item, history) {
    var zone = item.time_zone, unit = item.protocol.unit, rec = r.rec;
    panel.textContent = "";
    var when = document.createElement("time");
    when.dateTime = new Date(r.t * 1000).toISOString();
    when.textContent = fmtWhen(r.t, zone);
    if (r.kind === "dose") {
      var drawn = rec.unit !== unit && rec.amount != null ? " (" + num(rec.amount) + " " + unit + ")" : "";
      line(panel, [strong("Dose of " + rec.entered + " " + rec.unit + drawn), ", ", when]);
      var facts = [rec.status === "voided" ? "Voided: entered in error, so it is left out of the estimate."
        : rec.status === "corrected" ? "Replaced by a correction: the corrected dose is drawn at its corrected value."
        : rec.correction ? "A correction of an earlier record, drawn at its corrected value." : "In effect."];
      if (rec.step) facts.push("Titration step " + rec.step + ".");
      if (rec.sites && rec.sites.length) facts.push((rec.sites.length > 1 ? "Sites: " : "Site: ") + rec.sites.join(", ") + ".");
      line(panel, [facts.join(" ")]);
      if (history && rec.seq) {
        var a = document.createElement("a");
        a.href = history + "?before=" + (rec.seq + 1) + "#entry-" + rec.seq;
        a.textContent = "See this dose in your history";
        line(panel, [a]);
      }
    } else if (r.kind === "lab") {
      line(panel, [strong("Lab: " + rec.name + ", " + rec.value + " " + rec.unit), ", ", when]);
    } else if (r.kind === "effect") {
      line(panel, [strong("Side effect: " + rec.symptom + ", severity " + rec.severity + " of 10"), ", ", when]);
      if (rec.site) line(panel, ["Site: " + rec.site + "."]);
    } else {
      var value = rec.v2 != null ? num(rec.v) + "/" + num(rec.v2) : num(rec.v);
      line(panel, [strong(rec.m.name + ": " + value + " " + rec.m.unit), ", ", when]);
    }
  }

  // A metric: its values (and the second number of a pair) on one axis, the doses as marks along the bottom.
  // Times in the person's zone (item.time_zone), as the list of readings under it says them.
  function buildMetric(item) {
    var ink = css("--ink", "#1b1f24"), colour = css("--c-level", "#0b5fff"), zone = item.time_zone;
    var pair = item.points.v2.some(function (v) { return v != null; }), bp = item.type === "blood_pressure";
    var columns = [{t: item.points.t, v: item.points.v}];
    var series = [{label: "Time", value: function (u, v) { return v == null ? "" : fmtWhen(v, zone); }},
      {label: item.name + (pair ? (bp ? ", systolic" : ", first value") : "") + " (" + item.unit + ")", stroke: colour, width: 2, points: {show: true, size: 5}, spanGaps: true}];
    if (pair) {
      columns.push({t: item.points.t, v: item.points.v2});
      series.push({label: item.name + (bp ? ", diastolic" : ", second value") + " (" + item.unit + ")", stroke: css("--c-step3", "#7c3aed"), width: 2, dash: [4, 4], points: {show: true, size: 5}, spanGaps: true});
    }
    if (item.doses.length) {
      columns.push({t: item.doses, v: item.doses.map(function () { return 0.04; })});
      series.push({label: "Dose", scale: "marks", stroke: css("--c-step1", "#c2410c"), width: 0, paths: function () { return null; },
        points: {show: true, size: 7, fill: css("--c-step1", "#c2410c")}, value: function (u, v) { return v == null ? "" : "taken"; }});
    }
    var axes = [{stroke: ink, grid: {stroke: css("--line", "#d8dde3"), width: 1}, values: timeTicks(zone), space: 60}, {stroke: ink, size: 55, label: item.unit}];
    var tzDate = zone ? function (ts) { return uPlot.tzDate(new Date(ts * 1e3), zone); } : undefined;
    return {data: align(columns), opts: {series: series, axes: axes, scales: {x: {time: true}, marks: {range: [0, 1]}}, legend: {show: true, live: true}, tzDate: tzDate}};
  }

  // The "Reset zoom" button and the details panel of a chart: made once per chart element, kept across redraws.
  function toolsOf(el) {
    if (el._tools) return el._tools;
    var figure = el.parentNode, panel = figure.querySelector(".chart-details");
    var bar = document.createElement("div"), reset = document.createElement("button");
    bar.className = "chart-tools";
    reset.type = "button";
    reset.className = "button small secondary";
    reset.textContent = "Reset zoom";
    reset.hidden = true;
    bar.appendChild(reset);
    el.insertAdjacentElement("afterend", bar);
    el._tools = {reset: reset, panel: panel, shown: null};
    return el._tools;
  }

  function say(text) {
    var status = document.getElementById("chart-status");
    if (status) status.textContent = text;
  }

  function draw(el, item, mini, shared) {
    var width = widthOf(el);
    var metric = el.getAttribute("data-chart") === "metric";
    var built = metric ? buildMetric(item) : build(item, mini, width, shared);
    el.textContent = "";
    var tools = metric ? null : toolsOf(el);
    if (tools && tools.panel) {
      tools.shown = null;
      tools.panel.textContent = "";
      if (!mini && built) line(tools.panel, [document.createTextNode("Point at a marker or tap it to see its record here. Drag across the chart to zoom in on a stretch of time.")]).className = "muted small";
    }
    if (tools) tools.reset.hidden = true;
    if (!built) {
      var p = document.createElement("p");
      p.className = "small muted chart-empty";
      p.textContent = "Nothing to draw in this range yet.";
      el.appendChild(p);
      return null;
    }
    built.opts.width = width;
    built.opts.height = mini ? 120 : Math.min(380, Math.max(240, Math.round(width * 0.45)));
    var hooks = built.opts.hooks = {setCursor: [], setScale: [], ready: []};
    var whole = null;
    function show(u, left, top) {
      if (!tools || !tools.panel || left == null || left < 0 || top < 0) return;
      var found = nearest(u, built.records, left, top);
      if (!found || found === tools.shown) return;
      tools.shown = found;
      tell(tools.panel, found, item, el.getAttribute("data-history"));
    }
    function resetZoom(u) {
      if (whole) u.setScale("x", {min: whole.min, max: whole.max});
    }
    // On a page of timelines a zoom, or its reset, moves them all (they share one time axis).
    if (shared && !mini) hooks.setScale.push(function (u, key) {
      if (key !== "x") return;
      shared.plots.forEach(function (other) {
        if (other !== u && (other.scales.x.min !== u.scales.x.min || other.scales.x.max !== u.scales.x.max)) other.setScale("x", {min: u.scales.x.min, max: u.scales.x.max});
      });
    });
    if (!metric) {
      hooks.setCursor.push(function (u) { show(u, u.cursor.left, u.cursor.top); });
      hooks.ready.push(function (u) {
        whole = {min: u.scales.x.min, max: u.scales.x.max};
        // A tap shows the record under the finger (a touch screen sends no hover), and a second tap soon after
        // resets the zoom, as a double-click does.
        var lastTap = 0;
        u.over.addEventListener("pointerdown", function (event) {
          var box = u.over.getBoundingClientRect();
          show(u, event.clientX - box.left, event.clientY - box.top);
          if (event.pointerType !== "mouse") {
            if (event.timeStamp - lastTap < 350) resetZoom(u);
            lastTap = event.timeStamp;
          }
        });
      });
    }
    if (!metric) built.opts.cursor.bind = {dblclick: function (u) { return function () { resetZoom(u); return null; }; }};
    if (!mini && !metric) {
      hooks.setScale.push(function (u, key) {
        if (key !== "x" || !whole) return;
        var zoomed = Math.abs(u.scales.x.min - whole.min) > 1 || Math.abs(u.scales.x.max - whole.max) > 1;
        if (zoomed === !tools.reset.hidden) return;
        tools.reset.hidden = !zoomed;
        var zone = item.time_zone;
        say(zoomed ? "Zoomed in on " + fmtWhen(u.scales.x.min, zone) + " to " + fmtWhen(u.scales.x.max, zone) + "." : "Showing the whole range again.");
      });
      hooks.setCursor.push(function (u) {
        var out = document.getElementById("chart-readout");
        var i = u.cursor.idx;
        if (!out || i == null) return;
        var parts = [fmtWhen(u.data[0][i], item.time_zone)];
        for (var s = 1; s < u.series.length; s++) if (u.data[s][i] != null) parts.push(u.series[s].label + ": " + (Math.round(u.data[s][i] * 1000) / 1000));
        out.textContent = parts.join(" · ");
      });
    }
    // The legend goes under the details, so that what a tap shows sits right under the drawing, on a phone too.
    if (el._legend) { el._legend.remove(); el._legend = null; }
    if (tools && tools.panel && built.opts.legend.show) {
      built.opts.legend.mount = function (u, table) {
        table.setAttribute("aria-hidden", "true");  // the summary and the tables below say the same in words
        tools.panel.insertAdjacentElement("afterend", table);
        el._legend = table;
      };
    }
    var chart = new uPlot(built.opts, built.data, el);
    if (tools) tools.reset.onclick = function () { resetZoom(chart); };
    el._plot = chart;
    if (shared) shared.plots.push(chart);
    el.setAttribute("data-drawn", "1");
    return chart;
  }

  // Two or more timelines on a page (/timeline/) share one time axis: from the earliest start to the latest end,
  // projections included; null for a page with one.
  function shareAxis(charts) {
    var wide = charts.filter(function (c) { return !c.mini && c.item && c.el.getAttribute("data-chart") === "timeline"; });
    if (wide.length < 2) return null;
    var shared = {key: "timelines", min: Infinity, max: -Infinity, plots: []};
    wide.forEach(function (c) { var s = spanOf(c.item); shared.min = Math.min(shared.min, s.min); shared.max = Math.max(shared.max, s.max); });
    var left = 0, right = 0;
    wide.forEach(function (c) {
      var built = build(c.item, false, widthOf(c.el), shared);
      if (!built) return;
      var room = sides(built.opts.axes);
      left = Math.max(left, room.left);
      right = Math.max(right, room.right);
    });
    shared.left = left;
    shared.right = right;
    return shared;
  }

  function drawAll(charts) {
    var shared = shareAxis(charts);
    charts.forEach(function (c) { if (c.plot) c.plot.destroy(); c.plot = c.item ? draw(c.el, c.item, c.mini, c.mini ? null : shared) : null; });
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
      if (item) charts.push({el: el, mini: el.getAttribute("data-chart") === "mini", plot: null, item: item});
    });
    drawAll(charts);
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
            charts.forEach(function (c) { c.item = items[Number(c.el.getAttribute("data-index") || 0)]; });
            drawAll(charts);
            document.querySelectorAll("[data-swap]").forEach(function (region) {
              var fresh = doc.getElementById(region.id);
              if (fresh) region.innerHTML = fresh.innerHTML;
            });
            // Forms that keep the range (the calibration buttons) follow it.
            document.querySelectorAll("form input[type=hidden][name=range]").forEach(function (input) { input.value = link.getAttribute("data-range"); });
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
