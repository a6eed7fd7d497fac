// Créneau: what htmx does not do by itself after swapping in a new step.
// - the page title follows the step;
// - focus moves to the error summary if there is one, else to the step's heading;
// - the persistent live region announces the step to screen readers.
(function () {
  "use strict";

  function announce(text) {
    var region = document.getElementById("annonce");
    if (!region) return;
    region.textContent = "";
    window.setTimeout(function () { region.textContent = text; }, 100);
  }

  document.addEventListener("htmx:afterSettle", function () {
    var step = document.getElementById("etape");
    if (!step) return;
    if (step.dataset.title) document.title = step.dataset.title;
    var target = step.querySelector("#resume-erreurs") || step.querySelector("h1");
    if (target) target.focus();
    if (step.dataset.announce) announce(step.dataset.announce);
  });
})();
