// National dashboard: panels and map layers drawn from the picture JSON, re-read on every live event.
(function () {
  "use strict";
  var o = window.ouen, c = window.coord, t = o.t, el = o.el, config = o.config;
  var SVG = "http://www.w3.org/2000/svg";
  var names = config.names || {};
  var blocksOf = config.blocks_of || {};
  var kindNames = {}, languageNames = {};
  (config.kinds || []).forEach(function (k) { kindNames[k.id] = k.name; });
  (config.languages || []).forEach(function (l) { languageNames[l.tag] = l.name; });
  var COORDINATOR_ACTIONS = ["approve", "request", "cancel"];
  var WITHDRAWN = ["declined", "cancelled"];
  var picture = config.picture;
  var zoomed = true;

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

  // The regional view: the box around every association of the blocks involved (affected, requesting or
  // supporting), with a margin, so that arrows and numbers stand apart.
  var map = document.getElementById("japan-map");
  var fullBox = map.getAttribute("viewBox");
  function regionBox(p) {
    var blocks = {};
    Object.keys(p.states).forEach(function (id) { if (p.states[id] !== "idle" && blocksOf[id]) blocks[blocksOf[id]] = true; });
    p.arrows.forEach(function (a) { blocks[blocksOf[a.supplier_id]] = true; blocks[blocksOf[a.requester_id]] = true; });
    var xs = [], ys = [];
    Object.keys(config.points).forEach(function (id) {
      if (blocks[blocksOf[id]]) { xs.push(config.points[id][0]); ys.push(config.points[id][1]); }
    });
    if (!xs.length) return null;
    var full = fullBox.split(/\s+/).map(Number);
    var minX = Math.min.apply(null, xs), maxX = Math.max.apply(null, xs);
    var minY = Math.min.apply(null, ys), maxY = Math.max.apply(null, ys);
    var width = Math.max(maxX - minX, 120), height = Math.max(maxY - minY, 120);
    var margin = Math.max(width, height) * 0.15 + 20;
    var x = Math.max(full[0], (minX + maxX) / 2 - width / 2 - margin);
    var y = Math.max(full[1], (minY + maxY) / 2 - height / 2 - margin);
    var w = Math.min(full[2] - x, width + 2 * margin), h = Math.min(full[3] - y, height + 2 * margin);
    return [x, y, w, h];
  }
  function applyZoom() {
    var box = zoomed ? regionBox(picture) : null;
    var full = fullBox.split(/\s+/).map(Number);
    map.setAttribute("viewBox", box ? box.map(function (v) { return v.toFixed(1); }).join(" ") : fullBox);
    // Labels, points and strokes keep their size on screen whatever the zoom.
    map.style.setProperty("--zoom", box ? String(Math.min(full[2] / box[2], full[3] / box[3])) : "1");
    document.getElementById("zoom-region").setAttribute("aria-pressed", String(Boolean(box)));
    document.getElementById("zoom-japan").setAttribute("aria-pressed", String(!box));
  }
  document.getElementById("zoom-region").addEventListener("click", function () { zoomed = true; applyZoom(); });
  document.getElementById("zoom-japan").addEventListener("click", function () { zoomed = false; applyZoom(); });

  function drawMap(p) {
    var affected = document.getElementById("map-affected");
    affected.textContent = p.disaster.affected_prefectures.map(function (code) {
      return 'path.pref[data-code="' + code + '"]{fill:var(--affected)}';
    }).join("");
    document.querySelectorAll("#map-points circle").forEach(function (circle) {
      var id = circle.dataset.id;
      var state = p.states[id] || "idle";
      circle.setAttribute("class", "point state-" + state);
      circle.setAttribute("r", state === "idle" ? "4.5" : "7");
      circle.querySelector("title").textContent = nameOf(id) + ": " + t("state." + state);
    });
    var layer = document.getElementById("map-arrows");
    layer.replaceChildren();
    p.arrows.forEach(function (arrow) {
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
    applyZoom();
  }

  function drawFigures(p) {
    document.querySelectorAll("#figures [data-figure]").forEach(function (dd) {
      dd.textContent = o.formatNumber(p.figures[dd.dataset.figure] || 0);
    });
    document.getElementById("cross-block-state").textContent =
      p.disaster.cross_block_open ? t("disaster.cross_block_open") : t("disaster.cross_block_closed");
    document.getElementById("disaster-status").textContent = t("disaster.status_" + p.disaster.status);
    var crossBlock = document.getElementById("cross-block-button");
    if (crossBlock) crossBlock.hidden = !p.may.open_cross_block;
    document.getElementById("rename-button").hidden = !p.may.rename;
    document.getElementById("edit-link").hidden = !p.may.change_area;
    document.getElementById("close-button").hidden = !p.may.close;
    document.getElementById("reopen-button").hidden = !p.may.reopen;
  }

  function drawRoles(p) {
    var states = p.states;
    var affected = document.getElementById("affected-list");
    affected.replaceChildren.apply(affected, p.roles.affected.length ? p.roles.affected.map(function (a) {
      var state = states[a.id] || "affected";
      return el("li", { dataset: { id: a.id } }, el("span", { className: "dot state-" + state }), " ",
                c.pick(a.name), " ", el("span", { className: "hint" }, c.pick(a.block_name) + " · " + t("state." + state)));
    }) : [el("li", { className: "empty" }, t("panel.none"))]);
    var coordinators = document.getElementById("coordinator-list");
    coordinators.replaceChildren.apply(coordinators, p.roles.coordinators.map(function (r) {
      return el("li", { className: r.involved ? "involved" : "", dataset: { block: r.block } },
                el("strong", {}, c.pick(r.block_name)), " ", c.pick(r.name),
                r.is_deputy ? el("span", { className: "tag" }, t("preview.acting")) : null,
                r.involved ? el("span", { className: "role-reason" }, c.pick(r.reason)) : null);
    }));
    var s = p.roles.secretariat;
    document.getElementById("secretariat-role").replaceChildren(c.pick(s.name),
      s.is_failover ? el("span", { className: "tag" }, t("preview.failover")) : "", " ",
      s.also_acting ? el("span", { className: "also-acting" }, t("authority.also_acting")) : "", " ",
      el("span", { className: "role-reason" }, c.pick(s.reason)));
    var mine = document.getElementById("my-capacity");  // the capacities the viewer acts in, and why
    if (mine) mine.replaceChildren.apply(mine, (p.acting_as || []).map(function (a) {
      return el("li", { dataset: { role: a.role } }, el("strong", {}, t("capacity." + a.role)),
                a.block ? " " + c.pick(a, "block_name") : "", " ", el("span", { className: "role-reason" }, c.pick(a, "reason")));
    }));
  }

  function emptyRow(columns) {
    return el("tr", {}, el("td", { colSpan: columns, className: "empty" }, t("panel.none")));
  }

  function cell(label, content, className) {
    var td = el("td", { className: className || "" }, content);
    td.dataset.label = label;
    return td;
  }

  function period(start, days) {
    if (!start) return "";
    var end = new Date(start + "T00:00:00Z");
    end.setUTCDate(end.getUTCDate() + Math.max(days || 1, 1) - 1);
    return start + " – " + end.toISOString().slice(0, 10) + " (" + t("coord.days", { n: days }) + ")";
  }

  function needRow(n) {
    var age = el("span", { title: t("coord.created_updated", { created: c.jst(n.created_at), updated: c.jst(n.updated_at) }) },
                 c.age(n.created_at, Date.now()));
    return el("tr", { className: n.unmet > 0 ? "unmet" : "", dataset: { needId: n.id, state: n.status } },
      cell("#", n.id), cell(t("col.requester"), nameOf(n.requester_id)),
      cell(t("coord.col_place"), (n.place_name || "") + (n.remote ? " " + t("coord.remote") : "")),
      cell(t("col.kind"), kindNames[n.kind] || n.kind), cell(t("col.language"), languageNames[n.language] || n.language),
      cell(t("col.headcount"), n.headcount, "num"), cell(t("col.accepted"), n.accepted, "num"),
      cell(t("col.unmet"), n.unmet, "num unmet-cell"), cell(t("coord.col_period"), period(n.start, n.days)),
      cell(t("coord.col_notes"), n.notes || "", "notes"), cell(t("coord.col_age"), age),
      cell(t("col.status"), o.label("need_status", n.status)));
  }
  var needsList = c.listView(document.getElementById("needs-filter"), document.querySelector("#needs-table tbody"), {
    render: needRow, empty: function () { return emptyRow(12); },
  });

  function drawNeeds(p) {
    needsList.set(p.needs.map(function (n) {
      return { row: n, state: n.status, blocks: [n.block], associations: [n.requester_id], language: n.language,
               text: [n.id, nameOf(n.requester_id), n.place_name, kindNames[n.kind], languageNames[n.language], n.notes].join(" ") };
    }));
    var list = document.getElementById("needs-by-status");
    list.replaceChildren.apply(list, ["open", "fulfilled", "cancelled"].map(function (status) {
      return el("li", {}, el("span", {}, o.label("need_status", status)),
                el("strong", {}, p.needs_by_status[status] || 0));
    }));
    var coverage = document.querySelector("#coverage-table tbody");
    var tags = Object.keys(p.coverage);
    coverage.replaceChildren.apply(coverage, tags.length ? tags.map(function (tag) {
      var cov = p.coverage[tag];
      var share = cov.requested ? Math.round(100 * cov.accepted / cov.requested) : 100;
      var bar = el("meter", { min: 0, max: 100, value: share, "aria-label": share + "%" });
      return el("tr", {}, el("td", {}, languageNames[tag] || tag), el("td", { className: "num" }, cov.requested),
                el("td", { className: "num" }, cov.accepted), el("td", {}, bar, " " + share + "%"));
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

  function bulkable(d) { return d.actions.indexOf("approve") >= 0 || d.actions.indexOf("request") >= 0; }
  var selected = {};

  function dispatchRow(d) {
    var actions = cell(t("col.actions"), null, "actions");
    d.actions.filter(function (a) { return COORDINATOR_ACTIONS.indexOf(a) >= 0; }).forEach(function (a) {
      actions.append(actionButton(d, a));
    });
    var state = o.label("dispatch_state", d.state) + (d.overdue ? " (" + t("dispatch.overdue") + ")" : "");
    var why = d.decline_reason || d.cancel_reason;
    var select = bulkable(d) ? el("input", { type: "checkbox", className: "bulk-select", value: String(d.id),
                                              checked: Boolean(selected[d.id]),
                                              "aria-label": t("coord.bulk_select_one", { id: d.id }) }) : "";
    var party = d.awaiting && picture.awaiting[d.awaiting.key];
    var awaiting = party ? el("span", { title: c.pick(party, "reason") }, c.pick(party, "who")) : "";
    return el("tr", { dataset: { dispatchId: d.id, state: d.state } },
      cell(t("coord.bulk_select"), select, "select"), cell("#", d.id),
      cell(t("col.supplier") + " → " + t("col.requester"), nameOf(d.supplier_id) + " \u2192 " + nameOf(d.requester_id)),
      cell(t("col.kind"), (kindNames[d.kind] || d.kind || "") + " / " + (languageNames[d.language] || d.language || "")),
      cell(t("col.headcount"), d.headcount, "num"), cell(t("col.stage"), t("coord.stage_" + d.stage)),
      cell(t("col.state"), el("span", {}, el("span", {}, state), why ? el("span", { className: "reason" }, why) : null)),
      cell(t("coord.col_awaiting"), awaiting), cell(t("coord.col_updated"), c.time(d.updated_at)), actions);
  }
  var dispatchList = c.listView(document.getElementById("dispatch-filter"), document.querySelector("#dispatch-table tbody"), {
    render: dispatchRow, empty: function () { return emptyRow(10); },
    // Declined and cancelled (replaced) dispatches are hidden unless asked for, or filtered by that state.
    hidden: function (item, v) { return WITHDRAWN.indexOf(item.state) >= 0 && !v.withdrawn && v.state !== item.state; },
  });

  function drawDispatches(p) {
    dispatchList.set(p.dispatches.map(function (d) {
      var party = d.awaiting && p.awaiting[d.awaiting.key];
      return { row: d, state: d.state, blocks: [d.supplier_block, d.requester_block], language: d.language,
               associations: [d.supplier_id, d.requester_id],
               text: [d.id, nameOf(d.supplier_id), nameOf(d.requester_id), kindNames[d.kind], languageNames[d.language],
                      o.label("dispatch_state", d.state), d.decline_reason, d.cancel_reason, party ? c.pick(party, "who") : ""].join(" ") };
    }));
    updateBulk();
    var overdue = document.getElementById("overdue-list");
    overdue.replaceChildren.apply(overdue, p.overdue.length ? p.overdue.map(function (d) {
      return el("li", {}, "#" + d.id + " " + nameOf(d.supplier_id) + " \u2192 " + nameOf(d.requester_id) + " (" +
                t("map.people", { n: d.headcount }) + ") · " + t("coord.overdue_since", { age: c.age(d.requested_at) }));
    }) : [el("li", { className: "empty" }, t("panel.none"))]);
  }

  function updateBulk() {
    var boxes = document.querySelectorAll("#dispatch-table input.bulk-select");
    var chosen = Object.keys(selected).length;
    document.getElementById("bulk-bar").hidden = boxes.length === 0;
    document.getElementById("bulk-count").textContent = t("coord.bulk_count", { n: chosen });
    document.getElementById("bulk-approve-request").disabled = chosen === 0;
  }

  function draw(p) {
    picture = p;
    var open = {};
    p.dispatches.forEach(function (d) { if (bulkable(d)) open[d.id] = true; });
    Object.keys(selected).forEach(function (id) { if (!open[id]) delete selected[id]; });
    drawFigures(p);
    drawMap(p);
    drawRoles(p);
    drawNeeds(p);
    drawDispatches(p);
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
    c.refreshTodo();
    o.api("GET", "/web/picture/" + config.disaster_id).then(function (p) {
      draw(p);
    }, function (error) {
      o.actionMessage(error.message, true);
    }).then(function () {
      reading = false;
      if (again) { again = false; refresh(); }
    });
  }

  function act(promise, done) {
    o.actionMessage("");
    return promise.then(function () {
      o.actionMessage(done);
      o.say(done);
      refresh();
    }, function (error) { o.actionMessage(error.message, true); refresh(); });
  }

  var table = document.getElementById("dispatch-table");
  table.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-action]");
    if (!button) return;
    var action = button.dataset.action;
    if (action === "cancel" && !window.confirm(t("action.confirm_cancel"))) return;
    button.disabled = true;
    act(o.api("POST", "/api/v1/dispatches/" + button.dataset.dispatchId + "/" + action,
              action === "cancel" ? {} : undefined), t("action.done_" + action));
  });
  table.addEventListener("change", function (event) {
    if (!event.target.classList.contains("bulk-select")) return;
    if (event.target.checked) selected[event.target.value] = true; else delete selected[event.target.value];
    updateBulk();
  });

  // Approve and send the request for every selected dispatch, one after the other; report each failure.
  document.getElementById("bulk-approve-request").addEventListener("click", function () {
    var button = this;
    var ids = Object.keys(selected);
    selected = {};
    var byId = {};
    picture.dispatches.forEach(function (d) { byId[d.id] = d; });
    var failures = [], done = 0;
    button.disabled = true;
    o.actionMessage("");
    var chain = Promise.resolve();
    ids.forEach(function (id) {
      chain = chain.then(function () {
        var d = byId[id] || {};
        var step = d && d.state === "proposed" ? o.api("POST", "/api/v1/dispatches/" + id + "/approve") : Promise.resolve();
        return step.then(function () { return o.api("POST", "/api/v1/dispatches/" + id + "/request"); })
          .then(function () { done += 1; }, function (error) { failures.push("#" + id + ": " + error.message); });
      });
    });
    chain.then(function () {
      var text = t("coord.bulk_done", { n: done });
      o.actionMessage(failures.length ? text + " " + failures.join(" / ") : text, failures.length > 0);
      o.say(text);
      refresh();
    });
  });

  var crossBlock = document.getElementById("cross-block-button");
  if (crossBlock) {
    crossBlock.addEventListener("click", function () {
      if (!window.confirm(t("dashboard.confirm_cross_block"))) return;
      act(o.api("POST", "/api/v1/disasters/" + config.disaster_id + "/cross-block"), t("dashboard.cross_block_done"));
    });
  }

  // Rename, close and reopen (the buttons show what this user may do; the API decides).
  document.getElementById("rename-button").addEventListener("click", function () {
    var name = window.prompt(t("coord.manage_rename_prompt"), picture.disaster.name);
    if (!name || !name.trim() || name.trim() === picture.disaster.name) return;
    act(o.api("PATCH", "/api/v1/disasters/" + config.disaster_id, { name: name.trim() }), t("coord.manage_renamed")).then(function () {
      document.getElementById("disaster-name").lastChild.textContent = name.trim();
    });
  });
  document.getElementById("close-button").addEventListener("click", function () {
    if (!window.confirm(t("coord.manage_confirm_close"))) return;
    act(o.api("POST", "/api/v1/disasters/" + config.disaster_id + "/close"), t("coord.manage_closed"));
  });
  document.getElementById("reopen-button").addEventListener("click", function () {
    var reason = window.prompt(t("coord.manage_reopen_prompt"));
    if (!reason || !reason.trim()) return;
    act(o.api("POST", "/api/v1/disasters/" + config.disaster_id + "/reopen", { reason: reason.trim() }), t("coord.manage_reopened"));
  });

  // A disaster declared elsewhere shows up here at once (and in the picker); this one's changes redraw.
  c.watchDisasters(config.mode, function (event) {
    if (!event) return;
    var d = event.payload || {};
    if (event.disaster_id === config.disaster_id) { refresh(); return; }
    if (event.type !== "disaster.declared") return;
    var notice = document.getElementById("new-disaster");
    notice.replaceChildren(t("coord.new_disaster", { name: d.name || "" }), " ",
                           el("a", { href: "/disasters/" + event.disaster_id }, t("coord.open_it")));
    notice.hidden = false;
    var picker = document.getElementById("disaster-picker");
    if (!picker.querySelector('option[value="' + event.disaster_id + '"]')) {
      picker.prepend(el("option", { value: String(event.disaster_id) }, d.name || "#" + event.disaster_id));
    }
  });

  draw(config.picture);
  // From the seq the embedded picture was read at: only what happens after it causes a read.
  o.follow(config.disaster_id, config.mode, function () { refresh(); }, null, config.picture.seq);
})();
