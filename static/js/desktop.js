/* The agent desktop: presence, ringing offers, the inbox, a conversation and its customer.
   Frames arrive through desktop-socket.js (one WebSocket per tab) as "ccaas:frame" events. */
(function () {
  "use strict";
  var B = window.CCAAS_BOOT, T = window.CCAAS_I18N;
  var $ = function (id) { return document.getElementById(id); };
  var csrf = (document.cookie.match(/csrftoken=([^;]+)/) || [])[1] || "";
  var view = "mine", current = null, lastSeq = 0, seen = {}, offer = null, countdown = null, pendingIds = {};
  // Customer messages in followed conversations that are not on screen: {interaction id: count}, as the
  // list last read it from the server (what the assignee has read is stored) plus live messages after
  // the seq that count covered.
  var unread = {}, previews = {}, counted = {};

  function send(frame) {
    var ws = window.ccaasSocket;
    if (ws && ws.readyState === 1) ws.send(JSON.stringify(frame));
  }
  function toast(text) {
    var t = $("toast"); t.textContent = text; t.hidden = false;
    clearTimeout(t._h); t._h = setTimeout(function () { t.hidden = true; }, 3500);
  }
  function api(method, path, body) {
    var opts = {method: method, headers: {"X-CSRFToken": csrf}, credentials: "same-origin"};
    if (body instanceof FormData) opts.body = body;
    else if (body) { opts.body = JSON.stringify(body); opts.headers["Content-Type"] = "application/json"; }
    return fetch("/api/v1/" + path, opts).then(function (r) {
      return r.status === 204 ? {} : r.json().then(function (j) { if (!r.ok) throw j.error || j; return j; });
    });
  }
  function el(tag, cls, text) { var e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; }

  // --- presence ----------------------------------------------------------------------------------
  var presence = $("presence");
  B.reasons.forEach(function (r) { var o = el("option", "", T.away + ": " + r.name); o.value = "away:" + r.id; presence.insertBefore(o, presence.lastElementChild); });
  presence.value = B.agent.state === "away" ? presence.value : (B.agent.state === "available" ? "available" : "offline");
  presence.addEventListener("change", function () {
    var parts = presence.value.split(":");
    send({type: "agent.set_state", state: parts[0], reason: parts[1] ? +parts[1] : null});
  });
  if (!B.user.manager) $("tab-all").hidden = true;

  // --- offers ------------------------------------------------------------------------------------
  function ring() {
    try {
      var ctx = new (window.AudioContext || window.webkitAudioContext)(), o = ctx.createOscillator(), g = ctx.createGain();
      o.frequency.value = 880; g.gain.value = 0.08; o.connect(g); g.connect(ctx.destination); o.start(); o.stop(ctx.currentTime + 0.4);
    } catch (e) { /* no audio: the dialog is enough */ }
  }
  function showOffer(o) {
    offer = o;
    $("offer-channel").textContent = o.channel; $("offer-subject").textContent = o.subject || "";
    $("offer-queue").textContent = o.queue || "";
    var d = $("offer-dialog"); if (!d.open) d.showModal();
    ring();
    if (window.Notification && Notification.permission === "granted" && document.hidden) new Notification(T.newOffer, {body: o.subject || o.channel});
    clearInterval(countdown);
    var tick = function () {
      var left = Math.max(0, Math.round((new Date(o.expires_at) - Date.now()) / 1000));
      $("offer-countdown").textContent = left;
      if (left <= 0) hideOffer();
    };
    tick(); countdown = setInterval(tick, 500);
  }
  function hideOffer() { clearInterval(countdown); offer = null; if ($("offer-dialog").open) $("offer-dialog").close(); }
  $("offer-accept").addEventListener("click", function () { if (offer) send({type: "offer.accept", offer_id: offer.id}); });
  $("offer-reject").addEventListener("click", function () { if (offer) send({type: "offer.reject", offer_id: offer.id}); hideOffer(); });
  if (window.Notification && Notification.permission === "default") document.addEventListener("click", function once() { Notification.requestPermission(); document.removeEventListener("click", once); });

  // --- inbox -------------------------------------------------------------------------------------
  // Loads can overlap (page load, the socket's hello, a tab or filter change, events): only the latest
  // one asked for is shown, or a slower earlier answer (the "Mine" of the page load) would replace
  // the list the agent just asked for ("All").
  var inboxLoads = 0;
  function loadInbox() {
    var q = "inbox?view=" + view + "&status=" + $("f-status").value + "&channel=" + $("f-channel").value + "&label=" + encodeURIComponent($("f-label").value);
    var load = ++inboxLoads;
    api("GET", q).then(function (rows) {
      if (load !== inboxLoads) return;
      var ul = $("inbox"); ul.innerHTML = "";
      rows.forEach(function (r) {
        var li = el("li"); li.dataset.id = r.id; if (current === r.id) li.className = "active";
        var title = el("div", "", (r.contact || "#" + r.id) + " — " + (r.subject || ""));
        var badge = el("span", "badge"); badge.hidden = true; title.appendChild(badge);
        li.appendChild(title);
        li.appendChild(el("div", "meta", r.channel + " · " + r.status + (r.queue ? " · " + r.queue : "") + (r.assignee ? " · " + r.assignee : "")));
        li.appendChild(el("div", "preview"));
        li.addEventListener("click", function () { openConversation(r.id); });
        ul.appendChild(li);
        if (r.unread !== null && r.unread !== undefined) { unread[r.id] = r.id === current ? 0 : r.unread; counted[r.id] = r.last_seq; }
        showUnread(r.id);
      });
    });
  }
  // The customer read up to `seq`: "Seen" under the conversation while their last read covers our
  // last reply (a newer reply hides it again until they read that too).
  var seenSeq = 0;
  function showSeen(seq) {
    seenSeq = seq;
    var mine = $("messages").querySelectorAll(".m.agent[data-seq]");
    var last = mine.length ? +mine[mine.length - 1].dataset.seq : 0;
    $("seen").hidden = !last || seq < last;
  }
  var reloadSoon = null;
  function showUnread(id) {
    var li = document.querySelector('#inbox li[data-id="' + id + '"]');
    if (!li) return false;
    var badge = li.querySelector(".badge"), n = unread[id] || 0;
    badge.hidden = !n; badge.textContent = n; li.classList.toggle("unread", !!n);
    li.querySelector(".preview").textContent = previews[id] || "";
    return li;
  }
  // A message in a followed conversation that is not on screen: count it, show its first words and
  // move the conversation to the top; a conversation not in the list yet reloads the list (at most
  // once a second).
  function noteBackgroundMessage(id, m) {
    if (m.kind !== "customer" || m.seq <= (counted[id] || 0)) return;
    counted[id] = m.seq;
    unread[id] = (unread[id] || 0) + 1;
    previews[id] = (m.body || (m.attachment ? "\u2398 " + m.attachment.name : "")).slice(0, 80);
    var li = showUnread(id);
    if (li) { li.parentNode.insertBefore(li, li.parentNode.firstChild); return; }
    if (!reloadSoon) reloadSoon = setTimeout(function () { reloadSoon = null; loadInbox(); }, 1000);
  }
  Array.prototype.forEach.call(document.querySelectorAll(".tabs button"), function (b) {
    b.addEventListener("click", function () {
      view = b.dataset.view;
      Array.prototype.forEach.call(document.querySelectorAll(".tabs button"), function (x) { x.classList.toggle("active", x === b); });
      loadInbox();
    });
  });
  ["f-status", "f-channel", "f-label"].forEach(function (id) { $(id).addEventListener("change", loadInbox); });

  // --- a conversation ----------------------------------------------------------------------------
  function openConversation(id) {
    if (current && current !== id) send({type: "interaction.close", interaction_id: current});
    current = id; lastSeq = 0; seen = {}; delete unread[id]; delete previews[id]; seenSeq = 0; $("seen").hidden = true;
    $("messages").innerHTML = ""; $("conv-empty").hidden = true; $("conv-body").hidden = false;
    send({type: "interaction.open", interaction_id: id, last_seq: 0});
    api("GET", "interactions/" + id + "/detail").then(renderDetail);
    loadInbox();
  }
  function renderMessage(m) {
    if (seen[m.seq]) return;
    seen[m.seq] = true; lastSeq = Math.max(lastSeq, m.seq);
    if (m.client_id && pendingIds[m.client_id]) { pendingIds[m.client_id].remove(); delete pendingIds[m.client_id]; }
    var d = el("div", "m " + m.kind); d.dataset.seq = m.seq;
    if (m.author && m.kind !== "system") d.appendChild(el("span", "who", m.author.name));
    d.appendChild(el("span", "body", m.body || ""));
    if (m.attachment) { var a = el("a", "", "\u2398 " + m.attachment.name); a.href = m.attachment.url; a.target = "_blank"; d.appendChild(a); }
    var box = $("messages"), before = null;
    Array.prototype.forEach.call(box.querySelectorAll(".m[data-seq]"), function (x) { if (!before && +x.dataset.seq > m.seq) before = x; });
    box.insertBefore(d, before); box.scrollTop = box.scrollHeight;
    if (m.kind === "agent") showSeen(seenSeq);
    if (m.kind === "customer" && !document.hidden) send({type: "read", interaction_id: current, seq: m.seq});
  }
  function renderDetail(d) {
    $("conv-title").textContent = (d.contact ? (d.contact.name || d.contact.email || "#" + d.id) : "#" + d.id) + " · " + d.channel + " · " + d.status;
    var c = $("customer-body"); c.innerHTML = ""; c.classList.remove("muted");
    var dl = el("dl");
    function row(k, v) { if (v === null || v === undefined || v === "") return; dl.appendChild(el("dt", "", k)); dl.appendChild(el("dd", "", typeof v === "object" ? JSON.stringify(v) : String(v))); }
    if (d.contact) { row("Name", d.contact.name); row("Email", d.contact.email); row("Phone", d.contact.phone);
      d.contact.identities.forEach(function (i) { if (i.kind !== "visitor") row(i.kind + (i.verified ? "" : " (unverified)"), i.value); });
      Object.keys(d.contact.attributes || {}).forEach(function (k) { row(k, d.contact.attributes[k]); }); }
    row("Queue", d.queue); row("Case", d.case_id.slice(0, 8));
    c.appendChild(dl);
    if (d.page && d.page.url) { c.appendChild(el("h3", "", "Page")); var a = el("a", "", d.page.title || d.page.url);
      // Only web addresses become links: the visitor wrote this URL (a javascript: one would run here).
      if (/^https?:\/\//i.test(d.page.url)) { a.href = d.page.url; a.target = "_blank"; a.rel = "noopener noreferrer"; } c.appendChild(a); }
    if (d.context && Object.keys(d.context).length) { c.appendChild(el("h3", "", "Context")); c.appendChild(el("pre", "context", JSON.stringify(d.context, null, 2))); }
    if (d.previous.length) { c.appendChild(el("h3", "", "Previous")); var ul = el("ul", "rows");
      d.previous.forEach(function (p) { var li = el("li", "", p.channel + " · " + p.status + " · " + (p.subject || "")); li.addEventListener("click", function () { openConversation(p.id); }); ul.appendChild(li); });
      c.appendChild(ul); }
    current_detail = d;
  }
  var current_detail = null;

  // --- replying ----------------------------------------------------------------------------------
  var input = $("reply-input"), cannedBox = $("canned"), cannedSel = 0;
  function sendReply() {
    var body = input.value.trim(); if (!body || !current) return;
    var id = Math.random().toString(36).slice(2), note = $("as-note").checked;
    var p = el("div", "m " + (note ? "note" : "agent") + " pending", body); $("messages").appendChild(p); pendingIds[id] = p;
    send({type: "message.send", interaction_id: current, body: body, note: note, client_id: id});
    send({type: "typing", interaction_id: current, active: false});
    input.value = ""; cannedBox.hidden = true;
  }
  $("reply").addEventListener("submit", function (e) { e.preventDefault(); sendReply(); });
  input.addEventListener("keydown", function (e) {
    if (!cannedBox.hidden && (e.key === "ArrowDown" || e.key === "ArrowUp" || e.key === "Enter" || e.key === "Tab")) {
      var items = cannedBox.children; if (!items.length) return;
      e.preventDefault();
      if (e.key === "ArrowDown") cannedSel = (cannedSel + 1) % items.length;
      else if (e.key === "ArrowUp") cannedSel = (cannedSel - 1 + items.length) % items.length;
      else { items[cannedSel].click(); return; }
      Array.prototype.forEach.call(items, function (x, i) { x.classList.toggle("sel", i === cannedSel); });
      return;
    }
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); sendReply(); }
  });
  input.addEventListener("input", function () {
    var m = input.value.match(/^\/(\S*)$/);
    if (current) send({type: "typing", interaction_id: current, active: input.value.length > 0});
    if (!m) { cannedBox.hidden = true; return; }
    cannedBox.innerHTML = ""; cannedSel = 0;
    B.canned.filter(function (c) { return c.shortcut.indexOf(m[1]) === 0; }).forEach(function (c, i) {
      var d = el("div", i === 0 ? "sel" : "", "/" + c.shortcut + " — " + c.title);
      d.addEventListener("click", function () {
        api("GET", "interactions/" + current + "/canned/" + c.shortcut).then(function (r) { input.value = r.text; cannedBox.hidden = true; input.focus(); });
      });
      cannedBox.appendChild(d);
    });
    cannedBox.hidden = !cannedBox.children.length;
  });
  $("agent-file").addEventListener("change", function () {
    var f = this.files[0]; if (!f || !current) return;
    var data = new FormData(); data.append("file", f); data.append("note", $("as-note").checked ? "true" : "false");
    api("POST", "interactions/" + current + "/attachments", data).catch(function (e) { toast(e.message); });
    this.value = "";
  });

  // --- transfer and resolve ----------------------------------------------------------------------
  var tf = $("transfer-form"), rf = $("resolve-form");
  B.agents.forEach(function (a) { if (a.id !== B.agent.id) { var o = el("option", "", a.name + " (" + a.state + ")"); o.value = a.id; tf.agent.appendChild(o); } });
  B.queues.forEach(function (q) { var o = el("option", "", q.name); o.value = q.id; tf.queue.appendChild(o); });
  B.dispositions.forEach(function (d) { var o = el("option", "", d.name); o.value = d.id; rf.disposition.appendChild(o); });
  $("btn-transfer").addEventListener("click", function () { $("transfer-error").textContent = ""; $("transfer-dialog").showModal(); });
  $("btn-resolve").addEventListener("click", function () { $("resolve-error").textContent = ""; $("resolve-dialog").showModal(); });
  function fieldErrors(e) { var f = e.fields || {}; return e.message + " " + Object.keys(f).map(function (k) { return f[k].join(" "); }).join(" "); }
  tf.addEventListener("submit", function (e) {
    if (e.submitter && e.submitter.value === "cancel") return;
    e.preventDefault();
    api("POST", "interactions/" + current + "/transfer", {agent: tf.agent.value ? +tf.agent.value : null, queue: tf.queue.value ? +tf.queue.value : null, note: tf.note.value})
      .then(function () { $("transfer-dialog").close(); toast(T.transferred); closeCurrent(); })
      .catch(function (err) { $("transfer-error").textContent = fieldErrors(err); });
  });
  rf.addEventListener("submit", function (e) {
    if (e.submitter && e.submitter.value === "cancel") return;
    e.preventDefault();
    api("POST", "interactions/" + current + "/resolve", {disposition: rf.disposition.value ? +rf.disposition.value : null, note: rf.note.value})
      .then(function () { $("resolve-dialog").close(); toast(T.resolved); closeCurrent(); })
      .catch(function (err) { $("resolve-error").textContent = fieldErrors(err); });
  });
  function closeCurrent() {
    if (current) send({type: "interaction.close", interaction_id: current});
    current = null; $("conv-body").hidden = true; $("conv-empty").hidden = false;
    $("customer-body").textContent = "—"; $("customer-body").classList.add("muted"); loadInbox();
  }

  // --- frames from the server --------------------------------------------------------------------
  document.addEventListener("ccaas:frame", function (e) {
    var f = e.detail;
    if (f.type === "hello") {
      if (f.agent) presence.value = f.agent.state === "available" ? "available" : presence.value;
      if (current) send({type: "interaction.open", interaction_id: current, last_seq: lastSeq});  // catch up after a reconnect
      loadInbox();
    } else if (f.type === "offer.created") showOffer(f.offer);
    else if (f.type === "offer.ended") { if (offer && offer.id === f.offer_id) hideOffer(); loadInbox(); }
    else if (f.type === "offer.accept.ok") { hideOffer(); openConversation(f.interaction_id); }
    else if (f.type === "interaction.history") { if (f.interaction_id === current) f.messages.forEach(renderMessage); }
    else if ((f.type === "message" || f.type === "message.note") && f.interaction_id === current) renderMessage(f.message);
    else if (f.type === "message") noteBackgroundMessage(f.interaction_id, f.message);
    else if (f.type === "assignments.changed") loadInbox();
    else if (f.type === "typing" && f.by === "customer" && f.interaction_id === current) $("agent-typing").hidden = !f.active;
    else if (f.type === "read" && f.by === "customer" && f.interaction_id === current) showSeen(f.seq);
    else if (f.type === "agent.state") presence.value = f.state === "away" && f.reason ? presence.value : (f.state === "available" ? "available" : f.state === "offline" ? "offline" : presence.value);
    else if (f.type === "error") toast(f.message);
  });

  // --- keyboard ----------------------------------------------------------------------------------
  document.addEventListener("keydown", function (e) {
    if (!e.altKey) return;
    var k = e.key.toLowerCase();
    if (k === "a" && offer) { e.preventDefault(); $("offer-accept").click(); }
    else if (k === "r" && offer) { e.preventDefault(); $("offer-reject").click(); }
    else if (k === "n") { e.preventDefault(); $("as-note").checked = !$("as-note").checked; }
    else if (k === "t" && current) { e.preventDefault(); $("btn-transfer").click(); }
    else if (k === "e" && current) { e.preventDefault(); $("btn-resolve").click(); }
    else if (k === "1" || k === "2" || k === "3") { e.preventDefault(); document.querySelectorAll(".tabs button")[+k - 1].click(); }
  });
  loadInbox();
})();
