// Stripe Elements on the subscribe / update-card page: confirm a SetupIntent in the browser (the card
// never reaches our server), then post its id with the form. Works with Stripe.js and localstripe's.
(function () {
  "use strict";
  var form = document.getElementById("card-form");
  if (!form || typeof window.Stripe !== "function") return;
  var stripe = window.Stripe(form.dataset.publishableKey);
  var card = stripe.elements().create("card");
  card.mount("#card-element");
  var errorBox = document.getElementById("card-error");
  var button = document.getElementById("card-submit");
  var label = button.textContent;
  var confirmed = false;

  function fail(message) {
    errorBox.textContent = message || "Your card could not be confirmed.";
    errorBox.hidden = false;
    button.disabled = false;
    button.textContent = label;
  }

  form.addEventListener("submit", function (event) {
    if (confirmed) return; // the second submit carries the confirmed SetupIntent to the server
    event.preventDefault();
    errorBox.hidden = true;
    button.disabled = true;
    button.textContent = (window.CCAAS_BILLING_I18N || {}).working || label;
    stripe.confirmCardSetup(form.dataset.clientSecret, { payment_method: { card: card } }).then(function (result) {
      if (result.error) {
        fail(result.error.message);
        return;
      }
      document.getElementById("setup-intent").value = result.setupIntent.id;
      confirmed = true;
      form.submit();
    }, function (err) { fail(err && err.message); });
  });
})();
