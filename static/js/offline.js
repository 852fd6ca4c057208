// The offline queue (signed-in pages only). A dose or a reading logged without a connection is kept on this
// device (localStorage, per account), shown as "waiting to sync", and sent through the same form when the
// connection is back. Each entry carries its own client entry id: the ledger records an id at most once per
// account, so sending an entry twice (a retry, two tabs, a replayed queue) records it once. Warnings the server
// raises come back here for the person to confirm ("Record anyway") or discard.
(function () {
  "use strict";
  var body = document.body;
  var user = body.dataset.user;
  if (!user || !window.localStorage) return;
  var STORE = "shotlee-queue-" + user;
  var FORMS = (body.dataset.queue || "").split(" ").filter(Boolean);

  function load() {
    try { return JSON.parse(localStorage.getItem(STORE) || "[]"); } catch (e) { return []; }
  }
  function save(items) {
    if (items.length) localStorage.setItem(STORE, JSON.stringify(items));
    else localStorage.removeItem(STORE);
  }
  function update(id, change) {
    save(load().map(function (item) { return item.id === id ? Object.assign(item, change) : item; }));
  }
  function drop(id) { save(load().filter(function (item) { return item.id !== id; })); }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function queueable(form) {
    if (!form || (form.getAttribute("method") || "").toLowerCase() !== "post") return false;
    if (!form.querySelector("input[name=client_entry_id]")) return false;
    return FORMS.indexOf(new URL(form.action, location.href).pathname) !== -1;
  }

  // A page kept for offline use shows the "When" it was written with: move an untouched one to now.
  function freshenTimes() {
    var meta = document.querySelector("meta[name=shotlee-rendered]");
    var age = meta ? Date.now() - Number(meta.content) * 1000 : 0;
    if (!(age > 60000)) return;
    document.querySelectorAll("form input[type=datetime-local]").forEach(function (input) {
      var then = Date.parse(input.value + ":00Z");
      if (!queueable(input.form) || isNaN(then) || input.value !== input.defaultValue) return;
      var shifted = new Date(then + age).toISOString().slice(0, 16);
      input.value = input.defaultValue = shifted;
    });
  }

  function describe(form) {
    var get = function (name) { var el = form.elements[name]; return el && el.value ? el.value : ""; };
    var what = form.elements.protocol && form.elements.protocol.tagName === "SELECT"
      ? form.elements.protocol.selectedOptions[0].textContent
      : (document.querySelector("h1") || {}).textContent || "Entry";
    var amount = [get("amount") || get("value"), get("unit")].filter(Boolean).join(" ");
    var when = (get("occurred_at") || get("measured_at")).replace("T", " ");
    return [what.replace(/^Log /, ""), amount, when].filter(Boolean).join(" · ");
  }

  function enqueue(form, submitter) {
    form.elements.client_entry_id.value = uuid(); // a new entry, even from a form page used before
    var data = new FormData(form);
    if (submitter && submitter.name) data.append(submitter.name, submitter.value);
    var fields = [];
    data.forEach(function (value, name) { if (name !== "csrfmiddlewaretoken") fields.push([name, String(value)]); });
    var items = load();
    items.push({
      id: form.elements.client_entry_id.value, url: new URL(form.action, location.href).pathname + location.search,
      fields: fields, what: describe(form), state: "waiting", queuedAt: new Date().toISOString()
    });
    save(items);
    render("Saved on this device. It will be sent when the connection is back.");
    var panel = document.getElementById("sync");
    if (panel) { panel.tabIndex = -1; panel.focus(); panel.scrollIntoView(); }
  }

  // What the page shows: each waiting entry, and what the server said about the ones it did not take.
  function render(note) {
    var panel = document.getElementById("sync");
    var box = document.getElementById("sync-body");
    var status = document.getElementById("sync-note");
    if (!panel || !box || !status) return;
    var items = load();
    box.textContent = "";
    if (note !== undefined) status.textContent = note;
    var list = el("ul", "sync-list");
    items.forEach(function (item) {
      var li = list.appendChild(el("li", "card sync-item state-" + item.state));
      li.appendChild(el("p", "tight", item.what));
      if (item.state === "waiting") li.appendChild(el("p", "badge", "Waiting to sync"));
      if (item.state === "sending") li.appendChild(el("p", "badge", "Sending…"));
      if (item.state === "confirm") {
        var alert = li.appendChild(el("div", "alert warning"));
        alert.appendChild(el("p", "", "Check before recording. Nothing has been recorded yet."));
        var ul = alert.appendChild(el("ul"));
        (item.warnings || []).forEach(function (w) { ul.appendChild(el("li", "", w)); });
        var actions = li.appendChild(el("div", "actions"));
        button(actions, "button danger", "Record anyway", function () {
          var fields = item.fields.filter(function (f) { return f[0] !== "acknowledge" && f[0] !== "confirm"; });
          (item.codes || []).forEach(function (code) { fields.push(["acknowledge", code]); });
          fields.push(["confirm", "1"]);
          update(item.id, { fields: fields, state: "waiting", warnings: null });
          sync();
        });
        button(actions, "button secondary", "Discard", function () { drop(item.id); render("Discarded; nothing was recorded."); });
      }
      if (item.state === "problem") {
        li.appendChild(el("p", "alert error", item.problem || "The server did not accept this entry."));
        var more = li.appendChild(el("div", "actions"));
        button(more, "button secondary", "Discard", function () { drop(item.id); render("Discarded; nothing was recorded."); });
      }
    });
    if (items.length) box.appendChild(list);
    panel.hidden = !items.length && !status.textContent;
  }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text) node.textContent = text;
    return node;
  }
  function button(parent, cls, text, onclick) {
    var b = parent.appendChild(el("button", cls, text));
    b.type = "button";
    b.addEventListener("click", onclick);
  }

  function parse(html) { return new DOMParser().parseFromString(html, "text/html"); }
  function texts(doc, selector) {
    return Array.prototype.map.call(doc.querySelectorAll(selector), function (n) { return n.textContent.trim(); });
  }

  // Send one entry through its form: a fresh CSRF token from the form page, then the same POST a person makes.
  function send(item) {
    return fetch(item.url, { credentials: "same-origin" }).then(function (page) {
      if (page.redirected && page.url.indexOf("/accounts/") !== -1) return { state: "waiting", login: true };
      return page.text().then(function (html) {
        var token = parse(html).querySelector("input[name=csrfmiddlewaretoken]");
        var data = new URLSearchParams(item.fields);
        data.append("csrfmiddlewaretoken", token ? token.value : "");
        return fetch(item.url, { method: "POST", body: data, credentials: "same-origin" });
      }).then(function (response) {
        if (response.ok && response.redirected) return { state: "sent" };
        return response.text().then(function (html) {
          var doc = parse(html);
          if (response.status === 409) {
            return {
              state: "confirm", warnings: texts(doc, "#dose-warnings li, .alert.warning li"),
              codes: Array.prototype.map.call(doc.querySelectorAll("input[name=acknowledge]"), function (i) { return i.value; })
            };
          }
          if (response.status === 422 || response.status === 400 || response.status === 404) {
            return { state: "problem", problem: texts(doc, "main .alert.error, main [role=alert]").join(" ") || null };
          }
          return { state: "waiting" }; // busy or refused for now: try again later
        });
      });
    });
  }

  var running = false;
  function sync() {
    if (running || !navigator.onLine) return;
    running = true;
    var sent = 0, tried = 0, login = false;
    var next = function () {
      var item = load().filter(function (i) { return i.state === "waiting"; })[0];
      if (!item || login) return Promise.resolve();
      tried += 1;
      update(item.id, { state: "sending" });
      render();
      return send(item).then(function (result) {
        if (result.state === "sent") { drop(item.id); sent += 1; return next(); }
        login = !!result.login;
        update(item.id, result);
        return result.state === "waiting" ? null : next();
      }, function () { update(item.id, { state: "waiting" }); }); // the network failed again: later
    };
    var finish = function () {
      running = false;
      if (!tried) return;
      render(login ? "Log in again to send the entries waiting on this device."
        : sent ? sent + (sent === 1 ? " entry" : " entries") + " sent." : "");
    };
    var work = function () { return next().then(finish, finish); };
    // One sender at a time across this person's tabs.
    if (navigator.locks) navigator.locks.request("shotlee-sync", work);
    else work();
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (navigator.onLine || !queueable(form)) return;
    event.preventDefault();
    enqueue(form, event.submitter);
  }, true);
  window.addEventListener("online", sync);
  window.addEventListener("storage", function (event) { if (event.key === STORE) render(); });
  document.addEventListener("DOMContentLoaded", function () { freshenTimes(); render(); sync(); });
  window.shotleeSync = sync; // for the browser test, and a console on a phone
})();
