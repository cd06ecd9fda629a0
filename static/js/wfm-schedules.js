/* The schedules page: generating takes up to the solver's time limit, so the button says so and is not
   pressed twice. */
(function () {
  "use strict";
  var form = document.querySelector('[data-testid="generate-form"]');
  if (!form) return;
  form.addEventListener("submit", function () {
    var button = form.querySelector("button[data-busy]"), status = form.querySelector('[data-testid="generate-status"]');
    if (!button) return;
    if (status) status.textContent = button.getAttribute("data-busy");
    window.setTimeout(function () { button.disabled = true; }, 0);  /* after the browser took the submit */
  });
})();
