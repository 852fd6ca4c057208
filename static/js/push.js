// Web Push from the settings page: ask this browser for a push subscription (PushManager) and hand it to the
// server, or take it back. Needs the app's service worker (it shows the notification: its "push" handler).
(function () {
  function keyBytes(base64url) {
    var padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(padded), bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function post(url, csrf, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
      body: JSON.stringify(body)
    }).then(function (response) {
      if (response.ok) return response;
      return response.json().then(function (answer) { throw new Error(answer.detail || response.statusText); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("push");
    if (!box) return;
    var on = box.querySelector('[data-push="on"]'), off = box.querySelector('[data-push="off"]');
    var status = box.querySelector("[data-push-status]");
    function say(text) { status.textContent = text; }
    if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
      say("This browser cannot show notifications from Shotlee; use email reminders or the calendar link.");
      return;
    }
    navigator.serviceWorker.getRegistration().then(function (registration) {
      if (!registration) {
        say("Notifications need Shotlee's app support in this browser, which is not installed yet: reload the page and try again.");
        return;
      }
      function show(subscription) {
        on.hidden = !!subscription;
        off.hidden = !subscription;
      }
      registration.pushManager.getSubscription().then(show);
      on.addEventListener("click", function () {
        Notification.requestPermission().then(function (permission) {
          if (permission !== "granted") throw new Error("Notifications are blocked for this site in the browser's settings.");
          return registration.pushManager.subscribe({
            userVisibleOnly: true,
            applicationServerKey: keyBytes(box.getAttribute("data-vapid-key"))
          });
        }).then(function (subscription) {
          return post(box.getAttribute("data-subscribe-url"), box.getAttribute("data-csrf"), subscription.toJSON())
            .then(function () { show(subscription); say("This device will get reminders."); });
        }).catch(function (error) { say("Not turned on: " + error.message); });
      });
      off.addEventListener("click", function () {
        registration.pushManager.getSubscription().then(function (subscription) {
          if (!subscription) return show(null);
          var endpoint = subscription.endpoint;
          return subscription.unsubscribe().then(function () {
            return post(box.getAttribute("data-unsubscribe-url"), box.getAttribute("data-csrf"), {endpoint: endpoint});
          }).then(function () { show(null); say("This device no longer gets reminders."); });
        }).catch(function (error) { say("Not turned off: " + error.message); });
      });
    });
  });
})();
