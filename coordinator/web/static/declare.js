// Declare (or edit) a disaster: area picker (map, municipality search, epicentre), a server preview of
// what the declaration does, then POST /api/v1/disasters (or a bulletin's confirm). Live or drill is chosen.
(function () {
  "use strict";
  var o = window.ouen, t = o.t, el = o.el, config = o.config;
  var prefill = config.prefill || {};
  var editing = config.editing;
  var form = document.getElementById("declare-form");
  var submit = document.getElementById("declare-submit");
  var previewBody = document.getElementById("preview-body");
  var previewEmpty = document.getElementById("preview-empty");
  var picked = new Set(prefill.prefectures || []);
  var municipalities = new Map();  // code -> label
  var lastPreview = null, previewSeq = 0, timer = null;
  var names = {};
  form.querySelectorAll('input[name="prefecture"]').forEach(function (box) {
    names[box.value] = box.parentNode.textContent.trim();
  });

  function pick(lang) { return function (item, field) { return item[field + "_" + lang] || item[field + "_ja"]; }; }
  var local = pick(config.lang === "en" ? "en" : "ja");

  function method() { return form.querySelector('input[name="method"]:checked').value; }
  function mode() { var c = form.querySelector('input[name="mode"]:checked'); return c ? c.value : null; }

  function showPanel() {
    ["prefectures", "municipalities", "epicentre"].forEach(function (m) {
      document.getElementById("panel-" + m).hidden = m !== method();
    });
  }

  function drawPrefectures() {
    var codes = Array.from(picked).sort();
    document.getElementById("picker-picked").textContent = codes.map(function (code) {
      return 'path.pref[data-code="' + code + '"]{fill:var(--picked)}';
    }).join("");
    form.querySelectorAll('input[name="prefecture"]').forEach(function (box) { box.checked = picked.has(box.value); });
    document.getElementById("picked-prefectures").textContent = codes.length
      ? t("declare.picked", { names: codes.map(function (c) { return names[c] || c; }).join("、") })
      : t("declare.picked_none");
  }

  function drawMunicipalities() {
    var list = document.getElementById("picked-municipalities");
    list.replaceChildren.apply(list, Array.from(municipalities.entries()).map(function (entry) {
      var remove = el("button", { type: "button", className: "secondary chip-remove",
                                  "aria-label": t("declare.remove", { name: entry[1] }) }, "×");
      remove.addEventListener("click", function () { municipalities.delete(entry[0]); drawMunicipalities(); changed(); });
      return el("li", { className: "chip", dataset: { code: entry[0] } }, entry[1], " ", remove);
    }));
    if (!municipalities.size) list.append(el("li", { className: "empty" }, t("declare.picked_none")));
  }

  function area() {
    var m = method();
    if (m === "prefectures") return picked.size ? { prefectures: Array.from(picked).sort() } : null;
    if (m === "municipalities") return municipalities.size ? { municipalities: Array.from(municipalities.keys()) } : null;
    var lat = parseFloat(document.getElementById("epicentre-lat").value);
    var lon = parseFloat(document.getElementById("epicentre-lon").value);
    var radius = parseFloat(document.getElementById("epicentre-radius").value);
    if (isNaN(lat) || isNaN(lon)) return null;
    var result = { epicentre: { lat: lat, lon: lon } };
    if (!isNaN(radius)) result.radius_km = radius;
    return result;
  }

  function section(title, body) {
    return el("section", { className: "preview-part" }, el("h3", {}, title), body);
  }

  function renderPreview(p) {
    var parts = [];
    var chosen = mode();
    parts.push(el("p", { className: "preview-mode is-" + (chosen || "unset") + "-mode", id: "preview-mode" },
                  chosen ? t("preview.mode_" + chosen) : t("declare.mode_required")));
    parts.push(el("p", { id: "preview-counts" }, t("preview.counts", {
      prefectures: p.prefectures.length, municipalities: p.municipality_count, associations: p.associations.length })));
    parts.push(section(t("preview.prefectures"), el("p", {}, p.prefectures.map(function (x) {
      return local(x, "name") + "（" + local(x, "reached_by") + "）";
    }).join("、"))));
    var byBlock = {};
    p.associations.forEach(function (a) {
      var key = local(a, "block_name") || "";
      (byBlock[key] = byBlock[key] || []).push(local(a, "name"));
    });
    parts.push(section(t("preview.associations", { n: p.associations.length }),
      el.apply(null, ["ul", { id: "preview-associations", className: "plain" }].concat(Object.keys(byBlock).map(function (b) {
        return el("li", {}, el("strong", {}, b), " ", byBlock[b].join("、"));
      })))));
    var rows = p.acting_coordinators.map(function (c) {
      return el("tr", { className: (c.changed ? "changed " : "") + (c.involved ? "involved" : ""), dataset: { block: c.block } },
        el("th", { scope: "row" }, local(c, "block_name")),
        el("td", { dataset: { label: t("preview.coordinator") } }, local(c, "association_name"),
           c.changed ? el("span", { className: "tag" }, " " + t("preview.acting")) : null),
        el("td", { dataset: { label: t("preview.reason") } }, local(c, "reason")));
    });
    parts.push(section(t("preview.coordinators"), el("div", { className: "table-wrap" },
      el("table", { id: "preview-coordinators", className: "stack" },
        el("thead", {}, el("tr", {}, el("th", { scope: "col" }, t("declare.col_block")), el("th", { scope: "col" }, t("preview.coordinator")),
                             el("th", { scope: "col" }, t("preview.reason")))),
        el.apply(null, ["tbody", {}].concat(rows))))));
    var s = p.acting_secretariat;
    parts.push(section(t("preview.secretariat"), el("p", { id: "preview-secretariat" }, local(s, "name"),
      s.is_failover ? el("span", { className: "tag" }, " " + t("preview.failover")) : null, " — ", local(s, "reason"))));
    if (p.warnings.length) {
      parts.push(section(t("preview.warnings"), el.apply(null, ["ul", { id: "preview-warnings" }].concat(
        p.warnings.map(function (w) { return el("li", {}, w[config.lang] || w.ja); })))));
    }
    previewBody.replaceChildren.apply(previewBody, parts);
    previewBody.hidden = false;
    previewEmpty.hidden = true;
  }

  function clearPreview(text) {
    lastPreview = null;
    previewBody.hidden = true;
    previewEmpty.hidden = false;
    previewEmpty.textContent = text || t("preview.empty");
    updateSubmit();
  }

  function updateSubmit() {
    var m = mode();
    var ready = Boolean(lastPreview) || (editing && !config.area_route);
    submit.disabled = !ready;
    if (editing) return;
    submit.textContent = m === "drill" ? t("declare.submit_drill") : m === "live" ? t("declare.submit_live") : t("declare.submit");
    submit.classList.toggle("danger", m === "live");
    document.body.classList.toggle("is-drill-form", m === "drill");
  }

  function runPreview() {
    var chosen = area();
    if (!chosen) { clearPreview(); return; }
    var seq = ++previewSeq;
    o.clearErrors(form);
    previewEmpty.textContent = t("preview.loading");
    o.api("POST", "/api/v1/disasters/preview", { mode: mode() || "drill", area: chosen }).then(function (p) {
      if (seq !== previewSeq) return;
      lastPreview = p;
      if (method() === "epicentre" || method() === "municipalities") {
        picked = new Set(p.prefectures.map(function (x) { return x.code; }));
        drawPrefectures();
      }
      renderPreview(p);
      updateSubmit();
      document.body.dataset.previewed = String(seq);
    }, function (error) {
      if (seq !== previewSeq) return;
      clearPreview(t("preview.failed"));
      o.showError(form, error);
    });
  }

  function changed() {
    clearTimeout(timer);
    timer = setTimeout(runPreview, 300);
  }

  // Municipality search (GET /api/v1/places); results are buttons that add (or, for the epicentre, set).
  function searcher(input, results, onPick) {
    var searchTimer = null, seq = 0;
    input.addEventListener("input", function () {
      clearTimeout(searchTimer);
      var q = input.value.trim();
      if (!q) { results.replaceChildren(); return; }
      searchTimer = setTimeout(function () {
        var mine = ++seq;
        o.api("GET", "/api/v1/places?limit=10&q=" + encodeURIComponent(q)).then(function (places) {
          if (mine !== seq) return;
          results.replaceChildren.apply(results, places.length ? places.map(function (place) {
            var label = config.lang === "en" ? place.label_en : place.label_ja;
            var button = el("button", { type: "button", className: "secondary place-option", dataset: { code: place.code } }, label);
            button.addEventListener("click", function () { onPick(place, label); });
            return el("li", {}, button);
          }) : [el("li", { className: "empty" }, t("declare.no_place"))]);
        }, function (error) { results.replaceChildren(el("li", { className: "field-error" }, error.message)); });
      }, 200);
    });
  }
  searcher(document.getElementById("place-search"), document.getElementById("place-results"), function (place, label) {
    municipalities.set(place.code, label);
    drawMunicipalities();
    changed();
  });
  searcher(document.getElementById("epicentre-place"), document.getElementById("epicentre-results"), function (place, label) {
    document.getElementById("epicentre-lat").value = place.lat.toFixed(4);
    document.getElementById("epicentre-lon").value = place.lon.toFixed(4);
    document.getElementById("epicentre-results").replaceChildren(el("li", { className: "hint" }, t("declare.epicentre_set", { name: label })));
    changed();
  });

  document.getElementById("picker-prefectures").addEventListener("click", function (event) {
    var path = event.target.closest("path.pref");
    if (!path || form.querySelector(".area-field").disabled) return;
    if (method() !== "prefectures") {
      form.querySelector('input[name="method"][value="prefectures"]').checked = true;
      showPanel();
    }
    var code = path.dataset.code;
    if (picked.has(code)) picked.delete(code); else picked.add(code);
    drawPrefectures();
    changed();
  });
  form.addEventListener("change", function (event) {
    var target = event.target;
    if (target.name === "prefecture") {
      if (target.checked) picked.add(target.value); else picked.delete(target.value);
      drawPrefectures();
      changed();
    } else if (target.name === "method") {
      showPanel();
      changed();
    } else if (target.name === "mode") {
      o.clearErrors(form);
      if (lastPreview) renderPreview(lastPreview);
      updateSubmit();
    } else if (target.id && target.id.indexOf("epicentre-") === 0) {
      changed();
    }
  });
  ["epicentre-lat", "epicentre-lon", "epicentre-radius"].forEach(function (id) {
    document.getElementById(id).addEventListener("input", changed);
  });

  function fieldError(name, text) {
    o.showError(form, { field: name, message: text });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    o.clearErrors(form);
    var name = document.getElementById("declare-name").value.trim();
    var kind = document.getElementById("declare-kind").value;
    if (!editing && !mode()) { fieldError("mode", t("declare.mode_required")); return; }
    if (!name) { fieldError("name", t("declare.name_required")); return; }
    if (!editing && !kind) { fieldError("kind", t("declare.kind_required")); return; }
    var chosen = area();
    submit.disabled = true;
    var done;
    if (editing) {
      var reason = document.getElementById("edit-reason").value.trim();
      var areaChanged = config.area_route && chosen && JSON.stringify(chosen) !== initialArea;
      if (areaChanged && !reason) { fieldError("reason", t("edit.reason_required")); submit.disabled = false; return; }
      var rename = { name: name };
      if (reason) rename.reason = reason;
      var steps = o.api("PATCH", "/api/v1/disasters/" + editing, rename);
      if (areaChanged) {
        steps = steps.then(function () {
          return o.api("POST", "/api/v1/disasters/" + editing + "/area", { area: chosen, reason: reason });
        });
      }
      done = steps.then(function () { return { id: editing }; });
    } else if (prefill.bulletin) {
      done = o.api("POST", "/api/v1/bulletins/" + prefill.bulletin + "/confirm", { name: name, kind: kind || undefined, area: chosen })
        .then(function (answer) { return (answer && answer.disaster) || answer; });
    } else {
      done = o.api("POST", "/api/v1/disasters", { name: name, kind: kind, mode: mode(), area: chosen });
    }
    done.then(function (disaster) {
      var id = disaster.id || disaster.disaster_id;
      o.say(t("declare.done"));
      window.location.assign("/disasters/" + id);
    }, function (error) {
      o.showError(form, error);
      updateSubmit();
    });
  });

  // Prefill (contract 5): name, kind, mode, and one way of giving the area.
  if (prefill.name) document.getElementById("declare-name").value = prefill.name;
  if (prefill.kind) document.getElementById("declare-kind").value = prefill.kind;
  if (prefill.mode) form.querySelector('input[name="mode"][value="' + prefill.mode + '"]').checked = true;
  var start = "prefectures";
  if (prefill.municipalities && prefill.municipalities.length) {
    start = "municipalities";
    prefill.municipalities.forEach(function (code) { municipalities.set(code, code); });
  } else if (prefill.epicentre) {
    start = "epicentre";
    document.getElementById("epicentre-lat").value = prefill.epicentre.lat;
    document.getElementById("epicentre-lon").value = prefill.epicentre.lon;
    if (prefill.radius_km) document.getElementById("epicentre-radius").value = prefill.radius_km;
  }
  form.querySelector('input[name="method"][value="' + start + '"]').checked = true;
  showPanel();
  drawPrefectures();
  drawMunicipalities();
  updateSubmit();
  if (start === "municipalities") {
    // Put names on the prefilled codes (the preview lists the municipalities it resolved).
    o.api("POST", "/api/v1/disasters/preview", { mode: mode() || "drill", area: area() }).then(function (p) {
      p.municipalities.forEach(function (m) { if (municipalities.has(m.code)) municipalities.set(m.code, m.name_ja); });
      drawMunicipalities();
    }, function () {});
  }
  var initialArea = JSON.stringify(area());
  if (area()) runPreview();
  document.body.dataset.ready = "1";
})();
