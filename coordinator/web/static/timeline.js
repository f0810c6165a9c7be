// Disaster timeline: events read page by page from the JSON API, new ones appended as they happen.
(function () {
  "use strict";
  var o = window.ouen, t = o.t, el = o.el, config = o.config;
  var names = config.names || {};
  var since = 0, reading = false, again = false;
  var body = document.querySelector("#timeline-table tbody");
  var more = document.getElementById("timeline-more");
  var PAGE = 200;

  function detail(event) {
    var p = event.payload || {};
    var parts = [];
    if (p.requester_id) parts.push(t("col.requester") + ": " + (names[p.requester_id] || p.requester_id));
    if (p.supplier_id) parts.push(t("col.supplier") + ": " + (names[p.supplier_id] || p.supplier_id));
    if (p.association_id) parts.push(names[p.association_id] || p.association_id);
    if (p.headcount !== undefined) parts.push(t("map.people", { n: p.headcount }));
    if (p.state) parts.push(o.label("dispatch_state", p.state));
    return parts.join(" · ");
  }

  function row(event) {
    var when = new Date(event.created_at);
    var time = el("time", { dateTime: event.created_at },
                  isNaN(when) ? event.created_at : when.toLocaleString(config.lang === "ja" ? "ja-JP" : "en-GB"));
    return el("tr", { dataset: { seq: event.seq, type: event.type } }, el("td", { className: "num" }, event.seq),
              el("td", {}, time), el("td", {}, o.label("event", event.type), " ", el("code", {}, event.type)),
              el("td", {}, detail(event)));
  }

  // Read every event after `since`, page by page (events are appended in seq order).
  function load() {
    if (reading) { again = true; return; }
    reading = true;
    o.api("GET", "/api/v1/disasters/" + config.disaster_id + "/events?since=" + since + "&limit=" + PAGE)
      .then(function (page) {
        page.events.forEach(function (event) {
          if (event.seq > since) body.append(row(event));
        });
        since = Math.max(since, page.next_since);
        more.hidden = page.events.length < PAGE;
        document.getElementById("timeline-empty").hidden = body.childElementCount > 0;
        document.body.dataset.ready = "1";
      }, function (error) { o.actionMessage(error.message, true); })
      .then(function () {
        reading = false;
        if (again) { again = false; load(); }
      });
  }
  more.addEventListener("click", load);
  load();
  o.follow(config.disaster_id, config.mode, function () { load(); });
})();
