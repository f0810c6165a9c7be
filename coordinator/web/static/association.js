// Association page: declare and amend needs, offer people, answer requests, report progress; and the
// standing-capacity register on the association's home page. Everything goes through the JSON API.
(function () {
  "use strict";
  var o = window.ouen, t = o.t, el = o.el, config = o.config;
  var names = config.names || {};
  var kindNames = {}, languageNames = {};
  (config.kinds || []).forEach(function (k) { kindNames[k.id] = k.name; });
  (config.languages || []).forEach(function (l) { languageNames[l.tag] = l.name; });
  var mine = config.association_id;
  var disasterId = config.disaster_id;
  var needs = {};

  function nameOf(id) { return names[id] || id; }
  function kinds(list) { return list.map(function (k) { return kindNames[k] || k; }).join(config.lang === "ja" ? "、" : ", "); }
  function languages(list) { return list.map(function (l) { return languageNames[l] || l; }).join(config.lang === "ja" ? "、" : ", "); }
  function checked(form, name) {
    return Array.prototype.filter.call(form.elements[name], function (box) { return box.checked; })
      .map(function (box) { return box.value; });
  }
  function numberOrNull(value) { return value === "" ? null : Number(value); }
  function emptyRow(columns) { return el("tr", {}, el("td", { colSpan: columns, className: "empty" }, t("panel.none"))); }
  function button(text, action, id, secondary) {
    var b = el("button", { type: "button", className: secondary ? "secondary" : "" }, text);
    b.dataset.action = action;
    b.dataset.id = id;
    return b;
  }

  // ---- needs ---------------------------------------------------------------------------------------
  var needForm = document.getElementById("need-form");

  function resetNeedForm() {
    needForm.reset();
    needForm.elements.need_id.value = "";
    needForm.elements.version.value = "";
    document.getElementById("need-submit").textContent = t("need.submit");
    document.getElementById("need-reset").hidden = true;
    o.clearErrors(needForm);
  }

  function needBody() {
    var f = needForm.elements;
    var body = { kind: f.kind.value, language: f.language.value, headcount: numberOrNull(f.headcount.value),
                 start: f.start.value || null, days: numberOrNull(f.days.value),
                 place: f.place.value.trim() || null, remote: f.remote.checked, notes: f.notes.value };
    if (f.need_id.value) {
      body.version = Number(f.version.value);
      if (body.days === null) delete body.days;
      if (body.place === null) delete body.place;
      return body;
    }
    body.requester_id = mine;
    if (body.days === null) delete body.days;
    // Empty required fields are sent as they are, so that the API names the field in its own words.
    if (body.kind === "") body.kind = "";
    return body;
  }

  function amend(need) {
    var f = needForm.elements;
    f.need_id.value = need.id; f.version.value = need.version;
    f.kind.value = need.kind; f.language.value = need.language; f.headcount.value = need.headcount;
    f.start.value = need.start; f.days.value = need.days; f.place.value = need.place || "";
    f.remote.checked = need.remote; f.notes.value = need.notes || "";
    document.getElementById("need-submit").textContent = t("need.amend_submit", { id: need.id });
    document.getElementById("need-reset").hidden = false;
    f.kind.focus();
  }

  if (needForm) {
    needForm.addEventListener("submit", function (event) {
      event.preventDefault();
      o.clearErrors(needForm);
      var id = needForm.elements.need_id.value;
      var request = id ? o.api("PATCH", "/api/v1/needs/" + id, needBody())
                       : o.api("POST", "/api/v1/disasters/" + disasterId + "/needs", needBody());
      request.then(function (need) {
        o.actionMessage(t(id ? "need.amended" : "need.created", { id: need.id }));
        resetNeedForm();
        refresh();
      }, function (error) { o.showError(needForm, error); });
    });
    document.getElementById("need-reset").addEventListener("click", resetNeedForm);
    document.getElementById("my-needs").addEventListener("click", function (event) {
      var b = event.target.closest("button[data-action]");
      if (!b) return;
      var need = needs[b.dataset.id];
      if (b.dataset.action === "amend") { amend(need); return; }
      if (!window.confirm(t("need.confirm_cancel", { id: need.id }))) return;
      o.api("POST", "/api/v1/needs/" + need.id + "/cancel", { version: need.version }).then(function () {
        o.actionMessage(t("need.cancelled", { id: need.id }));
        refresh();
      }, function (error) { o.actionMessage(error.message, true); });
    });
  }

  function drawNeeds(picture) {
    var body = document.querySelector("#my-needs tbody");
    if (!body) return;
    needs = {};
    var rows = picture.needs.filter(function (n) { return n.requester_id === mine; }).map(function (n) {
      needs[n.id] = n;
      var actions = el("td", { className: "actions" });
      if (n.status === "open") {
        actions.append(button(t("need.amend"), "amend", n.id), button(t("need.cancel"), "cancel", n.id, true));
      }
      return el("tr", { dataset: { needId: n.id } }, el("td", {}, n.id), el("td", {}, kindNames[n.kind] || n.kind),
                el("td", {}, languageNames[n.language] || n.language), el("td", { className: "num" }, n.headcount),
                el("td", {}, n.start + " (" + t("unit.days", { n: n.days }) + ")"),
                el("td", { className: "num" }, n.accepted), el("td", {}, o.label("need_status", n.status)), actions);
    });
    body.replaceChildren.apply(body, rows.length ? rows : [emptyRow(8)]);
  }

  // ---- offers --------------------------------------------------------------------------------------
  var offerForm = document.getElementById("offer-form");
  if (offerForm) {
    offerForm.addEventListener("submit", function (event) {
      event.preventDefault();
      o.clearErrors(offerForm);
      var f = offerForm.elements;
      var body = { languages: checked(offerForm, "languages"), kinds: checked(offerForm, "kinds"),
                   headcount: numberOrNull(f.headcount.value), available_from: f.available_from.value || null,
                   available_until: f.available_until.value || null, notes: f.notes.value };
      o.api("POST", "/api/v1/disasters/" + disasterId + "/offers", body).then(function (offer) {
        o.actionMessage(t("offer.created", { id: offer.id }));
        offerForm.reset();
        refresh();
      }, function (error) { o.showError(offerForm, error); });
    });
    document.getElementById("offer-prefill").addEventListener("click", function () {
      o.clearErrors(offerForm);
      var f = offerForm.elements;
      var body = { available_from: f.available_from.value || null, available_until: f.available_until.value || null };
      o.api("POST", "/api/v1/disasters/" + disasterId + "/offers/prefill", body).then(function (offer) {
        o.actionMessage(t("offer.created", { id: offer.id }));
        refresh();
      }, function (error) { o.showError(offerForm, error); });
    });
    document.getElementById("my-offers").addEventListener("click", function (event) {
      var b = event.target.closest("button[data-action]");
      if (!b || !window.confirm(t("offer.confirm_withdraw"))) return;
      o.api("POST", "/api/v1/offers/" + b.dataset.id + "/withdraw", {}).then(function () {
        o.actionMessage(t("offer.withdrawn"));
        refresh();
      }, function (error) { o.actionMessage(error.message, true); });
    });
  }

  function drawOffers(picture) {
    var body = document.querySelector("#my-offers tbody");
    if (!body) return;
    var rows = picture.offers.filter(function (f) { return f.association_id === mine; }).map(function (f) {
      return el("tr", {}, el("td", {}, f.id), el("td", {}, languages(f.languages)), el("td", {}, kinds(f.kinds)),
                el("td", { className: "num" }, f.headcount),
                el("td", { className: "actions" }, button(t("offer.withdraw"), "withdraw", f.id, true)));
    });
    body.replaceChildren.apply(body, rows.length ? rows : [emptyRow(5)]);
  }

  // ---- requests and progress -----------------------------------------------------------------------
  function card(d, incoming) {
    var other = incoming ? t("request.to", { name: nameOf(d.requester_id) })
                         : t("request.from", { name: nameOf(d.supplier_id) });
    var node = el("article", { className: "card", dataset: { dispatchId: d.id, state: d.state } },
      el("h3", {}, "#" + d.id + " " + other),
      el("p", {}, t("map.people", { n: d.headcount }) + " · " + o.label("dispatch_state", d.state) +
                  (d.overdue ? " (" + t("dispatch.overdue") + ")" : "")));
    if (d.decline_reason) node.append(el("p", { className: "hint" }, t("request.reason_was", { reason: d.decline_reason })));
    if (incoming && d.actions.indexOf("accept") >= 0) node.append(answerForm(d));
    var progress = el("div", { className: "buttons" });
    ["depart", "arrive", "complete"].forEach(function (action) {
      if (d.actions.indexOf(action) >= 0) progress.append(button(t("action." + action), action, d.id));
    });
    if (progress.childElementCount) node.append(progress);
    return node;
  }

  function answerForm(d) {
    var idCost = "cost-" + d.id, idPolicy = "policy-" + d.id, idReason = "reason-" + d.id;
    var policy = el("select", { id: idPolicy, name: "cost_policy" });
    (config.cost_policies || []).forEach(function (p) {
      policy.append(el("option", { value: p, selected: p === config.cost_default }, o.label("cost_policy", p)));
    });
    var form = el("form", { className: "answer-form", noValidate: true, dataset: { dispatchId: d.id } },
      el("div", { className: "field", dataset: { field: "expected_cost_yen" } },
         el("label", { htmlFor: idCost }, t("field.expected_cost")),
         el("input", { id: idCost, name: "expected_cost_yen", type: "number", min: 0, inputMode: "numeric" }),
         el("p", { className: "field-error" })),
      el("div", { className: "field", dataset: { field: "cost_policy" } },
         el("label", { htmlFor: idPolicy }, t("field.cost_policy")), policy, el("p", { className: "field-error" })),
      el("div", { className: "field", dataset: { field: "reason" } },
         el("label", { htmlFor: idReason }, t("field.decline_reason")),
         el("input", { id: idReason, name: "reason", maxLength: 1000 }), el("p", { className: "field-error" })),
      el("p", { className: "form-error", role: "alert" }),
      el("div", { className: "buttons" },
         el("button", { type: "submit", value: "accept", className: "accept" }, t("action.accept")),
         el("button", { type: "submit", value: "decline", className: "secondary decline" }, t("action.decline"))));
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      o.clearErrors(form);
      var action = (event.submitter && event.submitter.value) || "accept";
      var f = form.elements;
      var body = action === "accept"
        ? { expected_cost_yen: numberOrNull(f.expected_cost_yen.value), cost_policy: f.cost_policy.value }
        : { reason: f.reason.value.trim() };
      o.api("POST", "/api/v1/dispatches/" + d.id + "/" + action, body).then(function () {
        o.actionMessage(t("action.done_" + action));
        refresh();
      }, function (error) { o.showError(form, error); });
    });
    return form;
  }

  function drawRequests(picture) {
    var incoming = document.getElementById("incoming"), outgoing = document.getElementById("outgoing");
    if (!incoming) return;
    var visible = picture.dispatches.filter(function (d) { return ["proposed", "approved"].indexOf(d.state) < 0; });
    var ins = visible.filter(function (d) { return d.supplier_id === mine; }).map(function (d) { return card(d, true); });
    var outs = visible.filter(function (d) { return d.requester_id === mine; }).map(function (d) { return card(d, false); });
    incoming.replaceChildren.apply(incoming, ins.length ? ins : [el("p", { className: "empty" }, t("panel.none"))]);
    outgoing.replaceChildren.apply(outgoing, outs.length ? outs : [el("p", { className: "empty" }, t("panel.none"))]);
  }

  document.addEventListener("click", function (event) {
    var b = event.target.closest(".card button[data-action]");
    if (!b) return;
    b.disabled = true;
    o.api("POST", "/api/v1/dispatches/" + b.dataset.id + "/" + b.dataset.action).then(function () {
      o.actionMessage(t("action.done_" + b.dataset.action));
      refresh();
    }, function (error) { b.disabled = false; o.actionMessage(error.message, true); });
  });

  // ---- standing capacity (association home) --------------------------------------------------------
  var capacityForm = document.getElementById("capacity-form");
  function drawCapacity() {
    o.api("GET", "/api/v1/standing-capacity?association_id=" + encodeURIComponent(mine)).then(function (rows) {
      var body = document.querySelector("#capacity-table tbody");
      var trs = rows.map(function (r) {
        return el("tr", {}, el("td", {}, languageNames[r.language] || r.language), el("td", {}, kinds(r.kinds)),
                  el("td", { className: "num" }, r.headcount),
                  el("td", { className: "actions" }, button(t("capacity.remove"), "remove", r.id, true)));
      });
      body.replaceChildren.apply(body, trs.length ? trs : [emptyRow(4)]);
      document.body.dataset.ready = "1";
    }, function (error) { o.actionMessage(error.message, true); });
  }
  if (capacityForm && mine) {
    capacityForm.addEventListener("submit", function (event) {
      event.preventDefault();
      o.clearErrors(capacityForm);
      var f = capacityForm.elements;
      var body = { language: f.language.value, kinds: checked(capacityForm, "kinds"),
                   headcount: numberOrNull(f.headcount.value) };
      o.api("POST", "/api/v1/standing-capacity", body).then(function () {
        capacityForm.reset();
        o.actionMessage(t("capacity.added"));
        drawCapacity();
      }, function (error) { o.showError(capacityForm, error); });
    });
    document.getElementById("capacity-table").addEventListener("click", function (event) {
      var b = event.target.closest("button[data-action]");
      if (!b) return;
      o.api("DELETE", "/api/v1/standing-capacity/" + b.dataset.id).then(function () {
        o.actionMessage(t("capacity.removed"));
        drawCapacity();
      }, function (error) { o.actionMessage(error.message, true); });
    });
    drawCapacity();
  }

  // ---- loading -------------------------------------------------------------------------------------
  var reading = false, again = false;
  function refresh() {
    if (!disasterId || !mine) return;
    if (reading) { again = true; return; }
    reading = true;
    o.api("GET", "/web/picture/" + disasterId).then(function (picture) {
      drawNeeds(picture);
      drawOffers(picture);
      drawRequests(picture);
      document.body.dataset.ready = "1";
    }, function (error) { o.actionMessage(error.message, true); }).then(function () {
      reading = false;
      if (again) { again = false; refresh(); }
    });
  }
  if (disasterId && mine) {
    refresh();
    o.follow(disasterId, config.mode, function () { refresh(); });
  } else if (!capacityForm) {
    document.body.dataset.ready = "1";
  }
})();
