// Helpers of the secretariat's and coordinators' pages: JST times, ages, list filters, the to-do list
// (GET /api/v1/todo, with the count in the tab title) and news of disasters declared elsewhere.
(function (root) {
  "use strict";
  var o = root.ouen, t = o.t, el = o.el, config = o.config;
  var lang = config.lang === "en" ? "en" : "ja";
  var JST_OFFSET_MS = 9 * 3600 * 1000;  // Japan has no daylight saving time: JST is always UTC+9

  // "2026-01-06 12:09" in Japan time from an ISO time (the server stores and sends UTC). Plain arithmetic:
  // Intl's time-zone data costs about 100 ms to load on a phone.
  function jst(value) {
    if (!value) return "";
    var when = new Date(value).getTime();
    return isNaN(when) ? String(value) : new Date(when + JST_OFFSET_MS).toISOString().slice(0, 16).replace("T", " ");
  }

  // A <time> element showing JST, with the UTC value in datetime.
  function time(value) {
    return el("time", { dateTime: value || "" }, jst(value));
  }

  // How long ago, in words: "5分", "3時間", "2日" (ja) or "5 min", "3 h", "2 d" (en).
  function age(value, now) {
    if (!value) return "";
    var minutes = Math.max(0, Math.floor(((now || Date.now()) - new Date(value).getTime()) / 60000));
    if (minutes < 60) return t("coord.age_minutes", { n: minutes });
    if (minutes < 48 * 60) return t("coord.age_hours", { n: Math.floor(minutes / 60) });
    return t("coord.age_days", { n: Math.floor(minutes / 1440) });
  }

  // Of a {ja, en} pair (or item.field_ja / item.field_en), this page's language.
  function pick(pair, field) {
    if (!pair) return "";
    if (field) return pair[field + "_" + lang] || pair[field + "_ja"] || "";
    return pair[lang] || pair.ja || "";
  }

  // A reason from the agreement without the association ids it quotes ("…協会（pref_aichi）" → "…協会").
  function withoutIds(text) {
    return String(text || "").replace(/\s?[（(](?:pref|city)_[a-z0-9_]+[)）]/g, "");
  }

  // A filter bar over a table: selects (block, association, language, state), a search box and optional
  // checkboxes. Rows carry data-block, data-associations (space separated), data-language, data-state;
  // search matches the row's text. apply() re-filters after the table is redrawn.
  function filterBar(bar, table, options) {
    var controls = bar.querySelectorAll("select, input");
    var count = bar.querySelector(".filter-count");
    function apply() {
      var values = {};
      controls.forEach(function (c) { values[c.name] = c.type === "checkbox" ? c.checked : c.value.trim(); });
      var shown = 0, total = 0;
      table.querySelectorAll("tbody tr[data-state]").forEach(function (row) {
        var d = row.dataset, visible = true;
        if (values.block && (" " + (d.block || "") + " ").indexOf(" " + values.block + " ") < 0) visible = false;
        if (values.association && (" " + (d.associations || "") + " ").indexOf(" " + values.association + " ") < 0) visible = false;
        if (values.language && d.language !== values.language) visible = false;
        if (values.state && d.state !== values.state) visible = false;
        if (values.q && row.textContent.toLowerCase().indexOf(values.q.toLowerCase()) < 0) visible = false;
        if (options && options.hidden && options.hidden(row, values)) visible = false;
        row.hidden = !visible;
        total += 1;
        if (visible) shown += 1;
      });
      if (count) count.textContent = t("coord.filter_count", { shown: shown, total: total });
    }
    bar.addEventListener("input", apply);
    bar.addEventListener("change", apply);
    return { apply: apply };
  }

  // A long list drawn from data: the filter bar's values select items (item.block, item.associations,
  // item.language, item.state, item.text for the search; options.hidden for extra rules), and only the first
  // `page` matches are drawn, with a button for more; a phone never lays out hundreds of rows at once.
  function listView(bar, tbody, options) {
    var controls = bar.querySelectorAll("select, input");
    var count = bar.querySelector(".filter-count");
    var items = [], limit = options.page || 100;
    var more = el("button", { type: "button", className: "secondary list-more" });
    more.addEventListener("click", function () { limit += options.page || 100; draw(); });
    tbody.parentNode.parentNode.after(more);
    function values() {
      var v = {};
      controls.forEach(function (control) { v[control.name] = control.type === "checkbox" ? control.checked : control.value.trim(); });
      return v;
    }
    function matches(item, v) {
      if (v.block && (item.blocks || []).indexOf(v.block) < 0) return false;
      if (v.association && (item.associations || []).indexOf(v.association) < 0) return false;
      if (v.language && item.language !== v.language) return false;
      if (v.state && item.state !== v.state) return false;
      if (v.q && item.text.toLowerCase().indexOf(v.q.toLowerCase()) < 0) return false;
      return !(options.hidden && options.hidden(item, v));
    }
    function draw() {
      var v = values();
      var shown = items.filter(function (item) { return matches(item, v); });
      var rows = shown.slice(0, limit).map(function (item) { return options.render(item.row); });
      tbody.replaceChildren.apply(tbody, rows.length ? rows : [options.empty()]);
      if (count) count.textContent = t("coord.filter_count", { shown: shown.length, total: items.length });
      more.hidden = shown.length <= limit;
      more.textContent = t("coord.list_more", { n: shown.length - limit });
    }
    bar.addEventListener("input", function () { limit = options.page || 100; draw(); });
    bar.addEventListener("change", function () { limit = options.page || 100; draw(); });
    return { set: function (list) { items = list; draw(); }, draw: draw };
  }

  // The to-do list (contract 1) at the top of the page, and "(N)" in the tab title.
  var baseTitle = document.title;
  var todoBox = document.getElementById("todo");
  var todoReading = false, todoAgain = false;
  function drawTodo(todo) {
    var list = document.getElementById("todo-list");
    var items = todo.items || [];
    document.title = (todo.count ? "(" + todo.count + ") " : "") + baseTitle;
    var acting = document.getElementById("todo-acting");
    // The capacities the viewer acts in (on a disaster's page, that disaster's only), each said once.
    var seen = {};
    acting.replaceChildren.apply(acting, (todo.acting_as || []).filter(function (a) {
      if (config.disaster_id && a.disaster_id && a.disaster_id !== config.disaster_id) return false;
      var text = withoutIds(pick(a, "reason"));
      if (!text || seen[text]) return false;
      seen[text] = true;
      return true;
    }).map(function (a) { return el("li", {}, withoutIds(pick(a, "reason"))); }));
    list.replaceChildren.apply(list, items.length ? items.map(function (item) {
      var drill = item.mode === "drill" ? el("span", { className: "drill-tag" }, t("drill.tag")) : null;
      var meta = [];
      if (item.disaster_name) meta.push(item.disaster_name);
      if (item.since) meta.push(t("coord.todo_since", { age: age(item.since) }));
      if (item.deadline) meta.push(t("coord.todo_deadline", { time: jst(item.deadline) }));
      return el("li", { className: "todo-item" + (item.urgent ? " urgent" : ""), dataset: { kind: item.kind } },
        drill, " ", el("a", { href: item.link }, pick(item, "title")),
        el("span", { className: "todo-detail" }, pick(item, "detail")),
        meta.length ? el("span", { className: "todo-meta" }, meta.join(" · ")) : null);
    }) : [el("li", { className: "empty" }, t("coord.todo_none"))]);
    todoBox.hidden = false;
    todoBox.dataset.count = String(todo.count || 0);
  }
  function refreshTodo() {
    if (!todoBox) return;
    if (todoReading) { todoAgain = true; return; }
    todoReading = true;
    o.api("GET", "/api/v1/todo").then(drawTodo, function () { /* the page works without its to-do list */ })
      .then(function () { todoReading = false; if (todoAgain) { todoAgain = false; refreshTodo(); } });
  }

  // Disasters declared, renamed, closed or reopened while the page is open (of the page's mode).
  function watchDisasters(mode, onChange) {
    if (!root.ouenLive) {
      var timer = setInterval(function () { onChange(null); }, 15000);
      return { close: function () { clearInterval(timer); } };
    }
    return root.ouenLive({
      url: "/api/v1/live",
      subscription: { mode: mode || "live",
                      types: ["disaster.declared", "disaster.renamed", "disaster.closed", "disaster.reopened",
                              "disaster.area_changed"] },
      onEvent: function (event) { onChange(event); },
      onResync: function () { onChange(null); },
      onStatus: function (state) { document.body.dataset.watch = state; },
    });
  }

  root.coord = { jst: jst, time: time, age: age, pick: pick, filterBar: filterBar, listView: listView, refreshTodo: refreshTodo,
                 watchDisasters: watchDisasters, lang: lang };
  refreshTodo();
})(window);
