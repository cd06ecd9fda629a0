// The evaluation page: a comment's time jumps the recording there; a new comment takes the player's time.
(function () {
  var player = document.getElementById("player");
  document.querySelectorAll(".jump").forEach(function (b) {
    b.addEventListener("click", function () {
      if (!player) return;
      player.currentTime = parseFloat(b.dataset.at) || 0;
      player.play().catch(function () {});
    });
  });
  var at = document.getElementById("comment-at"), shown = document.getElementById("comment-at-shown");
  if (player && at) {
    player.addEventListener("timeupdate", function () {
      var t = Math.round(player.currentTime * 10) / 10;
      at.value = String(t);
      if (shown) shown.textContent = String(t);
    });
  }
})();
