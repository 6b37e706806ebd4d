// Draw the finance report's charts from the JSON the page embeds (json_script).
(function () {
  "use strict";
  var source = document.getElementById("report-charts");
  if (!source || typeof Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);

  // Okabe-Ito colours, as the sales report's charts (static/js/reports.js).
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

  draw(
    "chart-trend",
    "line",
    [
      { label: data.trend.cashLabel, data: data.trend.cash },
      { label: data.trend.revenueLabel, data: data.trend.revenue, borderDash: [4, 4] },
    ],
    data.trend.labels
  );
  draw(
    "chart-refund-classes",
    "bar",
    [{ label: data.refundClasses.label, data: data.refundClasses.values }],
    data.refundClasses.labels,
    { scales: { y: { beginAtZero: true } } }
  );
  draw(
    "chart-refund-consultants",
    "bar",
    [{ label: data.refundConsultants.label, data: data.refundConsultants.values }],
    data.refundConsultants.labels,
    { scales: { y: { beginAtZero: true } } }
  );
})();
