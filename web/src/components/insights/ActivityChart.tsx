// A learner's last 30 days: questions asked of the coach and graded answers
// (practice, reviews, answers a coach recorded) per day, with the table of
// every day's figures.

import { Bar, BarChart, CartesianGrid, Legend, Tooltip, XAxis, YAxis } from "recharts";
import type { ActivityDay } from "../../api/insights";
import { ChartWithTable, type ChartColumn } from "./ChartWithTable";
import { SERIES_COLOURS, axisProps, gridProps, legendProps, tooltipProps } from "./chartTheme";
import { formatCount, formatDay, formatScore, formatShortDay } from "./format";

const COLUMNS: readonly ChartColumn<ActivityDay>[] = [
  { label: "Day", cell: (d) => <time dateTime={d.date}>{formatDay(d.date)}</time> },
  { label: "Active", cell: (d) => (d.active ? "Yes" : "No") },
  { label: "Questions", cell: (d) => formatCount(d.questions), numeric: true },
  { label: "Graded answers", cell: (d) => formatCount(d.answers), numeric: true },
  { label: "Right", cell: (d) => formatScore(d.correct), numeric: true },
  { label: "Evidence", cell: (d) => formatCount(d.evidence), numeric: true },
];

export function ActivityChart({ activity }: { activity: readonly ActivityDay[] }) {
  const quiet = activity.every((d) => d.questions === 0 && d.answers === 0);
  return (
    <ChartWithTable
      title="Activity, last 30 days"
      description="Questions asked of the coach and graded answers, per day. Right counts each answer's score (a partly right answer counts in part)."
      note={quiet ? "No questions or graded answers in the last 30 days." : undefined}
      rows={activity}
      columns={COLUMNS}
      rowKey={(d) => d.date}
    >
      <BarChart data={[...activity]} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
        <CartesianGrid {...gridProps} />
        <XAxis dataKey="date" tickFormatter={formatShortDay} minTickGap={16} {...axisProps} />
        <YAxis allowDecimals={false} {...axisProps} />
        <Tooltip {...tooltipProps} labelFormatter={(date: string) => formatDay(date)} />
        <Legend {...legendProps} />
        <Bar dataKey="questions" name="Questions" fill={SERIES_COLOURS[0]} isAnimationActive={false} />
        <Bar dataKey="answers" name="Graded answers" fill={SERIES_COLOURS[1]} isAnimationActive={false} />
      </BarChart>
    </ChartWithTable>
  );
}
