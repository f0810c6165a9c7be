// Situation report: print, and (for the acting secretariat) issue the next report or correct this one.
(function () {
  "use strict";
  var o = window.ouen, t = o.t, config = o.config;
  var button = document.getElementById("print-button");
  if (button) button.addEventListener("click", function () { window.print(); });
  var form = document.getElementById("sitrep-form");
  if (!form) return;
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    o.clearErrors(form);
    var amend = event.submitter && event.submitter.value === "amend";
    var summary = document.getElementById("sitrep-summary-input").value;
    var report = config.report;
    var done = amend
      ? o.api("PATCH", "/api/v1/sitreps/" + report.id, { summary: summary, version: report.version })
      : o.api("POST", "/api/v1/disasters/" + config.disaster_id + "/sitreps", { summary: summary });
    form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    done.then(function (saved) {
      o.say(t(amend ? "coord.sitrep_amended" : "coord.sitrep_issued_done"));
      window.location.assign("/disasters/" + config.disaster_id + "/sitrep?report=" + saved.number);
    }, function (error) {
      o.showError(form, error);
      form.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
    });
  });
})();
