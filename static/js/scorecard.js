// The scorecard's charts (Apache ECharts), drawn from the data the page passes with json_script:
// no inline script (CSP). Each chart has its data table beside it, which screen readers and print
// use; the charts are hidden from both.
(function () {
  "use strict";
  var source = document.getElementById("scorecard-charts");
  if (!source || !window.echarts) {
    return;
  }
  var data = JSON.parse(source.textContent);
  var lang = document.documentElement.lang || "en";
  var money = new Intl.NumberFormat(lang, { style: "currency", currency: "CNY" });
  var compact = new Intl.NumberFormat(lang, { notation: "compact", maximumFractionDigits: 1 });
  var palette = ["#0d6efd", "#198754", "#fd7e14", "#6f42c1", "#d63384", "#20c997", "#6c757d",
    "#ffc107", "#0dcaf0", "#dc3545"];

  // Each manager's composite score as a stack of the factors' points.
  function contributionsOption() {
    return {
      color: palette,
      legend: { top: 0, type: "scroll" },
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      xAxis: { type: "value", max: 100 },
      yAxis: { type: "category", inverse: true, data: data.managers,
        axisLabel: { width: 140, overflow: "truncate" } },
      series: data.contributions.map(function (factor) {
        return { name: factor.name, type: "bar", stack: "score", barMaxWidth: 32, data: factor.values };
      })
    };
  }

  // Volume beside the non-performing share of the book: volume alone does not make a good card.
  function volumeOption() {
    var volume = data.volume;
    return {
      color: palette,
      legend: { top: 0 },
      grid: { left: 8, right: 8, top: 36, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: data.managers },
      yAxis: [
        { type: "value", axisLabel: { formatter: function (v) { return compact.format(v); } } },
        { type: "value", axisLabel: { formatter: "{value}%" } }
      ],
      series: [
        { name: volume.names.amount, type: "bar", barMaxWidth: 48, data: volume.amount,
          tooltip: { valueFormatter: function (v) { return money.format(v); } } },
        { name: volume.names.npl, type: "line", yAxisIndex: 1, data: volume.npl,
          symbolSize: 12, lineStyle: { width: 0 } }
      ]
    };
  }

  var charts = [];
  var options = { contributions: contributionsOption, volume: volumeOption };
  document.querySelectorAll("[data-chart]").forEach(function (element) {
    var make = options[element.getAttribute("data-chart")];
    if (!make) {
      return;
    }
    var chart = window.echarts.init(element, null, { renderer: "canvas" });
    chart.setOption(make());
    charts.push(chart);
  });
  window.addEventListener("resize", function () {
    charts.forEach(function (chart) { chart.resize(); });
  });
})();
