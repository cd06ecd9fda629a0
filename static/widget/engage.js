/* Proactive invitations (journey's engagement rules). Loaded by the widget loader only where a rule
   is on. It keeps the visit's facts (pages, time, the site's last `cart` event) and asks the contact
   center whether to invite when a page opens, when the site reports an event, and when a time a rule
   names comes (the answer says when). The decision, the contact's own facts and the capacity checks
   stay on the server; an invitation shows at most once a visit, and never again after "No thanks". */
(function () {
  "use strict";
  var api = window.CCAAS, w = api && api._w;
  if (!w || api._engage) return;
  api._engage = true;
  var stateKey = "ccaas:engage:" + w.k, pageStart = Date.now() - Math.round(performance.now()), timer = null, card = null;
  function load() { try { return JSON.parse(localStorage.getItem(stateKey)) || {}; } catch (e) { return {}; } }
  function save(st) { try { localStorage.setItem(stateKey, JSON.stringify(st)); } catch (e) { /* private mode */ } }
  // The visit's counters live beside the loader's own visit id: a new visit starts them again.
  function visit() {
    var id = w.s(), st = load();
    if (st.s !== id) st = {s: id, p: 0, e: 0, t: Date.now(), cart: {}};
    return st;
  }
  function countPage() { var st = visit(); st.p += 1; save(st); pageStart = Date.now(); }
  function facts(st) {
    var secs = function (t) { return Math.max(0, Math.round((Date.now() - t) / 1000)); };
    return {
      page: {path: location.pathname, url: location.origin + location.pathname, title: document.title.slice(0, 300),
             referrer: document.referrer ? document.referrer.split("?")[0] : "", seconds: secs(pageStart)},
      session: {pages: st.p, seconds: secs(st.t), events: st.e},
      cart: st.cart || {}
    };
  }
  function ask(extra) {
    var v = w.v();
    if (!v || !w.t()) return;  // not known yet (asked again when the widget names them), or no consent
    var st = visit(), body = {key: w.k, visitor: v, session: st.s, facts: facts(st)};
    for (var k in extra || {}) body[k] = extra[k];
    return fetch(w.b + "/widget/engage/", {method: "POST", body: JSON.stringify(body), headers: {"Content-Type": "text/plain"}})
      .then(function (r) { return r.ok ? r.json() : null; }, function () { return null; });
  }
  function check() {
    clearTimeout(timer); timer = null;
    if (card || w.f.classList.contains("open")) return;
    var p = ask();
    if (p) p.then(function (j) {
      if (!j) return;
      if (j.invitation) show(j.invitation, j.labels || {});
      else if (j.recheck_in) timer = setTimeout(check, Math.min(j.recheck_in, 3600) * 1000 + 250);
    });
  }
  var soon = null;
  function checkSoon() { clearTimeout(soon); soon = setTimeout(check, 800); }

  function show(inv, L) {
    var box = document.createElement("div");
    box.setAttribute("role", "region"); box.setAttribute("aria-live", "polite");
    box.setAttribute("aria-label", L.title || "Invitation"); box.className = "ccaas-invite";
    var style = document.createElement("style");
    style.textContent = ".ccaas-invite{position:fixed;right:20px;bottom:88px;width:300px;max-width:calc(100vw - 40px);" +
      "background:#fff;color:#1d2433;border-radius:14px;box-shadow:0 8px 30px rgba(0,0,0,.25);padding:16px;" +
      "font:14px/1.4 system-ui;z-index:2147483647}.ccaas-invite p{margin:0 0 12px}" +
      // The launcher's own rule styles every button of this shadow root: undo it here.
      ".ccaas-invite button{position:static;display:inline-block;width:auto;height:auto;box-shadow:none;z-index:auto}" +
      ".ccaas-invite .go{background:#2f5bea;color:#fff;border:0;border-radius:8px;padding:8px 14px;font:600 14px system-ui;cursor:pointer}" +
      ".ccaas-invite .no{background:none;border:0;color:#4a5468;margin-left:8px;font:14px system-ui;cursor:pointer;text-decoration:underline}" +
      ".ccaas-invite button:focus-visible{outline:3px solid #9db4ff;outline-offset:2px}";
    var text = document.createElement("p"); text.textContent = inv.message;
    var go = document.createElement("button"); go.type = "button"; go.className = "go";
    go.textContent = L[inv.action] || L.chat || "Chat now";
    var no = document.createElement("button"); no.type = "button"; no.className = "no"; no.textContent = L.dismiss || "No thanks";
    box.appendChild(style); box.appendChild(text); box.appendChild(go); box.appendChild(no);
    function close() { if (card) { card.remove(); card = null; } }
    go.addEventListener("click", function () {
      close();
      w.o(true);
      w.f.contentWindow.postMessage({type: "ccaas:invited", token: inv.token, action: inv.action}, w.b);
    });
    no.addEventListener("click", function () { close(); ask({dismiss: inv.token}); });
    box.addEventListener("keydown", function (e) { if (e.key === "Escape") { close(); ask({dismiss: inv.token}); } });
    card = box;
    w.r.appendChild(box);
  }

  // The site's own events: the last `cart` event's properties become cart.*; every event may match.
  var track = api.track, page = api.page;
  api.track = function (name, props) {
    track(name, props);
    var st = visit(); st.e += 1;
    if (String(name) === "cart" && props && typeof props === "object") {
      st.cart = {};  // flat values only, as the server takes them
      Object.keys(props).slice(0, 30).forEach(function (k) {
        var x = props[k];
        if (/^[A-Za-z_]\w{0,63}$/.test(k) && (typeof x === "number" || typeof x === "boolean" || typeof x === "string")) st.cart[k] = x;
      });
    }
    save(st); checkSoon();
  };
  api.page = function () { page(); countPage(); checkSoon(); };
  var consent = api.consent;
  api.consent = function (yes) { consent(yes); if (yes) checkSoon(); };
  // The widget named the visitor (first visit): ask then.
  window.addEventListener("message", function (e) {
    if (e.origin === w.b && e.data && e.data.type === "ccaas:visitor") checkSoon();
  });
  countPage();
  pageStart = Date.now() - Math.round(performance.now());
  check();
})();
