// Draws the dashboard's charts the way static/js/dashboards.js does, in Node with ECharts' server-side
// renderer, and prints each heat-map cell with the colour it was given: [cell, "rgba(…)"] per line of JSON.
// Usage: node dashboard_charts.js <repository root> < the page's chart JSON
"use strict";
const fs = require("fs");
const path = require("path");

const root = process.argv[2];
// ECharts is loaded before any `document` exists, so it takes Node for what it is (no canvas, no DOM).
const echarts = require(path.join(root, "static/vendor/echarts/echarts.min.js"));
echarts.setPlatformAPI({ measureText: (text) => ({ width: String(text || "").length * 12 }) });

const json = fs.readFileSync(0, "utf8");
const names = Object.keys(JSON.parse(json));
const drawn = {};

function element(name) {
  return {
    getAttribute: () => name,
    clientWidth: 960,
    style: {},
    parentNode: { style: {} },
    classList: { contains: () => false },
    hidden: false,
  };
}

global.window = {
  addEventListener() {},
  echarts: {
    init(el, theme) {
      const chart = echarts.init(null, theme, { renderer: "svg", ssr: true, width: 960, height: 600 });
      drawn[el.getAttribute()] = chart;
      return chart;
    },
  },
};
global.document = {
  readyState: "complete",
  getElementById: () => ({ textContent: json }),
  querySelectorAll: () => names.map(element),
  addEventListener() {},
};

require(path.join(root, "static/js/dashboards.js"));

const data = drawn.heat.getModel().getSeriesByIndex(0).getData();
const cells = [];
for (let i = 0; i < data.count(); i++) {
  cells.push([data.getRawDataItem(i), data.getItemVisual(i, "style").fill]);
}
process.stdout.write(JSON.stringify(cells));
process.exit(0);
