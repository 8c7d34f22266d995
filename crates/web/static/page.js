// A recording's page with a media player: any element carrying
// data-seek="SECONDS" (a moment, a timed word, a point of a chart) moves
// the player there and plays from it; data-start on the player (a cited
// moment) is where it opens.
(function () {
  "use strict";
  var player = document.getElementById("player");
  if (!player) {
    return;
  }

  function seek(seconds) {
    if (!isFinite(seconds) || seconds < 0) {
      return;
    }
    player.currentTime = seconds;
    var playing = player.play();
    if (playing && playing.catch) {
      // A browser may refuse to play without a gesture it counts; the
      // position is still set.
      playing.catch(function () {});
    }
  }

  var start = parseFloat(player.getAttribute("data-start"));
  if (isFinite(start) && start > 0) {
    var opened = function () {
      player.currentTime = start;
    };
    if (player.readyState >= 1) {
      opened();
    } else {
      player.addEventListener("loadedmetadata", opened, { once: true });
    }
  }

  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target.closest("[data-seek]") : null;
    if (!target) {
      return;
    }
    event.preventDefault();
    seek(parseFloat(target.getAttribute("data-seek")));
  });
})();
