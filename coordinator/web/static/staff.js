// Association staff's pages (issue 15): dates in words (2026年12月4日, JST), every form problem beside its
// field, an outbox that keeps what was typed offline and sends it once (Idempotency-Key), the service
// worker, a warning when the live connection goes quiet, and the notification toggle. No dependencies.
(function (root) {
  "use strict";
  var o = root.ouen, t = o.t, el = o.el, config = o.config;
  var OUTBOX = "ouen.outbox." + ((config.user && config.user.id) || "anon");

  // ---- dates and times in words ---------------------------------------------------------------------
  var JST_PARTS = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Tokyo", year: "numeric", month: "numeric",
                                                     day: "numeric", hour: "2-digit", minute: "2-digit",
                                                     hour12: false });
  function parts(value) {
    var out = {};
    JST_PARTS.formatToParts(new Date(value)).forEach(function (p) { out[p.type] = p.value; });
    return out;
  }
  // "2026-12-04" -> "2026年12月4日" (ja) or "4 Dec 2026" (en); a calendar date has no time zone.
  function day(iso) {
    if (!iso) return "";
    var m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso);
    if (!m) return iso;
    var y = +m[1], mo = +m[2], d = +m[3];
    if (config.lang === "en") return d + " " + ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][mo - 1] + " " + y;
    return y + "年" + mo + "月" + d + "日";
  }
  // An instant (UTC from the server) as Japan time: "2026年12月4日 14:05 JST".
  function moment(value) {
    if (!value) return "";
    var p = parts(value), hour = p.hour === "24" ? "00" : p.hour;
    var date = day(p.year + "-" + ("0" + p.month).slice(-2) + "-" + ("0" + p.day).slice(-2));
    return date + " " + hour + ":" + p.minute + " JST";
  }
  // Today in Japan as YYYY-MM-DD (for date inputs).
  function todayJst() {
    var p = parts(Date.now());
    return p.year + "-" + ("0" + p.month).slice(-2) + "-" + ("0" + p.day).slice(-2);
  }
  // Every <input type=date> shows the chosen date in words beside it (the browser's own format varies).
  function dateWords(scope) {
    (scope || document).querySelectorAll("input[type=date]").forEach(function (input) {
      var out = input.parentNode.querySelector("output.date-words");
      if (!out || input.dataset.words) return;
      input.dataset.words = "1";
      function show() { out.textContent = input.value ? day(input.value) : ""; }
      input.addEventListener("input", show);
      input.addEventListener("change", show);
      show();
    });
  }

  // ---- form problems --------------------------------------------------------------------------------
  function fieldBox(form, name) {
    return form.querySelector('[data-field="' + name + '"]') ||
           form.querySelector('[data-field="' + name.split(".")[0] + '"]');
  }
  // Every problem the API named (details.problems), in the page's language, beside its field; the first
  // field gets the focus; problems without a field of their own go above the buttons.
  function showProblems(form, error) {
    o.clearErrors(form);
    var problems = (error.details && error.details.problems) || [];
    if (!problems.length) problems = [{ field: error.field || "", problem_ja: error.message, problem: error.message }];
    var first = null, general = [];
    problems.forEach(function (p) {
      var text = config.lang === "en" ? (p.problem || p.problem_ja) : (p.problem_ja || p.problem);
      var box = p.field ? fieldBox(form, p.field) : null;
      var target = box && box.querySelector(":scope > .field-error");
      if (!target) { general.push((p["label_" + config.lang] ? p["label_" + config.lang] + ": " : "") + text); return; }
      target.textContent = target.textContent ? target.textContent + " " + text : text;
      var input = box.querySelector("input:not([type=hidden]), select, textarea");
      if (input) { input.setAttribute("aria-invalid", "true"); first = first || input; }
    });
    var formError = form.querySelector(".form-error");
    if (formError) {
      formError.textContent = general.length ? general.join(" ") :
        (problems.length > 1 ? t("staff.problems_count", { n: problems.length }) : "");
    }
    if (first) first.focus();
  }

  // ---- outbox: writes kept in the page until the server has them, each sent exactly once ---------------
  function newKey() {
    if (root.crypto && root.crypto.randomUUID) return root.crypto.randomUUID();
    return "k-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
  }
  function readBox() {
    try { return JSON.parse(root.localStorage.getItem(OUTBOX) || "[]"); } catch (e) { return []; }
  }
  function writeBox(items) { root.localStorage.setItem(OUTBOX, JSON.stringify(items)); showOutbox(); }
  var listeners = [];
  function showOutbox() {
    var box = document.getElementById("outbox-state");
    var waiting = readBox();
    if (box) {
      box.hidden = !waiting.length;
      box.textContent = waiting.length ? t("staff.outbox_waiting", { n: waiting.length }) : "";
      box.dataset.count = String(waiting.length);
    }
    document.body.dataset.outbox = String(waiting.length);
  }
  // Send a write through the outbox: it is kept (with its Idempotency-Key) before the first try, so a
  // dropped connection or a closed page loses nothing, and a repeat is answered with the first result.
  // Resolves with the API's answer; rejects with its error (then it leaves the outbox) or, offline, with
  // {queued: true} while it waits for the connection.
  var pending = {};
  function send(method, url, body, label) {
    var item = { key: newKey(), method: method, url: url, body: body === undefined ? null : body,
                 label: label || "", at: new Date().toISOString() };
    var items = readBox();
    items.push(item);
    writeBox(items);
    return new Promise(function (resolve, reject) {
      pending[item.key] = { resolve: resolve, reject: reject };
      attempt(item);
    });
  }
  var sending = {};
  function attempt(item) {
    if (sending[item.key]) return;
    sending[item.key] = true;
    fetch(item.url, { method: item.method, credentials: "same-origin",
                      headers: { "Accept": "application/json", "Content-Type": "application/json",
                                 "Idempotency-Key": item.key },
                      body: item.body === null ? undefined : JSON.stringify(item.body) })
      .then(function (response) {
        return response.json().catch(function () { return null; }).then(function (data) {
          delete sending[item.key];
          if (response.status === 409 && data && data.error && data.error.code === "idempotency_key_in_use") {
            setTimeout(function () { attempt(item); }, 1000);
            return;
          }
          if (response.status >= 500 || response.status === 429) { waitFor(item); return; }
          done(item);
          var waiter = pending[item.key];
          delete pending[item.key];
          if (response.ok) { if (waiter) waiter.resolve(data); else notify("sent", item, data); }
          else {
            var error = new ApiErrorLike(response.status, data);
            if (waiter) waiter.reject(error); else notify("failed", item, error);
          }
        });
      }, function () {
        delete sending[item.key];
        waitFor(item);
      });
  }
  function ApiErrorLike(status, body) {
    var error = (body && body.error) || {};
    var message = error.message || {};
    this.status = status; this.code = error.code || "http_error"; this.field = error.field || null;
    this.message = message[config.lang] || message.ja || message.en || t("error.unexpected");
    this.details = error.details || {};
  }
  function waitFor(item) {
    var waiter = pending[item.key];
    if (waiter) { delete pending[item.key]; waiter.reject({ queued: true, label: item.label }); }
    showOutbox();
  }
  function done(item) {
    writeBox(readBox().filter(function (i) { return i.key !== item.key; }));
  }
  function notify(what, item, result) { listeners.forEach(function (f) { f(what, item, result); }); }
  // Try everything still waiting (on load, when the connection returns, and every 15 s).
  function flush() { readBox().forEach(attempt); }
  root.addEventListener("online", flush);
  setInterval(function () { if (readBox().length) flush(); }, 15000);

  // ---- the live connection: "connected" is not enough, heartbeats must keep coming -----------------
  function watchLive(disasterId, mode, onChange, since) {
    var stale = document.getElementById("stale-warning");
    var last = Date.now(), live = false;
    var period = (Number(config.heartbeat_seconds) || 15) * 1000;
    var handle = o.follow(disasterId, mode, onChange, function () { last = Date.now(); live = true; }, since);
    setInterval(function () {
      var quiet = live && Date.now() - last > period * 1.5 + 2000;
      if (stale) stale.hidden = !quiet;
      document.body.dataset.stale = quiet ? "1" : "0";
      var status = document.getElementById("live-status");
      if (quiet && status) { status.dataset.state = "stale"; status.textContent = t("live.stale"); }
    }, 1000);
    root.addEventListener("offline", function () { if (stale) stale.hidden = false; });
    return handle;
  }

  // ---- notifications while the page is open -------------------------------------------------------
  var NOTIFY = "ouen.notify";
  function notifyOn() { return root.localStorage.getItem(NOTIFY) === "1"; }
  function beep() {
    try {
      var Ctx = root.AudioContext || root.webkitAudioContext;
      var ctx = new Ctx(), osc = ctx.createOscillator(), gain = ctx.createGain();
      osc.frequency.value = 880; gain.gain.value = 0.1;
      osc.connect(gain); gain.connect(ctx.destination);
      osc.start(); osc.stop(ctx.currentTime + 0.25);
    } catch (e) { /* no sound available */ }
  }
  function alertUser(title, body) {
    if (!notifyOn()) return;
    beep();
    if (root.Notification && root.Notification.permission === "granted") {
      try { new root.Notification(title, { body: body || "", tag: "ouen-todo" }); } catch (e) { /* ignore */ }
    }
  }
  function notifyToggle() {
    var button = document.getElementById("notify-toggle"), state = document.getElementById("notify-state");
    if (!button) return;
    function show() {
      var on = notifyOn();
      button.setAttribute("aria-pressed", on ? "true" : "false");
      button.textContent = t(on ? "staff.notify_off" : "staff.notify_on");
      var denied = root.Notification && root.Notification.permission === "denied";
      state.textContent = on ? t(denied || !root.Notification ? "staff.notify_sound_only" : "staff.notify_active") : "";
    }
    button.addEventListener("click", function () {
      if (notifyOn()) { root.localStorage.setItem(NOTIFY, "0"); show(); return; }
      root.localStorage.setItem(NOTIFY, "1");
      if (root.Notification && root.Notification.permission === "default") {
        root.Notification.requestPermission().then(show, show);
      }
      show();
    });
    show();
  }

  // ---- service worker: pages open without a connection after one visit -----------------------------
  if ("serviceWorker" in navigator && root.isSecureContext) {
    navigator.serviceWorker.register("/sw.js").catch(function () { /* the page works without it */ });
  }
  var logout = document.getElementById("logout-button");
  if (logout) {
    // Signed out: nothing of this user stays in the page caches or the outbox.
    logout.addEventListener("click", function () {
      if (root.caches) root.caches.keys().then(function (names) { names.forEach(function (n) { root.caches.delete(n); }); });
    });
  }

  showOutbox();
  flush();
  root.staff = { day: day, moment: moment, todayJst: todayJst, dateWords: dateWords, showProblems: showProblems,
                 send: send, onOutbox: function (f) { listeners.push(f); }, outbox: readBox, flush: flush,
                 watchLive: watchLive, alertUser: alertUser, notifyToggle: notifyToggle };
})(window);
