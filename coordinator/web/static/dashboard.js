// National dashboard: panels and map layers drawn from the picture JSON, re-read on every live event.
(function () {
  "use strict";
  var o = window.ouen, t = o.t, el = o.el, config = o.config;
  var SVG = "http://www.w3.org/2000/svg";
  var names = config.names || {};
  var kindNames = {}, languageNames = {};
  (config.kinds || []).forEach(function (k) { kindNames[k.id] = k.name; });
  (config.languages || []).forEach(function (l) { languageNames[l.tag] = l.name; });
  var COORDINATOR_ACTIONS = ["approve", "request", "cancel"];

  function nameOf(id) { return names[id] || id; }

  function svg(tag, attributes, text) {
    var node = document.createElementNS(SVG, tag);
    for (var name in attributes) node.setAttribute(name, attributes[name]);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // Same shape as coordinator/web/mapview.py arrow_geometry: a curve bending right of the direction.
  function arrowGeometry(a, b, radius) {
    radius = radius || 7;
    var dx = b[0] - a[0], dy = b[1] - a[1];
    var length = Math.max(Math.sqrt(dx * dx + dy * dy), 1e-6);
    var ux = dx / length, uy = dy / length;
    var sx = a[0] + ux * radius, sy = a[1] + uy * radius;
    var ex = b[0] - ux * (radius + 2), ey = b[1] - uy * (radius + 2);
    var bend = Math.min(60, length * 0.15);
    var cx = (a[0] + b[0]) / 2 - uy * bend, cy = (a[1] + b[1]) / 2 + ux * bend;
    return { d: "M" + sx.toFixed(1) + " " + sy.toFixed(1) + "Q" + cx.toFixed(1) + " " + cy.toFixed(1) + " " +
                ex.toFixed(1) + " " + ey.toFixed(1),
             x: (sx + 2 * cx + ex) / 4, y: (sy + 2 * cy + ey) / 4 };
  }

  function drawMap(picture) {
    var affected = document.getElementById("map-affected");
    affected.textContent = picture.disaster.affected_prefectures.map(function (code) {
      return 'path.pref[data-code="' + code + '"]{fill:var(--affected)}';
    }).join("");
    document.querySelectorAll("#map-points circle").forEach(function (circle) {
      var id = circle.dataset.id;
      var state = picture.states[id] || "idle";
      circle.setAttribute("class", "point state-" + state);
      circle.setAttribute("r", state === "idle" ? "4.5" : "7");
      circle.querySelector("title").textContent = nameOf(id) + ": " + t("state." + state);
    });
    var layer = document.getElementById("map-arrows");
    layer.replaceChildren();
    picture.arrows.forEach(function (arrow) {
      var a = config.points[arrow.supplier_id], b = config.points[arrow.requester_id];
      if (!a || !b) return;
      var shape = arrowGeometry(a, b);
      var group = svg("g", { "class": "arrow " + (arrow.committed ? "committed" : "pending"),
                             "data-from": arrow.supplier_id, "data-to": arrow.requester_id });
      var path = svg("path", { d: shape.d, "marker-end": "url(#arrow-head)" });
      path.append(svg("title", {}, nameOf(arrow.supplier_id) + " \u2192 " + nameOf(arrow.requester_id) + ": " +
                                   t("map.people", { n: arrow.headcount })));
      group.append(path, svg("text", { x: shape.x.toFixed(1), y: shape.y.toFixed(1) }, String(arrow.headcount)));
      layer.append(group);
    });
  }

  function drawFigures(picture) {
    document.querySelectorAll("#figures [data-figure]").forEach(function (dd) {
      dd.textContent = o.formatNumber(picture.figures[dd.dataset.figure] || 0);
    });
    document.getElementById("cross-block-state").textContent =
      picture.disaster.cross_block_open ? t("disaster.cross_block_open") : t("disaster.cross_block_closed");
    var crossBlock = document.getElementById("cross-block-button");
    if (crossBlock) crossBlock.hidden = !picture.may.open_cross_block;
  }

  function emptyRow(columns) {
    return el("tr", {}, el("td", { colSpan: columns, className: "empty" }, t("panel.none")));
  }

  function drawNeeds(picture) {
    var body = document.querySelector("#needs-table tbody");
    var rows = picture.needs.map(function (n) {
      return el("tr", { className: n.unmet > 0 ? "unmet" : "", dataset: { needId: n.id } },
        el("td", {}, n.id), el("td", {}, nameOf(n.requester_id)), el("td", {}, kindNames[n.kind] || n.kind),
        el("td", {}, languageNames[n.language] || n.language), el("td", { className: "num" }, n.headcount),
        el("td", { className: "num" }, n.accepted), el("td", { className: "num" }, n.unmet),
        el("td", {}, o.label("need_status", n.status)));
    });
    body.replaceChildren.apply(body, rows.length ? rows : [emptyRow(8)]);
    var list = document.getElementById("needs-by-status");
    list.replaceChildren.apply(list, ["open", "fulfilled", "cancelled"].map(function (status) {
      return el("li", {}, el("span", {}, o.label("need_status", status)),
                el("strong", {}, picture.needs_by_status[status] || 0));
    }));
    var coverage = document.querySelector("#coverage-table tbody");
    var tags = Object.keys(picture.coverage);
    coverage.replaceChildren.apply(coverage, tags.length ? tags.map(function (tag) {
      var c = picture.coverage[tag];
      var share = c.requested ? Math.round(100 * c.accepted / c.requested) : 100;
      var bar = el("meter", { min: 0, max: 100, value: share, "aria-label": share + "%" });
      return el("tr", {}, el("td", {}, languageNames[tag] || tag), el("td", { className: "num" }, c.requested),
                el("td", { className: "num" }, c.accepted), el("td", {}, bar, " " + share + "%"));
    }) : [emptyRow(4)]);
  }

  function actionButton(dispatch, action) {
    var button = el("button", { type: "button", className: action === "cancel" ? "secondary" : "" },
                    t("action." + action));
    button.dataset.action = action;
    button.dataset.dispatchId = dispatch.id;
    button.setAttribute("aria-label", t("action." + action) + " #" + dispatch.id);
    return button;
  }

  function drawDispatches(picture) {
    var body = document.querySelector("#dispatch-table tbody");
    var rows = picture.dispatches.map(function (d) {
      var actions = el("td", { className: "actions" });
      d.actions.filter(function (a) { return COORDINATOR_ACTIONS.indexOf(a) >= 0; }).forEach(function (a) {
        actions.append(actionButton(d, a));
      });
      var state = o.label("dispatch_state", d.state) + (d.overdue ? " (" + t("dispatch.overdue") + ")" : "");
      return el("tr", { dataset: { dispatchId: d.id, state: d.state } }, el("td", {}, d.id),
                el("td", {}, nameOf(d.supplier_id)), el("td", {}, nameOf(d.requester_id)),
                el("td", { className: "num" }, d.headcount), el("td", { className: "num" }, d.stage),
                el("td", {}, state), actions);
    });
    body.replaceChildren.apply(body, rows.length ? rows : [emptyRow(7)]);
    var overdue = document.getElementById("overdue-list");
    overdue.replaceChildren.apply(overdue, picture.overdue.length ? picture.overdue.map(function (d) {
      return el("li", {}, "#" + d.id + " " + nameOf(d.supplier_id) + " \u2192 " + nameOf(d.requester_id) + " (" +
                t("map.people", { n: d.headcount }) + ")");
    }) : [el("li", { className: "empty" }, t("panel.none"))]);
  }

  function draw(picture) {
    drawFigures(picture);
    drawMap(picture);
    drawNeeds(picture);
    drawDispatches(picture);
    if (document.body.dataset.ready !== "1" && window.performance && performance.mark) {
      performance.mark("ouen-dashboard-drawn");  // read by bench/web.py: map and panels are on screen
    }
    document.body.dataset.ready = "1";
    document.body.dataset.version = String(Number(document.body.dataset.version || 0) + 1);
  }

  // Re-read the picture; events arriving while a read is in flight cause exactly one more read.
  var reading = false, again = false;
  function refresh() {
    if (reading) { again = true; return; }
    reading = true;
    o.api("GET", "/web/picture/" + config.disaster_id).then(function (picture) {
      draw(picture);
    }, function (error) {
      o.actionMessage(error.message, true);
    }).then(function () {
      reading = false;
      if (again) { again = false; refresh(); }
    });
  }

  function act(promise, done) {
    o.actionMessage("");
    promise.then(function () {
      o.actionMessage(done);
      o.say(done);
      refresh();
    }, function (error) { o.actionMessage(error.message, true); });
  }

  document.getElementById("dispatch-table").addEventListener("click", function (event) {
    var button = event.target.closest("button[data-action]");
    if (!button) return;
    var action = button.dataset.action;
    if (action === "cancel" && !window.confirm(t("action.confirm_cancel"))) return;
    button.disabled = true;
    act(o.api("POST", "/api/v1/dispatches/" + button.dataset.dispatchId + "/" + action,
              action === "cancel" ? {} : undefined), t("action.done_" + action));
  });
  var plan = document.getElementById("plan-button");
  if (plan) {
    // A dry run first; the proposals are created (commit) only after the user confirms what it found.
    plan.addEventListener("click", function () {
      var url = "/api/v1/disasters/" + config.disaster_id + "/plan";
      plan.disabled = true;
      o.actionMessage("");
      o.api("POST", url, {}).then(function (draft) {
        var recommendation = draft.recommendation ? "\n" + (draft.recommendation[config.lang] || "") : "";
        var question = t("dashboard.plan_confirm", { proposals: draft.proposals.length,
                                                     covered: draft.totals.covered,
                                                     asked: draft.totals.people_to_plan }) + recommendation;
        if (!draft.proposals.length) { o.actionMessage(t("dashboard.plan_empty") + recommendation); return; }
        if (window.confirm(question)) act(o.api("POST", url, { commit: true }), t("dashboard.plan_done"));
      }, function (error) { o.actionMessage(error.message, true); }).then(function () { plan.disabled = false; });
    });
  }
  var crossBlock = document.getElementById("cross-block-button");
  if (crossBlock) {
    crossBlock.addEventListener("click", function () {
      if (!window.confirm(t("dashboard.confirm_cross_block"))) return;
      act(o.api("POST", "/api/v1/disasters/" + config.disaster_id + "/cross-block"), t("dashboard.cross_block_done"));
    });
  }

  draw(config.picture);
  o.follow(config.disaster_id, config.mode, function () { refresh(); });
})();
