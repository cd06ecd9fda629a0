/* The call panel of the agent desktop: answer (with the offer), talk, hold, mode, screen share,
   drawing on the customer's video or screen, snapshots, inviting a colleague, transfer, hang up;
   and the calls (with recordings, for supervisors) of the open conversation. */
(function () {
  "use strict";
  var T = window.CCAAS_CALL_T, B = window.CCAAS_BOOT;
  var $ = function (id) { return document.getElementById(id); };
  var csrf = (document.cookie.match(/csrftoken=([^;]+)/) || [])[1] || "";
  var call = null, callId = null, callInteraction = null, callsShownFor = null, me = null, timer = null, answeredAt = null, drawing = false, stroke = null, pendingInvite = null;

  function send(frame) { var ws = window.ccaasSocket; if (ws && ws.readyState === 1) ws.send(JSON.stringify(frame)); }
  function toast(text) { var t = $("toast"); t.textContent = text; t.hidden = false; clearTimeout(t._h); t._h = setTimeout(function () { t.hidden = true; }, 3500); }
  function fmt(s, v) { return s.replace(/%\((\w+)\)s/g, function (_, k) { return v[k]; }); }
  function mmss(s) { s = Math.max(0, Math.round(s)); return Math.floor(s / 60) + ":" + ("0" + s % 60).slice(-2); }

  function status(text) { $("call-status").textContent = text; }
  // The customer as the inbox names them ("Visitor 3"), when the call has no name for them.
  function partyName(p, c) {
    if (p.name) return p.name;
    if (p.role === "customer") return window.ccaasContactName(c.interaction_id) || T.customer;
    return p.role;
  }
  function endCall(text) {
    if (call) call.close();
    if (callId) refreshCallsUntilEnded(callInteraction, callId);
    call = null; callId = null; callInteraction = null; me = null; clearInterval(timer); timer = null;
    $("call-panel").hidden = true;
    if (text) toast(text);
    document.dispatchEvent(new CustomEvent("ccaas:call-ended"));  // desktop-identity.js
  }
  window.ccaasCurrentCallId = function () { return callId; };

  function applyCall(c, change) {
    if (c.state === "ended") { endCall(c.end_reason === "media_lost" ? T.mediaLost : T.ended); return; }
    var mine = c.parties.filter(function (p) { return p.party === me.party; })[0];
    if (!mine) { endCall(change === "transferred" ? T.transferred : T.ended); return; }
    me.role = mine.role;
    var customer = c.parties.filter(function (p) { return p.role === "customer"; })[0];
    $("call-mode").value = c.mode;
    $("call-rec").hidden = !c.recorded;
    $("call-people").textContent = c.parties.map(function (p) { return partyName(p, c) + (p.muted ? " 🔇" : "") + (p.sharing ? " 🖥" : ""); }).join(" · ");
    status(c.state === "held" ? T.held : c.state === "queued" ? T.waiting : fmt(T.talking, {name: customer ? partyName(customer, c) : T.customer}));
    $("call-hold").textContent = c.state === "held" ? T.resume : T.hold;
    $("call-hold").setAttribute("aria-pressed", String(c.state === "held"));
    ["call-hold", "call-transfer", "call-invite"].forEach(function (id) { $(id).hidden = me.role !== "agent"; });
    if (c.answered_at && !answeredAt) answeredAt = new Date(c.answered_at);
    if (call) {
      if (call.mode !== c.mode) call.setMode(c.mode);
      call.setHeld(c.state === "held");
      Object.keys(call.peers).forEach(function (k) { if (!c.parties.some(function (p) { return p.party === k; })) call.drop(k); });
      call.connectTo(c.parties);
    }
  }

  function join(f) {
    callId = f.call_id; callInteraction = f.call.interaction_id; me = {party: f.party, role: f.role}; answeredAt = f.call.answered_at ? new Date(f.call.answered_at) : new Date();
    $("call-panel").hidden = false;
    call = new window.CcaasCall({
      send: send, callId: f.call_id, party: f.party, role: f.role, mode: f.call.mode, iceServers: f.ice_servers, mediaLeg: f.media_leg,
      els: {localVideo: $("call-local-video"), workerAudio: $("call-worker-audio")},
      onEvent: function (kind, e) {
        if (kind !== "track") return;
        // In a conference the customer's video is the one shown; every party's audio is played.
        if (e.track.kind === "audio") {
          var a = document.createElement("audio"); a.autoplay = true; a.dataset.party = e.party; a.srcObject = new MediaStream([e.track]);
          $("call-panel").appendChild(a);
        } else if (e.party === "customer") $("call-remote-video").srcObject = new MediaStream([e.track]);
      }
    });
    window.ccaasCall = call;
    call.start().then(function () { applyCall(f.call); }).catch(function (e) { toast(fmt(T.noDevice, {e: e.message})); });
    clearInterval(timer);
    timer = setInterval(function () { if (answeredAt) $("call-timer").textContent = mmss((Date.now() - answeredAt) / 1000); }, 1000);
  }

  // --- controls --------------------------------------------------------------------------------------
  $("call-hangup").addEventListener("click", function () { if (callId) send({type: "call.hangup", call_id: callId}); endCall(T.ended); });
  $("call-mute").addEventListener("click", function () {
    if (!call) return;
    var on = !call.muted; call.setMuted(on);
    this.setAttribute("aria-pressed", String(on)); this.textContent = on ? T.unmute : T.mute;
    send({type: "call.mute", call_id: callId, muted: on});
  });
  $("call-hold").addEventListener("click", function () {
    if (callId) send({type: this.getAttribute("aria-pressed") === "true" ? "call.resume" : "call.hold", call_id: callId});
  });
  $("call-mode").addEventListener("change", function () { if (callId) send({type: "call.mode", call_id: callId, mode: this.value}); });
  $("call-screen").addEventListener("click", function () {
    if (!call) return;
    var b = this;
    if (call.screen) { call.stopScreen(); b.textContent = T.share; return; }
    call.shareScreen().then(function () { b.textContent = T.stopShare; }).catch(function (e) { toast(e.message); });
  });

  // Drawing: strokes in coordinates normalised to the video box, sent on the data channel.
  var canvas = $("call-draw");
  $("call-annotate").addEventListener("click", function () {
    drawing = !drawing; this.setAttribute("aria-pressed", String(drawing)); canvas.classList.toggle("on", drawing);
  });
  $("call-clear").addEventListener("click", function () { if (call) { call.annotate({t: "clear"}); window.CcaasDrawStroke(canvas, {t: "clear"}); } });
  function point(e) { var r = canvas.getBoundingClientRect(); return [Math.min(1, Math.max(0, (e.clientX - r.left) / r.width)), Math.min(1, Math.max(0, (e.clientY - r.top) / r.height))]; }
  canvas.addEventListener("pointerdown", function (e) { if (drawing && call) { stroke = {t: "stroke", color: "#e11d48", pts: [point(e)]}; canvas.setPointerCapture(e.pointerId); } });
  canvas.addEventListener("pointermove", function (e) { if (stroke) stroke.pts.push(point(e)); });
  canvas.addEventListener("pointerup", function () {
    if (!stroke) return;
    if (stroke.pts.length > 1) { stroke.pts = stroke.pts.map(function (p) { return [Math.round(p[0] * 1000) / 1000, Math.round(p[1] * 1000) / 1000]; }); call.annotate(stroke); window.CcaasDrawStroke(canvas, stroke); }
    stroke = null;
  });

  $("call-snapshot").addEventListener("click", function () {
    var v = $("call-remote-video");
    if (!callId || !v.videoWidth) { toast(T.noVideo); return; }
    var c = document.createElement("canvas"); c.width = v.videoWidth; c.height = v.videoHeight;
    c.getContext("2d").drawImage(v, 0, 0);
    c.toBlob(function (blob) {
      var data = new FormData(); data.append("file", blob, "snapshot-" + new Date().toISOString().replace(/[:.]/g, "-") + ".jpg");
      fetch("/api/v1/calls/" + callId + "/snapshots", {method: "POST", body: data, headers: {"X-CSRFToken": csrf}, credentials: "same-origin"})
        .then(function (r) { return r.json().then(function (j) { if (!r.ok) throw j.error; toast(T.snapshot); }); })
        .catch(function (e) { toast(e.message || String(e)); });
    }, "image/jpeg", 0.9);
  });

  // Invite a colleague (conference), transfer (warm to someone in the call, else blind).
  B.agents.forEach(function (a) {
    if (a.user_id === B.user.id) return;
    var o = document.createElement("option"); o.value = a.user_id; o.dataset.agent = a.id; o.textContent = window.ccaasPresenceLabel(a); $("call-invite-user").appendChild(o);
    var t = document.createElement("option"); t.value = "agent:" + a.user_id; t.textContent = a.name; $("call-transfer-to").appendChild(t);
  });
  B.queues.forEach(function (q) { var o = document.createElement("option"); o.value = "queue:" + q.id; o.textContent = T.queue + ": " + q.name; $("call-transfer-to").appendChild(o); });
  $("call-invite").addEventListener("click", function () { $("call-invite-error").textContent = ""; window.ccaasOpenDialog($("call-invite-dialog")); window.ccaasWatchPresence($("call-invite-dialog")); });
  $("call-invite-form").addEventListener("submit", function (e) {
    if (e.submitter && e.submitter.value === "cancel") return;
    e.preventDefault(); pendingInvite = "invite";
    send({type: "call.invite", call_id: callId, user_id: +$("call-invite-user").value});
  });
  $("call-transfer").addEventListener("click", function () { $("call-transfer-error").textContent = ""; window.ccaasOpenDialog($("call-transfer-dialog")); });
  $("call-transfer-form").addEventListener("submit", function (e) {
    if (e.submitter && e.submitter.value === "cancel") return;
    e.preventDefault(); pendingInvite = "transfer";
    var to = $("call-transfer-to").value.split(":"), frame = {type: "call.transfer", call_id: callId, note: this.note.value};
    frame[to[0] === "agent" ? "to_agent_id" : "to_queue_id"] = +to[1];
    send(frame);
  });

  var invitation = null;
  $("call-invited-join").addEventListener("click", function () { if (invitation) send({type: "call.join", call_id: invitation}); $("call-invited").hidden = true; });
  $("call-invited-dismiss").addEventListener("click", function () { $("call-invited").hidden = true; invitation = null; });

  // --- the calls of the open conversation -------------------------------------------------------------
  function showCalls(interactionId) {
    callsShownFor = interactionId;
    return fetch("/api/v1/interactions/" + interactionId + "/calls", {credentials: "same-origin"}).then(function (r) { return r.ok ? r.json() : []; }).then(function (calls) {
      if (callsShownFor !== interactionId) return calls;
      var box = $("calls-list"); box.textContent = "";
      if (!calls.length) return;
      var h = document.createElement("h3"); h.textContent = T.calls; box.appendChild(h);
      calls.forEach(function (c) {
        var d = document.createElement("div"); d.className = "call-row";
        var parts = [c.mode, c.state];
        if (c.wait_seconds !== null) parts.push(T.wait + " " + mmss(c.wait_seconds));
        if (c.talk_seconds !== null) parts.push(T.talk + " " + mmss(c.talk_seconds));
        if (c.hold_seconds) parts.push(T.hold_ + " " + mmss(c.hold_seconds));
        d.textContent = parts.join(" · ");
        if (c.events && c.events.length) d.appendChild(window.ccaasTime(c.events[0].at));
        if (c.recording) {
          // A recording with video plays in a video element (both parties' tracks are in the file).
          var hasVideo = c.mode !== "audio";
          var a = document.createElement(hasVideo ? "video" : "audio"); a.controls = true; a.preload = "none"; a.src = c.recording.url; a.className = "recording";
          var cap = document.createElement("div"); cap.className = "muted small";
          cap.textContent = T.recording + " " + mmss(c.recording.duration) + " · " + Math.round(c.recording.size / 1024) + " KB" + (c.recording.complete ? "" : " " + T.incomplete);
          d.appendChild(cap); d.appendChild(a);
        }
        box.appendChild(d);
      });
      return calls;
    });
  }
  // A call that ended: the list shows it ended (the server may commit the end a moment after the
  // hang-up is sent, so ask again a few times until it says so).
  function refreshCallsUntilEnded(interactionId, endedCallId, tries) {
    tries = tries || 0;
    if (!interactionId || callsShownFor !== interactionId) return;
    showCalls(interactionId).then(function (calls) {
      var c = (calls || []).filter(function (x) { return x.call_id === endedCallId; })[0];
      if (c && c.state !== "ended" && tries < 8) setTimeout(function () { refreshCallsUntilEnded(interactionId, endedCallId, tries + 1); }, 500 * (tries + 1));
    });
  }

  document.addEventListener("ccaas:frame", function (e) {
    var f = e.detail;
    if (f.type === "offer.accept.ok" && f.call) send({type: "call.join", call_id: f.call.call_id});
    else if (f.type === "call.joined") join(f);
    else if (f.type === "call.media.answer" && call && f.call_id === callId) call.onWorkerAnswer(f);
    else if (f.type === "call.signal" && call && f.call_id === callId) call.onSignal(f);
    else if (f.type === "call.updated" && me && f.call.call_id === callId) applyCall(f.call, f.change);
    else if (f.type === "call.media_lost" && f.call_id === callId) endCall(T.mediaLost);
    else if (f.type === "call.invited") {
      invitation = f.call.call_id;
      $("call-invited-text").textContent = fmt(T.invited, {by: f.by, customer: f.customer || window.ccaasContactName(f.call.interaction_id) || T.customer});
      $("call-invited").hidden = false;
    } else if (f.type === "call.invite.ok") { $("call-invite-dialog").close(); toast(T.invitedOk); }
    else if (f.type === "call.transfer.ok") { $("call-transfer-dialog").close(); }
    else if (f.type === "interaction.history") showCalls(f.interaction_id);
    else if (f.type === "call.recording_ready" && callsShownFor) showCalls(callsShownFor);
    else if (f.type === "call.updated" && f.call.state === "ended" && f.call.interaction_id === callsShownFor) showCalls(callsShownFor);
    else if (f.type === "error" && f.call_id && pendingInvite) {
      $(pendingInvite === "invite" ? "call-invite-error" : "call-transfer-error").textContent = f.message;
    }
    else if (f.type === "hello" && call) endCall(T.ended);  // reconnected: the server ended our calls
  });
})();
