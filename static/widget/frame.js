/* The chat inside the widget iframe. Talks to /ws/widget/ on the tenant's host; nothing here trusts the
   embedding page except the context it sends, and only from an allowed origin. */
(function () {
  "use strict";
  var C = window.CCAAS_WIDGET, T = window.CCAAS_T;
  var $ = function (id) { return document.getElementById(id); };
  var log = $("log"), input = $("input"), statusEl = $("status");
  var storeKey = "ccaas:visitor:" + C.key;
  var ws = null, init = null, lastSeq = 0, seen = {}, interaction = null, retry = 500, pollTimer = null;
  var pending = {}, typingTimer = null, opened = false, memory = {}, waiting = [], invited = null, welcomed = false;
  // Third-party iframes often may not use storage; the loader keeps the token on the host page.
  var store = {
    get: function (k) { try { return localStorage.getItem(k); } catch (e) { return memory[k] || null; } },
    set: function (k, v) { memory[k] = v; try { localStorage.setItem(k, v); } catch (e) { /* blocked */ } }
  };

  function fmt(s, vars) { return s.replace(/%\((\w+)\)s/g, function (_, k) { return vars[k]; }); }
  function send(frame) { if (ws && ws.readyState === 1) ws.send(JSON.stringify(frame)); }
  function setStatus(text) { statusEl.hidden = !text; statusEl.textContent = text || ""; }
  function show(id, on) { $(id).hidden = !on; }
  // The connection, always on screen until it is live: connecting, reconnecting, offline.
  function setConn(state) {
    var el = $("conn");
    el.dataset.state = state;
    el.textContent = state === "offline" ? T.offlineNet : state === "reconnecting" ? T.reconnecting : T.connecting;
  }
  // A message the server refused (or that could not leave) stays, marked "not sent", with why and a retry.
  function failed(id, reason) {
    var el = pending[id]; if (!el) return;
    delete pending[id];
    el.classList.remove("pending"); el.classList.add("failed");
    var note = document.createElement("span"); note.className = "fail";
    note.textContent = T.notSent + (reason ? ": " + reason : "");
    var again = document.createElement("button"); again.type = "button"; again.textContent = T.retry;
    again.addEventListener("click", function () { var body = el.dataset.body; el.remove(); sendMessage(body); });
    note.appendChild(again); el.appendChild(note);
  }
  // help.js offers help articles while no conversation is open.
  function conversationOpen(open) { if (window.ccaasHelp) window.ccaasHelp.conversation(open); }
  function sendMessage(body) {
    var id = Math.random().toString(36).slice(2);
    conversationOpen(true);
    var el = document.createElement("div"); el.className = "msg customer pending"; el.textContent = body;
    el.dataset.body = body; el.dataset.clientId = id;
    log.appendChild(el); pending[id] = el; log.scrollTop = log.scrollHeight;
    // Written while connecting: it goes as soon as the socket is welcomed. Offline: not sent, say so.
    if (!ws || ws.readyState !== 1) {
      if ($("conn").dataset.state === "offline" || navigator.onLine === false) failed(id, T.notConnected);
      else waiting.push(id);
      return;
    }
    send({type: "message.send", body: body, client_id: id});
  }

  function render(m) {
    if (seen[m.seq]) return;  // delivered twice (reconnect, join race): keep one
    seen[m.seq] = true;
    lastSeq = Math.max(lastSeq, m.seq);
    if (m.client_id) {  // our own message came back: drop its placeholder (pending, or marked not sent too early)
      delete pending[m.client_id];
      Array.prototype.forEach.call(log.querySelectorAll(".msg.customer:not([data-seq])"), function (p) {
        if (p.dataset.clientId === m.client_id) p.remove();
      });
    }
    var el = document.createElement("div");
    el.className = "msg " + m.kind;
    el.dataset.seq = m.seq;
    if (m.kind === "agent" && m.author) {
      var who = document.createElement("span"); who.className = "who"; who.textContent = m.author.name;
      el.appendChild(who);
    }
    var body = document.createElement("span"); body.className = "body"; body.textContent = m.body || "";
    el.appendChild(body);
    if (m.attachment) {
      var a = document.createElement("a"); a.textContent = "\u2398 " + m.attachment.name; a.href = m.attachment.url;
      a.target = "_blank"; a.rel = "noopener"; el.appendChild(a);
    }
    // Keep the log in seq order even if frames arrive out of order.
    var after = null;
    Array.prototype.forEach.call(log.querySelectorAll(".msg[data-seq]"), function (x) {
      if (!after && +x.dataset.seq > m.seq) after = x;
    });
    log.insertBefore(el, after);
    log.scrollTop = log.scrollHeight;
    if (m.kind !== "customer") {
      if (!opened || document.hidden) parent.postMessage({type: "ccaas:unread"}, "*");
      markRead();
    }
  }

  function markRead() { if (opened && !document.hidden && interaction) send({type: "read", seq: lastSeq}); }

  function applyState(state) {
    interaction = state;
    if (!state) return;
    if (state.agent) { $("subtitle").textContent = state.agent.name; $("avatar").textContent = state.agent.name[0]; }
    if (state.routing_status === "queued" && state.position) {
      var text = fmt(T.queued, {p: state.position});
      if (state.ewt_seconds > 0) text += " " + fmt(T.ewt, {m: Math.max(1, Math.round(state.ewt_seconds / 60))});
      if (state.ewt_seconds < 0) text += " " + T.noAgents;
      setStatus(text);
      if (!pollTimer) pollTimer = setInterval(function () { send({type: "position.get"}); }, 10000);
    } else if (state.routing_status === "callback" && state.status !== "resolved") {
      // Back after the queue offered a callback: the number asked for and where it stands, or the form.
      if (pollTimer) { clearInterval(pollTimer); pollTimer = null; }
      if (state.callback) { show("callback", false); callbackState(state.callback); }
      else { setStatus(""); show("callback", true); show("composer", false); }
    } else {
      setStatus("");
      if (pollTimer) { clearInterval(pollTimer); pollTimer = null; }
    }
    if (state.status === "resolved" && !state.rated) { show("csat", true); show("composer", false); }
  }

  var handlers = {
    welcome: function (f) {
      store.set(storeKey, f.visitor_token);
      parent.postMessage({type: "ccaas:visitor", token: f.visitor_token}, init.origin);
      $("title").textContent = C.greeting;
      (f.messages || []).forEach(render);
      applyState(f.interaction);
      conversationOpen(!!f.interaction);
      show("offline", f.offline && !f.interaction);
      show("offline-none", f.offline_reason === "no_agents");
      show("offline-closed", f.offline_reason !== "no_agents");
      // Sent before a reconnect and never echoed back (the welcome carries what was missed): not sent.
      Object.keys(pending).forEach(function (id) { if (waiting.indexOf(id) < 0) failed(id, T.notConnected); });
      waiting.forEach(function (id) {
        if (pending[id]) send({type: "message.send", body: pending[id].dataset.body, client_id: id});
      });
      waiting = [];
      show("composer", !(f.offline && !f.interaction) && $("callback").hidden);
      offlineNow = !!f.offline;
      show("callbar", !f.offline && !call);
      if (C.prechat && !f.contact.name && !f.interaction && !f.offline && !invited) showPrechat(true); else show("prechat", false);
      welcomed = true;
      if (invited) send({type: "invitation.accept", token: invited.token});
    },
    // A proactive invitation the visitor took on the page: the business's words open the chat, no
    // form first; a "call me" invitation starts the call at once.
    "invitation.ok": function (f) {
      invited = null;
      showPrechat(false);
      var el = document.createElement("div"); el.className = "msg agent invitation";
      var body = document.createElement("span"); body.className = "body"; body.textContent = f.message; el.appendChild(body);
      log.appendChild(el); log.scrollTop = log.scrollHeight;
      if (f.action === "voice" || f.action === "video") startCall(f.action === "voice" ? "audio" : "video");
      else input.focus();
    },
    "conversation.started": function (f) { (f.messages || []).forEach(render); applyState(f.interaction); conversationOpen(true); },
    messages: function (f) { f.messages.forEach(render); },
    message: function (f) { render(f.message); },
    position: function (f) { applyState(f.interaction); },
    "interaction.assigned": function (f) {
      setStatus(""); $("subtitle").textContent = f.agent.name; $("avatar").textContent = f.agent.name[0];
      if (pollTimer) { clearInterval(pollTimer); pollTimer = null; }
    },
    "interaction.queued": function () { send({type: "position.get"}); },
    // The queue overflowed to a callback: the customer may leave a number and keep their place.
    "interaction.callback_offered": function () {
      show("callback", true); show("composer", false); setStatus(""); $("callback-phone").focus();
    },
    "callback.ok": function (f) { show("callback", false); callbackState(f.callback); },
    "callback.updated": function (f) { callbackState(f.callback); },
    "interaction.resolved": function () { show("csat", true); show("composer", false); setStatus(""); },
    typing: function (f) { if (f.by === "agent") show("typing", f.active); },
    read: function (f) {
      if (f.by !== "agent") return;
      var old = log.querySelector(".receipt"); if (old) old.remove();
      var r = document.createElement("div"); r.className = "receipt"; r.textContent = T.read; log.appendChild(r);
    },
    "prechat.ok": function () { showPrechat(false); input.focus(); },
    "offline.ok": function () { show("offline", false); setStatus(T.offlineSent); },
    "csat.ok": function () { show("csat", false); setStatus(T.thanks); },
    error: function (f) {
      if (f.code === "unknown_invitation") invited = null;
      if (f.code === "prechat_required") showPrechat(true);  // the form first, then the message
      if (f.client_id && pending[f.client_id]) { failed(f.client_id, f.message); return; }
      if (f.code === "invalid" && !$("prechat").hidden && f.fields && (f.fields.name || f.fields.email)) {
        fieldError("name", (f.fields.name || [""])[0]); fieldError("email", (f.fields.email || [""])[0]);
        var bad = $("prechat").querySelector("[aria-invalid=true]"); if (bad) bad.focus();
        return;
      }
      if (f.code === "rate_limited") Object.keys(pending).forEach(function (id) { failed(id, f.message); });
      var where = f.code === "invalid" && !$("prechat").hidden ? "prechat"
        : (!$("offline").hidden ? "offline" : (!$("callback").hidden ? "callback" : null));
      if (where) { document.querySelector("[data-for=" + where + "]").textContent = f.message; return; }
      setStatus(f.message);
    }
  };

  // --- calls --------------------------------------------------------------------------------------
  var call = null, callId = null, callPoll = null, agentName = "";
  function callState(text) { $("call-state").textContent = text; }
  function endCall(text) {
    if (call) call.close();
    call = null; callId = null;
    if (callPoll) { clearInterval(callPoll); callPoll = null; }
    show("call", false); show("callbar", true);
    setStatus(text || "");
  }
  function startCall(mode) {
    if (call) return;
    if (!ws || ws.readyState !== 1) { setStatus(T.notConnected); return; }  // never a call that silently goes nowhere
    show("callbar", false); show("call", true); callState(T.callWaiting);
    send({type: "call.start", mode: mode});
  }
  $("call-voice").addEventListener("click", function () { startCall("audio"); });
  $("call-video").addEventListener("click", function () { startCall("video"); });
  $("call-oneway").addEventListener("click", function () { startCall("oneway"); });
  $("call-hangup").addEventListener("click", function () { if (callId) send({type: "call.hangup", call_id: callId}); endCall(T.callEnded); });
  $("call-mute").addEventListener("click", function () {
    if (!call) return;
    var on = !call.muted; call.setMuted(on);
    this.setAttribute("aria-pressed", String(on)); this.textContent = on ? T.unmute : T.mute;
    send({type: "call.mute", call_id: callId, muted: on});
  });
  $("call-mode").addEventListener("change", function () { if (callId) send({type: "call.mode", call_id: callId, mode: this.value}); });
  $("call-screen").addEventListener("click", function () {
    if (!call) return;
    var b = this;
    if (call.screen) { call.stopScreen(); b.textContent = T.share; return; }
    call.shareScreen().then(function () { b.textContent = T.stopShare; }).catch(function (e) { setStatus(e.message); });
  });
  function showCallQueue(q) {
    if (!q) return;
    if (q.routing_status === "queued" || q.routing_status === "offered") {
      var text = q.position ? fmt(T.calling, {p: q.position}) : T.callWaiting;
      if (q.ewt_seconds > 0) text += " " + fmt(T.ewt, {m: Math.max(1, Math.round(q.ewt_seconds / 60))});
      callState(text);
    }
  }
  function applyCall(c, change) {
    var agent = c.parties.filter(function (p) { return p.role === "agent"; })[0];
    if (agent) agentName = agent.name;
    $("call-mode").value = c.mode;
    if (call) {
      if (call.mode !== c.mode) call.setMode(c.mode);
      call.setHeld(c.state === "held");
      c.parties.forEach(function (p) { if (!p.joined) return; if (p.party !== "customer" && !call.peers[p.party]) { /* they connect to us */ } });
      Object.keys(call.peers).forEach(function (k) { if (!c.parties.some(function (p) { return p.party === k; })) call.drop(k); });
    }
    if (c.state === "ended") { endCall(c.end_reason === "media_lost" ? T.mediaLost : T.callEnded); return; }
    // Waiting or on hold in a video call: the worker's ringback or hold video instead of the agent.
    var fromWorker = c.mode !== "audio" && (c.state === "queued" || c.state === "held");
    $("worker-video").hidden = !fromWorker; $("remote-video").hidden = fromWorker;
    if (c.state === "held") callState(T.onHold);
    else if (c.state === "active") { callState(fmt(T.inCall, {name: agentName})); if (callPoll) { clearInterval(callPoll); callPoll = null; } }
    else if (c.state === "queued" && change === "transferred") callState(T.callWaiting);
  }
  var callHandlers = {
    "call.joined": function (f) {
      callId = f.call_id;
      $("call-notice").hidden = !f.call.recorded;
      call = new window.CcaasCall({
        send: send, callId: f.call_id, party: f.party, role: f.role, mode: f.call.mode, iceServers: f.ice_servers, mediaLeg: f.media_leg,
        els: {localVideo: $("local-video"), workerAudio: $("worker-audio"), workerVideo: $("worker-video")},
        onEvent: function (kind, e) {
          if (kind === "track") {
            if (e.track.kind === "audio") { $("remote-audio").srcObject = new MediaStream([e.track]); }
            else { $("remote-video").srcObject = new MediaStream([e.track]); }
          } else if (kind === "annotation") window.CcaasDrawStroke($("annotations"), e);
        }
      });
      window.ccaasCall = call;
      call.start().catch(function (e) { setStatus(fmt(T.noMic, {e: e.message})); send({type: "call.hangup", call_id: f.call_id}); endCall(); });
      applyCall(f.call); showCallQueue(f.queue);
      callPoll = setInterval(function () { if (callId) send({type: "call.position", call_id: callId}); }, 5000);
    },
    "call.position": function (f) { if (call && f.call_id === callId) showCallQueue(f.queue); },
    "call.media.answer": function (f) { if (call && f.call_id === callId) call.onWorkerAnswer(f); },
    "call.signal": function (f) { if (call && f.call_id === callId) call.onSignal(f); },
    "call.updated": function (f) { if (f.call.call_id === callId) applyCall(f.call, f.change); },
    "call.media_lost": function (f) { if (f.call_id === callId) endCall(T.mediaLost); }
  };
  Object.keys(callHandlers).forEach(function (k) { handlers[k] = callHandlers[k]; });
  var chatError = handlers.error;
  handlers.error = function (f) {
    if (f.call_id && !call) { endCall(f.message); return; }
    if (f.call_id) { setStatus(f.message); return; }
    if (f.code === "call_in_progress" || (f.fields && f.fields.mode)) { endCall(f.message); return; }
    chatError(f);
  };

  var retryTimer = null;
  function connect() {
    clearTimeout(retryTimer);
    if (ws && ws.readyState <= 1) return;
    setConn(navigator.onLine === false ? "offline" : lastSeq || ws ? "reconnecting" : "connecting");
    var sock = ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/widget/");
    ws.onopen = function () {
      if (sock !== ws) return;
      retry = 500;
      setConn("live");
      send({type: "hello", key: C.key, origin: init.origin, visitor_token: store.get(storeKey) || init.visitor,
            identity_token: init.token || null, page: init.page, last_seq: lastSeq});
    };
    ws.onmessage = function (e) {
      if (sock !== ws) return;
      var f = JSON.parse(e.data);
      if (handlers[f.type]) handlers[f.type](f);
    };
    ws.onclose = function (e) {
      // A socket closed while going offline may finish closing after its successor opened: it no longer
      // speaks for the widget (it must not mark the successor's messages "not sent").
      if (sock !== ws) return;
      if (call) endCall(T.callEnded);  // the server ends a call whose customer socket is gone
      Object.keys(pending).forEach(function (id) { if (waiting.indexOf(id) < 0) failed(id, T.notConnected); });
      waiting.forEach(function (id) {
        if (pending[id]) send({type: "message.send", body: pending[id].dataset.body, client_id: id});
      });
      waiting = [];
      if (e.code === 4403) return;
      setConn(navigator.onLine === false ? "offline" : "reconnecting");
      retryTimer = setTimeout(connect, retry);
      retry = Math.min(retry * 2, 10000);
    };
  }
  window.addEventListener("offline", function () { setConn("offline"); if (ws) ws.close(); });
  window.addEventListener("online", function () { retry = 500; connect(); });

  window.addEventListener("message", function (e) {
    if (!e.data || typeof e.data !== "object") return;
    if (C.allowedOrigins.indexOf(e.origin) === -1) return;  // only the business's own pages
    if (e.data.type === "ccaas:init") {
      var first = !init, before = init && init.token;
      init = {origin: e.origin, token: e.data.token, page: e.data.page, visitor: e.data.visitor};
      // The loader says init on the frame's load and when this script is ready: reconnect only for a
      // new identity (a reconnect for nothing could catch the customer's first message in between).
      if (first) connect(); else if (ws && ws.readyState === 1 && (e.data.token || "") !== (before || "")) ws.close();
    }
    if (e.data.type === "ccaas:opened") { opened = true; markRead(); input.focus(); }
    if (e.data.type === "ccaas:invited" && typeof e.data.token === "string") {
      invited = {token: e.data.token, action: e.data.action};
      if (welcomed) send({type: "invitation.accept", token: invited.token});
    }
    if (e.data.type === "ccaas:closed") opened = false;
  });
  parent.postMessage({type: "ccaas:ready"}, "*");

  $("composer").addEventListener("submit", function (e) {
    e.preventDefault();
    var body = input.value.trim();
    if (!body) return;
    sendMessage(body);
    send({type: "typing", active: false});
    input.value = "";
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); $("composer").requestSubmit(); }
  });
  input.addEventListener("input", function () {
    send({type: "typing", active: true});
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () { send({type: "typing", active: false}); }, 2500);
  });
  $("file").addEventListener("change", function () {
    var file = this.files[0]; if (!file) return;
    var data = new FormData();
    data.append("file", file); data.append("key", C.key); data.append("visitor_token", store.get(storeKey) || init.visitor);
    fetch("/widget/upload/", {method: "POST", body: data}).then(function (r) { return r.json(); }).then(function (j) {
      if (j.error) setStatus(j.error.message);
    });
    this.value = "";
  });
  // The pre-chat form: while it is asked for, the message box is not offered (the server refuses a
  // first message without it too). What is wrong is said at the field.
  var offlineNow = false;
  function showPrechat(on) {
    show("prechat", on);
    // Calls too wait for the form: they would reach the agent without the name and email asked for.
    show("callbar", !on && !offlineNow && !call);
    if (on) show("composer", false);
    else if (!interaction || interaction.status !== "resolved") show("composer", true);
  }
  function fieldError(name, text) {
    var f = $("prechat").elements[name], out = $("prechat-" + name + "-error");
    out.textContent = text || "";
    if (text) f.setAttribute("aria-invalid", "true"); else f.removeAttribute("aria-invalid");
  }
  function checkPrechatField(f) {
    var v = f.value.trim();
    if (!v) return f.dataset.missing;
    if (f.type === "email" && (!f.validity.valid || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v))) return f.dataset.invalid;
    return "";
  }
  ["name", "email"].forEach(function (n) {
    var f = $("prechat").elements[n];
    f.addEventListener("blur", function () { if (f.value) fieldError(n, checkPrechatField(f)); });
    f.addEventListener("input", function () { if (f.getAttribute("aria-invalid")) fieldError(n, checkPrechatField(f)); });
  });
  $("prechat").addEventListener("submit", function (e) {
    e.preventDefault();
    var form = this, first = null;
    document.querySelector("[data-for=prechat]").textContent = "";
    ["name", "email"].forEach(function (n) {
      var problem = checkPrechatField(form.elements[n]); fieldError(n, problem);
      if (problem && !first) first = form.elements[n];
    });
    if (first) { first.focus(); return; }
    send({type: "prechat.submit", name: form.name.value, email: form.email.value});
  });
  function callbackState(c) {
    if (c.phone) callbackPhone = c.phone;
    var text = c.state === "queued" && c.position ? fmt(T.callbackQueued, {phone: callbackPhone, p: c.position})
      : c.state === "requested" && c.attempts && c.next_attempt_at
        ? fmt(T.callbackRetry, {time: new Date(c.next_attempt_at).toLocaleTimeString([], {hour: "2-digit", minute: "2-digit"})})
        : (T["callback_" + c.state] || "");
    if (text) setStatus(text);
  }
  var callbackPhone = "";
  $("callback").addEventListener("submit", function (e) {
    e.preventDefault();
    document.querySelector("[data-for=callback]").textContent = "";
    send({type: "callback.request", phone: this.phone.value});
  });
  $("offline").addEventListener("submit", function (e) {
    e.preventDefault();
    send({type: "offline.submit", name: this.name.value, email: this.email.value, body: this.body.value});
  });
  $("csat").addEventListener("submit", function (e) {
    e.preventDefault();
    var score = this.querySelector("input[name=score]:checked");
    if (!score) return;
    send({type: "csat", score: +score.value, comment: this.comment.value});
  });
  $("close").addEventListener("click", function () { parent.postMessage({type: "ccaas:close"}, "*"); });
  document.addEventListener("visibilitychange", markRead);
})();
