// Confirmation before destructive acts, without inline handlers (keeps a strict CSP possible).
document.addEventListener("submit", function (event) {
  var form = event.target;
  var message = form.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});

// A refused form comes back with its error summary at the top (templates/_form_errors.html): start
// there, so a keyboard or screen-reader user hears what to fix, and let each link land in its field.
(function () {
  "use strict";

  function fieldIn(target) {
    if (target.matches("input, select, textarea, button")) {
      return target;
    }
    return target.querySelector("input:not([type=hidden]), select, textarea");
  }

  function start() {
    var summary = document.querySelector("[data-error-summary]");
    if (!summary) {
      return;
    }
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      var target = link && document.getElementById(link.getAttribute("href").slice(1));
      var field = target && fieldIn(target);
      if (field) {
        event.preventDefault();
        target.scrollIntoView({ block: "center" });
        field.focus({ preventScroll: true });
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
