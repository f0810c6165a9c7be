// The notification bell: unread count and the latest notifications, kept current over /api/v1/live.
// Each notification is caused by an event the person may read, so the live socket delivers that event to
// them; the bell then re-reads its list (debounced). Needs ouen.js; uses ouenLive when the page serves it.
(function (root) {
  "use strict";
  var ouen = root.ouen;
  var bell = document.getElementById("notify-bell");
  if (!ouen || !bell || !ouen.config.user) return;
  var t = ouen.t, el = ouen.el;
  var button = document.getElementById("bell-button");
  var panel = document.getElementById("bell-panel");
  var list = document.getElementById("bell-list");
  var count = document.getElementById("bell-count");
  var readAll = document.getElementById("bell-read-all");
  var sockets = {};
  var timer = null;
  var shownIds = [];

  function when(iso) {
    // Times are stored in UTC and shown in Japan time.
    return new Date(iso).toLocaleString(ouen.config.lang === "ja" ? "ja-JP" : "en-GB",
      { timeZone: "Asia/Tokyo", month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit" });
  }

  function title(item) { return ouen.config.lang === "en" ? item.title_en : item.title_ja; }

  function showCount(unread) {
    count.hidden = unread === 0;
    count.textContent = unread > 99 ? "99+" : String(unread);
    button.setAttribute("aria-label", t("notify.bell") + (unread ? " — " + t("notify.bell_unread", { n: unread }) : ""));
    bell.dataset.unread = String(unread);
  }

  function open(item) {
    var go = function () { root.location.assign(item.link); };
    if (item.read_at) { go(); return; }
    ouen.api("POST", "/api/v1/notifications/read", { ids: [item.id] }).then(go, go);
  }

  function render(data) {
    showCount(data.unread);
    list.replaceChildren();
    shownIds = data.items.map(function (item) { return item.id; });
    if (!data.items.length) list.append(el("li", { className: "empty" }, t("notify.none")));
    data.items.forEach(function (item) {
      var link = el("a", { href: item.link },
        item.essential ? el("span", { className: "notify-essential" }, t("notify.essential")) : null,
        title(item), el("span", { className: "notify-when" }, when(item.created_at)));
      link.addEventListener("click", function (event) { event.preventDefault(); open(item); });
      list.append(el("li", { className: (item.read_at ? "" : "unread") + (item.mode === "drill" ? " drill" : ""),
                             dataset: { id: String(item.id) } }, link));
    });
    watch(data.types, data.watch_modes);
  }

  function refresh() {
    return ouen.api("GET", "/api/v1/notifications?limit=8").then(render, function () {});
  }

  function soon() {
    if (timer) return;
    timer = setTimeout(function () { timer = null; refresh(); }, 300);
  }

  // One socket per mode, filtered to the event types that may notify someone.
  function watch(types, modes) {
    if (!root.ouenLive) return;
    modes.forEach(function (mode) {
      if (sockets[mode]) return;
      sockets[mode] = root.ouenLive({
        url: "/api/v1/live", subscription: { mode: mode, types: types },
        onEvent: soon, onResync: soon,
        onStatus: function (state) { if (state === "live") soon(); },
      });
    });
  }

  function toggle(show) {
    panel.hidden = !show;
    button.setAttribute("aria-expanded", show ? "true" : "false");
    if (show) refresh();
  }

  button.addEventListener("click", function () { toggle(panel.hidden); });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !panel.hidden) { toggle(false); button.focus(); }
  });
  document.addEventListener("click", function (event) {
    if (!panel.hidden && !bell.contains(event.target)) toggle(false);
  });
  readAll.addEventListener("click", function () {
    ouen.api("POST", "/api/v1/notifications/read", { all: true }).then(refresh, function () {});
  });
  root.addEventListener("pagehide", function () {
    Object.keys(sockets).forEach(function (mode) { sockets[mode].close(); });
  });
  root.ouenBell = { refresh: refresh, shown: function () { return shownIds.slice(); } };
  refresh();
})(window);
