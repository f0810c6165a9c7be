// The home page: disasters declared (or closed) while it is open appear without a reload.
(function () {
  "use strict";
  var o = window.ouen, c = window.coord, t = o.t, el = o.el;
  c.watchDisasters("live", function (event) {
    c.refreshTodo();
    if (!event || event.type !== "disaster.declared") return;
    var d = event.payload || {};
    var list = document.getElementById("live-list");
    if (list.querySelector('a[href="/disasters/' + event.disaster_id + '"]')) return;
    list.prepend(el("li", {}, el("a", { href: "/disasters/" + event.disaster_id }, d.name || "#" + event.disaster_id)));
    var none = document.getElementById("no-live");
    if (none) none.hidden = true;
    var notice = document.getElementById("new-disaster");
    notice.replaceChildren(t("coord.new_disaster", { name: d.name || "" }), " ",
                           el("a", { href: "/disasters/" + event.disaster_id }, t("coord.open_it")));
    notice.hidden = false;
    o.say(t("coord.new_disaster", { name: d.name || "" }));
  });
})();
