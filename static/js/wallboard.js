/* The wallboard: the state the server pushes over /ws/wallboard/ (computed once per change for every
   open wallboard), drawn as queue tiles and an agents table. Waits and times in state tick here, from
   the instants in the state: the page never asks the server on its own. */
(function () {
  "use strict";
  var L = JSON.parse(document.getElementById("wb-labels").textContent);
  var state = JSON.parse(document.getElementById("wb-state").textContent);
  var $ = function (id) { return document.getElementById(id); };
  var notify = false, alerted = {}, openQueue = null, retry = 500;
  function el(tag, cls, text) { var e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; }
  // Django's strings: %(name)s placeholders, and %% for a percent sign.
  function fmt(s, v) { return s.replace(/%\((\w+)\)s/g, function (_, k) { return v[k]; }).replace(/%%/g, "%"); }
  function since(iso) { return iso ? Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000)) : null; }
  function dur(s) {
    if (s === null || s === undefined) return "–";
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    return (h ? h + ":" + String(m).padStart(2, "0") : m) + ":" + String(sec).padStart(2, "0");
  }
  function alertOf(q) {
    var wait = since(q.oldest_since);
    if (q.service_level !== null && q.service_level < q.sla_percent) return fmt(L.alertSl, {sl: q.service_level, target: q.sla_percent});
    if (q.longest_wait_alert_seconds && wait !== null && wait > q.longest_wait_alert_seconds) return fmt(L.alertWait, {s: wait});
    return null;
  }
  function stat(label, value, key) {
    var d = el("div", "wb-stat"); d.appendChild(el("div", "muted small", label));
    var v = el("div", "wb-value", value); v.dataset.key = key; d.appendChild(v); return d;
  }
  function renderQueues() {
    var box = $("wb-queues"); box.innerHTML = "";
    state.queues.forEach(function (q) {
      var tile = el("button", "wb-tile card"); tile.type = "button"; tile.dataset.queue = q.id;
      tile.setAttribute("aria-label", q.name);
      var name = el("h2", "", q.name); name.setAttribute("translate", "no"); tile.appendChild(name);
      var grid = el("div", "wb-grid");
      grid.appendChild(stat(L.waiting, String(q.waiting), "waiting"));
      grid.appendChild(stat(L.longest, dur(since(q.oldest_since)), "longest"));
      grid.appendChild(stat(L.ewt, q.ewt_seconds < 0 ? "–" : dur(q.ewt_seconds), "ewt"));
      grid.appendChild(stat(L.sl, q.service_level === null ? "–" : q.service_level + "%", "sl"));
      grid.appendChild(stat(L.offered, String(q.offered), "offered"));
      grid.appendChild(stat(L.answered, String(q.answered), "answered"));
      grid.appendChild(stat(L.abandoned, String(q.abandoned), "abandoned"));
      tile.appendChild(grid);
      tile.appendChild(el("div", "muted small", fmt(L.target, {p: q.sla_percent, s: q.sla_seconds})));
      var a = q.agents, parts = ["available", "busy", "away", "wrap_up"].map(function (k) { return L.states[k] + " " + (a[k] || 0); });
      var reasons = Object.keys(q.away_reasons).map(function (r) { return (r || L.unknown) + " " + q.away_reasons[r]; });
      var agents = el("div", "wb-agents small", L.agents + ": " + parts.join(" · ") + (reasons.length ? " (" + reasons.join(", ") + ")" : ""));
      agents.dataset.key = "agents"; tile.appendChild(agents);
      tile.addEventListener("click", function () { openQueue = q.id; renderDetail(); $("wb-detail").showModal(); });
      box.appendChild(tile);
    });
    tick();
  }
  function renderAgents() {
    var body = $("wb-agents"); body.innerHTML = "";
    state.agents.forEach(function (a) {
      var tr = el("tr"); tr.dataset.agent = a.id;
      var who = tr.appendChild(el("th", "", a.name)); who.setAttribute("scope", "row"); who.setAttribute("translate", "no");
      var st = el("td", "wb-state " + a.state, L.states[a.state] + (a.reason ? " · " + a.reason : "")); tr.appendChild(st);
      var t = el("td", "wb-since", dur(since(a.since))); t.dataset.since = a.since || ""; tr.appendChild(t);
      tr.appendChild(el("td", "", a.work.length ? a.work.map(function (w) { return (L.channels[w.channel] || w.channel) + " #" + w.interaction_id; }).join(", ") : L.noWork));
      body.appendChild(tr);
    });
  }
  function renderDetail() {
    var q = state.queues.filter(function (x) { return x.id === openQueue; })[0];
    if (!q) return;
    $("wb-detail-h").textContent = q.name;
    $("wb-detail-waiting-h").textContent = fmt(L.waitingIn, {queue: q.name});
    var ol = $("wb-detail-waiting"); ol.innerHTML = "";
    if (!q.waiting_list.length) ol.appendChild(el("li", "muted", L.nobody));
    q.waiting_list.forEach(function (w) {
      var li = el("li", "", (L.channels[w.channel] || w.channel) + " #" + w.interaction_id + " · " + dur(since(w.since)));
      li.dataset.since = w.since; li.dataset.label = (L.channels[w.channel] || w.channel) + " #" + w.interaction_id; ol.appendChild(li);
    });
    $("wb-detail-agents-h").textContent = fmt(L.queueAgents, {queue: q.name});
    var ul = $("wb-detail-agents"); ul.innerHTML = "";
    state.agents.filter(function (a) { return q.members.indexOf(a.id) >= 0; }).forEach(function (a) {
      ul.appendChild(el("li", "", a.name + " · " + L.states[a.state] + (a.reason ? " · " + a.reason : "")));
    });
  }
  function tick() {
    state.queues.forEach(function (q) {
      var tile = document.querySelector('.wb-tile[data-queue="' + q.id + '"]'); if (!tile) return;
      tile.querySelector('[data-key="longest"]').textContent = dur(since(q.oldest_since));
      var why = alertOf(q);
      tile.classList.toggle("alert", !!why); tile.title = why || "";
      if (why && !alerted[q.id] && notify && window.Notification && Notification.permission === "granted") {
        new Notification(fmt(L.alertTitle, {queue: q.name}), {body: why, tag: "wb-" + q.id});
      }
      alerted[q.id] = !!why;
    });
    document.querySelectorAll(".wb-since").forEach(function (t) { t.textContent = dur(since(t.dataset.since || null)); });
    document.querySelectorAll("#wb-detail-waiting li[data-since]").forEach(function (li) { li.textContent = li.dataset.label + " · " + dur(since(li.dataset.since)); });
  }
  function render() { renderQueues(); renderAgents(); if (openQueue !== null) renderDetail(); }
  function status(live) { var s = $("wb-status"); s.dataset.state = live ? "live" : "reconnecting"; s.textContent = live ? L.live : L.reconnecting; }
  function connect() {
    var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/wallboard/");
    ws.onopen = function () { retry = 500; status(true); };
    ws.onmessage = function (e) {
      var f = JSON.parse(e.data);
      if (f.type === "wallboard.state") { state = f.state; render(); }
    };
    ws.onclose = function (e) {
      status(false);
      if (e.code === 4401) { location.href = "/login/?next=" + encodeURIComponent(location.pathname); return; }
      if (e.code === 4403 || e.code === 4409) { location.reload(); return; }
      setTimeout(connect, retry); retry = Math.min(retry * 2, 10000);
    };
  }
  $("wb-notify").addEventListener("click", function () {
    if (!window.Notification) return;
    Notification.requestPermission().then(function (p) {
      notify = p === "granted";
      if (notify) { $("wb-notify").textContent = L.notifyOn; $("wb-notify").setAttribute("aria-pressed", "true"); }
    });
  });
  render();
  setInterval(tick, 1000);
  connect();
})();
