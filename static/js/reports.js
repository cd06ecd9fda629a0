/* The report's chart: offered, answered and abandoned per period (bars of lines), the service level
   on its own scale, and with "compare" the previous period's offered, dashed, at the same positions.
   Times are the tenant's (uPlot.tzDate), not the browser's. */
(function () {
  "use strict";
  var el = document.getElementById("report-chart"), raw = document.getElementById("report-data");
  if (!el || !raw || !window.uPlot) return;
  var d = JSON.parse(raw.textContent), L = d.labels;
  if (!d.x.length) return;
  var data = [d.x, d.offered, d.answered, d.abandoned, d.service_level];
  var series = [
    {label: L.time},
    {label: L.offered, stroke: "#2f5bea", width: 2},
    {label: L.answered, stroke: "#4c9a6a", width: 2},
    {label: L.abandoned, stroke: "#c0392b", width: 2},
    {label: L.service_level, stroke: "#c47f17", width: 2, dash: [4, 4], scale: "%"}
  ];
  if (d.previous_offered) { data.push(d.previous_offered); series.push({label: L.previous_offered, stroke: "#8fa6f0", width: 1, dash: [8, 4]}); }
  function size() { return {width: Math.max(320, el.clientWidth), height: 280}; }
  var plot = new uPlot({
    width: size().width, height: size().height,
    tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1e3), d.time_zone); },
    series: series,
    // Half a period of room at both ends (a single period would otherwise span years).
    scales: {"%": {range: [0, 100]}, x: {auto: false, range: [d.x[0] - d.step / 2, d.x[d.x.length - 1] + d.step / 2]}},
    axes: [{}, {}, {side: 1, scale: "%", grid: {show: false}, values: function (u, v) { return v.map(function (x) { return x + "%"; }); }}]
  }, data, el);
  window.addEventListener("resize", function () { plot.setSize(size()); });
})();
