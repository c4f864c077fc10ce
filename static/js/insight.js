// The portfolio dashboard's charts (Apache ECharts), drawn from the data the page passes with
// json_script: no inline script (CSP). Each chart has its data table beside it, which screen
// readers and print use; the charts are hidden from both.
(function () {
  "use strict";
  var source = document.getElementById("insight-charts");
  if (!source || !window.echarts) {
    return;
  }
  var data = JSON.parse(source.textContent);
  var lang = document.documentElement.lang || "en";
  var money = new Intl.NumberFormat(lang, { style: "currency", currency: "CNY" });
  var compact = new Intl.NumberFormat(lang, { notation: "compact", maximumFractionDigits: 1 });
  var palette = ["#0d6efd", "#198754", "#fd7e14", "#6f42c1", "#d63384", "#20c997", "#6c757d",
    "#ffc107", "#0dcaf0", "#dc3545"];

  function barOption(series) {
    return {
      color: palette,
      grid: { left: 8, right: 16, top: 8, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis", valueFormatter: function (v) { return money.format(v); } },
      xAxis: { type: "value", axisLabel: { formatter: function (v) { return compact.format(v); } } },
      yAxis: { type: "category", inverse: true, data: series.labels,
        axisLabel: { width: 140, overflow: "truncate" } },
      series: [{ type: "bar", barMaxWidth: 32, data: series.values }]
    };
  }

  function pieOption(series) {
    return {
      color: palette,
      tooltip: { trigger: "item", valueFormatter: function (v) { return money.format(v); } },
      series: [{
        type: "pie", radius: ["35%", "70%"],
        data: series.labels.map(function (label, i) { return { name: label, value: series.values[i] }; })
      }]
    };
  }

  function trendOption(trend) {
    return {
      color: palette,
      legend: { top: 0 },
      grid: { left: 8, right: 8, top: 36, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: trend.days },
      yAxis: [
        { type: "value", axisLabel: { formatter: function (v) { return compact.format(v); } } },
        { type: "value", axisLabel: { formatter: "{value}%" } }
      ],
      series: [
        { name: trend.names.balance, type: "bar", barMaxWidth: 48, data: trend.balance,
          tooltip: { valueFormatter: function (v) { return money.format(v); } } },
        { name: trend.names.npl, type: "line", yAxisIndex: 1, data: trend.npl },
        { name: trend.names.special_mention, type: "line", yAxisIndex: 1, data: trend.special_mention }
      ]
    };
  }

  var charts = [];
  document.querySelectorAll("[data-chart]").forEach(function (element) {
    var name = element.getAttribute("data-chart");
    var option;
    if (name === "trend") {
      option = trendOption(data.trend);
    } else if (element.getAttribute("data-kind") === "pie") {
      option = pieOption(data.breakdowns[name]);
    } else {
      option = barOption(data.breakdowns[name]);
    }
    var chart = window.echarts.init(element, null, { renderer: "canvas" });
    chart.setOption(option);
    charts.push(chart);
  });
  window.addEventListener("resize", function () {
    charts.forEach(function (chart) { chart.resize(); });
  });
})();
