// The process analytics' charts (Apache ECharts), drawn from the data the page passes with
// json_script: no inline script (CSP). Each chart has its data table beside it, which screen
// readers and print use; the charts are hidden from both.
(function () {
  "use strict";
  var source = document.getElementById("process-charts");
  if (!source || !window.echarts) {
    return;
  }
  var data = JSON.parse(source.textContent);
  var palette = ["#0d6efd", "#198754", "#fd7e14", "#6f42c1", "#d63384", "#20c997", "#6c757d",
    "#ffc107", "#0dcaf0", "#dc3545"];
  var grid = { left: 8, right: 16, top: 36, bottom: 8, containLabel: true };

  var options = {
    stages: function (d) {
      return {
        color: palette, legend: { top: 0 }, grid: grid, tooltip: { trigger: "axis" },
        xAxis: { type: "category", data: d.labels },
        yAxis: { type: "value" },
        series: [
          { name: d.names.median, type: "bar", data: d.median },
          { name: d.names.p90, type: "bar", data: d.p90 }
        ]
      };
    },
    holders: function (d) {
      return {
        color: palette, tooltip: { trigger: "item" },
        series: [{ type: "pie", radius: ["35%", "70%"], data: d }]
      };
    },
    funnel: function (d) {
      return {
        color: palette, tooltip: { trigger: "item" },
        series: [{ type: "funnel", sort: "none", left: "10%", width: "80%", data: d,
          label: { position: "inside" } }]
      };
    },
    returns: function (d) {
      return {
        color: palette, grid: grid, tooltip: { trigger: "axis" },
        xAxis: { type: "value", minInterval: 1 },
        yAxis: { type: "category", inverse: true, data: d.labels,
          axisLabel: { width: 180, overflow: "truncate" } },
        series: [{ type: "bar", barMaxWidth: 28, data: d.values }]
      };
    },
    heatmap: function (d) {
      return {
        grid: { left: 8, right: 16, top: 8, bottom: 56, containLabel: true },
        tooltip: { position: "top" },
        xAxis: { type: "category", data: d.weeks, splitArea: { show: true } },
        yAxis: { type: "category", inverse: true, data: d.rows,
          axisLabel: { width: 220, overflow: "truncate" }, splitArea: { show: true } },
        visualMap: { min: 0, max: Math.max(d.peak, 1), calculable: true, orient: "horizontal",
          left: "center", bottom: 0, inRange: { color: ["#fff5eb", "#fd8d3c", "#a63603"] } },
        series: [{ type: "heatmap", data: d.cells, label: { show: true } }]
      };
    },
    trend: function (d) {
      return {
        color: palette, legend: { top: 0, type: "scroll" }, grid: grid,
        tooltip: { trigger: "axis" },
        xAxis: { type: "category", data: d.weeks },
        yAxis: { type: "value", minInterval: 1 },
        series: d.series.map(function (s) { return { name: s.name, type: "line", data: s.data }; })
      };
    }
  };

  var charts = [];
  document.querySelectorAll("[data-chart]").forEach(function (element) {
    var name = element.getAttribute("data-chart");
    if (!options[name]) {
      return;
    }
    var chart = window.echarts.init(element, null, { renderer: "canvas" });
    chart.setOption(options[name](data[name]));
    charts.push(chart);
  });
  window.addEventListener("resize", function () {
    charts.forEach(function (chart) { chart.resize(); });
  });
})();
