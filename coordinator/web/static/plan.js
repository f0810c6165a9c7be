// The plan page: a dry run of POST /api/v1/disasters/{id}/plan shown as supporter → need with reasons,
// totals and what a commit replaces; commit all, or the selected proposals (with the plan's version);
// then approve and request the new dispatches several at once. Fields of docs/matching.md "Plan
// preview" are used when the API sends them; names and dates otherwise come from the page's own data.
(function () {
  "use strict";
  var o = window.ouen, c = window.coord, t = o.t, el = o.el, config = o.config;
  var names = config.names || {}, needs = config.needs || {};
  var kindNames = {}, languageNames = {};
  (config.kinds || []).forEach(function (k) { kindNames[k.id] = k.name; });
  (config.languages || []).forEach(function (l) { languageNames[l.tag] = l.name; });
  var url = "/api/v1/disasters/" + config.disaster_id + "/plan";
  var plan = null;
  var body = document.querySelector("#plan-table tbody");
  var commitAll = document.getElementById("commit-all");
  var commitSelected = document.getElementById("commit-selected");
  var blocksOf = config.blocks_of || {};
  var filter = c.filterBar(document.getElementById("plan-filter"), document.getElementById("plan-table"));
  document.getElementById("plan-filter").addEventListener("change", function () { updateButtons(); });
  document.getElementById("plan-filter").addEventListener("input", function () { updateButtons(); });

  function party(p, side) {
    var who = p[side === "supplier" ? "supplier" : "requester"];
    if (who) return c.pick(who, "name");
    return names[p[side + "_id"]] || p[side + "_id"];
  }
  function need(p) { return p.need || needs[p.need_id] || {}; }
  function label(pair, fallback) { return pair ? c.pick(pair) : fallback; }
  function cell(labelText, content, className) {
    var td = el.apply(null, ["td", { className: className || "" }].concat(content));
    td.dataset.label = labelText;
    return td;
  }

  function effect(p) {
    var parts = [];
    if (!p.committable) parts.push(el("span", { className: "withheld" }, label(p.withheld_reason, t("plan.withheld"))));
    if (p.existing_dispatch_id) parts.push(el("span", {}, t("plan.keeps", { id: p.existing_dispatch_id })));
    if (p.replaces && p.replaces.length) parts.push(el("span", {}, t("plan.replaces", { ids: p.replaces.map(function (i) { return "#" + i; }).join(", ") })));
    if (p.dispatch_id) parts.push(el("span", {}, t("plan.made", { id: p.dispatch_id })));
    if (!parts.length) parts.push(el("span", {}, t("plan.new")));
    return parts;
  }

  function key(p, index) { return p.key || "index:" + index; }
  // What committing a proposal does, as the filter's "state": new, kept, replaces, withheld.
  function state(p) {
    if (!p.committable) return "withheld";
    if (p.existing_dispatch_id) return "kept";
    return p.replaces && p.replaces.length ? "replaces" : "new";
  }

  function drawTotals(p) {
    var totals = p.totals || {};
    var items = [
      ["proposals", totals.proposals], ["covered", t("plan.of", { a: totals.covered, b: totals.people_to_plan })],
      ["unmet", totals.unmet], ["cross_block", totals.cross_block_people], ["km", Math.round(totals.total_km || 0)],
    ];
    if (totals.stage1_people !== undefined) items.push(["stage1", totals.stage1_people], ["stage2", totals.stage2_people]);
    if (totals.new_proposals !== undefined) {
      items.push(["new", totals.new_proposals], ["kept", totals.kept], ["replaced", totals.replaced], ["cancelled", totals.cancelled]);
    } else {
      items.push(["replaced", (p.replaces || []).length]);
    }
    var dl = document.getElementById("plan-totals");
    dl.replaceChildren.apply(dl, items.map(function (item) {
      return el("div", { dataset: { total: item[0] } }, el("dt", {}, t("plan.total_" + item[0])), el("dd", {}, item[1] === undefined ? "–" : item[1]));
    }));
    var notes = [];
    if (p.recommendation) notes.push(el("li", { className: "notice" }, c.pick(p.recommendation)));
    (p.notes || []).forEach(function (n) { notes.push(el("li", {}, c.pick(n))); });
    var list = document.getElementById("plan-notes");
    list.replaceChildren.apply(list, notes);
    document.getElementById("plan-computed").textContent = t("plan.computed", { time: c.jst(p.computed_at || new Date().toISOString()) });
  }

  function drawProposals(p) {
    var rows = p.proposals.map(function (x, index) {
      var n = need(x);
      var box = el("input", { type: "checkbox", className: "plan-select", value: key(x, index), disabled: !x.committable,
                              checked: Boolean(x.committable), "aria-label": t("plan.select_one", { n: index + 1 }) });
      var reasons = el("details", { className: "reasons" }, el("summary", {}, c.pick(x.reasons[0] || {}) || t("plan.reasons")),
        el.apply(null, ["ul", {}].concat(x.reasons.slice(1).map(function (r) { return el("li", {}, c.pick(r)); }))));
      var period = n.start ? n.start + " – " + (n.end || "") + (n.days ? " (" + t("coord.days", { n: n.days }) + ")" : "") : "";
      var where = n.place_ja || n.place_name || "";
      var blocks = [blocksOf[x.supplier_id], blocksOf[x.requester_id]].filter(Boolean).join(" ");
      var data = { state: state(x), key: key(x, index), needId: x.need_id, block: blocks,
                   associations: x.supplier_id + " " + x.requester_id, language: x.language };
      return el("tr", { className: x.committable ? "" : "withheld-row", dataset: data },
        cell(t("coord.bulk_select"), box, "select"),
        cell(t("col.supplier") + " → " + t("col.requester"), party(x, "supplier") + " \u2192 " + party(x, "requester") + (where ? "（" + where + "）" : "")),
        cell(t("col.language"), n.language_ja ? c.pick(n, "language") : languageNames[x.language] || x.language),
        cell(t("col.kind"), n.kind_ja ? c.pick(n, "kind") : kindNames[x.kind] || x.kind),
        cell(t("col.headcount"), x.headcount, "num"), cell(t("coord.col_period"), period),
        cell(t("col.stage"), label(x.stage_label, t("coord.stage_" + x.stage))),
        cell(t("plan.col_km"), x.distance_km === null || x.distance_km === undefined ? "–" : Math.round(x.distance_km), "num"),
        cell(t("plan.col_reasons"), reasons), cell(t("plan.col_effect"), effect(x)));
    });
    body.replaceChildren.apply(body, rows.length ? rows : [el("tr", {}, el("td", { colSpan: 10, className: "empty" }, t("dashboard.plan_empty")))]);
    filter.apply();
    updateButtons();
  }

  function drawExisting(p) {
    var existing = p.existing || [];
    document.getElementById("existing-panel").hidden = existing.length === 0;
    var tbody = document.querySelector("#existing-table tbody");
    tbody.replaceChildren.apply(tbody, existing.map(function (e) {
      return el("tr", { dataset: { state: e.action, dispatchId: e.dispatch_id } }, cell("#", e.dispatch_id),
        cell(t("col.supplier") + " → " + t("col.requester"), party(e, "supplier") + " \u2192 " + party(e, "requester")),
        cell(t("col.headcount"), e.headcount, "num"), cell(t("plan.col_effect"), label(e.action_label, e.action)));
    }));
  }

  function drawUnmet(p) {
    var list = document.getElementById("unmet-list");
    list.replaceChildren.apply(list, p.unmet.length ? p.unmet.map(function (u) {
      return el("li", { dataset: { needId: u.need_id } }, el("strong", {}, (names[u.requester_id] || u.requester_id) + " · " +
                t("map.people", { n: u.headcount })), " ", c.pick(u.reason));
    }) : [el("li", { className: "empty" }, t("plan.all_covered"))]);
    var declined = p.declined_pairs || [];
    document.getElementById("declined-panel").hidden = declined.length === 0;
    var dl = document.getElementById("declined-list");
    dl.replaceChildren.apply(dl, declined.map(function (d) {
      return el("li", {}, party(d, "supplier") + " \u2192 " + party(d, "requester") + " · " + c.jst(d.declined_at) +
                (d.decline_reason ? " · " + d.decline_reason : ""));
    }));
  }

  // Only what the filter shows is selected: "commit the selected" commits the rows the user sees ticked.
  function selectedKeys() {
    return Array.from(body.querySelectorAll("tr:not([hidden]) input.plan-select:checked")).map(function (b) { return b.value; });
  }
  function updateButtons() {
    var committable = plan ? plan.proposals.filter(function (x) { return x.committable; }).length : 0;
    commitAll.disabled = committable === 0;
    // A selection needs the plan's version (docs/matching.md): without it only "commit all" is offered.
    commitSelected.hidden = !(plan && plan.version && plan.proposals.every(function (x) { return x.key; }));
    var keys = selectedKeys();
    commitSelected.disabled = keys.length === 0;
    document.getElementById("selected-count").textContent = t("coord.bulk_count", { n: keys.length });
  }

  function draw(p) {
    plan = p;
    drawTotals(p);
    drawProposals(p);
    drawExisting(p);
    drawUnmet(p);
    document.body.dataset.ready = "1";
    document.body.dataset.planVersion = String(Number(document.body.dataset.planVersion || 0) + 1);
  }

  function dryRun() {
    o.actionMessage(t("preview.loading"));
    return o.api("POST", url, {}).then(function (p) { o.actionMessage(""); draw(p); },
                                      function (error) { o.actionMessage(error.message, true); document.body.dataset.ready = "1"; });
  }

  function commit(keys) {
    var request = { commit: true };
    if (plan.version) request.version = plan.version;
    if (keys) request.proposals = keys;
    commitAll.disabled = commitSelected.disabled = true;
    o.api("POST", url, request).then(function (result) {
      var made = result.proposals.filter(function (x) { return x.dispatch_id; });
      document.getElementById("committed-panel").hidden = false;
      document.getElementById("committed-summary").textContent = t("plan.committed_summary", { n: made.length });
      drawCommitted(made);
      o.actionMessage(t("dashboard.plan_done"));
      o.say(t("dashboard.plan_done"));
      draw(result);
    }, function (error) {
      o.actionMessage(error.status === 409 ? t("plan.changed") + " " + error.message : error.message, true);
      if (error.status === 409) dryRun(); else updateButtons();
    });
  }

  // The dispatches a commit made: those this user may approve can be approved and requested here; for the
  // others the page says who must approve them (read from the dashboard's picture).
  function drawCommitted(made) {
    o.api("GET", "/web/picture/" + config.disaster_id).then(function (p) {
      var byId = {};
      p.dispatches.forEach(function (d) { byId[d.id] = d; });
      var mine = 0;
      var list = document.getElementById("committed-list");
      list.replaceChildren.apply(list, made.map(function (x) {
        var d = byId[x.dispatch_id] || { actions: [] };
        var may = d.actions.indexOf("approve") >= 0;
        var approver = d.awaiting && p.awaiting[d.awaiting.key];
        if (may) mine += 1;
        var text = " #" + x.dispatch_id + " " + party(x, "supplier") + " \u2192 " + party(x, "requester") + " · " +
                   t("map.people", { n: x.headcount });
        return el("li", { dataset: { dispatchId: x.dispatch_id } }, el("label", {},
          el("input", { type: "checkbox", className: "committed-select", value: String(x.dispatch_id), checked: may, disabled: !may }), text),
          !may && approver ? el("span", { className: "hint awaiting" }, t("plan.approved_by", { who: c.pick(approver, "who") })) : null);
      }));
      document.getElementById("approve-request-committed").disabled = mine === 0;
      document.body.dataset.committed = String(made.length);
    });
  }

  commitAll.addEventListener("click", function () {
    if (window.confirm(t("dashboard.plan_confirm", { proposals: plan.proposals.filter(function (x) { return x.committable; }).length,
                                                     covered: plan.totals.covered, asked: plan.totals.people_to_plan }))) commit(null);
  });
  commitSelected.addEventListener("click", function () { commit(selectedKeys()); });
  body.addEventListener("change", updateButtons);
  document.getElementById("select-all").addEventListener("change", function () {
    var on = this.checked;
    body.querySelectorAll("tr:not([hidden]) input.plan-select:not(:disabled)").forEach(function (b) { b.checked = on; });
    updateButtons();
  });
  document.getElementById("plan-again").addEventListener("click", dryRun);

  // Approve and request the dispatches the commit made (each goes proposed → approved → requested).
  document.getElementById("approve-request-committed").addEventListener("click", function () {
    var button = this;
    button.disabled = true;
    var ids = Array.from(document.querySelectorAll("#committed-list input:checked")).map(function (b) { return b.value; });
    var done = 0, failures = [];
    var chain = Promise.resolve();
    ids.forEach(function (id) {
      chain = chain.then(function () {
        return o.api("POST", "/api/v1/dispatches/" + id + "/approve")
          .then(function () { return o.api("POST", "/api/v1/dispatches/" + id + "/request"); })
          .then(function () { done += 1; }, function (error) { failures.push("#" + id + ": " + error.message); });
      });
    });
    chain.then(function () {
      var text = t("coord.bulk_done", { n: done });
      o.actionMessage(failures.length ? text + " " + failures.join(" / ") : text, failures.length > 0);
      o.say(text);
      document.body.dataset.requested = String(done);
    });
  });

  document.getElementById("select-all").checked = true;
  dryRun();
})();
