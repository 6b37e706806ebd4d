// Draw the sales report's charts from the JSON the page embeds (json_script).
(function () {
  "use strict";
  var source = document.getElementById("report-charts");
  if (!source || typeof Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);

  function draw(id, type, datasets, labels, options) {
    var canvas = document.getElementById(id);
    if (!canvas) {
      return;
    }
    new Chart(canvas, {
      type: type,
      data: { labels: labels, datasets: datasets },
      options: Object.assign(
        { responsive: true, animation: false, plugins: { legend: { display: datasets.length > 1 } } },
        options || {}
      ),
    });
  }

  draw("chart-sources", "bar", [{ data: data.sources.values }], data.sources.labels);
  draw("chart-funnel", "bar", [{ data: data.funnel.values }], data.funnel.labels, {
    indexAxis: "y",
  });
  draw("chart-classes", "bar", [{ data: data.classes.values }], data.classes.labels);
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
    data.activity.labels
  );
})();
