// One horizontal bar per row (a village, a town): contacted in green, not contacted in red,
// the box tall enough to read whether there are 3 rows or 25. Used by overview.js, county.js.
// bangfuChartPage: the page's chart data and labels (JSON in the page), Chart.js set up alike.
window.bangfuChartPage = function () {
  Chart.defaults.font.family = "system-ui, 'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif";
  Chart.defaults.animation = false;
  return {
    data: JSON.parse(document.getElementById("chart-data").textContent),
    labels: JSON.parse(document.getElementById("chart-labels").textContent),
  };
};
window.bangfuBars = function (canvas, names, contacted, uncontacted, labels) {
  canvas.parentNode.style.height = Math.max(160, 44 + 30 * names.length) + "px";
  return new Chart(canvas, {
    type: "bar",
    data: {
      labels: names,
      datasets: [
        { label: labels.contacted, data: contacted, backgroundColor: "#2e7d32" },
        { label: labels.uncontacted, data: uncontacted, backgroundColor: "#c62828" },
      ],
    },
    options: {
      indexAxis: "y",
      maintainAspectRatio: false,
      scales: { x: { stacked: true, beginAtZero: true }, y: { stacked: true } },
    },
  });
};
