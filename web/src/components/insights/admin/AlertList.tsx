// The alerts the rules fired, newest first: what fired, the server's message,
// the measured value, when, and whether it still holds or cleared. "Evaluate
// now" checks every rule at once instead of waiting for the minute's check,
// and says what it fired.

import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { adminInsights, adminInsightsKeys, type Alert } from "../../../api/adminInsights";
import { notificationKeys } from "../../../api/notifications";
import { formatDateTime } from "../../../lib/format";
import { Empty, ErrorNote, Loading } from "../../ui";
import { alertKind, alertSentence } from "./alertKinds";
import { CsvLink } from "./CsvLink";

function AlertStatus({ alert }: { alert: Alert }) {
  if (!alert.cleared_at) return <span className="status alert-open">Open</span>;
  return (
    <span className="status alert-cleared">
      Cleared <time dateTime={alert.cleared_at}>{formatDateTime(alert.cleared_at)}</time>
    </span>
  );
}

export function AlertList({ org }: { org: string }) {
  const client = useQueryClient();
  const alerts = useQuery({
    queryKey: adminInsightsKeys.alerts(org),
    queryFn: () => adminInsights.alerts(org),
    // The minute's check may fire or clear alerts while the screen is open.
    refetchInterval: 60_000,
  });
  const [result, setResult] = useState<string | null>(null);
  const evaluate = useMutation({
    mutationFn: () => adminInsights.evaluateAlerts(org),
    onSuccess: (fired) => {
      setResult(
        fired.length === 0
          ? "Evaluated: no new alert fired."
          : `Evaluated: ${fired.length} new ${fired.length === 1 ? "alert" : "alerts"} fired.`,
      );
      return Promise.all([
        client.invalidateQueries({ queryKey: adminInsightsKeys.alerts(org) }),
        client.invalidateQueries({ queryKey: notificationKeys.list(org) }),
      ]);
    },
  });
  const list = alerts.data ?? [];
  const open = list.filter((a) => !a.cleared_at).length;
  return (
    <section aria-labelledby="alerts-heading">
      <div className="section-header">
        <h2 id="alerts-heading">Alerts</h2>
        <div className="section-actions">
          <CsvLink org={org} table="alerts" what="alerts" />
          <button
            type="button"
            onClick={() => {
              setResult(null);
              evaluate.mutate();
            }}
            disabled={evaluate.isPending}
          >
            {evaluate.isPending ? "Evaluating…" : "Evaluate now"}
          </button>
        </div>
      </div>
      <p className="small" role="status">
        {result}
      </p>
      <ErrorNote error={evaluate.error} />
      {alerts.isPending && <Loading />}
      <ErrorNote error={alerts.error} onRetry={() => alerts.refetch()} />
      {alerts.data && list.length === 0 && (
        <Empty title="No alerts have fired.">They appear here, newest first, when a rule's condition holds.</Empty>
      )}
      {list.length > 0 && (
        <>
          <p className="muted small">
            {open} open, {list.length - open} cleared.
          </p>
          <div className="table-wrap">
            <table className="alerts-table">
              <caption className="visually-hidden">Fired alerts, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">What</th>
                  <th scope="col">Message</th>
                  <th scope="col">Measured</th>
                  <th scope="col">Fired</th>
                  <th scope="col">Status</th>
                </tr>
              </thead>
              <tbody>
                {list.map((a) => {
                  const spec = alertKind(a.kind);
                  return (
                    <tr key={a.id} className={a.cleared_at ? "alert-row-cleared" : "alert-row-open"}>
                      <th scope="row">{spec.label}</th>
                      <td className="alert-message">{alertSentence(a.message)}</td>
                      <td>{spec.describeValue(a.value)}</td>
                      <td>
                        <time dateTime={a.fired_at}>{formatDateTime(a.fired_at)}</time>
                      </td>
                      <td>
                        <AlertStatus alert={a} />
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
