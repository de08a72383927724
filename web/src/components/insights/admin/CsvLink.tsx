// A table's CSV download: a plain link (the session cookie authenticates the
// GET), named for what it downloads so a list of links reads well.

import type { ExportTable } from "../../../api/adminInsights";
import { exportUrl } from "../../../api/adminInsights";

export function CsvLink({
  org,
  table,
  days,
  what,
}: {
  org: string;
  table: ExportTable;
  /** The period, for tables that cover one. */
  days?: number;
  /** What the file holds, e.g. "activity by day". */
  what: string;
}) {
  return (
    <a className="csv-link" href={exportUrl(org, table, days)} download>
      Download {what} as CSV
    </a>
  );
}
