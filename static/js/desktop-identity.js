/* A recorded identity check in the agent's video call: photos of the customer's identity document
   and face taken from the call's video, the consent statement read and agreed to, then the verdict
   (POST /api/v1/calls/{id}/identity-checks, .../steps, .../decide). Each step is marked on the call's
   recording; supervisors read the result on the customer's journey. */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var panel = $("idcheck"), check = null;
  var csrf = (document.cookie.match(/csrftoken=([^;]+)/) || [])[1] || "";

  function post(url, body) {
    var options = {method: "POST", credentials: "same-origin", headers: {"X-CSRFToken": csrf}};
    if (body instanceof FormData) options.body = body;
    else { options.body = JSON.stringify(body || {}); options.headers["Content-Type"] = "application/json"; }
    return fetch(url, options).then(function (r) {
      return r.json().then(function (j) {
        if (!r.ok) { var e = j.error || {}; throw new Error([e.message].concat(Object.values(e.fields || {}).map(function (f) { return f.join(" "); })).join(" ")); }
        return j;
      });
    });
  }
  function error(text) { $("idcheck-error").textContent = text || ""; }
  function show(c) {
    check = c;
    ["document", "face", "consent"].forEach(function (kind) {
      var done = c.steps.some(function (s) { return s.kind === kind; });
      var li = panel.querySelector('li[data-step="' + kind + '"]');
      li.classList.toggle("done", done);
      li.querySelector(".state").textContent = done ? "\u2713 " + panel.dataset.done : "";
    });
  }
  function photo() {
    var v = $("call-remote-video");
    return new Promise(function (ok, fail) {
      if (!v.videoWidth) { fail(new Error(window.CCAAS_CALL_T.noVideo)); return; }
      var c = document.createElement("canvas"); c.width = v.videoWidth; c.height = v.videoHeight;
      c.getContext("2d").drawImage(v, 0, 0);
      c.toBlob(function (blob) { ok(blob); }, "image/jpeg", 0.92);
    });
  }
  $("call-idcheck").addEventListener("click", function () {
    var callId = window.ccaasCurrentCallId();
    if (!callId) return;
    error("");
    post("/api/v1/calls/" + callId + "/identity-checks").then(function (c) {
      $("idcheck-consent").textContent = c.consent;
      panel.hidden = false; show(c);
      $("idcheck-h").tabIndex = -1; $("idcheck-h").focus();
    }, function (e) { error(e.message); panel.hidden = false; });
  });
  panel.addEventListener("click", function (e) {
    var kind = e.target.dataset && e.target.dataset.take;
    if (!kind || !check) return;
    error("");
    var data = new FormData(); data.append("kind", kind);
    var ready = kind === "consent" ? Promise.resolve(null) : photo();
    ready.then(function (blob) {
      if (blob) data.append("file", blob, kind + ".jpg");
      return post("/api/v1/identity-checks/" + check.id + "/steps", data);
    }).then(show, function (err) { error(err.message); });
  });
  function decide(result) {
    if (!check) return;
    error("");
    post("/api/v1/identity-checks/" + check.id + "/decide", {result: result, note: $("idcheck-note").value}).then(function (c) {
      check = null; panel.hidden = true; $("idcheck-note").value = "";
      var t = $("toast"); t.textContent = c.status === "verified" ? panel.dataset.verified : panel.dataset.failed; t.hidden = false;
      clearTimeout(t._h); t._h = setTimeout(function () { t.hidden = true; }, 3500);
    }, function (err) { error(err.message); });
  }
  $("idcheck-verified").addEventListener("click", function () { decide("verified"); });
  $("idcheck-failed").addEventListener("click", function () { decide("failed"); });
  document.addEventListener("ccaas:call-ended", function () { check = null; panel.hidden = true; error(""); });
})();
