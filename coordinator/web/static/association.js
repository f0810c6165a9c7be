// Association page (issue 15): requests to answer with everything needed to decide, progress with a
// confirmation, needs (affected association) or the open needs one may help with (supporters), offers,
// contacts; and the association's home (contacts, standing capacity, what to do). Writes go through
// staff.send (kept offline, sent once); reads through the JSON API.
(function () {
  "use strict";
  var o = window.ouen, s = window.staff, t = o.t, el = o.el, config = o.config;
  var names = config.names || {};
  var kindNames = {}, languageNames = {};
  (config.kinds || []).forEach(function (k) { kindNames[k.id] = k.name; });
  (config.languages || []).forEach(function (l) { languageNames[l.tag] = l.name; });
  var mine = config.association_id;
  var disasterId = config.disaster_id;
  var picture = null, contacts = { associations: {}, needs: {}, dispatches: {} };
  var needs = {}, dispatches = {};
  var sep = config.lang === "ja" ? "、" : ", ";

  function nameOf(id) { return names[id] || id; }
  // el() with a list of children.
  function list(tag, props, children) { return el.apply(null, [tag, props].concat(children)); }
  function kinds(list) { return list.map(function (k) { return kindNames[k] || k; }).join(sep); }
  function langs(list) { return list.map(function (l) { return languageNames[l] || l; }).join(sep); }
  function checked(form, name) {
    return Array.prototype.filter.call(form.elements[name], function (box) { return box.checked; })
      .map(function (box) { return box.value; });
  }
  function numberOrNull(value) { return value === "" ? null : Number(value); }
  function empty() { return el("p", { className: "empty" }, t("panel.none")); }
  function button(text, action, id, secondary) {
    var b = el("button", { type: "button", className: secondary ? "secondary" : "" }, text);
    b.dataset.action = action;
    b.dataset.id = id;
    return b;
  }
  function row(label, value) {
    if (value === null || value === undefined || value === "") return null;
    return el("div", { className: "kv" }, el("dt", {}, label), el("dd", {}, value));
  }
  function period(start, end, days) {
    return s.day(start) + (end && end !== start ? " – " + s.day(end) : "") + " (" + t("unit.days", { n: days }) + ")";
  }
  function tel(phone) { return phone ? el("a", { href: "tel:" + phone.replace(/[^0-9+]/g, "") }, phone) : null; }
  function contactList(contactsOf) {
    if (!contactsOf || !contactsOf.length) return el("p", { className: "hint" }, t("staff.no_contacts"));
    return list("ul", { className: "contact-list plain" }, contactsOf.map(function (c) {
      return el("li", {}, el("strong", {}, c.name), c.role ? " (" + c.role + ")" : "", " ", tel(c.phone),
                c.email ? el("span", {}, " ", el("a", { href: "mailto:" + c.email }, c.email)) : null);
    }));
  }
  function message(text, isError) { o.actionMessage(text, isError); }
  // A write was kept for later (no connection): say so; it goes out by itself.
  function queuedOr(error, form) {
    if (error && error.queued) { message(t("staff.queued", { what: error.label }), false); return true; }
    if (form) s.showProblems(form, error); else message(error.message, true);
    return false;
  }
  // Inline confirmation instead of window.confirm (works on phones and is announced).
  function confirmIn(container, question, yes, onYes, extra) {
    var old = container.querySelector(".confirm");
    if (old) old.remove();
    var box = el("div", { className: "confirm", role: "group", "aria-label": question },
      el("p", {}, question), extra || null,
      el("p", { className: "form-error", role: "alert" }),
      el("div", { className: "buttons" },
         el("button", { type: "button", className: "confirm-yes" }, yes),
         el("button", { type: "button", className: "secondary confirm-no" }, t("staff.confirm_no"))));
    box.querySelector(".confirm-no").addEventListener("click", function () { box.remove(); });
    box.querySelector(".confirm-yes").addEventListener("click", function () { onYes(box); });
    container.append(box);
    var first = box.querySelector("textarea, input, .confirm-yes");
    if (first) first.focus();
    return box;
  }
  function reasonField(id, label) {
    return el("div", { className: "field", dataset: { field: "reason" } },
      el("label", { htmlFor: id }, label), el("textarea", { id: id, name: "reason", rows: 2, maxLength: 1000 }),
      el("p", { className: "field-error" }));
  }

  // ---- needs (affected association) ---------------------------------------------------------------
  var needForm = document.getElementById("need-form");
  var placeInput = document.getElementById("need-place-search");

  function resetNeedForm() {
    needForm.reset();
    needForm.elements.need_id.value = "";
    needForm.elements.version.value = "";
    needForm.elements.place.value = "";
    choosePlace(null);
    document.getElementById("need-submit").textContent = t("need.submit");
    document.getElementById("need-reset").hidden = true;
    document.getElementById("need-conflict").hidden = true;
    o.clearErrors(needForm);
    needForm.querySelectorAll("output.date-words").forEach(function (out) { out.textContent = ""; });
  }

  function needBody() {
    var f = needForm.elements;
    var body = { kind: f.kind.value, language: f.language.value, headcount: numberOrNull(f.headcount.value),
                 start: f.start.value || null, days: numberOrNull(f.days.value),
                 place: f.place.value || null, remote: f.remote.checked, notes: f.notes.value,
                 site_contact: { place: f.site_place.value, name: f.site_name.value, phone: f.site_phone.value } };
    if (body.days === null) delete body.days;
    if (f.need_id.value) {
      body.version = Number(f.version.value);
      return body;
    }
    body.requester_id = mine;
    return body;
  }

  function amend(need) {
    var f = needForm.elements;
    f.need_id.value = need.id; f.version.value = need.version;
    f.kind.value = need.kind; f.language.value = need.language; f.headcount.value = need.headcount;
    f.start.value = need.start; f.days.value = need.days; f.remote.checked = need.remote;
    f.notes.value = need.notes || "";
    f.place.value = need.place || "";
    choosePlace(need.place ? { code: need.place, label: need.place_name || need.place } : null);
    var site = contacts.needs[need.id] || {};
    f.site_place.value = site.place || ""; f.site_name.value = site.name || ""; f.site_phone.value = site.phone || "";
    document.getElementById("need-submit").textContent = t("need.amend_submit", { id: need.id });
    document.getElementById("need-reset").hidden = false;
    f.start.dispatchEvent(new Event("change"));
    needForm.scrollIntoView({ block: "start" });
    f.kind.focus();
  }

  // A concurrent edit: show what the other person changed, with the current values, and let the user
  // take them over before sending again (issue 15 item 4).
  function showConflict(error) {
    var box = document.getElementById("need-conflict");
    var details = error.details || {}, current = details.current || {};
    var lines = (details.changes_since || []).map(function (c) {
      var who = c.by_association_id ? nameOf(c.by_association_id) : t("staff.someone");
      return el("li", {}, t("staff.changed_by", { who: who, when: s.moment(c.at) }) + " ",
                describeChanges(c.changes, c.place_names));
    });
    box.replaceChildren(el("p", {}, el("strong", {}, error.message)), list("ul", {}, lines),
      el("div", { className: "buttons" }, el("button", { type: "button", id: "conflict-take" }, t("staff.conflict_take"))));
    box.hidden = false;
    box.querySelector("#conflict-take").addEventListener("click", function () {
      var mineNow = needBody();
      var merged = Object.assign({}, current, { place_name: null });
      amend(merged);
      // Keep what this user typed in the fields the other person did not touch.
      var touched = {};
      (details.changes_since || []).forEach(function (c) { Object.keys(c.changes || {}).forEach(function (k) { touched[k] = true; }); });
      ["kind", "language", "headcount", "start", "days", "notes"].forEach(function (k) {
        if (!touched[k] && mineNow[k] !== undefined && mineNow[k] !== null) needForm.elements[k].value = mineNow[k];
      });
      box.hidden = true;
    });
    box.scrollIntoView({ block: "center" });
  }

  var FIELD_LABELS = { kind: "field.kind", language: "field.language", headcount: "field.headcount", start: "field.start",
                       days: "staff.days", place: "field.place", remote: "field.remote", notes: "field.notes",
                       status: "col.status", site_contact: "staff.site_contact", reason: "staff.reason" };
  function valueWords(field, value, placeNames) {
    if (value === null || value === undefined || value === "") return t("staff.blank");
    if (field === "place") return (placeNames || {})[value] || t("staff.other_place");
    if (field === "kind") return kindNames[value] || value;
    if (field === "language") return languageNames[value] || value;
    if (field === "start") return s.day(value);
    if (field === "remote") return value ? t("staff.yes") : t("staff.no");
    if (field === "status") return o.label("need_status", value);
    return String(value);
  }
  function describeChanges(changes, placeNames) {
    return Object.keys(changes || {}).map(function (field) {
      var change = changes[field], label = t(FIELD_LABELS[field] || "staff.other_field");
      if (field === "site_contact") return t("staff.site_contact_changed");
      if (field === "reason") return label + ": " + change;
      return t("staff.change_line", { field: label, old: valueWords(field, change.old, placeNames),
                                       new: valueWords(field, change.new, placeNames) });
    }).join(" / ");
  }

  function history(need, card) {
    var box = card.querySelector(".history");
    if (box) { box.remove(); return; }
    o.api("GET", "/api/v1/needs/" + need.id + "/history").then(function (rows) {
      var items = rows.length ? rows.map(function (r) {
        var who = r.by_association_id ? nameOf(r.by_association_id) : "";
        return el("li", {}, el("span", { className: "when" }, s.moment(r.at)), " ", who,
                  r.on_behalf ? " (" + t("staff.on_behalf") + ")" : "", ": ", describeChanges(r.changes, r.place_names));
      }) : [el("li", { className: "empty" }, t("staff.history_none"))];
      card.append(el("div", { className: "history" }, el("h4", {}, t("staff.history_title")),
                     list("ol", { className: "plain" }, items)));
    }, function (error) { message(error.message, true); });
  }

  function needCard(n) {
    var site = contacts.needs[n.id];
    var card = el("article", { className: "card need-card", dataset: { needId: n.id, status: n.status } },
      el("h3", {}, (kindNames[n.kind] || n.kind) + " · " + (languageNames[n.language] || n.language)),
      el("dl", { className: "kvs" },
         row(t("field.headcount"), t("staff.people_progress", { n: n.headcount, accepted: n.accepted || 0 })),
         row(t("staff.period"), period(n.start, n.end, n.days)),
         row(t("staff.place"), n.place_name || (n.remote ? t("field.remote") : "")),
         row(t("field.notes"), n.notes),
         row(t("staff.site_contact"), site ? [site.place, site.name, site.phone].filter(Boolean).join(" ") : ""),
         row(t("col.status"), o.label("need_status", n.status))));
    var actions = el("div", { className: "buttons" });
    if (n.status === "open") {
      actions.append(button(t("need.amend"), "amend", n.id), button(t("need.cancel"), "cancel", n.id, true));
    }
    actions.append(button(t("staff.history_show"), "history", n.id, true));
    card.append(actions);
    return card;
  }

  function drawNeeds() {
    var box = document.getElementById("my-needs");
    if (!box) return;
    needs = {};
    var cards = picture.needs.filter(function (n) { return n.requester_id === mine; }).map(function (n) {
      needs[n.id] = n;
      return needCard(n);
    });
    box.replaceChildren.apply(box, cards.length ? cards : [empty()]);
  }

  if (needForm) {
    needForm.addEventListener("submit", function (event) {
      event.preventDefault();
      o.clearErrors(needForm);
      var id = needForm.elements.need_id.value;
      var label = id ? t("staff.label_amend", { id: id }) : t("staff.label_need");
      var request = id ? s.send("PATCH", "/api/v1/needs/" + id, needBody(), label)
                       : s.send("POST", "/api/v1/disasters/" + disasterId + "/needs", needBody(), label);
      request.then(function (need) {
        message(t(id ? "need.amended" : "need.created", { id: need.id }));
        resetNeedForm();
        refresh();
      }, function (error) {
        if (error && error.queued) { resetNeedForm(); queuedOr(error); return; }
        if (error.status === 409 && error.field === "version") { showConflict(error); return; }
        s.showProblems(needForm, error);
      });
    });
    document.getElementById("need-reset").addEventListener("click", resetNeedForm);
    document.getElementById("my-needs").addEventListener("click", function (event) {
      var b = event.target.closest("button[data-action]");
      if (!b) return;
      var need = needs[b.dataset.id], card = b.closest(".card");
      if (b.dataset.action === "amend") { amend(need); return; }
      if (b.dataset.action === "history") { history(need, card); return; }
      confirmIn(card, t("need.confirm_cancel", { id: need.id }), t("staff.cancel_need_yes"), function (box) {
        var reason = box.querySelector("textarea").value.trim();
        if (!reason) { box.querySelector(".field-error").textContent = t("staff.reason_required"); return; }
        s.send("POST", "/api/v1/needs/" + need.id + "/cancel", { version: need.version, reason: reason },
               t("staff.label_cancel", { id: need.id })).then(function () {
          message(t("need.cancelled", { id: need.id }));
          refresh();
        }, function (error) {
          if (error && error.status === 409 && error.field === "version") { showConflict(error); box.remove(); return; }
          queuedOr(error);
        });
      }, reasonField("cancel-reason-" + need.id, t("staff.cancel_reason")));
    });
  }

  // ---- place: chosen by municipality name (kanji or kana), never by code --------------------------
  var placeTimer = null;
  function choosePlace(place) {
    var chosen = document.getElementById("need-place-chosen");
    if (!chosen) return;
    needForm.elements.place.value = place ? place.code : "";
    chosen.hidden = !place;
    chosen.replaceChildren();
    if (place) {
      chosen.append(t("staff.place_chosen", { name: place.label }), " ",
                    el("button", { type: "button", className: "secondary link-like", id: "place-clear" }, t("staff.place_clear")));
      chosen.querySelector("#place-clear").addEventListener("click", function () { choosePlace(null); placeInput.focus(); });
      placeInput.value = "";
    }
  }
  function searchPlaces() {
    var options = document.getElementById("need-place-options");
    var q = placeInput.value.trim();
    if (!q) { options.hidden = true; placeInput.setAttribute("aria-expanded", "false"); return; }
    o.api("GET", "/api/v1/places?limit=8&q=" + encodeURIComponent(q)).then(function (places) {
      var affected = (picture && picture.disaster.affected_prefectures) || [];
      var usable = places.filter(function (p) { return !affected.length || affected.indexOf(p.prefecture_code) >= 0; });
      options.replaceChildren.apply(options, usable.length ? usable.map(function (p, i) {
        var label = config.lang === "en" ? (p.label_en || p.label_ja) : p.label_ja;
        var option = el("li", { role: "option", id: "place-option-" + i, tabIndex: -1, dataset: { code: p.code } },
                        label, el("span", { className: "hint" }, " " + (p.name_kana || "")));
        option.addEventListener("click", function () {
          choosePlace({ code: p.code, label: label });
          options.hidden = true;
          placeInput.setAttribute("aria-expanded", "false");
        });
        option.addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); option.click(); } });
        return option;
      }) : [el("li", { className: "empty" }, t("staff.place_none"))]);
      options.hidden = false;
      placeInput.setAttribute("aria-expanded", "true");
    }, function () { /* offline: the field stays empty */ });
  }
  if (placeInput) {
    placeInput.addEventListener("input", function () { clearTimeout(placeTimer); placeTimer = setTimeout(searchPlaces, 200); });
    placeInput.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown") { var first = document.querySelector("#need-place-options [role=option]"); if (first) { e.preventDefault(); first.focus(); } }
    });
  }

  // ---- supporters: open needs they may help with, offers -------------------------------------------
  var offerForm = document.getElementById("offer-form");
  function openNeedCard(n) {
    var card = el("article", { className: "card open-need", dataset: { needId: n.id } },
      el("h3", {}, t("staff.need_of", { name: nameOf(n.requester_id) })),
      el("dl", { className: "kvs" },
         row(t("field.kind"), kindNames[n.kind] || n.kind),
         row(t("field.language"), languageNames[n.language] || n.language),
         row(t("field.headcount"), t("staff.people_unmet", { n: n.headcount, unmet: n.unmet })),
         row(t("staff.period"), period(n.start, n.end, n.days)),
         row(t("staff.place"), n.place_name || (n.remote ? t("field.remote") : "")),
         row(t("field.notes"), n.notes)),
      el("div", { className: "buttons" }, button(t("staff.offer_for_need"), "offer-for", n.id)));
    return card;
  }
  function drawOpenNeeds() {
    var box = document.getElementById("open-needs");
    if (!box) return;
    needs = {};
    var mayOffer = picture.may_offer_for || [];
    var open = picture.needs.filter(function (n) { return mayOffer.indexOf(n.id) >= 0; });
    open.forEach(function (n) { needs[n.id] = n; });
    box.replaceChildren.apply(box, open.length ? open.map(openNeedCard) : [el("p", { className: "empty" }, t("staff.open_needs_none"))]);
  }
  function offerFor(need) {
    var f = offerForm.elements;
    offerForm.reset();
    f.need_id.value = need.id;
    Array.prototype.forEach.call(f.languages, function (b) { b.checked = b.value === need.language; });
    Array.prototype.forEach.call(f.kinds, function (b) { b.checked = b.value === need.kind; });
    f.headcount.value = need.unmet || need.headcount;
    f.available_from.value = need.start; f.available_until.value = need.end;
    [f.available_from, f.available_until].forEach(function (i) { i.dispatchEvent(new Event("change")); });
    var note = document.getElementById("offer-for-need");
    note.textContent = t("staff.offer_for_note", { name: nameOf(need.requester_id), kind: kindNames[need.kind] || need.kind });
    note.hidden = false;
    offerForm.scrollIntoView({ block: "start" });
    f.headcount.focus();
  }
  if (offerForm) {
    document.getElementById("open-needs").addEventListener("click", function (event) {
      var b = event.target.closest("button[data-action='offer-for']");
      if (b) offerFor(needs[b.dataset.id]);
    });
    offerForm.addEventListener("submit", function (event) {
      event.preventDefault();
      o.clearErrors(offerForm);
      var f = offerForm.elements;
      var body = { languages: checked(offerForm, "languages"), kinds: checked(offerForm, "kinds"),
                   headcount: numberOrNull(f.headcount.value), available_from: f.available_from.value || null,
                   available_until: f.available_until.value || null, notes: f.notes.value };
      if (f.need_id.value) body.need_id = Number(f.need_id.value);
      s.send("POST", "/api/v1/disasters/" + disasterId + "/offers", body, t("staff.label_offer")).then(function (offer) {
        message(t("offer.created", { id: offer.id }));
        offerForm.reset();
        f.need_id.value = "";
        document.getElementById("offer-for-need").hidden = true;
        refresh();
      }, function (error) {
        if (error && error.queued) { offerForm.reset(); queuedOr(error); return; }
        s.showProblems(offerForm, error);
      });
    });
    document.getElementById("offer-prefill").addEventListener("click", function () {
      o.clearErrors(offerForm);
      var f = offerForm.elements;
      var body = { available_from: f.available_from.value || null, available_until: f.available_until.value || null };
      s.send("POST", "/api/v1/disasters/" + disasterId + "/offers/prefill", body, t("staff.label_offer")).then(function (offer) {
        message(t("offer.created", { id: offer.id }));
        refresh();
      }, function (error) { queuedOr(error, offerForm); });
    });
    document.getElementById("my-offers").addEventListener("click", function (event) {
      var b = event.target.closest("button[data-action='withdraw']");
      if (!b) return;
      var card = b.closest(".card");
      confirmIn(card, t("offer.confirm_withdraw"), t("staff.withdraw_yes"), function (box) {
        var reason = box.querySelector("textarea").value.trim();
        if (!reason) { box.querySelector(".field-error").textContent = t("staff.reason_required"); return; }
        s.send("POST", "/api/v1/offers/" + b.dataset.id + "/withdraw", { reason: reason },
               t("staff.label_withdraw")).then(function () {
          message(t("offer.withdrawn"));
          refresh();
        }, function (error) { queuedOr(error); });
      }, reasonField("withdraw-reason-" + b.dataset.id, t("staff.withdraw_reason")));
    });
  }

  function drawOffers() {
    var box = document.getElementById("my-offers");
    if (!box) return;
    var cards = picture.offers.filter(function (f) { return f.association_id === mine; }).map(function (f) {
      return el("article", { className: "card", dataset: { offerId: f.id } },
        el("h3", {}, t("map.people", { n: f.headcount })),
        el("dl", { className: "kvs" }, row(t("col.languages"), langs(f.languages)), row(t("col.kinds"), kinds(f.kinds))),
        el("div", { className: "buttons" }, button(t("offer.withdraw"), "withdraw", f.id, true)));
    });
    box.replaceChildren.apply(box, cards.length ? cards : [empty()]);
  }

  // ---- requests: everything needed to decide, answers, progress ------------------------------------
  var PROGRESS = { depart: "staff.confirm_depart", arrive: "staff.confirm_arrive", complete: "staff.confirm_complete" };

  function requestCard(d, incoming) {
    var other = incoming ? d.requester_id : d.supplier_id;
    var title = incoming ? t("staff.request_from", { name: nameOf(d.requester_id) })
                         : t("staff.request_to", { name: nameOf(d.supplier_id) });
    var card = el("article", { className: "card request-card" + (d.overdue ? " overdue" : ""),
                               dataset: { dispatchId: d.id, state: d.state } },
      el("h3", {}, title),
      el("p", { className: "state-line" }, el("span", { className: "state state-" + d.state }, o.label("dispatch_state", d.state)),
         d.overdue ? el("span", { className: "tag urgent" }, t("dispatch.overdue")) : null),
      el("dl", { className: "kvs" },
         row(t("field.kind"), kindNames[d.need_kind] || d.need_kind),
         row(t("field.language"), languageNames[d.need_language] || d.need_language),
         row(t("staff.people_asked"), t("staff.people_of_need", { n: d.headcount, of: d.need_headcount })),
         row(t("staff.period"), d.need_start ? period(d.need_start, d.need_end, d.need_days) : ""),
         row(t("staff.place"), d.need_place_name || (d.need_remote ? t("field.remote") : "")),
         row(t("field.notes"), d.need_notes),
         row(t("staff.who_asks"), incoming ? nameOf(d.requester_id) : null),
         row(t("staff.answer_deadline"), d.answer_deadline ? s.moment(d.answer_deadline) : ""),
         row(t("staff.cost_policy"), d.cost_policy ? o.label("cost_policy", d.cost_policy)
                                                   : t("staff.cost_default", { policy: o.label("cost_policy", d.cost_default) })),
         row(t("field.expected_cost"), d.expected_cost_yen !== null && d.expected_cost_yen !== undefined
                                          ? o.formatNumber(d.expected_cost_yen) + t("staff.yen") : ""),
         row(t("staff.decline_reason_was"), d.decline_reason)));
    var seen = contacts.associations[other];
    if (seen !== undefined) {
      card.append(el("div", { className: "contacts" }, el("h4", {}, t(incoming ? "staff.contacts_of_requester" : "staff.contacts_of_supplier")),
                     contactList(seen)));
    }
    var site = contacts.needs[d.need_id];
    if (site) card.append(el("p", { className: "site" }, t("staff.site_contact") + ": ", [site.place, site.name].filter(Boolean).join(" "), " ", tel(site.phone)));
    var people = contacts.dispatches[d.id];
    if (people && people.length && !incoming) {
      card.append(el("div", { className: "people" }, el("h4", {}, t("staff.people_sent")),
        list("ul", { className: "plain" }, people.map(function (p) { return el("li", {}, p.name, " ", tel(p.phone)); }))));
    }
    if (incoming && d.actions.indexOf("accept") >= 0) card.append(answerForm(d));
    var progress = el("div", { className: "buttons progress" });
    ["depart", "arrive", "complete"].forEach(function (action) {
      if (d.actions.indexOf(action) >= 0) progress.append(button(t("action." + action), action, d.id));
    });
    if (d.undo_until && new Date(d.undo_until) > new Date()) {
      progress.append(button(t("staff.undo", { state: o.label("dispatch_state", d.state),
                                               time: s.moment(d.undo_until).split(" ")[1] }), "undo", d.id, true));
    }
    if (progress.childElementCount) card.append(progress);
    if (incoming && ["accepted", "en_route", "on_site"].indexOf(d.state) >= 0) card.append(peopleForm(d, people || []));
    return card;
  }

  // Accepting asks only what accepting needs (cost); declining opens its own reason field.
  function answerForm(d) {
    var idCost = "cost-" + d.id, idPolicy = "policy-" + d.id;
    var policy = el("select", { id: idPolicy, name: "cost_policy" });
    (config.cost_policies || []).forEach(function (p) {
      policy.append(el("option", { value: p, selected: p === (d.cost_default || config.cost_default) }, o.label("cost_policy", p)));
    });
    var idCount = "count-" + d.id;
    var form = el("form", { className: "answer-form", noValidate: true, dataset: { dispatchId: d.id } },
      el("div", { className: "field", dataset: { field: "accepted_headcount" } },
         el("label", { htmlFor: idCount }, t("staff.accept_count")),
         el("input", { id: idCount, name: "accepted_headcount", type: "number", min: 1, max: d.headcount,
                       value: d.headcount, inputMode: "numeric" }),
         el("p", { className: "hint" }, t("staff.accept_count_hint", { n: d.headcount })),
         el("p", { className: "field-error" })),
      el("div", { className: "field", dataset: { field: "expected_cost_yen" } },
         el("label", { htmlFor: idCost }, t("field.expected_cost")),
         el("input", { id: idCost, name: "expected_cost_yen", type: "number", min: 0, inputMode: "numeric" }),
         el("p", { className: "field-error" })),
      el("div", { className: "field", dataset: { field: "cost_policy" } },
         el("label", { htmlFor: idPolicy }, t("field.cost_policy")), policy, el("p", { className: "field-error" })),
      el("p", { className: "form-error", role: "alert" }),
      el("div", { className: "buttons" },
         el("button", { type: "submit", className: "accept" }, t("action.accept")),
         el("button", { type: "button", className: "secondary decline" }, t("action.decline"))));
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      o.clearErrors(form);
      var f = form.elements;
      var body = { expected_cost_yen: numberOrNull(f.expected_cost_yen.value), cost_policy: f.cost_policy.value };
      var count = numberOrNull(f.accepted_headcount.value);
      if (count !== d.headcount) body.accepted_headcount = count;
      s.send("POST", "/api/v1/dispatches/" + d.id + "/accept", body, t("staff.label_accept")).then(function (answer) {
        message(answer && answer.headcount < d.headcount
          ? t("staff.accepted_part", { n: answer.headcount, rest: d.headcount - answer.headcount })
          : t("action.done_accept"));
        refresh();
      }, function (error) { queuedOr(error, form); });
    });
    form.querySelector("button.decline").addEventListener("click", function () {
      confirmIn(form, t("staff.decline_question"), t("action.decline"), function (box) {
        var reason = box.querySelector("textarea").value.trim();
        if (!reason) { box.querySelector(".field-error").textContent = t("staff.reason_required"); return; }
        s.send("POST", "/api/v1/dispatches/" + d.id + "/decline", { reason: reason }, t("staff.label_decline")).then(function () {
          message(t("action.done_decline"));
          refresh();
        }, function (error) { queuedOr(error, box); });
      }, reasonField("decline-reason-" + d.id, t("field.decline_reason")));
    });
    return form;
  }

  // The names and phones of the people sent (seen by both associations, coordinators and the secretariat).
  function peopleForm(d, people) {
    var details = el("details", { className: "people-form" }, el("summary", {}, t("staff.people_edit", { n: people.length, of: d.headcount })));
    var form = el("form", { noValidate: true });
    var rowsBox = el("ol", { className: "plain" });
    function addRow(p, i) {
      rowsBox.append(el("li", { className: "person-row" },
        el("div", { className: "field", dataset: { field: "people." + i + ".name" } },
           el("label", { htmlFor: "person-" + d.id + "-" + i + "-name" }, t("staff.person_name", { n: i + 1 })),
           el("input", { id: "person-" + d.id + "-" + i + "-name", name: "name", value: p.name || "", maxLength: 100 }),
           el("p", { className: "field-error" })),
        el("div", { className: "field", dataset: { field: "people." + i + ".phone" } },
           el("label", { htmlFor: "person-" + d.id + "-" + i + "-phone" }, t("staff.person_phone", { n: i + 1 })),
           el("input", { id: "person-" + d.id + "-" + i + "-phone", name: "phone", type: "tel", inputMode: "tel", value: p.phone || "", maxLength: 40 }),
           el("p", { className: "field-error" }))));
    }
    var rows = people.length ? people : [{}];
    rows.forEach(addRow);
    var more = el("button", { type: "button", className: "secondary" }, t("staff.person_add"));
    more.addEventListener("click", function () { if (rowsBox.children.length < d.headcount) addRow({}, rowsBox.children.length); });
    form.append(rowsBox, el("p", { className: "form-error", role: "alert" }),
                el("div", { className: "buttons" }, more, el("button", { type: "submit" }, t("staff.people_save"))));
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var body = { people: Array.prototype.map.call(rowsBox.children, function (li) {
        return { name: li.querySelector("[name=name]").value, phone: li.querySelector("[name=phone]").value };
      }).filter(function (p) { return p.name || p.phone; }) };
      o.api("PUT", "/api/v1/dispatches/" + d.id + "/people", body).then(function () {
        message(t("staff.people_saved"));
        refresh();
      }, function (error) { s.showProblems(form, error); });
    });
    details.append(form);
    return details;
  }

  function drawRequests() {
    var incoming = document.getElementById("incoming"), outgoing = document.getElementById("outgoing");
    if (!incoming) return;
    dispatches = {};
    var visible = picture.dispatches.filter(function (d) { return ["proposed", "approved"].indexOf(d.state) < 0; });
    visible.forEach(function (d) { dispatches[d.id] = d; });
    var order = { requested: 0, accepted: 1, en_route: 2, on_site: 3, completed: 4, declined: 5, cancelled: 6 };
    visible.sort(function (a, b) { return (order[a.state] || 9) - (order[b.state] || 9) || a.id - b.id; });
    var ins = visible.filter(function (d) { return d.supplier_id === mine; }).map(function (d) { return requestCard(d, true); });
    var outs = visible.filter(function (d) { return d.requester_id === mine; }).map(function (d) { return requestCard(d, false); });
    incoming.replaceChildren.apply(incoming, ins.length ? ins : [empty()]);
    if (outgoing) outgoing.replaceChildren.apply(outgoing, outs.length ? outs : [empty()]);
  }

  // "2026-12-04T14:05" typed in Japan time -> an ISO instant the API understands.
  function jstInstant(local) { return local ? local + ":00+09:00" : null; }
  function timeField(id) {
    return el("div", { className: "field", dataset: { field: "at" } },
      el("label", { htmlFor: id }, t("staff.actual_time")),
      el("input", { id: id, name: "at", type: "datetime-local" }),
      el("p", { className: "hint" }, t("staff.actual_time_hint")), el("p", { className: "field-error" }));
  }

  // Progress: a confirmation first (a mistaken tap on a phone is easy), with the actual time when the
  // report comes late; then one write. Undo takes the last report back within the window.
  document.addEventListener("click", function (event) {
    var b = event.target.closest(".request-card .progress button[data-action]");
    if (!b) return;
    var action = b.dataset.action, card = b.closest(".card");
    if (action === "undo") {
      confirmIn(card, t("staff.confirm_undo"), t("staff.undo_yes"), function (box) {
        box.querySelector(".confirm-yes").disabled = true;
        o.api("POST", "/api/v1/dispatches/" + b.dataset.id + "/undo", {}).then(function () {
          message(t("staff.undone"));
          refresh();
        }, function (error) { box.remove(); message(error.message, true); refresh(); });
      });
      return;
    }
    confirmIn(card, t(PROGRESS[action]), t("action." + action), function (box) {
      var at = jstInstant(box.querySelector("input[name=at]").value);
      box.querySelector(".confirm-yes").disabled = true;
      s.send("POST", "/api/v1/dispatches/" + b.dataset.id + "/" + action, at ? { at: at } : {},
             t("action." + action)).then(function () {
        message(t("action.done_" + action));
        refresh();
      }, function (error) {
        box.querySelector(".confirm-yes").disabled = false;
        if (error && error.queued) { box.remove(); queuedOr(error); return; }
        s.showProblems(box, error);
      });
    }, timeField("at-" + b.dataset.id + "-" + action));
  });

  // ---- the association home: contacts and standing capacity ---------------------------------------
  var contactsForm = document.getElementById("contacts-form");
  function contactRow(c) {
    var i = document.querySelectorAll("#contacts-list > li").length;
    var li = el("li", { className: "contact-row card" });
    [["name", "staff.contact_name", "text", "name"], ["role", "staff.contact_role", "text", "organization-title"],
     ["phone", "staff.contact_phone", "tel", "tel"], ["email", "staff.contact_email", "email", "email"]].forEach(function (f) {
      var id = "contact-" + i + "-" + f[0];
      li.append(el("div", { className: "field", dataset: { field: "contacts." + i + "." + f[0] } },
        el("label", { htmlFor: id }, t(f[1])),
        el("input", { id: id, name: f[0], type: f[2], autocomplete: f[3], value: c[f[0]] || "",
                      inputMode: f[2] === "tel" ? "tel" : (f[2] === "email" ? "email" : "text") }),
        el("p", { className: "field-error" })));
    });
    var up = el("button", { type: "button", className: "secondary", dataset: { move: "up" } }, t("staff.contact_up"));
    var remove = el("button", { type: "button", className: "secondary", dataset: { move: "remove" } }, t("staff.contact_remove"));
    li.append(el("div", { className: "buttons" }, up, remove));
    return li;
  }
  function renumber() {
    document.querySelectorAll("#contacts-list > li").forEach(function (li, i) {
      li.querySelectorAll("[data-field]").forEach(function (box) {
        var name = box.dataset.field.split(".")[2];
        box.dataset.field = "contacts." + i + "." + name;
        var input = box.querySelector("input"), label = box.querySelector("label");
        input.id = "contact-" + i + "-" + name; label.htmlFor = input.id;
      });
    });
  }
  function drawContacts(rows) {
    var rowsBox = document.getElementById("contacts-list");
    rowsBox.replaceChildren();
    (rows.length ? rows : [{}]).forEach(function (c) { rowsBox.append(contactRow(c)); });
  }
  if (contactsForm && mine) {
    o.api("GET", "/api/v1/associations/" + encodeURIComponent(mine) + "/contacts").then(drawContacts,
      function () { drawContacts([]); });
    document.getElementById("contact-add").addEventListener("click", function () {
      var li = contactRow({});
      document.getElementById("contacts-list").append(li);
      li.querySelector("input").focus();
    });
    document.getElementById("contacts-list").addEventListener("click", function (event) {
      var b = event.target.closest("button[data-move]");
      if (!b) return;
      var li = b.closest("li");
      if (b.dataset.move === "remove") li.remove();
      else if (li.previousElementSibling) li.parentNode.insertBefore(li, li.previousElementSibling);
      renumber();
    });
    contactsForm.addEventListener("submit", function (event) {
      event.preventDefault();
      o.clearErrors(contactsForm);
      var body = { contacts: Array.prototype.map.call(document.querySelectorAll("#contacts-list > li"), function (li) {
        var c = {};
        ["name", "role", "phone", "email"].forEach(function (k) { c[k] = li.querySelector("[name=" + k + "]").value; });
        return c;
      }).filter(function (c) { return c.name || c.phone || c.email || c.role; }) };
      o.api("PUT", "/api/v1/associations/" + encodeURIComponent(mine) + "/contacts", body).then(function (rows) {
        drawContacts(rows);
        message(t("staff.contacts_saved"));
      }, function (error) { s.showProblems(contactsForm, error); });
    });
  }

  var capacityForm = document.getElementById("capacity-form");
  function drawCapacity() {
    o.api("GET", "/api/v1/standing-capacity?association_id=" + encodeURIComponent(mine)).then(function (rows) {
      var box = document.getElementById("capacity-list");
      var cards = rows.map(function (r) {
        return el("article", { className: "card" }, el("h3", {}, languageNames[r.language] || r.language),
          el("dl", { className: "kvs" }, row(t("col.kinds"), kinds(r.kinds)), row(t("col.headcount"), t("map.people", { n: r.headcount }))),
          el("div", { className: "buttons" }, button(t("capacity.remove"), "remove", r.id, true)));
      });
      box.replaceChildren.apply(box, cards.length ? cards : [empty()]);
      document.body.dataset.ready = "1";
    }, function (error) { message(error.message, true); document.body.dataset.ready = "1"; });
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
        message(t("capacity.added"));
        drawCapacity();
      }, function (error) { s.showProblems(capacityForm, error); });
    });
    document.getElementById("capacity-list").addEventListener("click", function (event) {
      var b = event.target.closest("button[data-action]");
      if (!b) return;
      o.api("DELETE", "/api/v1/standing-capacity/" + b.dataset.id).then(function () {
        message(t("capacity.removed"));
        drawCapacity();
      }, function (error) { message(error.message, true); });
    });
    drawCapacity();
  }

  // ---- home: what to do, with the count in the title and an optional sound/notification -------------
  var todo = document.getElementById("todo");
  if (todo && window.coord) {
    var lastCount = null;
    new MutationObserver(function () {
      var count = Number(todo.dataset.count || 0);
      if (lastCount !== null && count > lastCount) s.alertUser(t("staff.notify_title", { n: count }), document.title);
      lastCount = count;
    }).observe(todo, { attributes: true, attributeFilter: ["data-count"] });
    setInterval(window.coord.refreshTodo, 30000);
  }
  s.notifyToggle();

  // ---- loading and following --------------------------------------------------------------------
  var reading = false, again = false, lastWaiting = null;
  var following = false;
  function refresh() {
    if (!disasterId || !mine) return;
    if (reading) { again = true; return; }
    reading = true;
    Promise.all([o.api("GET", "/web/picture/" + disasterId),
                 o.api("GET", "/api/v1/disasters/" + disasterId + "/contacts").catch(function () { return contacts; })])
      .then(function (results) {
        picture = results[0]; contacts = results[1];
        // Follow from the seq this first read was made at: the page reads its data once, then per event.
        if (!following) { following = true; s.watchLive(disasterId, config.mode, function () { refresh(); }, picture.seq); }
        drawNeeds(); drawOpenNeeds(); drawOffers(); drawRequests();
        var waiting = picture.dispatches.filter(function (d) { return d.supplier_id === mine && d.state === "requested"; }).length;
        var base = document.title.replace(/^\(\d+\) /, "");
        document.title = (waiting ? "(" + waiting + ") " : "") + base;
        if (lastWaiting !== null && waiting > lastWaiting) s.alertUser(t("staff.notify_request"), base);
        lastWaiting = waiting;
        s.dateWords();
        document.body.dataset.ready = "1";
      }, function (error) { message(error.message, true); document.body.dataset.ready = "1"; })
      .then(function () {
        reading = false;
        if (again) { again = false; refresh(); }
      });
  }
  s.onOutbox(function (what, item, result) {
    if (what === "sent") message(t("staff.sent_later", { what: item.label }));
    else message(t("staff.failed_later", { what: item.label, why: result.message }), true);
    refresh();
  });
  s.dateWords();
  if (disasterId && mine) {
    refresh();
  } else {
    if (!capacityForm) document.body.dataset.ready = "1";
    if (window.ouenLive && mine) {
      // The home follows nothing in particular: heartbeats of the live channel still tell a stale link.
      document.getElementById("live-status").dataset.state = "polling";
      document.getElementById("live-status").textContent = t("live.polling");
    }
  }
})();
