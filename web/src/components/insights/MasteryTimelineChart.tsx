// A learner's mastery over the last 90 days: their summed mastery in points
// (a concept fully known is 100) and how many concepts they had mastered at
// the end of each day, on two scales, with the table of every day.

import { Area, CartesianGrid, ComposedChart, Legend, Line, Tooltip, XAxis, YAxis } from "recharts";
import type { MasteryPoint } from "../../api/insights";
import { ChartWithTable, type ChartColumn } from "./ChartWithTable";
import { SERIES_COLOURS, axisProps, gridProps, legendProps, tooltipProps } from "./chartTheme";
import { formatCount, formatDay, formatShortDay, masteryPoints } from "./format";

const COLUMNS: readonly ChartColumn<MasteryPoint>[] = [
  { label: "Day", cell: (p) => <time dateTime={p.date}>{formatDay(p.date)}</time> },
  { label: "Mastery points", cell: (p) => formatCount(masteryPoints(p.mastery)), numeric: true },
  { label: "Concepts mastered", cell: (p) => formatCount(p.mastered), numeric: true },
];

export function MasteryTimelineChart({ timeline }: { timeline: readonly MasteryPoint[] }) {
  const data = timeline.map((p) => ({ date: p.date, points: masteryPoints(p.mastery), mastered: p.mastered }));
  const empty = timeline.every((p) => p.mastery === 0 && p.mastered === 0);
  return (
    <ChartWithTable
      title="Mastery, last 90 days"
      description="Mastery points: the learner model's mastery summed over the concepts with evidence, 100 for a concept fully known. Concepts mastered: those at 80% or more."
      note={empty ? "No mastery recorded in the last 90 days." : undefined}
      rows={timeline}
      columns={COLUMNS}
      rowKey={(p) => p.date}
    >
      <ComposedChart data={data} margin={{ top: 8, right: 0, bottom: 0, left: -16 }}>
        <CartesianGrid {...gridProps} />
        <XAxis dataKey="date" tickFormatter={formatShortDay} minTickGap={24} {...axisProps} />
        <YAxis yAxisId="points" allowDecimals={false} {...axisProps} />
        <YAxis yAxisId="mastered" orientation="right" allowDecimals={false} {...axisProps} />
        <Tooltip {...tooltipProps} labelFormatter={(date: string) => formatDay(date)} />
        <Legend {...legendProps} />
        <Area
          yAxisId="points"
          type="monotone"
          dataKey="points"
          name="Mastery points"
          stroke={SERIES_COLOURS[0]}
          fill={SERIES_COLOURS[0]}
          fillOpacity={0.15}
          strokeWidth={2}
          isAnimationActive={false}
        />
        <Line
          yAxisId="mastered"
          type="stepAfter"
          dataKey="mastered"
          name="Concepts mastered"
          stroke={SERIES_COLOURS[2]}
          strokeWidth={2}
          dot={false}
          isAnimationActive={false}
        />
      </ComposedChart>
    </ChartWithTable>
  );
}
