// Créneau: what htmx does not do by itself after swapping in a new step.
// - the page title follows the step;
// - focus moves to the error summary if there is one, else to the step's heading;
// - the persistent live region announces the step to screen readers;
// - a link marked `data-focus="some-id"` (the weeks of the planning) keeps the citizen
//   where they were: focus goes to that element of the new content, which is announced;
// - a slot taken meanwhile (step 5's small answer: the slot marked taken, a message in the
//   form's bar) leaves the citizen where they were: focus goes to the nearest free slot,
//   and the live region says the message;
// - the banner of a cancel link becomes a modal dialog;
// - when a request fails without an answer to show (network down, time-out, a form that
//   expired, a service saturated for a moment), a banner says so above the form, which
//   keeps what was typed.
(function () {
  "use strict";

  function announce(text) {
    var region = document.getElementById("annonce");
    if (!region) return;
    region.textContent = "";
    window.setTimeout(function () { region.textContent = text; }, 100);
  }

  function requestedFocus(event) {
    var config = event.detail && event.detail.requestConfig;
    var origin = config && config.elt;
    var id = origin && origin.getAttribute && origin.getAttribute("data-focus");
    return id ? document.getElementById(id) : null;
  }

  var CONNECTION_LOST =
    "La connexion au service a échoué. Vérifiez votre accès à Internet puis réessayez\u00a0: " +
    "vos réponses déjà validées sont conservées.";
  var CONFIRM_RETRY = " Votre rendez-vous ne sera pas enregistré deux fois.";
  var FORM_EXPIRED =
    "Pour votre sécurité, ce formulaire a expiré. Rechargez la page puis validez à " +
    "nouveau\u00a0: vos réponses déjà validées sont conservées.";

  var BUSY =
    "Le service est très sollicité en ce moment\u00a0: réessayez dans un instant. Vos " +
    "réponses déjà validées sont conservées.";

  function showProblem(text) {
    var step = document.getElementById("etape");
    var heading = step && step.querySelector("h1");
    if (!heading) return;
    var banner = document.getElementById("probleme");
    if (!banner) {
      banner = document.createElement("div");
      banner.id = "probleme";
      banner.className = "bandeau bandeau--erreur";
      banner.setAttribute("tabindex", "-1");
      banner.appendChild(document.createElement("p"));
      heading.insertAdjacentElement("afterend", banner);
    }
    banner.firstChild.textContent = text;
    banner.focus();
    announce(text);
  }

  function failedConfirm(event) {
    var config = event.detail && event.detail.requestConfig;
    return Boolean(config && /\/recapitulatif$/.test(config.path || ""));
  }

  function connectionLost(event) {
    showProblem(CONNECTION_LOST + (failedConfirm(event) ? CONFIRM_RETRY : ""));
  }

  document.addEventListener("htmx:sendError", connectionLost);
  document.addEventListener("htmx:timeout", connectionLost);
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr && event.detail.xhr.status;
    if (status === 403) showProblem(FORM_EXPIRED);
    // The server or its database is saturated for a moment (the 503 page without
    // JavaScript): nothing was done, trying again later is safe.
    if (status === 503) showProblem(BUSY + (failedConfirm(event) ? CONFIRM_RETRY : ""));
  });

  // The banner of a cancel link arrives as an open, non-modal dialog (usable without
  // JavaScript). Made modal here, the page behind becomes inert and focus stays in it;
  // Escape means "keep my appointment", like the button that has the focus.
  function cancellationAsModal() {
    var dialog = document.getElementById("annulation");
    if (!dialog || !dialog.open || typeof dialog.showModal !== "function") return;
    dialog.close();
    dialog.showModal();
    dialog.addEventListener("cancel", function (event) {
      event.preventDefault();
      var keep = dialog.querySelector("[data-garder]");
      if (keep) keep.click();
    });
  }
  cancellationAsModal();

  // The free slot nearest to the one just taken: the next one in the week, else the one
  // before it (disabled radios are taken ones).
  function nearestFreeSlot(taken) {
    var radios = Array.prototype.slice.call(document.querySelectorAll(".horaire input"));
    var at = radios.indexOf(taken);
    var free = function (radio) { return !radio.disabled; };
    return radios.slice(at + 1).filter(free)[0] || radios.slice(0, at).filter(free).pop();
  }

  // The form's bar stays at the bottom of the screen (sticky) and grows with the message:
  // the slots that matter are scrolled above it, or a phone would hide them under it.
  function showAboveBar(message, elements) {
    var bar = message.parentElement;
    var lowest = 0;
    elements.forEach(function (element) {
      if (element) lowest = Math.max(lowest, element.getBoundingClientRect().bottom);
    });
    var hidden = lowest - bar.getBoundingClientRect().top;
    if (hidden > -8) window.scrollBy(0, hidden + 8);
  }

  function slotTaken(message) {
    var slot = document.getElementById(message.getAttribute("data-horaire") || "");
    var next = slot && nearestFreeSlot(slot.querySelector("input"));
    (next || message).focus({ preventScroll: Boolean(next) });
    if (next) showAboveBar(message, [slot, next.parentElement]);
    announce(message.textContent.replace(/\s+/g, " ").trim());
  }

  document.addEventListener("htmx:afterSettle", function (event) {
    var settled = event.target;
    if (settled.id === "creneau-refus") { slotTaken(settled); return; }
    if (settled.classList && settled.classList.contains("horaire--pris")) return; // its message follows
    var step = document.getElementById("etape");
    if (!step) return;
    if (step.dataset.title) document.title = step.dataset.title;
    var errors = step.querySelector("#resume-erreurs");
    var kept = errors ? null : requestedFocus(event);
    if (kept) {
      kept.focus();
      announce(kept.textContent.replace(/\s+/g, " ").trim());
      return;
    }
    var target = errors || step.querySelector("h1");
    if (target) target.focus();
    if (step.dataset.announce) announce(step.dataset.announce);
  });
})();
