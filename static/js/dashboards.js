// Dashboard charts (ECharts, vendored). The numbers come from the page's JSON
// (<script type="application/json" id="dashboard-charts">, written by Django's json_script), and
// every chart repeats a table that is on the page already: the tables are the accessible view.
// Clicking a bar, slice or heat-map row opens the same filtered list as the table's link.
(function () {
  "use strict";

  var RED = "#b5121b";
  var PALETTE = [RED, "#e0832b", "#f2c14e", "#5b8e7d", "#4a6fa5", "#8d6a9f", "#9aa5b1"];
  var FONT = '"PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif';

  function go(url) {
    if (url) {
      window.location.href = url;
    }
  }

  function narrow(el) {
    return el.clientWidth < 480;
  }

  function barOption(data, el) {
    var horizontal = narrow(el) || data.labels.length > 5;
    var category = { type: "category", data: data.labels, axisLabel: { interval: 0, fontSize: 11 } };
    var value = {
      type: "value",
      minInterval: 1,
      max: data.unit === "%" ? 100 : null,
      axisLabel: { formatter: "{value}" + (data.unit === "%" ? "%" : "") },
    };
    if (horizontal) {
      category.inverse = true;
    } else {
      category.axisLabel.rotate = data.labels.length > 3 ? 20 : 0;
    }
    return {
      color: [RED],
      textStyle: { fontFamily: FONT },
      tooltip: {
        trigger: "axis",
        axisPointer: { type: "shadow" },
        valueFormatter: function (v) {
          return v === null || v === undefined ? "—" : v + (data.unit === "%" ? "%" : " " + data.unit);
        },
      },
      grid: { left: 8, right: 24, top: 16, bottom: 8, containLabel: true },
      xAxis: horizontal ? value : category,
      yAxis: horizontal ? category : value,
      series: [
        {
          type: "bar",
          name: data.title,
          data: data.values,
          barMaxWidth: 28,
          label: {
            show: true,
            position: horizontal ? "right" : "top",
            formatter: function (p) {
              return p.value === null || p.value === undefined ? "" : p.value + (data.unit === "%" ? "%" : "");
            },
          },
        },
      ],
    };
  }

  function pieOption(data) {
    return {
      color: PALETTE,
      textStyle: { fontFamily: FONT },
      tooltip: { trigger: "item", formatter: "{b}：{c} " + data.unit + "（{d}%）" },
      legend: { bottom: 0, type: "scroll" },
      series: [
        {
          type: "pie",
          name: data.title,
          radius: ["35%", "65%"],
          center: ["50%", "44%"],
          avoidLabelOverlap: true,
          label: { formatter: "{b}\n{c}" },
          data: data.labels.map(function (label, i) {
            return { name: label, value: data.values[i] };
          }),
        },
      ],
    };
  }

  function heatOption(data) {
    return {
      textStyle: { fontFamily: FONT },
      tooltip: {
        position: "top",
        formatter: function (p) {
          var v = p.data;
          var rate = v[data.rate_index] === null ? "无应完成期" : v[data.rate_index] + "%";
          return data.rows[v[1]] + " · " + data.cols[v[0]] + "<br>完成 " + v[3] + "/" + v[4] + " 期，" + rate;
        },
      },
      grid: { left: 8, right: 8, top: 8, bottom: 56, containLabel: true },
      xAxis: { type: "category", data: data.cols, splitArea: { show: true } },
      yAxis: { type: "category", data: data.rows, inverse: true, axisLabel: { fontSize: 11, width: 110, overflow: "truncate" } },
      visualMap: {
        // Colour by the completion rate. Left to itself ECharts colours a cell's last number (here the
        // count of periods due), so the dimension is named by the page's data, not assumed.
        dimension: data.rate_index,
        min: 0,
        max: 100,
        calculable: false,
        orient: "horizontal",
        left: "center",
        bottom: 0,
        itemHeight: 120,
        text: ["100%", "0%"],
        inRange: { color: ["#f8d7da", "#fff3cd", "#d1e7dd", "#198754"] },
      },
      series: [
        {
          type: "heatmap",
          name: data.title,
          // Cells with nothing due stay blank rather than reading as 0%.
          data: data.cells.filter(function (c) {
            return c[data.rate_index] !== null;
          }),
          label: { show: data.rows.length <= 12, fontSize: 10, formatter: function (p) { return p.data[data.rate_index] + "%"; } },
          emphasis: { itemStyle: { borderColor: "#333", borderWidth: 1 } },
        },
      ],
    };
  }

  function draw(el, data) {
    var height = 260;
    if (data.kind === "heatmap") {
      height = Math.max(160, data.rows.length * 22 + 90);
      if (height > 480) {
        // Many organs: the chart scrolls inside its card, the table below holds every row too.
        el.parentNode.style.maxHeight = "480px";
        el.parentNode.style.overflowY = "auto";
      }
    } else if (el.classList.contains("pb-chart-small")) {
      height = 180;
    } else if (data.kind === "bar" && (narrow(el) || data.labels.length > 5)) {
      height = Math.max(200, data.labels.length * 32 + 40);
    }
    el.style.height = height + "px";
    el.style.width = "100%";
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    var option = data.kind === "pie" ? pieOption(data) : data.kind === "heatmap" ? heatOption(data) : barOption(data, el);
    chart.setOption(option);
    chart.on("click", function (p) {
      if (data.kind === "heatmap") {
        go(data.links[p.data[1]]);
      } else {
        go(data.links[p.dataIndex]);
      }
    });
    return chart;
  }

  function init() {
    var source = document.getElementById("dashboard-charts");
    if (!source || !window.echarts) {
      return;
    }
    var charts = JSON.parse(source.textContent);
    var drawn = [];
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var data = charts[el.getAttribute("data-chart")];
      if (!data || (data.labels && !data.labels.length) || (data.rows && !data.rows.length)) {
        el.hidden = true;
        return;
      }
      drawn.push(draw(el, data));
    });
    var timer = null;
    window.addEventListener("resize", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        drawn.forEach(function (chart) {
          chart.resize();
        });
      }, 150);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
