// The look every Recharts chart shares: series colours and the props of axes,
// grid, tooltip and legend, all drawn from CSS variables (insights-charts.css)
// so a chart follows the light and dark schemes like the rest of the app.
// Plain objects, no Recharts import: spread them onto the chart's parts.

import "../../styles/insights-charts.css";

/** Series colours, in the order a chart should use them; each pair stays distinguishable in both schemes. */
export const SERIES_COLOURS = [
  "var(--chart-series-1)",
  "var(--chart-series-2)",
  "var(--chart-series-3)",
  "var(--chart-series-4)",
] as const;

export const axisProps = {
  stroke: "var(--chart-axis)",
  tick: { fill: "var(--chart-axis-text)", fontSize: 12 },
  tickLine: false,
} as const;

export const gridProps = {
  stroke: "var(--chart-grid)",
  strokeDasharray: "3 3",
  vertical: false,
} as const;

export const tooltipProps = {
  contentStyle: {
    background: "var(--surface)",
    border: "1px solid var(--border)",
    borderRadius: "var(--radius)",
    color: "var(--text)",
    fontSize: "0.85rem",
  },
  labelStyle: { color: "var(--text)", fontWeight: 600 },
  cursor: { fill: "var(--chart-cursor)", stroke: "var(--chart-axis)" },
} as const;

export const legendProps = {
  iconSize: 10,
  wrapperStyle: { fontSize: "0.85rem", color: "var(--text)" },
} as const;
