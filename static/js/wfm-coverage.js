/* The planner's coverage chart: agents required and scheduled per interval of the day (uPlot, vendored),
   in the schedule's time zone. */
(function () {
  "use strict";
  var el = document.getElementById("coverage-chart"), raw = document.getElementById("coverage-data");
  if (!el || !raw || !window.uPlot) return;
  var d = JSON.parse(raw.textContent), L = d.labels;
  if (!d.x.length) return;
  var stepped = uPlot.paths && uPlot.paths.stepped ? uPlot.paths.stepped({align: 1}) : undefined;
  function size() { return {width: Math.max(320, el.clientWidth), height: 260}; }
  var plot = new uPlot({
    width: size().width, height: size().height,
    tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1e3), d.time_zone); },
    series: [
      {label: L.time},
      {label: L.required, stroke: "#c0392b", width: 2, paths: stepped},
      {label: L.scheduled, stroke: "#2f5bea", width: 2, fill: "rgba(47,91,234,.12)", paths: stepped}
    ],
    scales: {y: {range: function (u, lo, hi) { return [0, Math.max(1, hi)]; }}}
  }, [d.x, d.required, d.scheduled], el);
  window.addEventListener("resize", function () { plot.setSize(size()); });
})();
