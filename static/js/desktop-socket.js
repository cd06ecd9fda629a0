// The desktop's one WebSocket per tab, with reconnection and a live indicator.
(function () {
  "use strict";
  var statusEl = document.getElementById("live-status");
  var i18n = window.CCAAS_I18N || {live: "Live", offline: "Reconnecting…"};
  var delay = 500;
  // Signing out in this tab closes its socket (4401) before the sign-out's own answer arrives: the
  // page then follows that answer instead of racing it to the sign-in page with a `next`.
  var leaving = false;
  document.addEventListener("submit", function (e) {
    var action = e.target && e.target.getAttribute("action");
    if (action && /\/logout\/$/.test(action)) leaving = true;
  });
  function setState(state) {
    if (!statusEl) return;
    statusEl.dataset.state = state;
    statusEl.textContent = state === "live" ? i18n.live : i18n.offline;
  }
  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var ws = new WebSocket(scheme + location.host + "/ws/desktop/");
    ws.onmessage = function (e) {
      var frame = JSON.parse(e.data);
      if (frame.type === "hello") { setState("live"); delay = 500; }
      document.dispatchEvent(new CustomEvent("ccaas:frame", {detail: frame}));
    };
    ws.onclose = function (e) {
      if (leaving) return;
      if (e.code === 4401) { location.href = "/login/?next=" + encodeURIComponent(location.pathname); return; }
      if (e.code === 4409) { location.reload(); return; }  // the user's role changed: boot as the new role
      setState("offline");
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 10000);
    };
    ws.onopen = function () {
      // Presence: an agent whose tabs all stop sending this is made offline.
      ws._beat = setInterval(function () { ws.send(JSON.stringify({type: "heartbeat"})); }, 10000);
    };
    ws.addEventListener("close", function () { clearInterval(ws._beat); });
    window.ccaasSocket = ws;
  }
  connect();
})();
