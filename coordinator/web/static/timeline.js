// Disaster timeline: who did what, in which capacity and why, read page by page (/web/timeline) and
// appended as events happen; filters by association and type, and a search.
(function () {
  "use strict";
  var o = window.ouen, c = window.coord, t = o.t, el = o.el, config = o.config;
  var since = 0, reading = false, again = false;
  var body = document.querySelector("#timeline-table tbody");
  var more = document.getElementById("timeline-more");
  var types = document.getElementById("timeline-type");
  var filter = c.filterBar(document.getElementById("timeline-filter"), document.getElementById("timeline-table"));
  var PAGE = 200;

  function cell(label, content, className) {
    var td = el.apply(null, ["td", { className: className || "" }].concat(content));
    td.dataset.label = label;
    return td;
  }

  function row(event) {
    var who = [];
    if (event.actor) who.push(el("strong", {}, event.actor), " ");
    who.push(el("span", { className: "capacity" }, c.pick(event.capacity)));
    return el("tr", { dataset: { seq: event.seq, state: event.type, associations: event.associations.join(" ") } },
      cell(t("col.time"), c.time(event.at)), cell(t("col.event"), c.pick(event.label)),
      cell(t("coord.timeline_who"), who), cell(t("col.detail"), c.pick(event.about)),
      cell(t("coord.timeline_why"), event.why ? c.pick(event.why) : "", "why"));
  }

  function addType(event) {
    if (types.querySelector('option[value="' + event.type + '"]')) return;
    types.append(el("option", { value: event.type }, c.pick(event.label)));
  }

  // Read every event after `since`, page by page (events are appended in seq order).
  function load() {
    if (reading) { again = true; return; }
    reading = true;
    o.api("GET", "/web/timeline/" + config.disaster_id + "?since=" + since + "&limit=" + PAGE)
      .then(function (page) {
        page.events.forEach(function (event) {
          if (event.seq > since) { body.append(row(event)); addType(event); }
        });
        since = Math.max(since, page.next_since);
        more.hidden = page.events.length < PAGE;
        document.getElementById("timeline-empty").hidden = body.childElementCount > 0;
        filter.apply();
        document.body.dataset.ready = "1";
        document.body.dataset.since = String(since);
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
