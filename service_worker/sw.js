// Créneau's service worker, served at /sw.js with scope "/" (app/web/pwa/assets.py fills
// in VERSION and SHELL).
//
// - The app shell (CSS, scripts, icons, the offline pages, "Mes rendez-vous") is precached
//   in a cache named after VERSION; older caches are deleted on activation. Static files
//   are precached under their fingerprinted addresses, those the pages name.
// - Pages that show a remembered booking are network-first with a cached fallback; their
//   htmx fragments are kept in a cache of their own, so a fragment never stands in for a
//   page (and the Cache API's Vary matching checks it again).
//   Other pages (the booking steps, which show contact details) are never stored.
// - A cancellation posted without network is queued in IndexedDB (its signed link, the
//   CSRF token of its form) and replayed later: Background Sync where the browser has it,
//   otherwise when the worker starts and when a page says the network is back.
"use strict";

importScripts("/static/js/appareil.js");

var VERSION = "__VERSION__";
var SHELL = __SHELL__;
var SHELL_CACHE = "creneau-shell-" + VERSION;
var PAGES_CACHE = "creneau-pages";
// htmx fragments of the same addresses: a cache of their own, because Cache.put replaces
// every entry of a URL whatever its Vary, so one cache could not keep both.
var FRAGMENTS_CACHE = "creneau-fragments";
var SYNC_TAG = "creneau-annulations";
var CANCEL_PATH = /^\/rendez-vous\/annuler\/[^/?#]+$/;
var MODIFY_PATH = /^\/rendez-vous\/modifier\//;
var REMEMBERED_PAGES = /^\/(mes-rendez-vous(\/.*)?|hors-ligne(\/.*)?|rendez-vous\/annuler\/[^/]+)$/;

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(SHELL_CACHE).then(function (cache) { return cache.addAll(SHELL); })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("creneau-shell-") === 0 && name !== SHELL_CACHE;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
      .then(function () { return replayQueue(); })
  );
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname === "/sw.js") return;
  if (request.method === "POST" && CANCEL_PATH.test(url.pathname)) {
    event.respondWith(cancelOrQueue(request));
    return;
  }
  if (request.method !== "GET") return;
  if (url.pathname.indexOf("/static/") === 0 || url.pathname === "/manifest.webmanifest") {
    event.respondWith(cacheFirst(request));
  } else if (REMEMBERED_PAGES.test(url.pathname)) {
    event.respondWith(networkFirst(request));
  } else if (request.mode === "navigate") {
    var fallback = MODIFY_PATH.test(url.pathname) ? "/hors-ligne/modification" : "/hors-ligne";
    event.respondWith(fetch(request).catch(function () { return offlinePage(fallback); }));
  }
});

// Static addresses name their content: /static/css/creneau.<12 hex>.css. A page kept from an
// older version names older files; offline, the shell's copy of the same file stands in.
var FINGERPRINT = /\.[0-9a-f]{12}(\.[^./]+)?$/;

function sameFile(path) {
  return path.replace(FINGERPRINT, "$1");
}

function cacheFirst(request) {
  return caches.match(request, { cacheName: SHELL_CACHE }).then(function (hit) {
    return hit || fetch(request).catch(function (error) {
      var wanted = sameFile(new URL(request.url).pathname);
      var current = SHELL.filter(function (path) { return sameFile(path) === wanted; })[0];
      if (!current) throw error;
      return caches.match(current, { cacheName: SHELL_CACHE }).then(function (copy) {
        if (!copy) throw error;
        return copy;
      });
    });
  });
}

function networkFirst(request) {
  var cacheName = request.headers.get("HX-Request") ? FRAGMENTS_CACHE : PAGES_CACHE;
  return fetch(request).then(function (response) {
    if (response.status < 500 && !response.redirected && response.type === "basic") {
      var copy = response.clone();
      caches.open(cacheName).then(function (cache) { return cache.put(request, copy); });
    }
    return response;
  }).catch(function () {
    return caches.match(request, { cacheName: cacheName }).then(function (hit) {
      return hit || caches.match(request, { cacheName: SHELL_CACHE, ignoreSearch: true });
    }).then(function (hit) {
      if (hit) return hit;
      // An htmx request gets no whole page in its place: a network error, which the page
      // reports above the form (creneau.js).
      return request.headers.get("HX-Request") ? Response.error() : offlinePage("/hors-ligne");
    });
  });
}

function offlinePage(path) {
  return caches.match(path, { cacheName: SHELL_CACHE }).then(function (hit) {
    return hit || new Response("Hors ligne", {
      status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" },
    });
  });
}

// --- cancellations -------------------------------------------------------------------

function formEntries(form) {
  var fields = {};
  form.forEach(function (value, name) { fields[name] = String(value); });
  return fields;
}

function cancelOrQueue(request) {
  var queued = request.clone().formData().then(formEntries);
  return fetch(request).catch(function () {
    return queued.then(function (fields) {
      var path = new URL(request.url).pathname;
      if (fields.choix !== "annuler") return offlinePage("/hors-ligne");
      // The signed link names the booking and its version: it is the idempotency key
      // here and on the server, so queuing twice keeps one entry.
      return self.creneauAppareil.enqueue({
        url: path,
        fields: fields,
        queued_at: new Date().toISOString(),
      }).then(function () {
        return self.creneauAppareil.setStatus(path, "en-attente");
      }).then(function () {
        if (self.registration.sync) {
          return self.registration.sync.register(SYNC_TAG).catch(function () {});
        }
      }).then(function () {
        return Response.redirect("/mes-rendez-vous", 303);
      });
    });
  });
}

function post(path, fields) {
  var body = new URLSearchParams();
  Object.keys(fields).forEach(function (name) { body.append(name, fields[name]); });
  return fetch(path, { method: "POST", body: body, credentials: "same-origin" });
}

// A fresh CSRF token for the session cookie the browser holds now: the cancel page's own
// form carries it (a GET never changes anything).
function freshToken(path) {
  return fetch(path, { credentials: "same-origin" }).then(function (response) {
    return response.text();
  }).then(function (html) {
    var match = /name="_csrf_token" value="([^"]+)"/.exec(html);
    return match ? match[1] : null;
  });
}

function replayOne(entry) {
  return post(entry.url, entry.fields).then(function (response) {
    if (response.status !== 403) return response;
    return freshToken(entry.url).then(function (token) {
      if (!token) return response;
      var fields = Object.assign({}, entry.fields, { _csrf_token: token });
      return post(entry.url, fields);
    });
  }).then(function (response) {
    // 303 → "?etat=annule": cancelled now, or already by an earlier replay of this same
    // request. Any other answer (410: cancelled by the town hall, past, changed since)
    // leaves the booking for the citizen to check on its page.
    var done = response.ok && /[?&]etat=annule/.test(response.url);
    return self.creneauAppareil.dequeue(entry.url).then(function () {
      return self.creneauAppareil.setStatus(entry.url, done ? "annule" : "a-verifier",
        new Date().toISOString());
    });
  });
}

var replaying = null;

function replayQueue() {
  if (replaying) return replaying;
  replaying = self.creneauAppareil.queued().then(function (entries) {
    return entries.reduce(function (previous, entry) {
      return previous.then(function () { return replayOne(entry); });
    }, Promise.resolve());
  }).then(function () {
    return self.clients.matchAll({ type: "window" }).then(function (clients) {
      clients.forEach(function (client) { client.postMessage({ type: "appareil-a-jour" }); });
    });
  }).finally(function () { replaying = null; });
  return replaying;
}

self.addEventListener("sync", function (event) {
  if (event.tag === SYNC_TAG) event.waitUntil(replayQueue());
});

self.addEventListener("message", function (event) {
  if (event.data && event.data.type === "rejouer") event.waitUntil(replayQueue());
});

// --- web push ------------------------------------------------------------------------

self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (error) { data = {}; }
  event.waitUntil(self.registration.showNotification(data.title || "Créneau", {
    body: data.body || "",
    tag: data.tag || "creneau",
    lang: "fr",
    icon: "/static/icons/icon-192.png",
    badge: "/static/icons/icon-192.png",
    data: { url: data.url || "/mes-rendez-vous" },
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var target = (event.notification.data && event.notification.data.url) || "/mes-rendez-vous";
  event.waitUntil(self.clients.openWindow(target));
});
