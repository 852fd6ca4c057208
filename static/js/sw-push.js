// The service worker's part of push reminders: show the notification the server sent (encrypted for this browser,
// decrypted by it), and open the dose form when it is tapped. Loaded by the app's service worker with
// importScripts("/static/js/sw-push.js"); the message is {"title", "body", "url", "tag"} (shotlee/reminders/send.py).
self.addEventListener("push", function (event) {
  var message = {};
  try { message = event.data ? event.data.json() : {}; } catch (e) { message = {body: event.data && event.data.text()}; }
  event.waitUntil(self.registration.showNotification(message.title || "Shotlee reminder", {
    body: message.body || "",
    tag: message.tag || undefined,
    icon: "/static/favicon.svg",
    data: {url: message.url || "/"}
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = new URL((event.notification.data && event.notification.data.url) || "/", self.location.origin);
  if (url.origin !== self.location.origin) url = new URL("/", self.location.origin);  // only this app's pages
  event.waitUntil(self.clients.matchAll({type: "window", includeUncontrolled: true}).then(function (windows) {
    for (var i = 0; i < windows.length; i++) {
      if (new URL(windows[i].url).origin === url.origin && "focus" in windows[i]) {
        return windows[i].navigate(url.href).then(function (client) { return client && client.focus(); });
      }
    }
    return self.clients.openWindow(url.href);
  }));
});
