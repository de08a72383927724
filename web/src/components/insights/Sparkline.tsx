// A word-sized line of a few values (a learner's mastery gained per week) for
// a table cell. The line is decoration: the values are also in the cell as
// text, read by screen readers, so the cell says everything the line shows.

import { Line, LineChart, YAxis } from "recharts";
import { SERIES_COLOURS } from "./chartTheme";

export function Sparkline({
  values,
  label,
  width = 88,
  height = 28,
}: {
  values: readonly number[];
  /** The values in words, e.g. "Mastery gained per week, oldest first: 0, 12, 30, 5 points". */
  label: string;
  width?: number;
  height?: number;
}) {
  const data = values.map((value, index) => ({ index, value }));
  // A flat line sits in the middle rather than on an edge.
  const low = Math.min(0, ...values);
  const high = Math.max(0, ...values);
  const pad = high > low ? (high - low) * 0.1 : 1;
  return (
    <span className="sparkline">
      <span aria-hidden="true" className="sparkline-chart">
        <LineChart width={width} height={height} data={data} margin={{ top: 3, right: 3, bottom: 3, left: 3 }}>
          <YAxis hide domain={[low - pad, high + pad]} />
          <Line
            type="monotone"
            dataKey="value"
            stroke={SERIES_COLOURS[0]}
            strokeWidth={2}
            dot={false}
            isAnimationActive={false}
          />
        </LineChart>
      </span>
      <span className="visually-hidden">{label}</span>
    </span>
  );
}
