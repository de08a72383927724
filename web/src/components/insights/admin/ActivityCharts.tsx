// The organisation's activity over the period: distinct people active each
// day and each week, and the coach's answers each day by kind (written by the
// model, quoted from the material, refused, failed), stacked. Each chart has
// its table; the daily figures download as CSV.

import { Bar, BarChart, CartesianGrid, Legend, Tooltip, XAxis, YAxis } from "recharts";
import type { OrgDay, WeekActivity } from "../../../api/adminInsights";
import { ChartWithTable, type ChartColumn } from "../ChartWithTable";
import { SERIES_COLOURS, axisProps, gridProps, legendProps, tooltipProps } from "../chartTheme";
import { formatCount, formatDay, formatFullDay, formatShortDay } from "../format";
import { CsvLink } from "./CsvLink";

const MARGIN = { top: 8, right: 8, bottom: 0, left: -16 };

const PEOPLE_COLUMNS: readonly ChartColumn<OrgDay>[] = [
  { label: "Day", cell: (d) => <time dateTime={d.date}>{formatDay(d.date)}</time> },
  { label: "Active people", cell: (d) => formatCount(d.active_people), numeric: true },
  { label: "Conversations", cell: (d) => formatCount(d.conversations), numeric: true },
  { label: "Questions", cell: (d) => formatCount(d.questions), numeric: true },
  { label: "Evidence recorded", cell: (d) => formatCount(d.evidence), numeric: true },
];

export function ActivePeopleByDayChart({ days, org, range }: { days: readonly OrgDay[]; org: string; range: number }) {
  const quiet = days.every((d) => d.active_people === 0);
  return (
    <ChartWithTable
      title="Active people by day"
      description={
        <>
          People who asked the coach, practised or rated an answer that day.{" "}
          <CsvLink org={org} table="activity" days={range} what="activity by day" />
        </>
      }
      note={quiet ? "Nobody was active in this period." : undefined}
      rows={days}
      columns={PEOPLE_COLUMNS}
      rowKey={(d) => d.date}
    >
      <BarChart data={[...days]} margin={MARGIN}>
        <CartesianGrid {...gridProps} />
        <XAxis dataKey="date" tickFormatter={formatShortDay} minTickGap={16} {...axisProps} />
        <YAxis allowDecimals={false} {...axisProps} />
        <Tooltip {...tooltipProps} labelFormatter={(date: string) => formatDay(date)} />
        <Bar dataKey="active_people" name="Active people" fill={SERIES_COLOURS[0]} maxBarSize={40} isAnimationActive={false} />
      </BarChart>
    </ChartWithTable>
  );
}

const WEEK_COLUMNS: readonly ChartColumn<WeekActivity>[] = [
  { label: "Week from", cell: (w) => <time dateTime={w.week_start}>{formatFullDay(w.week_start)}</time> },
  { label: "Active people", cell: (w) => formatCount(w.active_people), numeric: true },
];

export function ActivePeopleByWeekChart({ weeks }: { weeks: readonly WeekActivity[] }) {
  return (
    <ChartWithTable
      title="Active people by week"
      description="Distinct people active in each week, Monday to Sunday; the first week may begin before the period."
      note={weeks.length === 0 ? "Nobody was active in these weeks." : undefined}
      rows={weeks}
      columns={WEEK_COLUMNS}
      rowKey={(w) => w.week_start}
    >
      <BarChart data={[...weeks]} margin={MARGIN}>
        <CartesianGrid {...gridProps} />
        <XAxis dataKey="week_start" tickFormatter={formatShortDay} {...axisProps} />
        <YAxis allowDecimals={false} {...axisProps} />
        <Tooltip {...tooltipProps} labelFormatter={(date: string) => `Week from ${formatFullDay(date)}`} />
        <Bar dataKey="active_people" name="Active people" fill={SERIES_COLOURS[2]} maxBarSize={40} isAnimationActive={false} />
      </BarChart>
    </ChartWithTable>
  );
}

/** The kinds of answer, in the order they stack, with their colours. */
export const ANSWER_KINDS = [
  { key: "generated", label: "Written by the model", colour: SERIES_COLOURS[0] },
  { key: "extractive", label: "Quoted from the material", colour: SERIES_COLOURS[2] },
  { key: "refused", label: "Refused", colour: SERIES_COLOURS[1] },
  { key: "failed", label: "Failed", colour: SERIES_COLOURS[3] },
] as const;

const KIND_COLUMNS: readonly ChartColumn<OrgDay>[] = [
  { label: "Day", cell: (d) => <time dateTime={d.date}>{formatDay(d.date)}</time> },
  ...ANSWER_KINDS.map((k) => ({ label: k.label, cell: (d: OrgDay) => formatCount(d[k.key]), numeric: true })),
  { label: "Questions", cell: (d) => formatCount(d.questions), numeric: true },
];

export function AnswersByKindChart({ days }: { days: readonly OrgDay[] }) {
  const quiet = days.every((d) => d.questions === 0);
  return (
    <ChartWithTable
      title="Answers by kind per day"
      description="Each question the coach was asked, by what became of it: an answer written by the model, a passage quoted from the material, a refusal (the material did not cover it) or a failure of the model."
      note={quiet ? "No questions were asked in this period." : undefined}
      rows={days}
      columns={KIND_COLUMNS}
      rowKey={(d) => d.date}
    >
      <BarChart data={[...days]} margin={MARGIN}>
        <CartesianGrid {...gridProps} />
        <XAxis dataKey="date" tickFormatter={formatShortDay} minTickGap={16} {...axisProps} />
        <YAxis allowDecimals={false} {...axisProps} />
        <Tooltip {...tooltipProps} labelFormatter={(date: string) => formatDay(date)} />
        <Legend {...legendProps} />
        {ANSWER_KINDS.map((k) => (
          <Bar key={k.key} dataKey={k.key} name={k.label} stackId="kind" fill={k.colour} maxBarSize={40} isAnimationActive={false} />
        ))}
      </BarChart>
    </ChartWithTable>
  );
}
