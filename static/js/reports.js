// Draw the sales report's charts from the JSON the page embeds (json_script).
(function () {
  "use strict";
  var source = document.getElementById("report-charts");
  if (!source || typeof Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);

  // Counts (leads, enrollments, follow-ups) are whole numbers: their axis
  // never shows 0.5. Money axes keep Chart.js's default (decimal) ticks.
  function countAxis(axis) {
    var scales = {};
    scales[axis] = { beginAtZero: true, ticks: { precision: 0 } };
    return scales;
  }

  // Okabe-Ito colours: told apart by readers with any common colour-vision
  // deficiency (and the second line is dashed as well).
  var PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7"];

  function draw(id, type, datasets, labels, options) {
    var canvas = document.getElementById(id);
    if (!canvas) {
      return;
    }
    datasets.forEach(function (dataset, i) {
      var colour = PALETTE[i % PALETTE.length];
      dataset.borderColor = dataset.borderColor || colour;
      dataset.backgroundColor = dataset.backgroundColor || colour;
    });
    new Chart(canvas, {
      type: type,
      data: { labels: labels, datasets: datasets },
      options: Object.assign(
        { responsive: true, animation: false, plugins: { legend: { display: datasets.length > 1 } } },
        options || {}
      ),
    });
  }

  draw("chart-sources", "bar", [{ data: data.sources.values }], data.sources.labels, {
    scales: countAxis("y"),
  });
  draw("chart-funnel", "bar", [{ data: data.funnel.values }], data.funnel.labels, {
    indexAxis: "y",
    scales: countAxis("x"),
  });
  draw("chart-classes", "bar", [{ data: data.classes.values }], data.classes.labels, {
    scales: countAxis("y"),
  });
  draw(
    "chart-trend",
    "line",
    [
      { label: data.trend.label, data: data.trend.values },
      { label: data.trend.previousLabel, data: data.trend.previous, borderDash: [4, 4] },
    ],
    data.trend.labels
  );
  draw(
    "chart-activity",
    "bar",
    [
      { label: data.activity.label, data: data.activity.values },
      { label: data.activity.staleLabel, data: data.activity.stale },
    ],
    data.activity.labels,
    { scales: countAxis("y") }
  );
})();
