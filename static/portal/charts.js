// Charts drawn with ECharts from the data the server renders (portal.Chart) as JSON in
// each .chart element's data-chart attribute: only
// the chart types and components used are imported, so the bundle stays small.
import * as echarts from 'echarts/core';
import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([BarChart, LineChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

const palette = ['#2f5bea', '#16a085', '#e67e22', '#8e44ad', '#c0392b', '#2c3e50', '#d4ac0d', '#7f8c8d'];

/** formatter returns a value formatter: money in the currency, or plain numbers. */
export function formatter(currency, compact) {
  const opts = { maximumFractionDigits: compact ? 1 : 2 };
  if (compact) opts.notation = 'compact';
  if (currency) Object.assign(opts, { style: 'currency', currency });
  let format;
  try {
    format = new Intl.NumberFormat(undefined, opts).format;
  } catch {
    format = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 }).format;
  }
  return (v) => format(v);
}

/** options turns a chart's data into ECharts options. */
export function options(data) {
  const full = formatter(data.currency, false);
  const short = formatter(data.currency, true);
  const series = data.series.map((s) => ({
    name: s.name,
    type: data.kind === 'line' ? 'line' : 'bar',
    data: s.values,
    smooth: data.kind === 'line',
    showSymbol: false,
    areaStyle: data.kind === 'line' ? { opacity: 0.08 } : undefined,
  }));
  const categories = { type: 'category', data: data.categories };
  const values = { type: 'value', axisLabel: { formatter: short } };
  const horizontal = data.kind === 'bar';
  return {
    color: palette,
    animation: false,
    grid: { left: 8, right: 16, top: data.series.length > 1 ? 32 : 12, bottom: 8, containLabel: true },
    legend: data.series.length > 1 ? { top: 0 } : undefined,
    tooltip: { trigger: 'axis', valueFormatter: full },
    xAxis: horizontal ? values : categories,
    yAxis: horizontal ? Object.assign({}, categories, { inverse: true }) : values,
    series,
  };
}

const drawn = new Set();

/** drawCharts draws every .chart element under root not drawn yet. */
export function drawCharts(root) {
  const elements = root.matches && root.matches('.chart') ? [root] : root.querySelectorAll('.chart');
  for (const el of elements) {
    if (el.dataset.drawn) continue;
    if (!el.dataset.chart) continue;
    const data = JSON.parse(el.dataset.chart);
    if (!data.categories.length) {
      el.classList.add('chart-empty');
      el.dataset.drawn = 'empty';
      continue;
    }
    const chart = echarts.init(el, null, { renderer: 'canvas' });
    chart.setOption(options(data));
    el.dataset.drawn = 'yes';
    drawn.add(chart);
  }
  for (const chart of drawn) {
    if (!chart.getDom().isConnected) {
      chart.dispose();
      drawn.delete(chart);
    }
  }
}

/** resizeCharts fits every chart to its element after the window changed size. */
export function resizeCharts() {
  for (const chart of drawn) chart.resize();
}
