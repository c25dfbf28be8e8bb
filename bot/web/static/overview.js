// The overview's two charts: contacted / not contacted per village (bars.js), and 12 months'
// coverage.
(function () {
  if (typeof Chart === "undefined") return;
  var page = bangfuChartPage(), data = page.data, labels = page.labels;
  bangfuBars(document.getElementById("village-chart"), data.villages, data.village_contacted,
             data.village_uncontacted, labels);
  new Chart(document.getElementById("trend-chart"), {
    type: "line",
    data: {
      labels: data.months,
      datasets: [{ label: labels.coverage + " %", data: data.coverage, borderColor: "#1565c0",
                   backgroundColor: "#1565c0", spanGaps: true }],
    },
    options: { maintainAspectRatio: false, scales: { y: { min: 0, max: 100 } } },
  });
})();
