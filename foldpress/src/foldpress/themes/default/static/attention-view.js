/* Attention view: draws the weights that `scratchgpt attention --json/--html` writes.
 *
 * Each element with class "attention-view" holds its data inline (a <script
 * type="application/json"> child) or names it (data-src="file.json", fetched from the same
 * site). Its "av-fallback" child (a PNG heatmap, a note) is for readers without JavaScript
 * and is hidden once the view is drawn; if the data cannot be read, it stays, with a note
 * (data-missing, else the reason). data-view names the panel shown first. Four panels: heads (lines from a token to
 * the tokens it attends to), model (every layer and head as a heatmap), mask (the causal
 * mask alone) and dropout (the same head with training's dropout). No framework, no network.
 *
 * The same file ships with scratchgpt (inlined in standalone pages) and with foldpress's
 * default theme (served once per site for the `attention` shortcode).
 */
(function () {
  "use strict";
  if (window.attentionView) return; // the script may be included once per embed
  var SVG = "http://www.w3.org/2000/svg";
  // Viridis at five stops: readable on light and dark backgrounds alike.
  var RAMP = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
  var uid = 0;
  // Where the script was served from: a root-relative data-src is read under the same root
  // (the site may live under a sub-path, or be opened from disk).
  var script = document.currentScript || document.querySelector('script[src*="attention-view"]');
  var siteRoot = script && script.src ? script.src.replace(/theme\/attention-view\.js([?#].*)?$/, "") : "";

  function el(tag, attrs, text) {
    var node = tag.indexOf("svg:") === 0
      ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
    for (var key in attrs || {}) node.setAttribute(key, attrs[key]);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function colour(w) {
    var x = Math.max(0, Math.min(1, w)) * (RAMP.length - 1);
    var i = Math.min(RAMP.length - 2, Math.floor(x)), f = x - i;
    var c = RAMP[i].map(function (v, k) { return Math.round(v + f * (RAMP[i + 1][k] - v)); });
    return "rgb(" + c.join(",") + ")";
  }

  function headColour(h, n) {
    var dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
    return "hsl(" + Math.round((h * 360) / n + 210) % 360 + ", 80%, " + (dark ? 65 : 42) + "%)";
  }

  // Small seeded generator (mulberry32), so that a dropout sample can be shown again.
  function random(seed) {
    return function () {
      seed = (seed + 0x6d2b79f5) | 0;
      var t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  function label(token) {
    return JSON.stringify(token).slice(1, -1).replace(/ /g, "\u2423"); // show spaces
  }

  // The data: weights[layer][head] holds the lower triangle row by row, times `scale`.
  function model(data) {
    var T = data.tokens.length;
    return {
      data: data, T: T, H: data.n_head, layers: data.layers,
      weight: function (l, h, i, j) {
        return j > i ? 0 : data.weights[l][h][(i * (i + 1)) / 2 + j] / data.scale;
      }
    };
  }

  // A heatmap as SVG: queries down, keys across; the masked future hatched and empty.
  function heatmap(m, cell, title) {
    var T = m.T, size = T * 10, id = "av-hatch-" + (++uid);
    var svg = el("svg:svg", {
      viewBox: "0 0 " + size + " " + size, class: "av-heatmap", role: "img",
      "aria-label": title
    });
    var pattern = el("svg:pattern", {
      id: id, width: 4, height: 4, patternUnits: "userSpaceOnUse",
      patternTransform: "rotate(45)"
    });
    pattern.appendChild(el("svg:line", { x1: 0, y1: 0, x2: 0, y2: 4, class: "av-hatch" }));
    var defs = el("svg:defs");
    defs.appendChild(pattern);
    svg.appendChild(defs);
    for (var i = 0; i < T; i++) {
      for (var j = 0; j < T; j++) {
        var value = cell(i, j), rect;
        if (j > i) {
          rect = el("svg:rect", { class: "av-masked", fill: "url(#" + id + ")" });
        } else if (value === null) {
          rect = el("svg:rect", { class: "av-dropped" });
        } else {
          rect = el("svg:rect", { fill: colour(value), "data-weight": value.toFixed(4) });
        }
        rect.setAttribute("x", j * 10);
        rect.setAttribute("y", i * 10);
        rect.setAttribute("width", 10);
        rect.setAttribute("height", 10);
        rect.setAttribute("data-query", i);
        rect.setAttribute("data-key", j);
        var tip = label(m.data.tokens[i]) + " \u2192 " + label(m.data.tokens[j]) + ": " +
          (j > i ? "masked (future)" : value === null ? "dropped" : value.toFixed(3));
        rect.appendChild(el("svg:title", {}, tip));
        svg.appendChild(rect);
      }
    }
    return svg;
  }

  function axisLabels(m) {
    var list = el("ol", { class: "av-axis", "aria-hidden": "true", style: "--av-n:" + m.T });
    m.data.tokens.forEach(function (t) { list.appendChild(el("li", {}, label(t))); });
    return list;
  }

  function select(name, options, value) {
    var wrap = el("label", { class: "av-field" }, name + " ");
    var box = el("select");
    options.forEach(function (o) {
      var opt = el("option", { value: o[0] }, o[1]);
      if (String(o[0]) === String(value)) opt.selected = true;
      box.appendChild(opt);
    });
    wrap.appendChild(box);
    return { wrap: wrap, box: box };
  }

  function mount(root, data) {
    if (!data || data.format !== "scratchgpt-attention" || data.version !== 1) {
      throw new Error("not the data of scratchgpt attention --json (format 1)");
    }
    var m = model(data);
    var state = { layer: 0, heads: [0], query: m.T - 1, seed: 1, p: data.dropout || 0.1 };
    var app = el("div", { class: "av-app" });
    var tabs = el("div", { class: "av-tabs", role: "tablist", "aria-label": "Views" });
    var controls = el("div", { class: "av-controls" });
    var panels = {};
    var names = [["heads", "Heads"], ["model", "Model"], ["mask", "Causal mask"],
      ["dropout", "Dropout"]];
    app.appendChild(tabs);
    app.appendChild(controls);
    names.forEach(function (n, k) {
      var tab = el("button", {
        type: "button", role: "tab", class: "av-tab", "data-view": n[0],
        "aria-selected": k === 0 ? "true" : "false", tabindex: k === 0 ? "0" : "-1"
      }, n[1]);
      tab.addEventListener("click", function () { show(n[0]); });
      tab.addEventListener("keydown", function (e) {
        var step = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
        if (!step) return;
        var next = names[(k + step + names.length) % names.length][0];
        show(next);
        tabs.querySelector('[data-view="' + next + '"]').focus();
      });
      tabs.appendChild(tab);
      panels[n[0]] = el("div", { class: "av-panel", role: "tabpanel", "data-view": n[0] });
      panels[n[0]].hidden = k !== 0;
      app.appendChild(panels[n[0]]);
    });

    var layer = select("Layer", m.layers.map(function (l, k) { return [k, l]; }), 0);
    layer.box.addEventListener("change", function () { state.layer = +layer.box.value; draw(); });
    controls.appendChild(layer.wrap);
    var heads = el("fieldset", { class: "av-heads" });
    heads.appendChild(el("legend", {}, "Heads"));
    for (var h = 0; h < m.H; h++) {
      var box = el("input", { type: "checkbox", value: h, "data-head": h });
      box.checked = h === 0;
      box.addEventListener("change", function () {
        state.heads = Array.prototype.filter.call(
          heads.querySelectorAll("input"), function (b) { return b.checked; }
        ).map(function (b) { return +b.value; });
        draw();
      });
      var item = el("label", { class: "av-head", style: "--av-head:" + headColour(h, m.H) });
      item.appendChild(box);
      item.appendChild(document.createTextNode(" " + h));
      heads.appendChild(item);
    }
    controls.appendChild(heads);

    function show(view) {
      names.forEach(function (n) {
        var on = n[0] === view;
        panels[n[0]].hidden = !on;
        var tab = tabs.querySelector('[data-view="' + n[0] + '"]');
        tab.setAttribute("aria-selected", on ? "true" : "false");
        tab.setAttribute("tabindex", on ? "0" : "-1");
      });
      app.setAttribute("data-view", view);
    }

    // Heads: queries on the left, keys on the right, a line per (head, key) weighted.
    var headPanel = panels.heads;
    headPanel.appendChild(el("p", { class: "av-hint" },
      "Hover or focus a token on the left (arrow keys move): the lines go to the tokens " +
      "it attends to, as opaque as the weight. Greyed tokens are its future, masked."));
    var columns = el("div", { class: "av-columns", style: "--av-rows:" + m.T });
    var left = el("div", { class: "av-col av-queries", role: "list" });
    var lines = el("svg:svg", {
      class: "av-lines", viewBox: "0 0 100 " + m.T, preserveAspectRatio: "none",
      "aria-hidden": "true"
    });
    var right = el("div", { class: "av-col av-keys", role: "list" });
    data.tokens.forEach(function (t, i) {
      var q = el("button", {
        type: "button", class: "av-token av-query", "data-index": i, role: "listitem",
        "aria-label": "token " + i + ": " + label(t)
      }, label(t));
      q.addEventListener("mouseenter", function () { state.query = i; drawLines(); });
      q.addEventListener("focus", function () { state.query = i; drawLines(); });
      q.addEventListener("keydown", function (e) {
        var to = e.key === "ArrowDown" ? i + 1 : e.key === "ArrowUp" ? i - 1 : -1;
        if (to < 0 || to >= m.T) return;
        e.preventDefault();
        left.children[to].focus();
      });
      left.appendChild(q);
      right.appendChild(el("span", { class: "av-token av-key", "data-index": i, role: "listitem" },
        label(t)));
    });
    columns.appendChild(left);
    columns.appendChild(lines);
    columns.appendChild(right);
    headPanel.appendChild(columns);
    var readout = el("p", { class: "av-readout", "aria-live": "polite" });
    headPanel.appendChild(readout);

    function drawLines() {
      var i = state.query, l = state.layer;
      while (lines.firstChild) lines.removeChild(lines.firstChild);
      Array.prototype.forEach.call(left.children, function (q, k) {
        q.classList.toggle("av-current", k === i);
      });
      Array.prototype.forEach.call(right.children, function (k, j) {
        k.classList.toggle("av-future", j > i);
      });
      var best = [];
      state.heads.forEach(function (h, k) {
        var top = 0;
        // Several heads: each a little apart at the key's end, so that none hides another.
        var apart = state.heads.length > 1 ? (k / (state.heads.length - 1) - 0.5) * 0.4 : 0;
        for (var j = 0; j <= i; j++) {
          var w = m.weight(l, h, i, j);
          if (w > m.weight(l, h, i, top)) top = j;
          lines.appendChild(el("svg:line", {
            x1: 0, y1: i + 0.5, x2: 100, y2: j + 0.5 + apart, stroke: headColour(h, m.H),
            "stroke-opacity": w, "vector-effect": "non-scaling-stroke", class: "av-line",
            "data-layer": m.layers[l], "data-head": h, "data-query": i, "data-key": j,
            "data-weight": w
          }));
        }
        best.push("head " + h + ": " + label(data.tokens[top]) + " (" +
          m.weight(l, h, i, top).toFixed(3) + ")");
      });
      readout.textContent = label(data.tokens[i]) + " looks most at " +
        (best.join(", ") || "nothing: no head chosen") + ".";
    }

    // Model: every layer and head small; a click (or Enter) enlarges one.
    var modelPanel = panels.model;
    var big = el("div", { class: "av-enlarged", tabindex: "-1" });
    big.hidden = true;
    var grid = el("div", { class: "av-grid", style: "--av-heads:" + m.H });
    modelPanel.appendChild(el("p", { class: "av-hint" },
      "Rows are layers (L0 is the first), columns heads; each square is queries down, " +
      "keys across. " +
      "Choose one to enlarge it."));
    modelPanel.appendChild(big);
    modelPanel.appendChild(grid);
    grid.appendChild(el("span", { class: "av-label", "aria-hidden": "true" }));
    for (var column = 0; column < m.H; column++) {
      grid.appendChild(el("span", { class: "av-label", "aria-hidden": "true" }, String(column)));
    }
    m.layers.forEach(function (layerName, l) {
      grid.appendChild(el("span", { class: "av-label", "aria-hidden": "true" }, "L" + layerName));
      for (var h = 0; h < m.H; h++) {
        var button = el("button", {
          type: "button", class: "av-thumb", "data-layer": layerName, "data-head": h,
          "aria-label": "layer " + layerName + ", head " + h + ": enlarge"
        });
        button.appendChild(thumbnail(l, h));
        button.addEventListener("click", enlarge.bind(null, l, h, button));
        grid.appendChild(button);
      }
    });

    function thumbnail(l, h) {
      var canvas = el("canvas", { width: m.T, height: m.T, "aria-hidden": "true" });
      var ctx = canvas.getContext("2d");
      if (!ctx) return canvas;
      for (var i = 0; i < m.T; i++) {
        for (var j = 0; j <= i; j++) {
          ctx.fillStyle = colour(m.weight(l, h, i, j));
          ctx.fillRect(j, i, 1, 1);
        }
      }
      return canvas;
    }

    function enlarge(l, h, from) {
      while (big.firstChild) big.removeChild(big.firstChild);
      var bar = el("div", { class: "av-bar" });
      bar.appendChild(el("strong", {}, "Layer " + m.layers[l] + ", head " + h));
      var close = el("button", { type: "button", class: "av-close" }, "Close");
      function shut() { big.hidden = true; from.focus(); }
      close.addEventListener("click", shut);
      big.onkeydown = function (e) { if (e.key === "Escape") shut(); };
      bar.appendChild(close);
      big.appendChild(bar);
      big.appendChild(figure(function (i, j) { return m.weight(l, h, i, j); },
        "layer " + m.layers[l] + " head " + h));
      big.hidden = false;
      big.focus();
    }

    function figure(cell, title) {
      var wrap = el("div", { class: "av-figure" });
      wrap.appendChild(axisLabels(m));
      wrap.appendChild(heatmap(m, cell, title));
      return wrap;
    }

    // The causal mask alone: what each token may see (1) and may not (the hatched future).
    var maskPanel = panels.mask;
    maskPanel.appendChild(el("p", { class: "av-hint" },
      "Before the softmax, every score above the diagonal is set to \u2212\u221e: a token " +
      "never sees the tokens after it. The hatched triangle stays empty in every head."));
    maskPanel.appendChild(figure(function () { return 1; }, "the causal mask"));

    // Dropout: the chosen head as in training, kept weights scaled by 1/(1-p).
    var dropPanel = panels.dropout;
    dropPanel.appendChild(el("p", { class: "av-hint" },
      "In training, dropout zeroes each weight with probability p and scales the rest " +
      "by 1/(1\u2212p), so that a row still sums to 1 on average. At inference nothing drops."));
    var dropControls = el("div", { class: "av-controls" });
    var pField = el("label", { class: "av-field" }, "p ");
    var pBox = el("input", {
      type: "number", min: "0", max: "0.9", step: "0.05", value: String(state.p),
      class: "av-p"
    });
    pField.appendChild(pBox);
    var sample = el("button", { type: "button", class: "av-sample" }, "New sample");
    dropControls.appendChild(pField);
    dropControls.appendChild(sample);
    var dropNote = el("span", { class: "av-readout", "aria-live": "polite" });
    dropControls.appendChild(dropNote);
    dropPanel.appendChild(dropControls);
    var dropFigures = el("div", { class: "av-pair" });
    dropPanel.appendChild(dropFigures);
    pBox.addEventListener("change", function () {
      var p = parseFloat(pBox.value);
      state.p = isFinite(p) ? Math.max(0, Math.min(0.9, p)) : state.p;
      pBox.value = String(state.p);
      drawDropout();
    });
    sample.addEventListener("click", function () { state.seed += 1; drawDropout(); });

    function drawDropout() {
      var l = state.layer, h = state.heads.length ? state.heads[0] : 0, p = state.p;
      var next = random(state.seed), dropped = 0, cells = 0;
      var kept = [];
      for (var i = 0; i < m.T; i++) {
        kept.push([]);
        for (var j = 0; j <= i; j++) {
          var keep = next() >= p;
          kept[i].push(keep);
          cells += 1;
          if (!keep) dropped += 1;
        }
      }
      while (dropFigures.firstChild) dropFigures.removeChild(dropFigures.firstChild);
      var before = el("div", { class: "av-half" });
      before.appendChild(el("p", {}, "Inference (layer " + m.layers[l] + ", head " + h + ")"));
      before.appendChild(figure(function (i, j) { return m.weight(l, h, i, j); },
        "without dropout"));
      var after = el("div", { class: "av-half av-dropout", "data-p": p, "data-seed": state.seed });
      after.appendChild(el("p", {}, "Training, p = " + p + " (sample " + state.seed + ")"));
      after.appendChild(figure(function (i, j) {
        return kept[i][j] ? m.weight(l, h, i, j) / (1 - p) : null;
      }, "with dropout"));
      dropFigures.appendChild(before);
      dropFigures.appendChild(after);
      dropNote.textContent = dropped + " of " + cells + " weights dropped; the rest \u00d7 " +
        (1 / (1 - p)).toFixed(3) + ".";
    }

    function draw() {
      drawLines();
      drawDropout();
    }

    var first = root.getAttribute("data-view");
    show(panels[first] ? first : "heads");
    draw();
    root.insertBefore(app, root.querySelector("figcaption"));
    root.classList.add("av-ready");
  }

  function failed(root, message) {
    root.classList.add("av-failed");
    var note = root.getAttribute("data-missing") || "The attention view could not load: " +
      message;
    root.insertBefore(el("p", { class: "av-error", role: "status" }, note),
      root.querySelector("figcaption"));
  }

  function resolve(src) {
    if (src.charAt(0) === "/" && src.charAt(1) !== "/" && siteRoot) {
      return siteRoot + src.slice(1);
    }
    return new URL(src, document.baseURI).href;
  }

  function start(root) {
    if (root.getAttribute("data-av-started")) return;
    root.setAttribute("data-av-started", "1");
    var inline = root.querySelector('script[type="application/json"]');
    if (inline) {
      try {
        mount(root, JSON.parse(inline.textContent));
      } catch (e) {
        failed(root, String(e));
      }
      return;
    }
    var src = root.getAttribute("data-src");
    if (!src) return failed(root, "no data (data-src or inline JSON)");
    fetch(resolve(src)).then(function (r) {
      if (!r.ok) throw new Error(src + ": " + r.status);
      return r.json();
    }).then(function (data) { mount(root, data); }).catch(function (e) {
      failed(root, e.message);
    });
  }

  function startAll() {
    Array.prototype.forEach.call(document.querySelectorAll(".attention-view"), start);
  }

  window.attentionView = { start: start, startAll: startAll };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", startAll);
  } else {
    startAll();
  }
})();
