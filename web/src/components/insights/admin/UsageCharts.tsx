// What the coach's model use cost: tokens and cost each day, and the cost by
// coach profile and by person (the twenty who cost most). Costs are in the
// units the instance's model prices are set in. Each chart has its table, and
// the per-coach and per-person figures download as CSV.

import { Bar, BarChart, CartesianGrid, ComposedChart, Legend, Line, Tooltip, XAxis, YAxis } from "recharts";
import type { CoachUsage, OrgDay, PersonUsage } from "../../../api/adminInsights";
import { ChartWithTable, type ChartColumn } from "../ChartWithTable";
import { SERIES_COLOURS, axisProps, gridProps, legendProps, tooltipProps } from "../chartTheme";
import { formatCount, formatDay, formatShortDay } from "../format";
import { CsvLink } from "./CsvLink";
import { formatCompact, formatCost } from "./format";

const USAGE_COLUMNS: readonly ChartColumn<OrgDay>[] = [
  { label: "Day", cell: (d) => <time dateTime={d.date}>{formatDay(d.date)}</time> },
  { label: "Tokens", cell: (d) => formatCount(d.tokens), numeric: true },
  { label: "Cost", cell: (d) => formatCost(d.cost), numeric: true },
];

const costTooltip = (value: number, name: string) =>
  [name === "Cost" ? formatCost(value) : formatCount(value), name] as [string, string];

export function UsageByDayChart({ days }: { days: readonly OrgDay[] }) {
  const quiet = days.every((d) => d.tokens === 0 && d.cost === 0);
  return (
    <ChartWithTable
      title="Tokens and cost by day"
      description="Tokens the model read and wrote (bars, left scale) and their cost (line, right scale), in the units of the model prices the instance is configured with."
      note={quiet ? "The model was not used in this period." : undefined}
      rows={days}
      columns={USAGE_COLUMNS}
      rowKey={(d) => d.date}
    >
      <ComposedChart data={[...days]} margin={{ top: 8, right: 0, bottom: 0, left: -8 }}>
        <CartesianGrid {...gridProps} />
        <XAxis dataKey="date" tickFormatter={formatShortDay} minTickGap={16} {...axisProps} />
        <YAxis yAxisId="tokens" allowDecimals={false} tickFormatter={formatCompact} {...axisProps} />
        <YAxis yAxisId="cost" orientation="right" tickFormatter={formatCost} {...axisProps} />
        <Tooltip {...tooltipProps} labelFormatter={(date: string) => formatDay(date)} formatter={costTooltip} />
        <Legend {...legendProps} />
        <Bar yAxisId="tokens" dataKey="tokens" name="Tokens" fill={SERIES_COLOURS[0]} maxBarSize={40} isAnimationActive={false} />
        <Line
          yAxisId="cost"
          type="monotone"
          dataKey="cost"
          name="Cost"
          stroke={SERIES_COLOURS[1]}
          strokeWidth={2}
          dot={false}
          isAnimationActive={false}
        />
      </ComposedChart>
    </ChartWithTable>
  );
}

/** A height that gives each bar of a horizontal bar chart room for its label. */
function barsHeight(count: number): number {
  return Math.max(120, count * 34 + 40);
}

/** A coach profile's name; use outside any profile, or by a deleted one, has none. */
export function coachUsageName(c: CoachUsage): string {
  if (c.name) return c.name;
  return c.coach_id ? "A deleted coach profile" : "Outside any coach profile";
}

const COACH_COLUMNS: readonly ChartColumn<CoachUsage>[] = [
  { label: "Coach profile", cell: coachUsageName },
  { label: "Questions", cell: (c) => formatCount(c.questions), numeric: true },
  { label: "Written by the model", cell: (c) => formatCount(c.generated), numeric: true },
  { label: "Quoted from the material", cell: (c) => formatCount(c.extractive), numeric: true },
  { label: "Refused", cell: (c) => formatCount(c.refused), numeric: true },
  { label: "Helpful", cell: (c) => formatCount(c.helpful), numeric: true },
  { label: "Unhelpful", cell: (c) => formatCount(c.unhelpful), numeric: true },
  { label: "Tokens", cell: (c) => formatCount(c.tokens), numeric: true },
  { label: "Cost", cell: (c) => formatCost(c.cost), numeric: true },
];

export function CostByCoachChart({ coaches, org, range }: { coaches: readonly CoachUsage[]; org: string; range: number }) {
  const data = coaches.map((c) => ({ name: coachUsageName(c), cost: c.cost, tokens: c.tokens }));
  return (
    <ChartWithTable
      title="Cost by coach profile"
      description={
        <>
          Questions, answers, feedback and model use per coach profile.{" "}
          <CsvLink org={org} table="coaches" days={range} what="use by coach profile" />
        </>
      }
      note={coaches.length === 0 ? "No coach profile was used in this period." : undefined}
      rows={coaches}
      columns={COACH_COLUMNS}
      rowKey={(c) => c.coach_id || "outside"}
      height={barsHeight(coaches.length)}
    >
      <BarChart data={data} layout="vertical" margin={{ top: 4, right: 16, bottom: 0, left: 8 }}>
        <CartesianGrid {...gridProps} vertical horizontal={false} />
        <XAxis type="number" tickFormatter={formatCost} {...axisProps} />
        <YAxis type="category" dataKey="name" width={120} {...axisProps} />
        <Tooltip {...tooltipProps} formatter={costTooltip} />
        <Bar dataKey="cost" name="Cost" fill={SERIES_COLOURS[1]} maxBarSize={40} isAnimationActive={false} />
      </BarChart>
    </ChartWithTable>
  );
}

const PEOPLE_COLUMNS: readonly ChartColumn<PersonUsage>[] = [
  { label: "Person", cell: (p) => p.name || "A former member" },
  { label: "Questions", cell: (p) => formatCount(p.questions), numeric: true },
  { label: "Tokens", cell: (p) => formatCount(p.tokens), numeric: true },
  { label: "Cost", cell: (p) => formatCost(p.cost), numeric: true },
];

export function TopPeopleChart({ people, org, range }: { people: readonly PersonUsage[]; org: string; range: number }) {
  const data = people.map((p) => ({ name: p.name || "A former member", cost: p.cost }));
  return (
    <ChartWithTable
      title="People whose use cost most"
      description={
        <>
          The twenty people whose questions cost most in this period.{" "}
          <CsvLink org={org} table="people" days={range} what="use by person" />
        </>
      }
      note={people.length === 0 ? "Nobody used the model in this period." : undefined}
      rows={people}
      columns={PEOPLE_COLUMNS}
      rowKey={(p) => p.person_id}
      height={barsHeight(people.length)}
    >
      <BarChart data={data} layout="vertical" margin={{ top: 4, right: 16, bottom: 0, left: 8 }}>
        <CartesianGrid {...gridProps} vertical horizontal={false} />
        <XAxis type="number" tickFormatter={formatCost} {...axisProps} />
        <YAxis type="category" dataKey="name" width={120} {...axisProps} />
        <Tooltip {...tooltipProps} formatter={costTooltip} />
        <Bar dataKey="cost" name="Cost" fill={SERIES_COLOURS[3]} maxBarSize={40} isAnimationActive={false} />
      </BarChart>
    </ChartWithTable>
  );
}
