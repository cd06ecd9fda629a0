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
    // Opened before the frame's script listened (a quick click): tell it again, or it never marks read.
    if (frame.classList.contains("open")) post({type: "ccaas:opened"});
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
    if (e.data.type === "ccaas:visitor") { try { localStorage.setItem(vKey, e.data.token); } catch (x) { /* private mode */ } flush(); }
  });
  // The journey tracker: page views, time on page and the site's own events (CCAAS.track), batched
  // (one request every few seconds at most, a beacon as the page goes away), never form fields, and
  // nothing at all with data-track="off" or after CCAAS.consent(false). Visits end after 30 min idle.
  var tracking = s.getAttribute("data-track") !== "off", allowed = null, params = [], queue = [], timer, view, shown;
  function rnd() { return Math.random().toString(36).slice(2, 12) + Date.now().toString(36); }
  function session() {
    var k = "ccaas:session:" + key, now = Date.now(), st;
    try { st = JSON.parse(localStorage.getItem(k)); } catch (e) { st = null; }
    if (!st || now - st.t > 18e5) st = {id: rnd()};
    st.t = now;
    try { localStorage.setItem(k, JSON.stringify(st)); } catch (e) { /* private mode: one visit per page */ }
    return st.id;
  }
  function url(u) {
    try { u = new URL(u); } catch (e) { return ""; }
    var q = new URLSearchParams();
    u.searchParams.forEach(function (v, k) { if (params.indexOf(k) >= 0) q.append(k, v); });
    u.search = q.toString(); u.hash = "";
    return u.href;
  }
  function rec(e) {
    if (!tracking || allowed === false) return;
    e.session = session(); if (e.type !== "page_time") e.at = new Date().toISOString();
    queue.push(e);
    if (!timer) timer = setTimeout(flush, 3000);
  }
  function flush(beacon) {
    timer = null;
    var v = stored();
    if (!queue.length || !v || !allowed) return;
    var to = base + "/widget/events/", body = JSON.stringify({key: key, visitor: v, events: queue.splice(0, 100).map(function (e) {
      if (e.url) e.url = url(e.url);
      return e;
    })});
    if (beacon === true && navigator.sendBeacon) navigator.sendBeacon(to, new Blob([body], {type: "text/plain"}));
    else fetch(to, {method: "POST", body: body, keepalive: true, headers: {"Content-Type": "text/plain"}});
    if (queue.length) timer = setTimeout(flush, 3000);
  }
  function pageView() {
    leave();
    view = rnd(); shown = Date.now();
    rec({type: "page", view: view, url: location.href, title: document.title, referrer: document.referrer});
  }
  function leave() {
    if (view) rec({type: "page_time", view: view, seconds: Math.min(86400, Math.round((Date.now() - shown) / 1000))});
  }
  addEventListener("pagehide", function () { leave(); view = null; flush(true); });
  addEventListener("visibilitychange", function () { if (document.visibilityState === "hidden") flush(true); });
  var api = window.CCAAS = window.CCAAS || {};
  api.track = function (name, props) { rec({type: "event", name: String(name), properties: props || {}, url: location.href}); };
  api.page = pageView;
  api.consent = function (yes) { tracking = !!yes; if (!tracking) queue = []; else if (!view) pageView(); };
  if (tracking) pageView();
  api.identify = function (t) { token = t || ""; init(); };
  api.open = function () { toggle(true); };
  api.close = function () { toggle(false); };
  // Draw nothing on a page that may not use this key: a console message for the site's owner instead.
  fetch(base + "/widget/check/?key=" + encodeURIComponent(key)).then(function (r) { return r.json(); }).then(function (j) {
    allowed = j.allowed; params = j.params || [];
    if (!j.allowed) { queue = []; console.error(j.message); return; }
    frame.src = base + "/widget/frame/?key=" + encodeURIComponent(key);
    (document.body || document.documentElement).appendChild(host);
    if (j.engage) {  // proactive invitations: a script of their own, where rules are on
      api._w = {k: key, b: base, v: stored, s: session, r: root, f: frame, o: toggle, t: function () { return tracking; }};
      var x = document.createElement("script"); x.src = base + j.engage; document.head.appendChild(x);
    }
  }, function (e) { console.error("Contact center widget: cannot reach " + base + " (" + e + ")."); });
})();
