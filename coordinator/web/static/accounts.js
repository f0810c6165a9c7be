// The secretariat's users and accounts page: list, add, reset a password, disable or enable, change the
// role, sign sessions out, issue and revoke tokens — all through /api/v1/users (docs/authority.md).
(function () {
  "use strict";
  var o = window.ouen, t = o.t, el = o.el, config = o.config;
  var names = config.names || {};
  var list = document.getElementById("accounts");
  var search = document.getElementById("account-search");
  var accounts = [];

  // Times arrive in UTC; people read JST.
  function jst(iso) {
    if (!iso) return "—";
    var moment = new Date(/Z|[+-]\d\d:\d\d$/.test(iso) ? iso : iso + "Z");
    var shifted = new Date(moment.getTime() + 9 * 3600 * 1000);
    return shifted.toISOString().slice(0, 16).replace("T", " ") + " JST";
  }

  function showSecret(text, secret) {
    document.getElementById("secret-text").textContent = text;
    document.getElementById("secret-value").textContent = secret;
    document.getElementById("secret-box").hidden = false;
    document.getElementById("secret-box").scrollIntoView({ block: "nearest" });
  }
  document.getElementById("secret-close").addEventListener("click", function () {
    document.getElementById("secret-value").textContent = "";
    document.getElementById("secret-box").hidden = true;
  });

  function done(message) { o.actionMessage(message); o.say(message); }
  function failed(error) { o.actionMessage(error.message, true); }

  function button(label, onClick, secondary) {
    var b = el("button", { type: "button", className: secondary ? "secondary" : "" }, label);
    b.addEventListener("click", function () { onClick(b); });
    return b;
  }

  function associationSelect(value) {
    var select = el("select", { name: "association_id" }, el("option", { value: "" }, t("accounts.choose")));
    config.associations.forEach(function (a) {
      select.append(el("option", { value: a.id, selected: a.id === value }, a.name));
    });
    return select;
  }

  function roleForm(account, item) {
    var role = el("select", { name: "role" });
    config.roles.forEach(function (r) { role.append(el("option", { value: r, selected: r === account.role }, t("role." + r))); });
    var association = associationSelect(account.association_id);
    var roleId = "role-" + account.id, associationId = "association-" + account.id;
    role.id = roleId; association.id = associationId;
    var associationField = el("div", { className: "field", dataset: { field: "association_id" } },
                              el("label", { "for": associationId }, t("accounts.association")), association,
                              el("p", { className: "field-error" }));
    function toggle() { associationField.hidden = role.value !== "staff"; }
    role.addEventListener("change", toggle);
    toggle();
    var form = el("form", { className: "role-form", noValidate: true },
                  el("div", { className: "field", dataset: { field: "role" } },
                     el("label", { "for": roleId }, t("accounts.role")), role, el("p", { className: "field-error" })),
                  associationField, el("p", { className: "form-error" }),
                  el("button", { type: "submit" }, t("accounts.role_save")));
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      o.clearErrors(form);
      var body = { role: role.value, association_id: role.value === "staff" ? (association.value || null) : null };
      o.api("POST", "/api/v1/users/" + account.id + "/role", body).then(function () {
        done(t("accounts.done_role", { name: account.display_name }));
        load();
      }, function (error) { o.showError(form, error); });
    });
    item.querySelector(".more").replaceChildren(form);
  }

  function sessionsAndTokens(account, item) {
    var more = item.querySelector(".more");
    Promise.all([o.api("GET", "/api/v1/users/" + account.id + "/sessions"),
                 o.api("GET", "/api/v1/users/" + account.id + "/tokens")]).then(function (both) {
      var sessions = both[0], tokens = both[1].filter(function (x) { return !x.revoked_at; });
      var sessionList = el("ul", { className: "plain sessions" });
      sessions.forEach(function (s) {
        sessionList.append(el("li", { dataset: { sessionId: s.id } },
          el("span", {}, t("accounts.session_opened", { at: jst(s.created_at) })),
          el("span", {}, t("accounts.session_seen", { at: jst(s.last_seen_at) })),
          el("span", {}, s.client_ip || "—"), el("span", { className: "hint" }, (s.user_agent || "").slice(0, 60)),
          button(t("accounts.sign_out"), function (b) {
            if (!window.confirm(t("accounts.confirm_sign_out"))) return;
            b.disabled = true;
            o.api("POST", "/api/v1/sessions/" + s.id + "/revoke").then(function () {
              done(t("accounts.done_sign_out")); load();
            }, failed);
          }, true)));
      });
      if (!sessions.length) sessionList.append(el("li", { className: "empty" }, t("accounts.no_sessions")));
      var tokenList = el("ul", { className: "plain tokens" });
      tokens.forEach(function (k) {
        tokenList.append(el("li", { dataset: { tokenId: k.id } },
          el("strong", {}, k.name), el("code", {}, k.prefix + "…"),
          el("span", {}, t("accounts.token_made", { at: jst(k.created_at) })),
          el("span", {}, t("accounts.token_used", { at: jst(k.last_used_at) })),
          button(t("accounts.revoke"), function (b) {
            if (!window.confirm(t("accounts.confirm_revoke", { name: k.name }))) return;
            b.disabled = true;
            o.api("POST", "/api/v1/tokens/" + k.id + "/revoke").then(function () {
              done(t("accounts.done_revoke", { name: k.name })); load();
            }, failed);
          }, true)));
      });
      if (!tokens.length) tokenList.append(el("li", { className: "empty" }, t("accounts.no_tokens")));
      var tokenName = el("input", { name: "name", id: "token-name-" + account.id, maxLength: 100, autocomplete: "off" });
      var tokenForm = el("form", { className: "token-form", noValidate: true },
        el("div", { className: "field", dataset: { field: "name" } },
           el("label", { "for": tokenName.id }, t("accounts.token_name")), tokenName, el("p", { className: "field-error" })),
        el("p", { className: "form-error" }), el("button", { type: "submit", className: "secondary" }, t("accounts.token_issue")));
      tokenForm.addEventListener("submit", function (event) {
        event.preventDefault();
        o.clearErrors(tokenForm);
        o.api("POST", "/api/v1/users/" + account.id + "/tokens", { name: tokenName.value }).then(function (made) {
          showSecret(t("accounts.token_secret", { name: account.display_name }), made.secret);
          load();
        }, function (error) { o.showError(tokenForm, error); });
      });
      more.replaceChildren(el("h3", {}, t("accounts.sessions")), sessionList,
                           el("h3", {}, t("accounts.tokens")), tokenList, tokenForm);
    }, failed);
  }

  function card(account) {
    var disabled = !account.is_active;
    var association = account.association_id && account.association_id !== "clair"
      ? (names[account.association_id] || account.association_id) : null;
    var item = el("li", { className: disabled ? "is-disabled" : "", dataset: { userId: account.id, login: account.login } },
      el("div", { className: "account-head" }, el("span", { className: "account-name" }, account.display_name),
         el("span", { className: "account-login" }, account.login)),
      el("ul", { className: "badges" }, el("li", {}, t("role." + account.role)), association ? el("li", {}, association) : null,
         el("li", { className: disabled ? "disabled" : "" }, t(disabled ? "accounts.disabled" : "accounts.active")),
         el("li", {}, t("accounts.session_count", { n: account.open_sessions })),
         el("li", {}, t("accounts.token_count", { n: account.active_tokens }))));
    var actions = el("div", { className: "account-actions" });
    actions.append(button(t("accounts.reset"), function (b) {
      if (!window.confirm(t("accounts.confirm_reset", { name: account.display_name }))) return;
      b.disabled = true;
      o.api("POST", "/api/v1/users/" + account.id + "/reset-password").then(function (reset) {
        showSecret(t("accounts.reset_secret", { name: account.display_name, login: account.login }), reset.secret);
        load();
      }, function (error) { b.disabled = false; failed(error); });
    }, true));
    if (account.id !== config.me) {
      actions.append(button(t(disabled ? "accounts.enable" : "accounts.disable"), function (b) {
        if (!disabled && !window.confirm(t("accounts.confirm_disable", { name: account.display_name }))) return;
        b.disabled = true;
        o.api("POST", "/api/v1/users/" + account.id + (disabled ? "/enable" : "/disable")).then(function () {
          done(t(disabled ? "accounts.done_enable" : "accounts.done_disable", { name: account.display_name }));
          load();
        }, function (error) { b.disabled = false; failed(error); });
      }, !disabled));
      actions.append(button(t("accounts.change_role"), function () { roleForm(account, item); }, true));
    }
    actions.append(button(t("accounts.sessions_tokens"), function () { sessionsAndTokens(account, item); }, true));
    item.append(actions, el("div", { className: "more" }));
    return item;
  }

  function draw() {
    var words = search.value.trim().toLowerCase();
    var shown = accounts.filter(function (a) {
      var text = [a.display_name, a.login, names[a.association_id] || "", t("role." + a.role)].join(" ").toLowerCase();
      return !words || text.indexOf(words) >= 0;
    });
    list.replaceChildren.apply(list, shown.map(card));
    document.getElementById("accounts-empty").hidden = shown.length > 0;
  }

  function load() {
    return o.api("GET", "/api/v1/users").then(function (rows) {
      accounts = rows;
      draw();
      document.body.dataset.ready = "1";
    }, failed);
  }

  search.addEventListener("input", draw);

  var form = document.getElementById("add-form");
  var role = document.getElementById("add-role");
  function toggleAssociation() {
    form.querySelector('[data-field="association_id"]').hidden = role.value !== "staff";
  }
  role.addEventListener("change", toggleAssociation);
  toggleAssociation();
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    o.clearErrors(form);
    var data = new FormData(form);
    var body = { display_name: data.get("display_name"), login: data.get("login"), role: data.get("role"),
                 association_id: data.get("role") === "staff" ? (data.get("association_id") || null) : null };
    if (data.get("password")) body.password = data.get("password");
    o.api("POST", "/api/v1/users", body).then(function (made) {
      form.reset();
      toggleAssociation();
      if (made.secret) showSecret(t("accounts.new_secret", { name: made.user.display_name, login: made.user.login }),
                                  made.secret);
      done(t("accounts.done_add", { name: made.user.display_name }));
      load();
    }, function (error) { o.showError(form, error); });
  });

  load();
})();
