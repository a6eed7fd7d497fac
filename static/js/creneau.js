// Créneau: what htmx does not do by itself after swapping in a new step.
// - the page title follows the step;
// - focus moves to the error summary if there is one, else to the step's heading;
// - the persistent live region announces the step to screen readers;
// - a link marked `data-focus="some-id"` (the weeks of the planning) keeps the citizen
//   where they were: focus goes to that element of the new content, which is announced.
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

  document.addEventListener("htmx:afterSettle", function (event) {
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
