// The overview's two charts: contacted / not contacted per village, and 12 months' coverage.
(function () {
  if (typeof Chart === "undefined") return;
  var data = JSON.parse(document.getElementById("chart-data").textContent);
  var labels = JSON.parse(document.getElementById("chart-labels").textContent);
  Chart.defaults.font.family = "system-ui, 'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif";
  Chart.defaults.animation = false;
  // One bar per village, tall enough to read whether a town has 3 villages or 25.
  var villages = document.getElementById("village-chart").parentNode;
  villages.style.height = Math.max(160, 44 + 30 * data.villages.length) + "px";
  new Chart(document.getElementById("village-chart"), {
    type: "bar",
    data: {
      labels: data.villages,
      datasets: [
        { label: labels.contacted, data: data.village_contacted, backgroundColor: "#2e7d32" },
        { label: labels.uncontacted, data: data.village_uncontacted, backgroundColor: "#c62828" },
      ],
    },
    options: {
      indexAxis: "y",
      maintainAspectRatio: false,
      scales: { x: { stacked: true, beginAtZero: true }, y: { stacked: true } },
    },
  });
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
