// Sign-in: post the form to /api/v1/auth/login; the API sets the session cookie.
(function () {
  "use strict";
  var form = document.getElementById("login-form");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    ouen.clearErrors(form);
    var body = { login: form.elements.login.value.trim(), password: form.elements.password.value };
    if (!body.login || !body.password) {
      document.getElementById("login-error").textContent = ouen.t("login.missing");
      return;
    }
    ouen.api("POST", form.dataset.endpoint, body).then(function () {
      window.location.assign(form.dataset.next || "/");
    }, function (error) {
      document.getElementById("login-error").textContent = error.message;
    });
  });
})();
