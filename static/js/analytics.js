/* The analytics page's charts: the customers' average sentiment per day (overall and at the end, on a
   fixed -1..1 scale) and each topic's interactions per day. Days are the tenant's (plain dates). */
(function () {
  "use strict";
  var raw = document.getElementById("analytics-data");
  if (!raw || !window.uPlot) return;
  var d = JSON.parse(raw.textContent);
  if (!d.days.length) return;
  var x = d.days.map(function (day) { return Date.parse(day + "T12:00:00Z") / 1000; });
  var colours = ["#2f5bea", "#c0392b", "#4c9a6a", "#c47f17", "#8e44ad", "#16a085", "#7f8c8d", "#d35400"];
  var utc = function (ts) { return uPlot.tzDate(new Date(ts * 1e3), "UTC"); };
  var range = [x[0] - 43200, x[x.length - 1] + 43200];

  function draw(el, series, data, scales) {
    if (!el) return;
    function size() { return {width: Math.max(320, el.clientWidth), height: 240}; }
    var plot = new uPlot({width: size().width, height: size().height, tzDate: utc, series: series,
      scales: Object.assign({x: {time: true, auto: false, range: range}}, scales || {})}, data, el);
    window.addEventListener("resize", function () { plot.setSize(size()); });
  }

  draw(document.getElementById("sentiment-chart"),
    [{label: d.labels.time}, {label: d.labels.customer, stroke: colours[0], width: 2, spanGaps: true, points: {show: true}},
     {label: d.labels.end, stroke: colours[1], width: 2, dash: [4, 4], spanGaps: true, points: {show: true}}],
    [x, d.customer, d.end], {y: {auto: false, range: [-1, 1]}});

  if (d.topics.length) {
    var series = [{label: d.labels.time}], data = [x];
    d.topics.forEach(function (t, i) {
      series.push({label: t.name, stroke: colours[i % colours.length], width: 2, points: {show: true}});
      data.push(t.counts);
    });
    draw(document.getElementById("topics-chart"), series, data);
  }
})();
