// The county page's chart: contacted / not contacted per town (bars.js).
(function () {
  if (typeof Chart === "undefined") return;
  var page = bangfuChartPage(), data = page.data, labels = page.labels;
  bangfuBars(document.getElementById("town-chart"), data.towns, data.contacted, data.uncontacted, labels);
})();
