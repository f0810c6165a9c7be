// ouen pages: shared helpers (messages, JSON API calls, field errors, live updates). No dependencies.
(function (root) {
  "use strict";
  var config = JSON.parse(document.getElementById("ouen-config").textContent);
  var messages = JSON.parse(document.getElementById("ouen-messages").textContent);

  // The message for key, with {name} placeholders filled; a visible mark when the catalogue lacks it.
  function t(key, values) {
    var text = messages[key];
    if (text === undefined) return "\u27e6" + key + "\u27e7";
    if (values) {
      text = text.replace(/\{(\w+)\}/g, function (all, name) {
        return values[name] === undefined ? all : String(values[name]);
      });
    }
    return text;
  }

  // t() for a family of keys whose last part is data (a state, an event type): the raw value if unknown.
  function label(prefix, value) {
    var key = prefix + "." + value;
    return messages[key] === undefined ? value : messages[key];
  }

  // Build an element: el("td", {className: "x"}, "text", otherNode). Text is always set as text (escaped).
  function el(tag, props) {
    var node = document.createElement(tag);
    if (props) {
      for (var name in props) {
        if (name === "dataset") { for (var d in props.dataset) node.dataset[d] = props.dataset[d]; }
        else if (name.indexOf("aria-") === 0 || name === "for" || name === "role") node.setAttribute(name, props[name]);
        else node[name] = props[name];
      }
    }
    for (var i = 2; i < arguments.length; i++) {
      var child = arguments[i];
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function ApiError(status, body) {
    var error = (body && body.error) || {};
    this.status = status;
    this.code = error.code || "http_error";
    this.field = error.field || null;
    var message = error.message || {};
    this.message = message[config.lang] || message.ja || message.en || t("error.unexpected");
    this.details = error.details || {};
  }

  // Call the JSON API with the session cookie; resolves with the parsed body, rejects with ApiError.
  function api(method, url, body) {
    var options = { method: method, credentials: "same-origin", headers: { "Accept": "application/json" } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then(function (response) {
      if (response.status === 204) return null;
      return response.json().catch(function () { return null; }).then(function (data) {
        if (!response.ok) throw new ApiError(response.status, data);
        return data;
      });
    }, function () {
      throw new ApiError(0, { error: { message: { ja: messages["error.network"], en: messages["error.network"] } } });
    });
  }

  function clearErrors(form) {
    form.querySelectorAll(".field-error, .form-error").forEach(function (p) { p.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach(function (input) { input.removeAttribute("aria-invalid"); });
  }

  // Show the API's message next to the field it names (in the page's language); else above the buttons.
  function showError(form, error) {
    var name = (error.field || "").split(".")[0];
    var field = name ? form.querySelector('[data-field="' + name + '"]') : null;
    var target = field ? field.querySelector(".field-error") : form.querySelector(".form-error");
    if (!target) target = form.querySelector(".form-error");
    var prefix = field ? "" : (name ? name + ": " : "");
    target.textContent = prefix + error.message;
    if (field) {
      var input = field.querySelector("input, select, textarea");
      if (input) { input.setAttribute("aria-invalid", "true"); input.focus(); }
    }
  }

  function say(text) {
    var status = document.getElementById("page-status");
    if (status) status.textContent = text;
  }

  function actionMessage(text, isError) {
    var box = document.getElementById("action-message");
    if (!box) return;
    box.textContent = text;
    box.classList.toggle("error", Boolean(isError));
  }

  // Follow a disaster's events: the websocket client when /api/v1/live is served, polling otherwise.
  // onChange(event|null) is called for every event (null from a poll or a resync).
  // onFrame(type), when given, hears every frame (heartbeats too) so a page can tell a quiet link from a dead one.
  // With `since` (the event sequence the page's data was read at, e.g. picture.seq), the channel replays
  // what happened after it, so the page need not read everything again when the socket opens.
  function follow(disasterId, mode, onChange, onFrame, since) {
    var status = document.getElementById("live-status");
    function show(state) {
      if (!status) return;
      status.dataset.state = state;
      status.textContent = t("live." + state);
    }
    if (root.ouenLive) {
      return root.ouenLive({
        url: "/api/v1/live",
        subscription: { mode: mode || "live", disaster_id: disasterId },
        since: typeof since === "number" ? since : undefined,
        onEvent: function (event) { onChange(event); },
        onResync: function () { onChange(null); },
        onFrame: onFrame,
        onStatus: function (state) {
          if (state === "live") {
            show("live");
            if (typeof since !== "number") onChange(null);  // caught up: re-read what we may have missed
          }
          else if (state === "connecting" || state === "reconnecting" || state === "disconnected") show("reconnecting");
          else show("stopped");
        },
      });
    }
    show("polling");
    var timer = setInterval(function () { onChange(null); }, 4000);
    return { close: function () { clearInterval(timer); } };
  }

  function formatNumber(value) {
    return Number(value).toLocaleString(config.lang === "ja" ? "ja-JP" : "en-GB");
  }

  var logout = document.getElementById("logout-button");
  if (logout) {
    logout.addEventListener("click", function () {
      api("POST", "/api/v1/auth/logout").then(function () { root.location.assign("/login"); },
                                                 function () { root.location.assign("/login"); });
    });
  }

  root.ouen = { config: config, t: t, label: label, el: el, api: api, clearErrors: clearErrors,
                showError: showError, say: say, actionMessage: actionMessage, follow: follow,
                formatNumber: formatNumber };
})(window);
