// Small progressive enhancements; every page works without this file.
document.documentElement.classList.add("js");
document.addEventListener("DOMContentLoaded", function () {
  // Phones: "More" in the bottom tab bar opens the rest of the navigation (without scripts it is always shown).
  var more = document.getElementById("more-button");
  var menu = document.getElementById("more-menu");
  if (more && menu) {
    var show = function (open) {
      more.setAttribute("aria-expanded", String(open));
      menu.classList.toggle("open", open);
    };
    more.addEventListener("click", function () { show(more.getAttribute("aria-expanded") !== "true"); });
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && more.getAttribute("aria-expanded") === "true") { show(false); more.focus(); }
    });
    document.addEventListener("click", function (e) {
      if (!menu.contains(e.target) && !more.contains(e.target)) show(false);
    });
  }
  // The service worker keeps the app shell and the last-seen pages for offline use (needs HTTPS or localhost).
  var worker = document.body.dataset.sw;
  if (worker && "serviceWorker" in navigator) {
    navigator.serviceWorker.register(worker, { scope: worker.replace(/sw\.js$/, "") }).catch(function () {});
  }
  // Signed out (logged out, or the session ended): forget the pages kept for offline use on this device.
  var forget = function () { if (window.caches) caches.delete("shotlee-pages"); };
  if (!document.body.dataset.user && !("offlinePage" in document.body.dataset)) forget();
  document.querySelectorAll("form[data-logout]").forEach(function (form) { form.addEventListener("submit", forget); });
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
  // Offline the page cannot be fetched again: the form keeps the choice and sends it with the entry.
  if (select && navigator.onLine) window.location.search = "?protocol=" + encodeURIComponent(select.value);
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
