// The notifications page: the list (mark read), e-mail address and channels per topic, the association's own
// addresses and webhooks, and for the secretariat the dead letters to send again. Everything via the JSON API.
(function (root) {
  "use strict";
  var ouen = root.ouen;
  var t = ouen.t, el = ouen.el, api = ouen.api, config = ouen.config;
  var en = config.lang === "en";

  function when(iso) {
    return new Date(iso).toLocaleString(en ? "en-GB" : "ja-JP", { timeZone: "Asia/Tokyo", year: "numeric",
      month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit" });
  }

  function failed(error) { ouen.actionMessage(error.message, true); }

  // -- the list --------------------------------------------------------------------------------------
  var list = document.getElementById("notify-list");
  function showList(data) {
    list.replaceChildren();
    if (!data.items.length) list.append(el("li", { className: "empty" }, t("notify.none")));
    data.items.forEach(function (item) {
      var title = en ? item.title_en : item.title_ja;
      var body = en ? item.body_en : item.body_ja;
      var row = el("li", { className: (item.read_at ? "" : "unread") + (item.mode === "drill" ? " drill" : ""),
                           dataset: { id: String(item.id) } },
        el("a", { href: item.link },
          item.essential ? el("span", { className: "notify-essential" }, t("notify.essential")) : null,
          el("span", { className: "notify-title" }, title),
          el("span", { className: "notify-when" }, when(item.created_at))),
        el("p", { className: "notify-body" }, body));
      row.querySelector("a").addEventListener("click", function (event) {
        if (item.read_at) return;
        event.preventDefault();
        var go = function () { root.location.assign(item.link); };
        api("POST", "/api/v1/notifications/read", { ids: [item.id] }).then(go, go);
      });
      list.append(row);
    });
  }
  function loadList() { return api("GET", "/api/v1/notifications?limit=50").then(showList, failed); }
  document.getElementById("read-all").addEventListener("click", function () {
    api("POST", "/api/v1/notifications/read", { all: true }).then(function () {
      loadList();
      if (root.ouenBell) root.ouenBell.refresh();
    }, failed);
  });

  // -- preferences -----------------------------------------------------------------------------------
  var emailForm = document.getElementById("email-form");
  var emailInput = document.getElementById("email-input");
  var prefsForm = document.getElementById("prefs-form");
  var prefsBody = document.getElementById("prefs-body");
  function box(topic, channel, checked) {
    return el("input", { type: "checkbox", checked: checked, name: topic.topic + ":" + channel,
                         "aria-label": (en ? topic.name_en : topic.name_ja) + " — " +
                                       t(channel === "email" ? "notify.by_email" : "notify.in_app") });
  }
  function showPrefs(prefs) {
    emailInput.value = prefs.email || "";
    prefsBody.replaceChildren();
    prefs.topics.forEach(function (topic) {
      prefsBody.append(el("tr", { dataset: { topic: topic.topic } },
        el("th", { scope: "row" }, en ? topic.name_en : topic.name_ja,
          topic.essential_types.length ? el("span", { className: "notify-when" }, t("notify.always")) : null),
        el("td", null, box(topic, "email", topic.email)), el("td", null, box(topic, "in_app", topic.in_app))));
    });
  }
  function loadPrefs() { return api("GET", "/api/v1/notifications/preferences").then(showPrefs, failed); }
  function saveEmail(value) {
    ouen.clearErrors(emailForm);
    api("PUT", "/api/v1/notifications/preferences", { set_email: true, email: value }).then(function (prefs) {
      showPrefs(prefs);
      ouen.actionMessage(t("notify.saved"));
    }, function (error) { ouen.showError(emailForm, error); });
  }
  emailForm.addEventListener("submit", function (event) {
    event.preventDefault();
    saveEmail(emailInput.value.trim() || null);
  });
  document.getElementById("email-remove").addEventListener("click", function () { saveEmail(null); });
  prefsForm.addEventListener("submit", function (event) {
    event.preventDefault();
    ouen.clearErrors(prefsForm);
    var topics = Array.prototype.map.call(prefsBody.querySelectorAll("tr"), function (row) {
      var topic = row.dataset.topic;
      return { topic: topic, email: row.querySelector('[name="' + topic + ':email"]').checked,
               in_app: row.querySelector('[name="' + topic + ':in_app"]').checked };
    });
    api("PUT", "/api/v1/notifications/preferences", { topics: topics }).then(function (prefs) {
      showPrefs(prefs);
      ouen.actionMessage(t("notify.saved"));
    }, function (error) { ouen.showError(prefsForm, error); });
  });

  // -- the association's addresses -------------------------------------------------------------------
  var contactForm = document.getElementById("address-form");
  if (contactForm && config.addresses_of) {
    var contactsUrl = "/api/v1/associations/" + encodeURIComponent(config.addresses_of) + "/notification-addresses";
    var contactList = document.getElementById("address-list");
    var channel = document.getElementById("address-channel");
    var secret = document.getElementById("address-secret");
    channel.addEventListener("change", function () {
      document.getElementById("address-format-field").hidden = channel.value !== "webhook";
    });
    var showContacts = function (contacts) {
      contactList.replaceChildren();
      if (!contacts.length) contactList.append(el("li", { className: "empty" }, t("notify.address_none")));
      contacts.forEach(function (contact) {
        var remove = el("button", { type: "button", className: "secondary" }, t("notify.address_remove"));
        remove.addEventListener("click", function () {
          api("DELETE", "/api/v1/notifications/addresses/" + contact.id).then(loadContacts, failed);
        });
        contactList.append(el("li", null, el("span", { className: "notify-title" }, contact.label || contact.address),
          el("span", { className: "notify-when" }, t("notify.channel." + contact.channel) + " · " +
            t("notify.format." + contact.format) + " · " + contact.address), remove));
      });
    };
    var loadContacts = function () { return api("GET", contactsUrl).then(showContacts, failed); };
    contactForm.addEventListener("submit", function (event) {
      event.preventDefault();
      ouen.clearErrors(contactForm);
      var body = { channel: channel.value, address: document.getElementById("address-address").value.trim(),
                   label: document.getElementById("address-label").value.trim() || null };
      if (body.channel === "webhook") body.format = document.getElementById("address-format").value;
      api("POST", contactsUrl, body).then(function (contact) {
        contactForm.reset();
        document.getElementById("address-format-field").hidden = true;
        secret.hidden = !contact.signing_secret;
        secret.textContent = contact.signing_secret ? t("notify.address_secret") + " " + contact.signing_secret : "";
        loadContacts();
      }, function (error) { ouen.showError(contactForm, error); });
    });
    loadContacts();
  }

  // -- delivery status (secretariat) ----------------------------------------------------------------
  var deadList = document.getElementById("dead-list");
  if (deadList && config.sees_outbox) {
    var loadStatus = function () {
      return api("GET", "/api/v1/notifications/status").then(function (status) {
        document.getElementById("smtp-off").hidden = status.smtp_configured;
        var counts = document.getElementById("outbox-counts");
        counts.replaceChildren();
        ["pending", "sent", "dead", "suppressed"].forEach(function (state) {
          var byChannel = status.counts[state] || {};
          counts.append(el("div", null, el("dt", null, t("notify.outbox_" + state)),
            el("dd", { dataset: { state: state } }, ouen.formatNumber((byChannel.email || 0) + (byChannel.webhook || 0)))));
        });
        deadList.replaceChildren();
        if (!status.dead.length) deadList.append(el("li", { className: "empty" }, t("notify.outbox_none")));
        status.dead.forEach(function (dead) {
          var again = el("button", { type: "button", className: "secondary" }, t("notify.outbox_retry"));
          again.addEventListener("click", function () {
            api("POST", "/api/v1/notifications/outbox/" + dead.id + "/retry").then(function (answer) {
              ouen.actionMessage(t("notify.outbox_retried", { n: answer.retried }));
              loadStatus();
            }, failed);
          });
          deadList.append(el("li", { dataset: { id: String(dead.id) } },
            el("span", { className: "notify-title" }, ouen.label("event", dead.event_type) + " → " + dead.address),
            el("span", { className: "notify-when" }, when(dead.created_at) + " · " + t("notify.outbox_attempts") +
              " " + dead.attempts),
            el("p", { className: "notify-body" }, t("notify.outbox_error") + ": " + (dead.last_error || "")), again));
        });
      }, failed);
    };
    document.getElementById("retry-all").addEventListener("click", function () {
      api("POST", "/api/v1/notifications/outbox/retry").then(function (answer) {
        ouen.actionMessage(t("notify.outbox_retried", { n: answer.retried }));
        loadStatus();
      }, failed);
    });
    loadStatus();
  }

  Promise.all([loadList(), loadPrefs()]).then(function () { document.body.dataset.ready = "1"; });
})(window);
