/* The evaluation page's player: each party's audio track plays together (kept in step with the first),
   a party can be muted, the video (if any) follows silently; the lanes show who spoke when and a click
   there, or on a comment's time, plays from that moment. A new comment takes the player's time. */
(function () {
  "use strict";
  var box = document.querySelector(".track-player");
  var at = document.getElementById("comment-at"), shown = document.getElementById("comment-at-shown");
  if (!box) return;
  var audios = Array.prototype.slice.call(box.querySelectorAll("audio"));
  var video = box.querySelector("video");
  var media = audios.concat(video ? [video] : []);
  var master = audios[0] || video;
  if (!master) return;
  var duration = parseFloat(box.dataset.duration) || 0;
  var play = box.querySelector('[data-act="play"]'), seek = box.querySelector('[data-act="seek"]');
  var time = box.querySelector('[data-role="time"]'), heads = box.querySelectorAll('[data-role="playhead"]');
  function clock(t) { t = Math.max(0, Math.floor(t)); return Math.floor(t / 60) + ":" + String(t % 60).padStart(2, "0"); }
  box.querySelector('[data-role="duration"]').textContent = clock(duration);
  function goTo(t) {
    t = Math.max(0, Math.min(duration, t));
    media.forEach(function (m) { try { m.currentTime = t; } catch (e) { /* not loaded yet */ } });
    show(t);
  }
  function show(t) {
    var tenth = Math.round(t * 10) / 10;
    time.textContent = clock(t);
    seek.value = String(tenth);
    box.dataset.position = String(tenth);
    heads.forEach(function (h) { h.style.left = (duration ? 100 * t / duration : 0) + "%"; });
    if (at) at.value = String(tenth);
    if (shown) shown.textContent = String(tenth);
  }
  function start() {
    media.forEach(function (m) { if (m !== master) m.currentTime = master.currentTime; m.play().catch(function () {}); });
  }
  function stop() { media.forEach(function (m) { m.pause(); }); }
  play.addEventListener("click", function () { if (master.paused) start(); else stop(); });
  master.addEventListener("play", function () { play.textContent = "❚❚"; play.setAttribute("aria-label", play.dataset.pause); box.dataset.state = "playing"; });
  master.addEventListener("pause", function () { play.textContent = "▶"; play.setAttribute("aria-label", play.dataset.play); box.dataset.state = "paused"; });
  master.addEventListener("ended", stop);
  master.addEventListener("timeupdate", function () {
    show(master.currentTime);
    // The other tracks drift a little: pulled back when more than 0.15 s away.
    media.forEach(function (m) { if (m !== master && !master.paused && Math.abs(m.currentTime - master.currentTime) > 0.15) m.currentTime = master.currentTime; });
  });
  seek.addEventListener("input", function () { goTo(parseFloat(seek.value) || 0); });
  box.querySelector('[data-act="rate"]').addEventListener("change", function (e) {
    media.forEach(function (m) { m.playbackRate = parseFloat(e.target.value) || 1; });
  });
  box.querySelectorAll('[data-act="mute"]').forEach(function (b) {
    b.addEventListener("click", function () {
      var track = box.querySelector('audio[data-party="' + b.dataset.party + '"]');
      if (!track) return;
      track.muted = !track.muted;
      b.setAttribute("aria-pressed", String(track.muted));
    });
  });
  box.querySelectorAll('.lane-bar[data-act="jump"]').forEach(function (bar) {
    bar.addEventListener("click", function (e) {
      var r = bar.getBoundingClientRect();
      goTo(duration * (e.clientX - r.left) / r.width);
      start();
    });
  });
  document.querySelectorAll(".jump").forEach(function (b) {
    b.addEventListener("click", function () { goTo(parseFloat(b.dataset.at) || 0); start(); });
  });
})();
