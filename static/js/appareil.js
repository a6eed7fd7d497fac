// What this device remembers (IndexedDB), shared by the pages (pwa.js) and the service
// worker (importScripts): the bookings made or opened here — their signed links and what
// their pages display, never the citizen's name or contact details — and the
// cancellations waiting for the network.
(function (scope) {
  "use strict";

  var NAME = "creneau";
  var BOOKINGS = "rendez-vous";
  var QUEUE = "annulations";
  // A booking is forgotten this long after its appointment.
  var KEEP_AFTER_MS = 30 * 24 * 3600 * 1000;

  function open() {
    return new Promise(function (resolve, reject) {
      var request = scope.indexedDB.open(NAME, 1);
      request.onupgradeneeded = function () {
        var db = request.result;
        db.createObjectStore(BOOKINGS, { keyPath: "reference" });
        db.createObjectStore(QUEUE, { keyPath: "url" });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function run(storeName, mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var transaction = db.transaction(storeName, mode);
        var result = work(transaction.objectStore(storeName));
        transaction.oncomplete = function () {
          db.close();
          resolve(result && "result" in result ? result.result : undefined);
        };
        transaction.onerror = function () { db.close(); reject(transaction.error); };
      });
    });
  }

  function all(storeName) {
    return run(storeName, "readonly", function (store) { return store.getAll(); });
  }

  var appareil = {
    KEEP_AFTER_MS: KEEP_AFTER_MS,
    bookings: function () {
      return all(BOOKINGS).then(function (list) {
        return list.sort(function (a, b) { return a.start < b.start ? -1 : 1; });
      });
    },
    booking: function (reference) {
      return run(BOOKINGS, "readonly", function (store) { return store.get(reference); });
    },
    remember: function (memo) {
      return run(BOOKINGS, "readwrite", function (store) { store.put(memo); });
    },
    // Drops the bookings whose appointment is long past.
    dropOld: function (now) {
      var limit = (now || Date.now()) - KEEP_AFTER_MS;
      return run(BOOKINGS, "readwrite", function (store) {
        var cursor = store.openCursor();
        cursor.onsuccess = function () {
          var row = cursor.result;
          if (!row) return;
          if (Date.parse(row.value.end) < limit) row.delete();
          row.continue();
        };
      });
    },
    queued: function () { return all(QUEUE); },
    enqueue: function (entry) {
      return run(QUEUE, "readwrite", function (store) { store.put(entry); });
    },
    dequeue: function (url) {
      return run(QUEUE, "readwrite", function (store) { store.delete(url); });
    },
    forgetAll: function () {
      return open().then(function (db) {
        return new Promise(function (resolve, reject) {
          var transaction = db.transaction([BOOKINGS, QUEUE], "readwrite");
          transaction.objectStore(BOOKINGS).clear();
          transaction.objectStore(QUEUE).clear();
          transaction.oncomplete = function () { db.close(); resolve(); };
          transaction.onerror = function () { db.close(); reject(transaction.error); };
        });
      });
    },
    setStatus: function (cancelPath, status, when) {
      return run(BOOKINGS, "readwrite", function (store) {
        var cursor = store.openCursor();
        cursor.onsuccess = function () {
          var row = cursor.result;
          if (!row) return;
          if (row.value.cancel === cancelPath) {
            var memo = row.value;
            memo.status = status;
            if (when) memo.saved_at = when;
            row.update(memo);
          }
          row.continue();
        };
      });
    },
  };
  scope.creneauAppareil = appareil;
})(self);
