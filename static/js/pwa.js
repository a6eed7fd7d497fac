// Créneau as an installed app (see service_worker/sw.js for the offline side):
// - registers the service worker;
// - remembers, on this device, the booking a page describes (`data-appareil-rdv`);
// - draws "Mes rendez-vous" and one booking's detail from what the device remembers, with
//   "dernière mise à jour" and a banner when the service cannot be reached;
// - asks the worker to send queued cancellations on start and when the network returns;
// - offers installation when the browser allows it, and notifications after a booking,
//   only when the citizen presses the button.
(function () {
  "use strict";

  var store = window.creneauAppareil;
  var installPrompt = null;

  var STATUS = {
    "confirme": "Confirmé",
    "annule": "Annulé",
    "en-attente": "Annulation en attente d'envoi",
    "a-verifier": "Annulation non prise en compte\u00a0: ouvrez le lien de votre e-mail",
    "passe": "Passé",
    "remplace": "Modifié depuis\u00a0: consultez le dernier e-mail reçu",
  };

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // « 8 h 05 », « 14 h »: the hours as every page writes them (app/french.py).
  function frenchTime(when) {
    var minutes = when.getMinutes();
    return when.getHours() + "\u00a0h" + (minutes ? "\u00a0" + String(minutes).padStart(2, "0") : "");
  }

  function formatUpdate(iso) {
    var when = new Date(iso);
    return when.toLocaleDateString("fr-FR", { day: "numeric", month: "long", year: "numeric" }) +
      " à " + frenchTime(when);
  }

  // --- remembering -----------------------------------------------------------------

  function rememberShown(root) {
    if (!store) return Promise.resolve();
    var nodes = (root || document).querySelectorAll("[data-appareil-rdv]");
    var work = [];
    Array.prototype.forEach.call(nodes, function (node) {
      var memo;
      try { memo = JSON.parse(node.getAttribute("data-appareil-rdv")); } catch (error) { return; }
      memo.saved_at = new Date().toISOString();
      work.push(store.remember(memo).then(function () {
        // Its cancel page, kept by the service worker, lets the citizen cancel offline.
        if (memo.status === "confirme") {
          return whenControlled().then(function () {
            return fetch(memo.cancel, { credentials: "same-origin" });
          }).catch(function () {});
        }
      }));
    });
    return Promise.all(work);
  }

  // Resolves once a service worker controls this page (at once on later visits; after its
  // first activation on the very first one).
  function whenControlled() {
    if (!("serviceWorker" in navigator)) return Promise.reject(new Error("sans service worker"));
    if (navigator.serviceWorker.controller) return Promise.resolve();
    return new Promise(function (resolve) {
      navigator.serviceWorker.addEventListener("controllerchange", resolve, { once: true });
    });
  }

  // --- reachability ----------------------------------------------------------------

  function reachable() {
    if (!navigator.onLine) return Promise.resolve(false);
    return fetch("/healthz", { cache: "no-store" })
      .then(function (response) { return response.ok; })
      .catch(function () { return false; });
  }

  function showOffline(offline) {
    var banner = document.getElementById("bandeau-hors-ligne");
    if (banner) banner.hidden = !offline;
  }

  // --- "Mes rendez-vous" --------------------------------------------------------------

  function describe(memo, container, headingTag, link) {
    var heading = element(headingTag, "rendez-vous-carte__titre");
    if (link) {
      var anchor = element("a", "", memo.type);
      anchor.href = "/mes-rendez-vous/rendez-vous#" + encodeURIComponent(memo.reference);
      heading.appendChild(anchor);
    } else {
      heading.textContent = memo.type;
    }
    container.appendChild(heading);
    var list = element("dl", "recapitulatif");
    [
      ["Date", memo.date],
      ["Heure", memo.hours],
      ["Lieu", memo.site + (memo.address ? ", " + memo.address : "")],
      ["Référence", memo.reference],
      ["État", STATUS[memo.status] || memo.status],
    ].forEach(function (pair) {
      var line = element("div", "recapitulatif__ligne");
      line.appendChild(element("dt", "", pair[0]));
      line.appendChild(element("dd", pair[0] === "Référence" ? "reference" : "", pair[1]));
      list.appendChild(line);
    });
    container.appendChild(list);
    container.appendChild(element("p", "appareil__maj",
      "Dernière mise à jour\u00a0: " + formatUpdate(memo.saved_at)));
  }

  function drawList(bookings, queued) {
    var target = document.getElementById("appareil-liste");
    if (!target) return;
    target.textContent = "";
    var waiting = document.getElementById("appareil-attente");
    if (waiting) waiting.hidden = queued.length === 0;
    if (!bookings.length) {
      target.appendChild(element("p", "", "Aucun rendez-vous n'est gardé sur cet appareil."));
      return;
    }
    var list = element("ul", "appareil__cartes");
    bookings.forEach(function (memo) {
      var item = element("li", "rendez-vous-carte rendez-vous-carte--" + memo.status);
      describe(memo, item, "h2", true);
      list.appendChild(item);
    });
    target.appendChild(list);
    var forget = document.getElementById("oublier");
    if (forget) forget.hidden = false;
  }

  function drawDetail(memo) {
    var target = document.getElementById("appareil-detail");
    if (!target) return;
    target.textContent = "";
    if (!memo) {
      target.appendChild(element("p", "", "Ce rendez-vous n'est pas gardé sur cet appareil."));
      return;
    }
    describe(memo, target, "h2", false);
    if (memo.status === "confirme") {
      var actions = element("div", "actions");
      var cancel = element("a", "bouton bouton--danger", "Annuler ce rendez-vous");
      cancel.href = memo.cancel;
      var modify = element("a", "bouton bouton--secondaire", "Modifier ce rendez-vous");
      modify.href = memo.modify;
      actions.appendChild(cancel);
      actions.appendChild(modify);
      target.appendChild(actions);
      target.appendChild(element("p", "appareil__note",
        "Sans connexion, l'annulation est gardée sur l'appareil et envoyée dès le retour " +
        "du réseau\u00a0; la modification, elle, demande une connexion."));
    }
  }

  function draw() {
    var page = document.querySelector("[data-appareil-page]");
    if (!page || !store) return Promise.resolve();
    if (page.getAttribute("data-appareil-page") === "detail") {
      var reference = decodeURIComponent(window.location.hash.slice(1));
      return store.booking(reference).then(drawDetail);
    }
    return Promise.all([store.bookings(), store.queued()]).then(function (both) {
      drawList(both[0], both[1]);
    });
  }

  // Online: ask the town hall what became of each remembered booking.
  function refresh() {
    var token = document.getElementById("jeton-csrf");
    if (!store || !token) return Promise.resolve();
    return store.bookings().then(function (bookings) {
      var paths = bookings.filter(function (memo) { return memo.status !== "en-attente"; })
        .map(function (memo) { return memo.cancel; });
      if (!paths.length) return;
      return fetch("/mes-rendez-vous/etat", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": token.value },
        body: JSON.stringify({ liens: paths }),
      }).then(function (response) {
        if (!response.ok) return;
        return response.json().then(function (answer) {
          var now = new Date().toISOString();
          return Promise.all(answer.rendez_vous.map(function (item) {
            if (item.rendez_vous) {
              var memo = item.rendez_vous;
              if (item.etat === "passe") memo.status = "passe";
              memo.saved_at = now;
              return store.remember(memo);
            }
            return store.setStatus(item.lien, STATUS[item.etat] ? item.etat : "a-verifier", now);
          }));
        });
      });
    });
  }

  function forgetDevice() {
    var question = "Effacer de cet appareil vos rendez-vous et les annulations qui n'ont " +
      "pas encore été envoyées\u00a0? Vos rendez-vous à la mairie ne changent pas.";
    if (!window.confirm(question)) return Promise.resolve();
    var work = [
      store.forgetAll(), caches.delete("creneau-pages"), caches.delete("creneau-fragments"),
    ];
    if ("serviceWorker" in navigator) {
      work.push(navigator.serviceWorker.getRegistration().then(function (registration) {
        return registration && registration.pushManager &&
          registration.pushManager.getSubscription().then(function (subscription) {
            return subscription && subscription.unsubscribe();
          });
      }).catch(function () {}));
    }
    return Promise.all(work).then(function () {
      var state = document.getElementById("appareil-etat");
      if (state) {
        state.textContent = "Cet appareil a oublié vos rendez-vous.";
        state.focus();  // the button that had the focus is gone
      }
      document.getElementById("oublier").hidden = true;
      return draw();
    });
  }

  // --- service worker ----------------------------------------------------------------

  function askReplay() {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.ready.then(function (registration) {
      if (registration.active) registration.active.postMessage({ type: "rejouer" });
    });
  }

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {});
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data && event.data.type === "appareil-a-jour") draw();
    });
  }

  // --- installation and notifications -------------------------------------------------

  window.addEventListener("beforeinstallprompt", function (event) {
    // Our own button replaces the browser's mini-infobar; its install menu stays.
    event.preventDefault();
    installPrompt = event;
    var button = document.getElementById("installer");
    if (button) button.hidden = false;
  });

  function install() {
    if (!installPrompt) return;
    installPrompt.prompt();
    installPrompt.userChoice.then(function () {
      installPrompt = null;
      document.getElementById("installer").hidden = true;
    });
  }

  function applicationServerKey(base64url) {
    var padded = (base64url + "===".slice((base64url.length + 3) % 4))
      .replace(/-/g, "+").replace(/_/g, "/");
    var raw = window.atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i += 1) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function offerNotifications() {
    var section = document.getElementById("notifications");
    var form = document.getElementById("notifications-form");
    if (!section || !form || section.getAttribute("data-pret")) return;
    if (!("serviceWorker" in navigator) || !("PushManager" in window) ||
        !("Notification" in window) || Notification.permission === "denied") return;
    section.setAttribute("data-pret", "1");
    section.hidden = false;
    var state = document.getElementById("notifications-etat");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      Notification.requestPermission().then(function (permission) {
        if (permission !== "granted") {
          throw new Error("Les notifications n'ont pas été autorisées sur cet appareil.");
        }
        return navigator.serviceWorker.ready;
      }).then(function (registration) {
        return registration.pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: applicationServerKey(form.getAttribute("data-cle")),
        });
      }).then(function (subscription) {
        return fetch(form.action, {
          method: "POST",
          credentials: "same-origin",
          headers: {
            "Content-Type": "application/json",
            "X-CSRFToken": form.querySelector("[name=_csrf_token]").value,
          },
          body: JSON.stringify({ subscription: subscription.toJSON() }),
        });
      }).then(function (response) {
        return response.json().then(function (answer) {
          if (!response.ok) throw new Error(answer.message);
          state.textContent = answer.message;
          form.hidden = true;
        });
      }).catch(function (error) {
        state.textContent = (error && error.message && /[éèà]/.test(error.message))
          ? error.message
          : "Les notifications n'ont pas pu être activées sur cet appareil.";
      });
    });
  }

  // --- start ---------------------------------------------------------------------------

  function onPage(root) {
    rememberShown(root).then(draw);
    offerNotifications();
  }

  function start() {
    var installButton = document.getElementById("installer");
    if (installButton) installButton.addEventListener("click", install);
    var forget = document.getElementById("oublier");
    if (forget) forget.addEventListener("click", forgetDevice);
    var ready = store ? store.dropOld().catch(function () {}) : Promise.resolve();
    ready.then(function () { onPage(document); });
    reachable().then(function (online) {
      showOffline(!online);
      if (online) {
        askReplay();
        return refresh().then(draw);
      }
    }).catch(function () {});
    window.addEventListener("online", function () {
      showOffline(false);
      askReplay();
    });
    window.addEventListener("offline", function () { showOffline(true); });
    window.addEventListener("hashchange", draw);
    document.addEventListener("htmx:afterSettle", function (event) { onPage(event.target); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
