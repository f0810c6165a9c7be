// Proposals from JMA bulletins: read from the JSON API, re-read when a bulletin event arrives (live), with
// confirm (one click), edit (the declare form, prefilled) and dismiss (with a reason) for the secretariat.
(function () {
  "use strict";
  var o = window.ouen, t = o.t, el = o.el, config = o.config;
  var mode = config.page_mode === "drill" ? "drill" : "live";
  var box = document.getElementById("proposals");
  var empty = document.getElementById("proposals-empty");
  var recent = document.getElementById("recent");
  var known = null, reading = false, again = false;
  var INTENSITY_JA = { "5-": "5弱", "5+": "5強", "6-": "6弱", "6+": "6強" };
  var INTENSITY_EN = { "5-": "5 lower", "5+": "5 upper", "6-": "6 lower", "6+": "6 upper" };

  function pick(ja, en) { return config.lang === "ja" ? (ja || en || "") : (en || ja || ""); }

  function jst(iso) {
    var when = new Date(iso);
    if (isNaN(when)) return iso;
    return new Intl.DateTimeFormat(config.lang === "ja" ? "ja-JP" : "en-GB",
      { timeZone: "Asia/Tokyo", dateStyle: "medium", timeStyle: "short" }).format(when);
  }

  function intensity(value) {
    var table = config.lang === "ja" ? INTENSITY_JA : INTENSITY_EN;
    return table[value] || value;
  }

  function drillName(p) { return (p.mode === "drill" && p.name.indexOf("【訓練】") !== 0 ? t("drill.tag") : "") + p.name; }

  function editLink(p) {
    var query = new URLSearchParams({ name: p.name, kind: p.kind, mode: p.mode, bulletin: String(p.bulletin_id) });
    var area = p.area_input || {};
    if (area.municipalities) query.set("municipalities", area.municipalities.join(","));
    else if (area.prefectures) query.set("prefectures", area.prefectures.join(","));
    else if (area.epicentre) {
      query.set("epicentre", area.epicentre.lon + "," + area.epicentre.lat);
      query.set("radius_km", String(area.radius_km));
    }
    return "/disasters/new?" + query.toString();
  }

  function names(items, pickName) {
    var list = el("ul", { className: "names" });
    items.forEach(function (item) { list.append(el("li", {}, pickName(item))); });
    return list;
  }

  function preview(p) {
    var pv = p.preview || {};
    var a = p.assessment || {};
    var prefectures = (pv.prefectures || []).map(function (x) { return pick(x.name_ja, x.name_en); });
    var list = el("dl", {});
    list.append(el("dt", {}, t("bulletins.why")), el("dd", {}, pick(a.reason_ja, a.reason_en)));
    list.append(el("dt", {}, t("bulletins.area")),
                el("dd", {}, t("bulletins.area_summary", { prefectures: prefectures.join(config.lang === "ja" ? "・" : ", "),
                                                          n: o.formatNumber(pv.municipality_count || 0) })));
    var places = (a.places || []).filter(function (x) { return x.max_int; }).slice(0, 8);
    if (places.length) {
      list.append(el("dt", {}, t("bulletins.places")),
                  el("dd", {}, places.map(function (x) { return x.name + " " + intensity(x.max_int); })
                    .join(config.lang === "ja" ? "、" : ", ") + ((a.places || []).length > places.length ? " …" : "")));
    }
    var associations = pv.associations || [];
    // A long list folds away on a phone: the count is what decides; the names are one tap away.
    var affected = names(associations, function (x) {
      return pick(x.name_ja, x.name_en) + (x.block_name_ja ? "（" + pick(x.block_name_ja, x.block_name_en) + "）" : "");
    });
    list.append(el("dt", {}, t("bulletins.associations", { n: associations.length })),
                el("dd", {}, associations.length > 5
                  ? el("details", { className: "associations" }, el("summary", {}, t("bulletins.show_names")), affected)
                  : affected));
    var involved = (pv.acting_coordinators || []).filter(function (c) { return c.involved || c.changed; });
    list.append(el("dt", {}, t("bulletins.coordinators")),
                el("dd", {}, names(involved, function (c) {
                  return pick(c.block_name_ja, c.block_name_en) + ": " + pick(c.association_name_ja, c.association_name_en) +
                    (c.changed ? " — " + pick(c.reason_ja, c.reason_en) : "");
                })));
    if (pv.acting_secretariat) {
      var s = pv.acting_secretariat;
      list.append(el("dd", {}, t("bulletins.secretariat", { name: pick(s.name_ja, s.name_en) }) +
                  (s.is_failover ? " — " + pick(s.reason_ja, s.reason_en) : "")));
    }
    var warnings = (pv.warnings || []).map(function (w) { return pick(w.ja, w.en); });
    if ((a.unmapped || []).length) warnings.push(t("bulletins.unmapped", { codes: a.unmapped.join(", ") }));
    if (warnings.length) list.append(el("dt", {}, t("bulletins.warnings")), el("dd", {}, names(warnings, String)));
    return list;
  }

  function decide(p, button) {
    button.disabled = true;
    o.api("POST", "/api/v1/bulletins/" + p.bulletin_id + "/confirm", {}).then(function (disaster) {
      var link = el("a", { href: "/disasters/" + disaster.id }, t("bulletins.open_disaster"));
      var box = document.getElementById("action-message");
      box.replaceChildren(t("bulletins.confirmed", { name: disaster.name }), " ", link);
      box.classList.remove("error");
      load();
    }, function (error) { button.disabled = false; o.actionMessage(error.message, true); load(); });
  }

  function dismissForm(p, holder) {
    var id = "reason-" + p.id;
    var reason = el("textarea", { id: id, name: "reason", required: true, maxLength: 1000 });
    var error = el("p", { className: "field-error", id: id + "-error" });
    var form = el("form", { className: "dismiss", noValidate: true },
                  el("label", { for: id }, t("bulletins.dismiss_reason")), reason, error,
                  el("div", { className: "buttons" }, el("button", { type: "submit" }, t("bulletins.dismiss_send")),
                     el("button", { type: "button", className: "secondary" }, t("bulletins.cancel"))));
    form.querySelector("button.secondary").addEventListener("click", function () { form.remove(); });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!reason.value.trim()) { error.textContent = t("bulletins.reason_required"); reason.focus(); return; }
      o.api("POST", "/api/v1/bulletins/" + p.bulletin_id + "/dismiss", { reason: reason.value.trim() })
        .then(function () { o.actionMessage(t("bulletins.dismissed_done")); load(); },
              function (failure) { error.textContent = failure.message; });
    });
    holder.append(form);
    reason.focus();
  }

  function card(p, isNew) {
    var a = p.assessment || {};
    var badges = el("ul", { className: "badges" },
      el("li", {}, o.label("kind", p.kind)),
      el("li", {}, p.action === "change_area" ? t("bulletins.action.change_area", { name: p.name }) : t("bulletins.action.declare")),
      a.max_intensity ? el("li", {}, t("bulletins.max_intensity", { value: intensity(a.max_intensity) })) : null,
      p.serial ? el("li", {}, t("bulletins.serial", { n: p.serial })) : null);
    var source = el("p", { className: "meta" }, t("bulletins.source", { title: a.title || "", office: a.publishing_office || "",
                                                                       time: jst(p.report_datetime) }));
    var headline = a.headline ? el("p", {}, a.headline) : null;
    var updates = p.bulletin_count > 1 ? el("p", { className: "meta" }, t("bulletins.updates", { n: p.bulletin_count })) : null;
    var article = el("article", { className: "proposal" + (isNew ? " is-new" : ""), id: "proposal-" + p.id,
                                  dataset: { proposal: p.id, bulletin: p.bulletin_id } },
                     el("h3", {}, drillName(p)), badges, source, headline, updates, preview(p));
    if (config.can_decide) {
      var confirm = el("button", { type: "button", className: "confirm" },
                       p.action === "change_area" ? t("bulletins.confirm_change")
                         : t(p.mode === "drill" ? "bulletins.confirm_drill" : "bulletins.confirm"));
      confirm.addEventListener("click", function () { decide(p, confirm); });
      var actions = el("div", { className: "buttons" }, confirm);
      if (p.action !== "change_area") actions.append(el("a", { className: "button secondary edit", href: editLink(p) }, t("bulletins.edit")));
      var dismiss = el("button", { type: "button", className: "secondary dismiss" }, t("bulletins.dismiss"));
      dismiss.addEventListener("click", function () { if (!article.querySelector("form.dismiss")) dismissForm(p, article); });
      actions.append(dismiss);
      article.append(actions);
    }
    return article;
  }

  function row(p) {
    var status = el("span", { className: "status" }, t("bulletins.status." + p.status));
    var when = el("time", { dateTime: p.updated_at }, jst(p.updated_at));
    var extra = p.status === "dismissed" ? " — " + (p.dismiss_reason || "")
      : p.status === "withdrawn" ? " — " + pick(p.withdraw_reason_ja, p.withdraw_reason_en) : "";
    var item = el("li", { dataset: { proposal: p.id, status: p.status } }, status, drillName(p), " ", when, extra);
    if (p.disaster_id) item.append(" ", el("a", { href: "/disasters/" + p.disaster_id }, t("bulletins.open_disaster")));
    if (p.jma_cancelled) item.append(el("p", { className: "field-error" }, t("bulletins.jma_cancelled")));
    return item;
  }

  function render(all) {
    var open = all.filter(function (p) { return p.status === "open"; });
    var ids = open.map(function (p) { return p.id; });
    var fresh = known === null ? [] : open.filter(function (p) { return known.indexOf(p.id) < 0; });
    // Keep a card someone is typing a reason in: re-rendering it would lose the text.
    var typing = box.querySelector("form.dismiss textarea");
    if (!typing || !typing.value) {
      box.replaceChildren.apply(box, open.map(function (p) { return card(p, fresh.indexOf(p) >= 0); }));
    }
    empty.hidden = open.length > 0;
    var done = all.filter(function (p) { return p.status !== "open"; }).slice(0, 20);
    recent.replaceChildren.apply(recent, done.length ? done.map(row) : [el("li", { className: "empty" }, t("bulletins.recent_none"))]);
    if (fresh.length) o.say(t("bulletins.new_arrived", { name: drillName(fresh[0]) }));
    known = ids;
    document.body.dataset.ready = "1";
  }

  function load() {
    if (reading) { again = true; return; }
    reading = true;
    o.api("GET", "/api/v1/bulletins/proposals?status=all&mode=" + mode).then(render, function (error) {
      o.actionMessage(error.message, true);
      document.body.dataset.ready = "1";
    }).then(function () {
      reading = false;
      if (again) { again = false; load(); }
    });
  }

  load();
  o.follow(null, mode, function (event) {
    if (!event || String(event.type).indexOf("bulletin.") === 0) load();
  });
})();
