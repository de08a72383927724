// A chart with its figures as a table, for every chart of the dashboards. The
// table is always in the page: hidden from sight beside the chart (screen
// readers and find-in-page read it; the chart itself is decoration for them),
// or shown in place of the chart with "Show as table". Charts are Recharts
// elements, sized to the width available; this module imports Recharts, so
// only lazily loaded screens may use it.

import { useId, useState, type ReactElement, type ReactNode } from "react";
import { ResponsiveContainer } from "recharts";
import "../../styles/insights-charts.css";

/** One column of the table: its heading and each row's cell. The first column heads the rows. */
export interface ChartColumn<Row> {
  label: string;
  cell: (row: Row) => ReactNode;
  /** Figures: aligned right. */
  numeric?: boolean;
}

export function ChartWithTable<Row>({
  title,
  description,
  rows,
  columns,
  rowKey,
  children,
  height = 240,
  headingLevel = 2,
  note,
}: {
  /** The heading, also the table's caption (the table's accessible name). */
  title: string;
  description?: ReactNode;
  rows: readonly Row[];
  columns: readonly ChartColumn<Row>[];
  rowKey: (row: Row) => string;
  /** A Recharts chart (BarChart, LineChart, ComposedChart…) given the full width and `height`. */
  children: ReactElement;
  height?: number;
  headingLevel?: 2 | 3;
  /** Said above the chart, e.g. that every value is zero so far. */
  note?: ReactNode;
}) {
  const [asTable, setAsTable] = useState(false);
  const headingId = useId();
  const tableId = useId();
  const Heading = headingLevel === 2 ? "h2" : "h3";
  return (
    <section className={`chart-with-table card${asTable ? " as-table" : ""}`} aria-labelledby={headingId}>
      <header className="chart-with-table-header">
        <Heading id={headingId}>{title}</Heading>
        <button type="button" className="chart-view-toggle" aria-controls={tableId} onClick={() => setAsTable((v) => !v)}>
          {asTable ? "Show as chart" : "Show as table"}
        </button>
      </header>
      {description && <p className="muted small chart-with-table-description">{description}</p>}
      {note && <p className="chart-with-table-note">{note}</p>}
      {!asTable && (
        <div className="chart-canvas" aria-hidden="true">
          <ResponsiveContainer width="100%" height={height} minWidth={0} initialDimension={{ width: 600, height }}>
            {children}
          </ResponsiveContainer>
        </div>
      )}
      <div id={tableId} className={asTable ? "table-wrap chart-table-wrap" : "visually-hidden"}>
        <table className="chart-table">
          <caption className="visually-hidden">{title}</caption>
          <thead>
            <tr>
              {columns.map((c) => (
                <th key={c.label} scope="col" className={c.numeric ? "numeric" : undefined}>
                  {c.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={rowKey(row)}>
                {columns.map((c, i) =>
                  i === 0 ? (
                    <th key={c.label} scope="row">
                      {c.cell(row)}
                    </th>
                  ) : (
                    <td key={c.label} className={c.numeric ? "numeric" : undefined}>
                      {c.cell(row)}
                    </td>
                  ),
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
