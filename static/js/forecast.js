/* The forecast's chart: contacts and agents needed per interval, handle time on its own scale.
   Times are the tenant's (uPlot.tzDate), not the browser's. */
(function () {
  "use strict";
  var el = document.getElementById("forecast-chart"), raw = document.getElementById("forecast-data");
  if (!el || !raw || !window.uPlot) return;
  var d = JSON.parse(raw.textContent), L = d.labels;
  if (!d.x.length) return;
  function size() { return {width: Math.max(320, el.clientWidth), height: 280}; }
  var plot = new uPlot({
    width: size().width, height: size().height,
    tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1e3), d.time_zone); },
    series: [
      {label: L.time},
      {label: L.volume, stroke: "#2f5bea", width: 2},
      {label: L.agents, stroke: "#4c9a6a", width: 2},
      {label: L.aht, stroke: "#c47f17", width: 1, dash: [4, 4], scale: "s"}
    ],
    axes: [{}, {}, {side: 1, scale: "s", grid: {show: false}}]
  }, [d.x, d.volume, d.agents, d.aht], el);
  window.addEventListener("resize", function () { plot.setSize(size()); });
})();
