// The county page's chart: contacted / not contacted per town, one bar each.
(function () {
  if (typeof Chart === "undefined") return;
  var data = JSON.parse(document.getElementById("chart-data").textContent);
  var labels = JSON.parse(document.getElementById("chart-labels").textContent);
  Chart.defaults.font.family = "system-ui, 'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif";
  Chart.defaults.animation = false;
  var box = document.getElementById("town-chart").parentNode;
  box.style.height = Math.max(160, 44 + 30 * data.towns.length) + "px";
  new Chart(document.getElementById("town-chart"), {
    type: "bar",
    data: {
      labels: data.towns,
      datasets: [
        { label: labels.contacted, data: data.contacted, backgroundColor: "#2e7d32" },
        { label: labels.uncontacted, data: data.uncontacted, backgroundColor: "#c62828" },
      ],
    },
    options: {
      indexAxis: "y",
      maintainAspectRatio: false,
      scales: { x: { stacked: true, beginAtZero: true }, y: { stacked: true } },
    },
  });
})();
