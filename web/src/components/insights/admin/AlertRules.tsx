// The organisation's alert rules (administrators): each rule in words with a
// button to delete it, and the form adding one, whose threshold field says
// what it means for the kind chosen. A refusal shows by the field it is about
// and takes the focus.

import { useEffect, useId, useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { adminInsights, adminInsightsKeys, type AlertKind, type AlertRule } from "../../../api/adminInsights";
import { formatDate } from "../../../lib/format";
import { ConfirmActionDialog, Empty, ErrorNote, Loading, useConfirmedAction } from "../../ui";
import { FormField, fieldRefusal } from "../../provisioning/fields";
import { formatCount } from "../format";
import { ALERT_KINDS, alertKind } from "./alertKinds";

const FIELDS = ["kind", "threshold", "min_count"] as const;

function RuleForm({ org }: { org: string }) {
  const client = useQueryClient();
  const ids = useId();
  const [kind, setKind] = useState<AlertKind>("refusal_rate");
  const spec = alertKind(kind);
  const [threshold, setThreshold] = useState(spec.defaultThreshold);
  const [minCount, setMinCount] = useState("5");
  const [added, setAdded] = useState<AlertRule | null>(null);
  const add = useMutation({
    mutationFn: () =>
      adminInsights.addAlertRule(org, {
        kind,
        threshold: spec.toThreshold(Number(threshold)),
        min_count: spec.minCountOf ? Number(minCount) : null,
      }),
    onSuccess: (rule) => {
      setAdded(rule);
      return client.invalidateQueries({ queryKey: adminInsightsKeys.alertRules(org) });
    },
  });
  const refusal = fieldRefusal(add.error, FIELDS);
  const errorOf = (field: (typeof FIELDS)[number]) => {
    if (refusal?.field !== field) return null;
    // The server speaks of shares 0–1; the form asks for percentages.
    return field === "threshold" ? spec.invalidThreshold : refusal.message;
  };
  useEffect(() => {
    const refused = fieldRefusal(add.error, FIELDS);
    if (refused) document.getElementById(`${ids}-${refused.field}`)?.focus();
  }, [add.error, ids]);

  function submit(event: FormEvent) {
    event.preventDefault();
    setAdded(null);
    add.mutate();
  }

  return (
    <form className="card alert-rule-form" onSubmit={submit} aria-labelledby={`${ids}-heading`} noValidate>
      <h3 id={`${ids}-heading`}>Add a rule</h3>
      <FormField id={`${ids}-kind`} label="What to watch" error={errorOf("kind")}>
        {(p) => (
          <select
            {...p}
            value={kind}
            onChange={(e) => {
              const next = e.target.value as AlertKind;
              setKind(next);
              setThreshold(alertKind(next).defaultThreshold);
              add.reset();
            }}
          >
            {ALERT_KINDS.map((k) => (
              <option key={k.kind} value={k.kind}>
                {k.label}
              </option>
            ))}
          </select>
        )}
      </FormField>
      <p className="alert-kind-explanation" aria-live="polite">
        {spec.explanation}
      </p>
      <div className="alert-rule-numbers">
        <FormField id={`${ids}-threshold`} label={spec.thresholdLabel} hint={spec.thresholdHint} error={errorOf("threshold")}>
          {(p) => (
            <input
              {...p}
              type="number"
              inputMode="decimal"
              step="any"
              value={threshold}
              onChange={(e) => setThreshold(e.target.value)}
            />
          )}
        </FormField>
        {spec.minCountOf && (
          <FormField
            id={`${ids}-min_count`}
            label={`Fewest ${spec.minCountOf} in the hour`}
            hint={`The rule stays quiet until at least this many ${spec.minCountOf} were counted in the hour.`}
            error={errorOf("min_count")}
          >
            {(p) => (
              <input
                {...p}
                type="number"
                inputMode="numeric"
                step={1}
                value={minCount}
                onChange={(e) => setMinCount(e.target.value)}
              />
            )}
          </FormField>
        )}
      </div>
      <div className="actions start">
        <button type="submit" className="primary" disabled={!threshold.trim() || add.isPending}>
          {add.isPending ? "Adding…" : "Add rule"}
        </button>
      </div>
      {!refusal && <ErrorNote error={add.error} />}
      {added && (
        <p className="success" role="status">
          Rule added: {alertKind(added.kind).label.toLowerCase()}, {alertKind(added.kind).describeThreshold(added.threshold)}.
        </p>
      )}
    </form>
  );
}

function minimumInWords(rule: AlertRule): string {
  const of = alertKind(rule.kind).minCountOf;
  return of ? `at least ${formatCount(rule.min_count)} ${of}` : "—";
}

export function AlertRules({ org }: { org: string }) {
  const client = useQueryClient();
  const rules = useQuery({ queryKey: adminInsightsKeys.alertRules(org), queryFn: () => adminInsights.alertRules(org) });
  const remove = useConfirmedAction({
    mutationFn: (rule: AlertRule) => adminInsights.removeAlertRule(org, rule.id),
    onSuccess: () => Promise.all([
        client.invalidateQueries({ queryKey: adminInsightsKeys.alertRules(org) }),
        client.invalidateQueries({ queryKey: adminInsightsKeys.alerts(org) }),
      ]),
  });
  return (
    <section aria-labelledby="alert-rules-heading">
      <h2 id="alert-rules-heading">Rules</h2>
      <p className="muted">
        Rules are checked every minute. When one's condition starts to hold, an alert fires once and administrators
        are notified in the app (for a learner at risk, their coaches too); it clears when the condition stops holding.
      </p>
      {rules.isPending && <Loading />}
      <ErrorNote error={rules.error} onRetry={() => rules.refetch()} />
      {rules.data?.length === 0 && <Empty title="No alert rules yet.">Add one below.</Empty>}
      {rules.data && rules.data.length > 0 && (
        <div className="table-wrap">
          <table className="alert-rules-table">
            <caption className="visually-hidden">Alert rules</caption>
            <thead>
              <tr>
                <th scope="col">Watches</th>
                <th scope="col">Fires when</th>
                <th scope="col">Minimum</th>
                <th scope="col">Added</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rules.data.map((rule) => {
                const spec = alertKind(rule.kind);
                return (
                  <tr key={rule.id} data-rule-id={rule.id}>
                    <th scope="row">{spec.label}</th>
                    <td>{spec.describeThreshold(rule.threshold)}</td>
                    <td>{minimumInWords(rule)}</td>
                    <td className="muted">{formatDate(rule.created_at)}</td>
                    <td>
                      <button
                        type="button"
                        className="danger-text"
                        aria-label={`Delete the rule on ${spec.label.toLowerCase()}`}
                        onClick={() => remove.ask(rule)}
                      >
                        Delete
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <RuleForm org={org} />
      <ConfirmActionDialog
        action={remove}
        title="Delete this rule?"
        message={
          <>
            The rule on {remove.target ? alertKind(remove.target.kind).label.toLowerCase() : ""} stops watching, and the
            alerts it fired are deleted with it.
          </>
        }
        confirmLabel="Delete rule"
      />
    </section>
  );
}
