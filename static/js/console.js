/* Settings pages: copy buttons and live previews. Everything else is plain forms that htmx (when
   loaded) submits and swaps in place; without JavaScript the forms post and the page reloads. */
(function () {
  "use strict";
  document.addEventListener("click", function (e) {
    var button = e.target.closest("[data-copy]");
    if (!button) return;
    var done = function () {
      var label = button.textContent;
      button.textContent = button.dataset.copied;
      setTimeout(function () { button.textContent = label; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(button.dataset.copy).then(done);
    else {  // an http:// page: the clipboard API is not there
      var area = document.createElement("textarea"); area.value = button.dataset.copy; document.body.appendChild(area);
      area.select(); document.execCommand("copy"); area.remove(); done();
    }
  });
  document.addEventListener("input", function (e) {
    var target = e.target.dataset && e.target.dataset.preview;
    if (target) { var el = document.querySelector(target); if (el) el.textContent = e.target.value; }
  });
})();
