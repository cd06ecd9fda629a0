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
  // Channel and status codes in the reader's language.
  function chName(c) { return (T.channels && T.channels[c]) || c; }
  function stName(v) { return (T.statuses && T.statuses[v]) || v; }
  function el(tag, cls, text) { var e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; }
  // A time in the agent's local time: hours and minutes today, with the date before; the full
  // timestamp in `datetime` and as a tooltip. The visible text is drawn by CSS from data-label, so
  // a message's text (copied, or read by scripts) stays the message alone.
  var lang = document.documentElement.lang || undefined;
  function timeEl(iso) {
    var d = new Date(iso), t = el("time");
    if (isNaN(d)) return t;
    var today = new Date().toDateString() === d.toDateString();
    t.dateTime = d.toISOString();
    t.title = d.toLocaleString(lang, {dateStyle: "full", timeStyle: "long"});
    t.dataset.label = today ? d.toLocaleTimeString(lang, {hour: "2-digit", minute: "2-digit"})
      : d.toLocaleString(lang, {dateStyle: "medium", timeStyle: "short"});
    return t;
  }
  window.ccaasTime = timeEl;
  // How the inbox names a conversation's customer ("Visitor 3" until they say who they are), for the
  // call panel too.
  var contactNames = {};
  window.ccaasContactName = function (interactionId) { return contactNames[interactionId] || ""; };

  // Dialogs: modal (focus stays inside), Escape closes them (the browser's own), and focus goes back
  // to what opened them.
  function openDialog(d) {
    if (d.open) return;
    var opener = document.activeElement;
    d.addEventListener("close", function back() {
      d.removeEventListener("close", back);
      if (opener && document.contains(opener) && !opener.closest("[hidden]")) opener.focus();
    });
    d.showModal();
  }
  window.ccaasOpenDialog = openDialog;

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
    $("offer-channel").textContent = chName(o.channel); $("offer-subject").textContent = o.subject || "";
    $("offer-queue").textContent = o.queue || "";
    var cb = (o.attributes || {}).callback_phone, cbEl = $("offer-callback");
    cbEl.hidden = !cb; cbEl.textContent = cb ? cbEl.dataset.text.replace("%(phone)s", cb) : "";
    var d = $("offer-dialog"); if (!d.open) openDialog(d);
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
  // Escape closes a dialog; on a ringing offer that means no: reject it, as the button does (it used
  // to hide the dialog and leave the offer ringing unseen until it timed out).
  $("offer-dialog").addEventListener("cancel", function () { if (offer) send({type: "offer.reject", offer_id: offer.id}); hideOffer(); });
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
      var ul = $("inbox"), hadFocus = ul.contains(document.activeElement) ? +document.activeElement.dataset.id : null;
      ul.innerHTML = "";
      rows.forEach(function (r) {
        contactNames[r.id] = r.contact || "";
        var li = el("li"); li.dataset.id = r.id; li.setAttribute("role", "option"); li.tabIndex = -1;
        li.setAttribute("aria-selected", String(current === r.id)); if (current === r.id) li.className = "active";
        li.appendChild(timeEl(r.created_at));
        var title = el("div", "", (r.contact || "#" + r.id) + " — " + (r.subject || ""));
        var badge = el("span", "badge"); badge.hidden = true; title.appendChild(badge);
        li.appendChild(title);
        li.appendChild(el("div", "meta", chName(r.channel) + " · " + stName(r.status) + (r.queue ? " · " + r.queue : "") + (r.assignee ? " · " + r.assignee : "")));
        li.appendChild(el("div", "preview"));
        li.addEventListener("click", function () { openConversation(r.id); });
        ul.appendChild(li);
        if (r.unread !== null && r.unread !== undefined) { unread[r.id] = r.id === current ? 0 : r.unread; counted[r.id] = r.last_seq; }
        showUnread(r.id);
      });
      if (!rows.length) { var none = el("li", "empty-row", T.noConversations); none.setAttribute("role", "option"); none.setAttribute("aria-disabled", "true"); ul.appendChild(none); }
      // One row is in the tab order (the open one, else the first); arrows move between the rows.
      var rowsNow = ul.querySelectorAll("li[data-id]");
      var tabStop = ul.querySelector("li[aria-selected=true]") || rowsNow[0] || ul.firstChild;
      if (tabStop) tabStop.tabIndex = 0;
      if (hadFocus) { var again = ul.querySelector('li[data-id="' + hadFocus + '"]'); if (again) { again.tabIndex = 0; again.focus(); } }
    });
  }
  $("inbox").addEventListener("keydown", function (e) {
    var li = e.target.closest && e.target.closest("li[data-id]"); if (!li) return;
    var all = Array.prototype.slice.call($("inbox").querySelectorAll("li[data-id]")), i = all.indexOf(li), next = null;
    if (e.key === "ArrowDown") next = all[Math.min(i + 1, all.length - 1)];
    else if (e.key === "ArrowUp") next = all[Math.max(i - 1, 0)];
    else if (e.key === "Home") next = all[0];
    else if (e.key === "End") next = all[all.length - 1];
    else if (e.key === "Enter" || e.key === " ") { e.preventDefault(); openConversation(+li.dataset.id); return; }
    else return;
    e.preventDefault();
    all.forEach(function (x) { x.tabIndex = x === next ? 0 : -1; });
    next.focus();
  });
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
  var tabs = Array.prototype.slice.call(document.querySelectorAll(".tabs button"));
  tabs.forEach(function (b) {
    b.addEventListener("click", function () {
      view = b.dataset.view;
      tabs.forEach(function (x) { var on = x === b; x.classList.toggle("active", on); x.setAttribute("aria-selected", String(on)); x.tabIndex = on ? 0 : -1; });
      loadInbox();
    });
    b.addEventListener("keydown", function (e) {
      if (e.key !== "ArrowRight" && e.key !== "ArrowLeft") return;
      var shown = tabs.filter(function (x) { return !x.hidden; }), i = shown.indexOf(b);
      var next = shown[(i + (e.key === "ArrowRight" ? 1 : shown.length - 1)) % shown.length];
      e.preventDefault(); next.focus(); next.click();
    });
  });
  ["f-status", "f-channel", "f-label"].forEach(function (id) { $(id).addEventListener("change", loadInbox); });

  // --- a conversation ----------------------------------------------------------------------------
  function openConversation(id) {
    if (current && current !== id) send({type: "interaction.close", interaction_id: current});
    current = id; lastSeq = 0; seen = {}; delete unread[id]; delete previews[id]; seenSeq = 0; $("seen").hidden = true;
    $("messages").innerHTML = ""; $("conv-empty").hidden = true; $("conv-body").hidden = false;
    setReadOnly(false);
    send({type: "interaction.open", interaction_id: id, last_seq: 0});
    mails = {}; delivery = {}; $("msg-window").hidden = true;
    $("callback-panel").hidden = true;
    api("GET", "interactions/" + id + "/detail").then(function (d) {
      renderDetail(d);
      document.dispatchEvent(new CustomEvent("ccaas:conversation", {detail: d}));  // desktop-kb.js
      callbackPanel(d);
      mailTools(d.channel === "email" && d.status !== "resolved");
      if (d.channel === "email") api("GET", "email/interactions/" + id + "/mails").then(function (r) { renderMails(id, r.results, r.signature); });
      if (d.channel === "messaging") api("GET", "messaging/interactions/" + id).then(function (r) { renderMessaging(id, r); }, function () {});
      // A closed conversation is analysed (sentiment, topics, keywords; for managers, the call's talk).
      if (d.status === "resolved") api("GET", "analytics/interactions/" + id).then(function (r) { renderAnalysis(id, r.analysis); }, function () {});
    });
    loadInbox();
  }
  // A callback: the number to dial and how it went (Connected / No answer: retried later, or failed).
  var callbackId = null;
  function callbackPanel(d) {
    var a = d.attributes || {};
    if (!a.callback_id || d.status === "resolved") return;
    api("GET", "callbacks/" + a.callback_id).then(function (c) {
      if (d.id !== current || (c.state !== "dialling" && c.state !== "queued")) return;
      callbackId = c.id;
      $("callback-number").textContent = c.phone;
      $("callback-attempt").textContent = $("callback-attempt").dataset.text.replace("%(n)s", c.attempts + 1).replace("%(max)s", c.max_attempts);
      $("callback-actions").hidden = false; $("callback-result").textContent = "";
      $("callback-panel").hidden = false;
    }, function () {});
  }
  function callbackResult(result) {
    if (!callbackId) return;
    var out = $("callback-result");
    api("POST", "callbacks/" + callbackId + "/result", {result: result}).then(function (c) {
      $("callback-actions").hidden = true;
      if (c.state === "connected") out.textContent = out.dataset.connected;
      else if (c.state === "failed") out.textContent = out.dataset.failed;
      else out.textContent = out.dataset.retry.replace("%(time)s", new Date(c.next_attempt_at).toLocaleTimeString());
      loadInbox();
    }, function (e) { out.textContent = e.message || String(e); });
  }
  $("callback-connected").addEventListener("click", function () { callbackResult("connected"); });
  $("callback-noanswer").addEventListener("click", function () { callbackResult("no_answer"); });
  // An email conversation's messages link to the mail as written (sender, recipients, its HTML).
  var mails = {};
  function mailLink(mail) {
    var a = el("a", "mail-link", "\u2709 " + (T.viewMail || "View the mail")); a.href = mail.url; a.target = "_blank"; a.rel = "noopener";
    a.title = [mail.from, (mail.to || []).join(", "), mail.subject].filter(Boolean).join(" \u00b7 ");
    if (mail.status === "failed") a.textContent += " \u2014 " + (T.notDelivered || "not delivered");
    if (mail.direction !== "in") return a;
    var span = el("span", "mail-actions"), fwd = el("button", "button link mail-forward", T.forward || "Forward");
    fwd.type = "button"; fwd.addEventListener("click", function () { openForward(mail); });
    span.appendChild(a); span.appendChild(fwd);
    return span;
  }
  // The email composer: Cc (the thread's, to change), Bcc, a template (a canned response, its variables
  // filled in) and the mailbox's signature shown as it will be added; the answer then goes through the
  // email API with its copies. Forwarding a received mail opens its own dialog.
  function mailTools(on) {
    $("mail-tools").hidden = !on; $("mail-cc").value = ""; $("mail-bcc").value = ""; $("mail-error").textContent = "";
    $("mail-signature").hidden = true; $("mail-template").value = "";
  }
  (function () {
    var sel = $("mail-template");
    (B.canned || []).forEach(function (c) { var o = el("option", "", c.title + " (/" + c.shortcut + ")"); o.value = c.shortcut; sel.appendChild(o); });
    sel.addEventListener("change", function () {
      if (!sel.value || !current) return;
      api("GET", "interactions/" + current + "/canned/" + sel.value).then(function (r) { input.value = r.text; input.focus(); },
        function (e) { $("mail-error").textContent = e.message || String(e); });
    });
  })();
  var forwarding = null;
  function openForward(mail) {
    forwarding = mail; $("forward-subject").textContent = mail.subject || "";
    $("forward-to").value = ""; $("forward-cc").value = ""; $("forward-note").value = ""; $("forward-error").textContent = "";
    $("forward-dialog").showModal(); $("forward-to").focus();
  }
  $("forward-form").addEventListener("submit", function (e) {
    if (e.submitter && e.submitter.value !== "go") return;
    e.preventDefault();
    if (!forwarding) return;
    $("forward-go").disabled = true;
    api("POST", "email/mails/" + forwarding.id + "/forward", {to: $("forward-to").value, cc: $("forward-cc").value, note: $("forward-note").value})
      .then(function () { $("forward-dialog").close(); toast(T.forwarded || "Forwarded."); },
        function (err) { var f = err.fields || {}; $("forward-error").textContent = [err.message].concat(Object.keys(f).map(function (k) { return f[k].join(" "); })).join(" "); })
      .then(function () { $("forward-go").disabled = false; });
  });
  function renderMails(id, list, signature) {
    if (id !== current) return;
    var received = list.filter(function (m) { return m.direction === "in" && m.kind === "mail"; });
    if (received.length && !$("mail-cc").value) $("mail-cc").value = (received[received.length - 1].cc || []).join(", ");
    if (signature) { $("mail-signature").textContent = (T.signature || "Signature added when sent:") + " " + signature; $("mail-signature").hidden = false; }
    list.forEach(function (mail) {
      if (mail.seq === null || mails[mail.seq]) return;
      mails[mail.seq] = mail;
      var d = $("messages").querySelector('.m[data-seq="' + mail.seq + '"]');
      if (d) d.appendChild(mailLink(mail));
    });
  }
  // A messaging conversation (SMS, WhatsApp, ...): each answer's delivery state as the provider reports
  // it, and WhatsApp's closed window (only an approved template may be sent).
  var delivery = {};
  function deliveryEl(state) {
    var s = el("span", "delivery " + state.status, (T.delivery || {})[state.status] || state.status);
    if (state.error) { s.textContent += ": " + state.error; s.setAttribute("role", "status"); }
    return s;
  }
  function showDelivery(seq, state) {
    delivery[seq] = state;
    var d = $("messages").querySelector('.m[data-seq="' + seq + '"]');
    if (!d) return;
    var old = d.querySelector(".delivery"); if (old) old.remove();
    d.appendChild(deliveryEl(state));
  }
  function renderMessaging(id, r) {
    if (id !== current) return;
    Object.keys(r.statuses || {}).forEach(function (seq) { showDelivery(+seq, r.statuses[seq]); });
    var box = $("msg-window"), pick = $("msg-template");
    box.hidden = r.window_open || !r.templates.length;
    pick.innerHTML = "";
    (r.templates || []).forEach(function (t) { var o = el("option", "", t.name + (t.text ? " \u2014 " + t.text : "")); o.value = t.name; pick.appendChild(o); });
  }
  $("msg-template-send").addEventListener("click", function () {
    var id = current, name = $("msg-template").value;
    if (!id || !name) return;
    $("msg-template-send").disabled = true;
    api("POST", "messaging/interactions/" + id + "/template", {name: name}).then(function () {
      toast(T.templateSent || "Template sent.");
    }, function (err) { toast(err && err.message ? err.message : String(err)); }).then(function () { $("msg-template-send").disabled = false; });
  });
  function renderMessage(m) {
    if (seen[m.seq]) return;
    seen[m.seq] = true; lastSeq = Math.max(lastSeq, m.seq);
    if (m.client_id && pendingIds[m.client_id]) { pendingIds[m.client_id].remove(); delete pendingIds[m.client_id]; }
    var d = el("div", "m " + m.kind); d.dataset.seq = m.seq;
    if (m.author && m.kind !== "system") d.appendChild(el("span", "who", m.author.name));
    d.appendChild(el("span", "body", m.body || ""));
    if (m.attachment) { var a = el("a", "", "\u2398 " + m.attachment.name); a.href = m.attachment.url; a.target = "_blank"; d.appendChild(a); }
    if (m.created_at) d.appendChild(timeEl(m.created_at));
    if (mails[m.seq]) d.appendChild(mailLink(mails[m.seq]));
    if (delivery[m.seq]) d.appendChild(deliveryEl(delivery[m.seq]));
    var box = $("messages"), before = null;
    Array.prototype.forEach.call(box.querySelectorAll(".m[data-seq]"), function (x) { if (!before && +x.dataset.seq > m.seq) before = x; });
    box.insertBefore(d, before); box.scrollTop = box.scrollHeight;
    if (m.kind === "agent") showSeen(seenSeq);
    if (m.kind === "customer" && !document.hidden) send({type: "read", interaction_id: current, seq: m.seq});
    if (m.kind === "customer") document.dispatchEvent(new CustomEvent("ccaas:customer-message", {detail: {interaction: current}}));
  }
  // A resolved conversation can be read, not worked on: no transfer, resolve or reply (the server
  // refuses them too).
  function setReadOnly(on) {
    var focusLost = on && ($("reply").contains(document.activeElement) || $("conv-head-actions").contains(document.activeElement));
    $("btn-transfer").hidden = on; $("btn-resolve").hidden = on; $("reply").hidden = on; $("read-only").hidden = !on;
    $("agent-typing").hidden = true;
    ["transfer-dialog", "resolve-dialog"].forEach(function (id) { if (on && $(id).open) $(id).close(); });
    if (focusLost) $("conv-title").focus();
  }
  function renderDetail(d) {
    if (d.id !== current) return;
    var F = T.fields;
    if (d.contact) contactNames[d.id] = d.contact.display;
    $("conv-title").textContent = (d.contact ? d.contact.display : "#" + d.id) + " · " + chName(d.channel) + " · " + stName(d.status);
    setReadOnly(d.status === "resolved");
    var c = $("customer-body"); c.innerHTML = ""; c.classList.remove("muted");
    var dl = el("dl");
    function row(k, v) { if (v === null || v === undefined || v === "") return; dl.appendChild(el("dt", "", k)); dl.appendChild(el("dd", "", typeof v === "object" ? JSON.stringify(v) : String(v))); }
    if (d.contact) { row(F.name, d.contact.name); row(F.email, d.contact.email); row(F.phone, d.contact.phone);
      d.contact.identities.forEach(function (i) { if (i.kind !== "visitor") row(i.kind + (i.verified ? "" : " " + F.unverified), i.value); });
      Object.keys(d.contact.attributes || {}).forEach(function (k) { row(k, d.contact.attributes[k]); }); }
    row(F.queue, d.queue); row(F["case"], d.case_id.slice(0, 8));
    c.appendChild(dl);
    if (d.page && d.page.url) { c.appendChild(el("h3", "", F.page)); var a = el("a", "", d.page.title || d.page.url);
      // Only web addresses become links: the visitor wrote this URL (a javascript: one would run here).
      if (/^https?:\/\//i.test(d.page.url)) { a.href = d.page.url; a.target = "_blank"; a.rel = "noopener noreferrer"; } c.appendChild(a); }
    if (d.context && Object.keys(d.context).length) { c.appendChild(el("h3", "", F.context)); c.appendChild(el("pre", "context", JSON.stringify(d.context, null, 2))); }
    if (d.previous.length) { c.appendChild(el("h3", "", F.previous)); var ul = el("ul", "rows");
      d.previous.forEach(function (p) {
        var li = el("li"), b = el("button", "prev-open", chName(p.channel) + " · " + stName(p.status) + " · " + (p.subject || "")); b.type = "button";
        b.appendChild(timeEl(p.created_at)); b.addEventListener("click", function () { openConversation(p.id); });
        li.appendChild(b); ul.appendChild(li); });
      c.appendChild(ul); }
    current_detail = d;
    if (d.contact) loadJourney(d.contact.id);
  }
  var current_detail = null;

  // The customer's journey beside the conversation: a summary and the latest entries, reloaded when
  // the server says something new happened (journey.updated), with a link to the whole timeline.
  function loadJourney(contactId) {
    api("GET", "contacts/" + contactId + "/journey?limit=5").then(function (j) {
      if (!current_detail || !current_detail.contact || current_detail.contact.id !== contactId) return;
      renderJourney(j);
    }, function () { /* not theirs to read: the panel stays without it */ });
  }
  function renderJourney(j) {
    var J = T.journey, old = $("journey"); if (old) old.remove();
    var box = el("section", "journey"); box.id = "journey"; box.setAttribute("aria-labelledby", "journey-h");
    var h = el("h3", "", J.title); h.id = "journey-h"; box.appendChild(h);
    // Why this conversation began: the proactive invitation the customer accepted, and what matched.
    var mine = j.entries.filter(function (e) { return e.type === "interaction" && e.id === current && e.invitation; })[0];
    if (mine) {
      var inv = el("div", "invited"); inv.id = "journey-invited";
      inv.appendChild(el("strong", "", J.invited.replace("%(rule)s", mine.invitation.rule)));
      inv.appendChild(el("div", "small", "“" + mine.invitation.message + "”"));
      var facts = Object.keys(mine.invitation.facts).map(function (k) { return k + " " + mine.invitation.facts[k]; }).join(" · ");
      if (facts) inv.appendChild(el("div", "muted small", facts));
      box.appendChild(inv);
    }
    var s = j.summary, dl = el("dl");
    function row(k, v) { dl.appendChild(el("dt", "", k)); var dd = el("dd"); if (v instanceof Node) dd.appendChild(v); else dd.textContent = v; dl.appendChild(dd); }
    if (s.last_contact) {
      var last = el("span", "", chName(s.last_contact.channel) + " · " + (J.outcomes[s.last_contact.outcome] || s.last_contact.outcome) + " ");
      last.appendChild(timeEl(s.last_contact.at)); row(J.last, last);
    }
    row(J.conversations, Object.keys(s.by_channel).map(function (c) { return chName(c) + " " + s.by_channel[c]; }).join(" · ") || "0");
    row(J.openCases, String(s.open_cases));
    row(J.visits, String(s.web_visits));
    box.appendChild(dl);
    var ol = el("ol", "rows journey-entries"); ol.id = "journey-entries";
    j.entries.forEach(function (e) {
      var text;
      if (e.type === "interaction") {
        var feel = e.sentiment && e.sentiment.label ? J.sentiment[e.sentiment.label] : "";
        text = [chName(e.channel), J.outcomes[e.outcome] || e.outcome, e.category, e.agents.map(function (a) { return a.name; }).join(" → "),
          feel, (e.topics || []).join(", ")].filter(Boolean).join(" · ");
      } else if (e.type === "web_session") {
        text = J.visit.replace("%(n)s", e.page_count) + (e.cart_value !== null && e.cart_value !== undefined ? " · " + J.cart.replace("%(v)s", e.cart_value) : "");
      } else text = e.name;
      var li = el("li", "entry " + e.type, text + " "); li.dataset.key = e.key; li.appendChild(timeEl(e.at)); ol.appendChild(li);
    });
    box.appendChild(ol);
    var a = el("a", "", J.full); a.href = "/contacts/" + j.contact.id + "/journey/"; a.target = "_blank"; a.rel = "noopener"; box.appendChild(a);
    $("customer-body").appendChild(box);
  }

  function renderAnalysis(id, a) {
    if (id !== current || !a || !a.sentiment) return;
    var J = T.journey, old = $("analysis"); if (old) old.remove();
    var box = el("section", "analysis"); box.id = "analysis"; box.setAttribute("aria-labelledby", "analysis-h");
    var h = el("h3", "", J.analysis); h.id = "analysis-h"; box.appendChild(h);
    var dl = el("dl");
    function row(k, v) { if (!v) return; dl.appendChild(el("dt", "", k)); dl.appendChild(el("dd", "", v)); }
    var c = a.sentiment.customer, e = a.sentiment.end;
    row(J.analysis, [c && c.label ? J.sentiment[c.label] + " (" + c.score.toFixed(2) + ")" : "", e && e.label ? J.ended[e.label] : ""].filter(Boolean).join(" · "));
    row(J.topics, (a.topics || []).map(function (t) { return t.name; }).filter(function (n, i, all) { return all.indexOf(n) === i; }).join(", "));
    row(J.keywords, (a.keywords || []).slice(0, 8).map(function (k) { return Array.isArray(k) ? k[0] : k; }).join(", "));
    box.appendChild(dl);
    $("customer-body").appendChild(box);
  }

  // --- replying ----------------------------------------------------------------------------------
  var input = $("reply-input"), cannedBox = $("canned"), cannedSel = 0;
  function sendReply() {
    var body = input.value.trim(); if (!body || !current) return;
    if (!$("mail-tools").hidden && !$("as-note").checked) {  // an email answer: with its copies, through the email API
      $("mail-error").textContent = "";
      api("POST", "email/interactions/" + current + "/reply", {body: body, cc: $("mail-cc").value, bcc: $("mail-bcc").value})
        .then(function () { input.value = ""; $("mail-template").value = ""; $("mail-bcc").value = ""; },
          function (err) { var f = err.fields || {}; $("mail-error").textContent = [err.message].concat(Object.keys(f).map(function (k) { return f[k].join(" "); })).join(" "); });
      return;
    }
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
      Array.prototype.forEach.call(items, function (x, i) { x.classList.toggle("sel", i === cannedSel); x.setAttribute("aria-selected", String(i === cannedSel)); });
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
      d.setAttribute("role", "option"); d.setAttribute("aria-selected", String(i === 0));
      d.addEventListener("click", function () {
        api("GET", "interactions/" + current + "/canned/" + c.shortcut).then(function (r) { input.value = r.text; cannedBox.hidden = true; input.focus(); });
      });
      cannedBox.appendChild(d);
    });
    cannedBox.hidden = !cannedBox.children.length;
  });
  // The attach control is a label acting as a button: Enter and Space open the file picker too.
  $("agent-attach").addEventListener("keydown", function (e) {
    if (e.key === "Enter" || e.key === " ") { e.preventDefault(); $("agent-file").click(); }
  });
  $("agent-file").addEventListener("change", function () {
    var f = this.files[0]; if (!f || !current) return;
    var data = new FormData(); data.append("file", f); data.append("note", $("as-note").checked ? "true" : "false");
    api("POST", "interactions/" + current + "/attachments", data).catch(function (e) { toast(e.message); });
    this.value = "";
  });

  // --- transfer and resolve ----------------------------------------------------------------------
  var tf = $("transfer-form"), rf = $("resolve-form");
  function presenceLabel(a) { return a.name + " (" + (T.presence[a.presence] || a.presence) + ")"; }
  B.agents.forEach(function (a) { if (a.id !== B.agent.id) { var o = el("option", "", presenceLabel(a)); o.value = a.id; o.dataset.agent = a.id; o.dataset.presence = a.presence; tf.agent.appendChild(o); } });
  // Colleagues' presence while a dialog that lists them is open: asked at once, then every 3 s.
  var presencePoll = null;
  function refreshPresence() {
    fetch("/desktop/colleagues/", {credentials: "same-origin"}).then(function (r) { return r.ok ? r.json() : {agents: []}; }).then(function (j) {
      j.agents.forEach(function (a) {
        Array.prototype.forEach.call(document.querySelectorAll('option[data-agent="' + a.id + '"]'), function (o) { o.textContent = presenceLabel(a); o.dataset.presence = a.presence; });
      });
    });
  }
  window.ccaasWatchPresence = function (d) {
    refreshPresence(); clearInterval(presencePoll);
    presencePoll = setInterval(function () { if (d.open) refreshPresence(); else clearInterval(presencePoll); }, 3000);
  };
  window.ccaasPresenceLabel = presenceLabel;
  B.queues.forEach(function (q) { var o = el("option", "", q.name); o.value = q.id; tf.queue.appendChild(o); });
  B.dispositions.forEach(function (d) { var o = el("option", "", d.name); o.value = d.id; rf.disposition.appendChild(o); });
  $("btn-transfer").addEventListener("click", function () { $("transfer-error").textContent = ""; openDialog($("transfer-dialog")); window.ccaasWatchPresence($("transfer-dialog")); });
  $("btn-resolve").addEventListener("click", function () { $("resolve-error").textContent = ""; openDialog($("resolve-dialog")); });
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
    var row = $("inbox").querySelector("li[tabindex='0']"); if (row) row.focus();
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
    else if (f.type === "messaging.status" && f.interaction_id === current) showDelivery(f.seq, {status: f.status, error: f.error});
    else if (f.type === "assignments.changed") loadInbox();
    else if (f.type === "interaction.resolved" && f.interaction_id === current) { setReadOnly(true); api("GET", "interactions/" + current + "/detail").then(renderDetail); }
    else if (f.type === "typing" && f.by === "customer" && f.interaction_id === current) $("agent-typing").hidden = !f.active;
    else if (f.type === "read" && f.by === "customer" && f.interaction_id === current) showSeen(f.seq);
    else if (f.type === "journey.updated" && current_detail && current_detail.contact && current_detail.contact.id === f.contact_id) loadJourney(f.contact_id);
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
    else if (k === "t" && current && !$("btn-transfer").hidden) { e.preventDefault(); $("btn-transfer").click(); }
    else if (k === "e" && current && !$("btn-resolve").hidden) { e.preventDefault(); $("btn-resolve").click(); }
    else if (k === "1" || k === "2" || k === "3") { e.preventDefault(); document.querySelectorAll(".tabs button")[+k - 1].click(); }
  });
  loadInbox();
})();
