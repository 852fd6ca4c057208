// Shotlee's service worker (served at the site's root by web/views.py, so its scope is the whole site).
// Online, every request goes to the server as before. Offline, it answers with what this device kept:
// the app shell (styles, scripts, icons, the offline page) and the last-seen copy of the dashboard, the
// history and the log forms. Nothing else is kept; log-out empties the kept pages (app.js).
"use strict";
// Reminders as push messages: the `push` and `notificationclick` handlers (shotlee/reminders, static/js/sw-push.js).
importScripts("{{ push_script }}");
const CONFIG = {{ config|safe }};
const SHELL = "shotlee-shell-__VERSION__";
const PAGES = "shotlee-pages";

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(CONFIG.shell)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("shotlee-shell-") && k !== SHELL).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("message", (event) => {
  if (event.data === "forget") event.waitUntil(caches.delete(PAGES));
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith(CONFIG.static)) event.respondWith(asset(request));
  else if (request.mode === "navigate") event.respondWith(page(request, url));
});

// Styles and scripts: from the server (their names carry no version), the kept copy when offline.
async function asset(request) {
  const cache = await caches.open(SHELL);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(request, response.clone());
    return response;
  } catch (error) {
    const kept = await cache.match(request, { ignoreSearch: true });
    if (kept) return kept;
    throw error;
  }
}

// Pages: from the server; the last-seen copy of a kept page (or the offline page) when the network is down.
async function page(request, url) {
  const key = url.origin + url.pathname;
  try {
    const response = await fetch(request);
    if (CONFIG.pages.includes(url.pathname) && response.status === 200 && !response.redirected) {
      const cache = await caches.open(PAGES);
      await cache.put(key, response.clone());
    }
    return response;
  } catch (error) {
    const kept = CONFIG.pages.includes(url.pathname) && (await (await caches.open(PAGES)).match(key));
    return kept || (await caches.match(CONFIG.offline)) || Response.error();
  }
}
