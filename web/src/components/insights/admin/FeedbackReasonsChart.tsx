// Why people rated answers as they did: each reason given with a rating, most
// given first, the bar's colour and its label both saying whether the rating
// was helpful or unhelpful.

import { Bar, BarChart, CartesianGrid, Cell, Tooltip, XAxis, YAxis } from "recharts";
import type { ReasonCount } from "../../../api/adminInsights";
import { ChartWithTable, type ChartColumn } from "../ChartWithTable";
import { SERIES_COLOURS, axisProps, gridProps, tooltipProps } from "../chartTheme";
import { formatCount } from "../format";
import { ratingLabel, reasonLabel } from "./format";

const COLUMNS: readonly ChartColumn<ReasonCount>[] = [
  { label: "Reason", cell: (r) => reasonLabel(r.reason) },
  { label: "Rating", cell: (r) => ratingLabel(r.rating) },
  { label: "Times given", cell: (r) => formatCount(r.count), numeric: true },
];

export function FeedbackReasonsChart({ reasons }: { reasons: readonly ReasonCount[] }) {
  const data = reasons.map((r) => ({
    name: `${reasonLabel(r.reason)} (${ratingLabel(r.rating).toLowerCase()})`,
    count: r.count,
    rating: r.rating,
  }));
  return (
    <ChartWithTable
      title="Feedback reasons"
      description="The reasons people picked when they rated an answer; one rating may give several."
      note={reasons.length === 0 ? "No reasons were given in this period." : undefined}
      rows={reasons}
      columns={COLUMNS}
      rowKey={(r) => `${r.rating}:${r.reason}`}
      height={Math.max(120, reasons.length * 34 + 40)}
    >
      <BarChart data={data} layout="vertical" margin={{ top: 4, right: 16, bottom: 0, left: 8 }}>
        <CartesianGrid {...gridProps} vertical horizontal={false} />
        <XAxis type="number" allowDecimals={false} {...axisProps} />
        <YAxis type="category" dataKey="name" width={150} {...axisProps} />
        <Tooltip {...tooltipProps} />
        <Bar dataKey="count" name="Times given" maxBarSize={40} isAnimationActive={false}>
          {data.map((d) => (
            <Cell key={d.name} fill={d.rating === "down" ? SERIES_COLOURS[1] : SERIES_COLOURS[2]} />
          ))}
        </Bar>
      </BarChart>
    </ChartWithTable>
  );
}
