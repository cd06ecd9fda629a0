/* Contact center widget loader. <script src="https://<tenant>/widget.js" data-key="pk_..." async></script>
   Tiny on purpose: a button and an iframe inside a shadow root, so the host page's styles
   cannot reach it and it cannot restyle the host page. */
(function () {
  "use strict";
  var s = document.currentScript;
  if (!s || window.__ccaasWidget) return;
  window.__ccaasWidget = true;
  var base = new URL(s.src).origin, key = s.getAttribute("data-key") || "";
  var token = s.getAttribute("data-identity-token") || "";
  var host = document.createElement("div");
  host.setAttribute("data-ccaas-widget", "");
  var root = host.attachShadow({mode: "open"});
  root.innerHTML =
    "<style>:host{all:initial}button{display:flex;align-items:center;justify-content:center;position:fixed;right:20px;bottom:20px;width:56px;height:56px;" +
    "border-radius:50%;border:0;background:#2f5bea;color:#fff;font:600 24px system-ui;cursor:pointer;" +
    "box-shadow:0 4px 14px rgba(0,0,0,.25);z-index:2147483646}" +
    "iframe{position:fixed;right:20px;bottom:88px;width:370px;height:560px;max-width:calc(100vw - 40px);" +
    "max-height:calc(100vh - 110px);border:0;border-radius:14px;box-shadow:0 8px 30px rgba(0,0,0,.25);" +
    "background:#fff;z-index:2147483647;display:none}iframe.open{display:block}" +
    "span{position:absolute;top:-2px;right:-2px;min-width:18px;height:18px;border-radius:9px;background:#e53935;" +
    "font:600 11px/18px system-ui;display:none}span.on{display:block}</style>" +
    "<iframe title='Chat' allow='microphone; camera; display-capture; autoplay'></iframe>" +
    "<button type='button' aria-label='Chat with us'><svg viewBox='0 0 24 24' width='26' height='26' fill='none' stroke='#fff' stroke-width='2'><path d='M21 12a8 8 0 0 1-11.6 7.1L4 20l1-4.6A8 8 0 1 1 21 12z'/></svg><span></span></button>";
  var frame = root.querySelector("iframe"), button = root.querySelector("button"), badge = root.querySelector("span");
  // The visitor token lives in this page's own storage: browsers block storage in third-party iframes.
  var vKey = "ccaas:visitor:" + key;
  function stored() { try { return localStorage.getItem(vKey); } catch (e) { return null; } }
  function post(msg) { frame.contentWindow && frame.contentWindow.postMessage(msg, base); }
  function init() {
    post({type: "ccaas:init", token: token, visitor: stored(),
          page: {url: location.href, title: document.title, referrer: document.referrer}});
  }
  function toggle(open) {
    var show = open === undefined ? !frame.classList.contains("open") : open;
    frame.classList.toggle("open", show);
    badge.classList.remove("on");
    post({type: show ? "ccaas:opened" : "ccaas:closed"});
  }
  frame.addEventListener("load", init);
  button.addEventListener("click", function () { toggle(); });
  window.addEventListener("message", function (e) {
    if (e.origin !== base || !e.data) return;
    if (e.data.type === "ccaas:unread" && !frame.classList.contains("open")) badge.classList.add("on");
    if (e.data.type === "ccaas:close") toggle(false);
    if (e.data.type === "ccaas:ready") init();
    if (e.data.type === "ccaas:visitor") { try { localStorage.setItem(vKey, e.data.token); } catch (x) { /* private mode */ } }
  });
  var api = window.CCAAS = window.CCAAS || {};
  api.identify = function (t) { token = t || ""; init(); };
  api.open = function () { toggle(true); };
  api.close = function () { toggle(false); };
  // Draw nothing on a page that may not use this key: a console message for the site's owner instead.
  fetch(base + "/widget/check/?key=" + encodeURIComponent(key)).then(function (r) { return r.json(); }).then(function (j) {
    if (!j.allowed) { console.error(j.message); return; }
    frame.src = base + "/widget/frame/?key=" + encodeURIComponent(key);
    (document.body || document.documentElement).appendChild(host);
  }, function (e) { console.error("Contact center widget: cannot reach " + base + " (" + e + ")."); });
})();
