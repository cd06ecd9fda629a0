/* One call in the browser, shared by the widget and the agent desktop (no framework).

   Media paths (docs/architecture.md, Media): every pair of parties talks peer to peer (a mesh when a
   supervisor or expert joins), with the perfect-negotiation pattern over the page's WebSocket
   (`call.signal`); the customer and the call's agent also send a copy of their tracks to the media
   worker (`call.media`), which records them and plays ringback and hold back.

   Each peer connection is made with one audio and one video transceiver, so switching mode, camera
   or screen share is `replaceTrack`, without renegotiation. Annotations travel on a data channel as
   normalised coordinates (0..1 of the video's box). */
(function () {
  "use strict";

  function CallSession(o) {
    this.o = o;                 // {send, callId, party, role, mode, iceServers, mediaLeg, els, onEvent}
    this.peers = {};            // party -> {pc, polite, makingOffer, ignoreOffer, dc, audio, video}
    this.mic = null; this.cam = null; this.screen = null;
    this.muted = false; this.held = false; this.mode = o.mode;
    this.worker = null; this.strokes = 0;
  }
  var P = CallSession.prototype;

  P.wantsCamera = function () {
    if (this.mode === "audio") return false;
    if (this.mode === "oneway") return this.o.role !== "customer"; // the customer is not seen
    return true;
  };

  P.start = function () {
    var self = this;
    // One-way video: the customer's browser asks for the microphone only.
    return navigator.mediaDevices.getUserMedia({audio: true, video: this.wantsCamera()}).then(function (s) {
      self.mic = s.getAudioTracks()[0] || null;
      self.cam = s.getVideoTracks()[0] || null;
      self.showLocal();
      self.attachLocal();
      // The leg to the worker (recording, ringback, hold) opens beside the call: the parties' own
      // connection never waits for its ICE gathering (up to 2 s) or for the worker's answer, and a
      // worker leg that fails costs the recording, not the call.
      if (self.o.mediaLeg) self.openWorkerLeg().catch(function (e) { console.warn("worker leg", e); });
    });
  };

  // The other party's offer can arrive before our microphone and camera are ready: the peer then
  // answered with empty senders. Put the tracks on every peer's senders once we have them.
  P.attachLocal = function () {
    Object.keys(this.peers).forEach(function (k) {
      var p = this.peers[k];
      if (p.audio) p.audio.sender.replaceTrack(this.mic).catch(function () {});
      if (p.video) p.video.sender.replaceTrack(this.videoTrack()).catch(function () {});
    }, this);
    this.applyHold();
  };

  P.videoTrack = function () { return this.screen || (this.wantsCamera() ? this.cam : null); };

  P.showLocal = function () {
    var v = this.o.els.localVideo; if (!v) return;
    var t = this.videoTrack();
    v.srcObject = t ? new MediaStream([t]) : null;
    v.hidden = !t;
  };

  // --- the leg to the media worker (recording, ringback, hold) ----------------------------------
  P.openWorkerLeg = function () {
    var self = this, pc = new RTCPeerConnection({iceServers: this.o.iceServers || []});
    this.worker = pc;
    this.workerAudio = pc.addTransceiver(this.mic || "audio", {direction: "sendrecv"});
    if (this.o.mode !== "audio") this.workerVideo = pc.addTransceiver(this.videoTrack() || "video", {direction: "sendrecv"});
    pc.ontrack = function (e) {
      // Ringback and hold media: heard (and, on video calls, seen) while waiting or held.
      if (e.track.kind === "audio") { self.o.els.workerAudio.srcObject = new MediaStream([e.track]); self.o.els.workerAudio.play().catch(function () {}); }
      else if (self.o.els.workerVideo) { self.o.els.workerVideo.srcObject = new MediaStream([e.track]); }
    };
    return pc.createOffer().then(function (offer) { return pc.setLocalDescription(offer); }).then(function () {
      return self.gathered(pc);
    }).then(function () {
      self.o.send({type: "call.media", call_id: self.o.callId, description: {type: "offer", sdp: pc.localDescription.sdp}});
    });
  };

  P.gathered = function (pc) {
    // Non-trickle towards the worker: wait (briefly) for our candidates to be in the offer.
    return new Promise(function (resolve) {
      if (pc.iceGatheringState === "complete") return resolve();
      var done = function () { if (pc.iceGatheringState === "complete") { pc.removeEventListener("icegatheringstatechange", done); resolve(); } };
      pc.addEventListener("icegatheringstatechange", done);
      setTimeout(resolve, 2000);
    });
  };

  P.onWorkerAnswer = function (f) {
    if (this.worker) this.worker.setRemoteDescription(f.description).catch(function (e) { console.warn("worker answer", e); });
  };

  // --- peers ---------------------------------------------------------------------------------------
  P.peer = function (party, initiator) {
    var self = this, p = this.peers[party];
    if (p) return p;
    var pc = new RTCPeerConnection({iceServers: this.o.iceServers || []});
    p = this.peers[party] = {pc: pc, polite: this.o.party > party, makingOffer: false, ignoreOffer: false, dc: null};
    if (initiator) {
      p.audio = pc.addTransceiver(this.mic || "audio", {direction: "sendrecv"});
      p.video = pc.addTransceiver(this.videoTrack() || "video", {direction: "sendrecv"});
    }
    pc.ontrack = function (e) { self.o.onEvent("track", {party: party, track: e.track}); };
    pc.onicecandidate = function (e) {
      self.o.send({type: "call.signal", call_id: self.o.callId, to: party, candidate: e.candidate ? e.candidate.toJSON() : {candidate: ""}});
    };
    pc.onnegotiationneeded = function () {
      p.makingOffer = true;
      pc.setLocalDescription().then(function () {
        self.o.send({type: "call.signal", call_id: self.o.callId, to: party, description: pc.localDescription.toJSON()});
      }).catch(function (e) { console.warn(e); }).then(function () { p.makingOffer = false; });
    };
    pc.onconnectionstatechange = function () { self.o.onEvent("peer", {party: party, state: pc.connectionState}); };
    pc.ondatachannel = function (e) { self.useChannel(p, e.channel); };
    if (initiator) this.useChannel(p, pc.createDataChannel("annotations"));
    this.applyHold();
    return p;
  };

  // Perfect negotiation (https://w3c.github.io/webrtc-pc/#perfect-negotiation-example).
  P.onSignal = function (f) {
    var p = this.peer(f.from, false), pc = p.pc, self = this;
    if (f.description) {
      var d = f.description;
      var collision = d.type === "offer" && (p.makingOffer || pc.signalingState !== "stable");
      p.ignoreOffer = !p.polite && collision;
      if (p.ignoreOffer) return;
      pc.setRemoteDescription(d).then(function () {
        if (d.type === "offer" && !p.audio) self.adopt(p);
        if (d.type === "offer") return pc.setLocalDescription().then(function () {
          self.o.send({type: "call.signal", call_id: self.o.callId, to: f.from, description: pc.localDescription.toJSON()});
        });
      }).catch(function (e) { console.warn("signal", e); });
    } else if (f.candidate) {
      pc.addIceCandidate(f.candidate.candidate ? f.candidate : null).catch(function (e) { if (!p.ignoreOffer) console.warn(e); });
    }
  };

  // The answering side sends on the transceivers the offer made (no extra m-lines, no renegotiation).
  P.adopt = function (p) {
    p.pc.getTransceivers().forEach(function (t) {
      var kind = t.receiver.track.kind;
      if (kind === "audio" && !p.audio) p.audio = t;
      if (kind === "video" && !p.video) p.video = t;
    });
    if (p.audio) { p.audio.direction = "sendrecv"; p.audio.sender.replaceTrack(this.mic); }
    if (p.video) { p.video.direction = "sendrecv"; p.video.sender.replaceTrack(this.videoTrack()); }
    this.applyHold();
  };

  P.connectTo = function (parties) {
    var self = this;
    parties.forEach(function (x) { if (x.party !== self.o.party && x.joined && !self.peers[x.party]) self.peer(x.party, true); });
  };

  P.drop = function (party) {
    var p = this.peers[party]; if (!p) return;
    p.pc.close(); delete this.peers[party];
    this.o.onEvent("peer", {party: party, state: "closed"});
  };

  // --- annotations ----------------------------------------------------------------------------------
  P.useChannel = function (p, dc) {
    var self = this; p.dc = dc;
    dc.onmessage = function (e) {
      var m; try { m = JSON.parse(e.data); } catch (err) { return; }
      if (m.t === "stroke" || m.t === "clear") { self.strokes += m.t === "stroke" ? 1 : 0; self.o.onEvent("annotation", m); }
    };
  };
  P.annotate = function (m) {
    var sent = 0;
    Object.keys(this.peers).forEach(function (k) { var dc = this.peers[k].dc; if (dc && dc.readyState === "open") { dc.send(JSON.stringify(m)); sent++; } }, this);
    return sent;
  };

  // --- controls ------------------------------------------------------------------------------------
  P.eachVideoSender = function (fn) {
    Object.keys(this.peers).forEach(function (k) { if (this.peers[k].video) fn(this.peers[k].video.sender); }, this);
    if (this.workerVideo) fn(this.workerVideo.sender);
  };
  P.refreshVideo = function () {
    var t = this.videoTrack();
    this.eachVideoSender(function (s) { s.replaceTrack(t).catch(function () {}); });
    this.showLocal();
  };
  P.setMode = function (mode) {
    var self = this; this.mode = mode;
    if (this.wantsCamera() && !this.cam) {
      return navigator.mediaDevices.getUserMedia({video: true}).then(function (s) { self.cam = s.getVideoTracks()[0]; self.refreshVideo(); });
    }
    if (!this.wantsCamera() && this.cam) { this.cam.stop(); this.cam = null; }
    this.refreshVideo();
    return Promise.resolve();
  };
  P.setMuted = function (muted) { this.muted = muted; this.applyHold(); };
  P.setHeld = function (held) { this.held = held; this.applyHold(); };
  P.applyHold = function () {
    // On hold neither side hears the other; the customer hears the worker's hold music.
    var live = !this.held;
    if (this.mic) this.mic.enabled = live && !this.muted;
    Object.keys(this.peers).forEach(function (k) {
      this.peers[k].pc.getReceivers().forEach(function (r) { if (r.track) r.track.enabled = live; });
    }, this);
  };
  P.shareScreen = function () {
    var self = this;
    return navigator.mediaDevices.getDisplayMedia({video: true}).then(function (s) {
      self.screen = s.getVideoTracks()[0];
      self.screen.onended = function () { self.stopScreen(); };
      self.refreshVideo();
      self.o.send({type: "call.screen", call_id: self.o.callId, active: true});
    });
  };
  P.stopScreen = function () {
    if (!this.screen) return;
    this.screen.stop(); this.screen = null; this.refreshVideo();
    this.o.send({type: "call.screen", call_id: this.o.callId, active: false});
  };

  // Bytes received so far, by kind, over the peer-to-peer connections (for the call's health line).
  P.inboundBytes = function (kind) {
    var self = this;
    return Promise.all(Object.keys(this.peers).map(function (k) { return self.peers[k].pc.getStats(); })).then(function (all) {
      var total = 0;
      all.forEach(function (stats) { stats.forEach(function (r) { if (r.type === "inbound-rtp" && r.kind === kind) total += r.bytesReceived || 0; }); });
      return total;
    });
  };

  P.close = function () {
    Object.keys(this.peers).forEach(function (k) { this.peers[k].pc.close(); }, this);
    this.peers = {};
    if (this.worker) { this.worker.close(); this.worker = null; }
    [this.mic, this.cam, this.screen].forEach(function (t) { if (t) t.stop(); });
    this.mic = this.cam = this.screen = null;
  };

  // Draws strokes (normalised points) on a canvas laid over a video.
  function drawStroke(canvas, m) {
    var ctx = canvas.getContext("2d"), w = canvas.width = canvas.clientWidth || canvas.width, h = canvas.height = canvas.clientHeight || canvas.height;
    canvas._strokes = canvas._strokes || [];
    if (m.t === "clear") canvas._strokes = []; else canvas._strokes.push(m);
    ctx.clearRect(0, 0, w, h);
    canvas._strokes.forEach(function (s) {
      ctx.strokeStyle = s.color || "#e11d48"; ctx.lineWidth = 3; ctx.lineJoin = ctx.lineCap = "round";
      ctx.beginPath();
      s.pts.forEach(function (pt, i) { var x = pt[0] * w, y = pt[1] * h; if (i) ctx.lineTo(x, y); else ctx.moveTo(x, y); });
      ctx.stroke();
    });
    canvas.dataset.strokes = String(canvas._strokes.length);
  }

  window.CcaasCall = CallSession;
  window.CcaasDrawStroke = drawStroke;
})();
