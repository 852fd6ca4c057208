// Small progressive enhancements; every page works without this file.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-detect-timezone]").forEach(function (input) {
    try {
      var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
      if (zone && input.value === "UTC") input.value = zone;
    } catch (e) { /* keep UTC */ }
  });
  // One press only: a second tap on a slow phone must not send the form twice.
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    form.addEventListener("submit", function () {
      form.querySelectorAll("button[type=submit]").forEach(function (b) {
        setTimeout(function () { b.disabled = true; b.setAttribute("aria-busy", "true"); }, 0);
      });
    });
  });
});
document.addEventListener("change", function (event) {
  var select = event.target.closest && event.target.closest("[data-reload-on-change]");
  if (select) window.location.search = "?protocol=" + encodeURIComponent(select.value);
});
document.addEventListener("change", function (event) {
  var select = event.target.closest && event.target.closest("[data-submit-on-change]");
  if (select && select.form) select.form.submit();
});
// A long upload (an import): show that it is under way once the form is sent.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form.id !== "import-form") return;
  var progress = document.getElementById("import-progress");
  if (progress) progress.hidden = false;
});
