// The organisation's nudge rules (administrators): a table of the rules, a
// form to write or change one, Delete (asked first), "Evaluate now" with what
// it decided, and a link from each rule to its effect. A field the server
// refuses says why beside it and takes the focus.

import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { Link } from "react-router-dom";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import {
  AUDIENCE_ORDER,
  DEFAULT_HOLDOUT_SHARE,
  TRIGGER_ORDER,
  alertsSupervisors,
  audienceChoice,
  audienceSummary,
  nudgeKeys,
  nudges,
  triggerLabel,
  triggerWhen,
  type Audience,
  type NudgeRule,
  type NudgeRuleSpec,
  type NudgeRun,
  type Trigger,
} from "../../api/nudges";
import { ConfirmActionDialog, Empty, ErrorNote, Loading, useConfirmedAction } from "../ui";
import { CheckField, FieldError, FormField, fieldRefusal } from "../provisioning/fields";
import { formatTime } from "../../lib/format";
import { holdoutPercent, runSummary } from "./NudgeEffect";
import "../../styles/nudges.css";

const FIELDS = ["name", "trigger", "days", "message", "audience", "alert_message", "holdout_share", "active"] as const;
type FieldName = (typeof FIELDS)[number];

/** What the days mean for each trigger, said under the field. */
const DAYS_HINTS: Record<Trigger, string> = {
  inactive: "Finds learners who have not asked, answered or practised for this many days.",
  negative_feedback: "Finds learners who rated one of the coach's answers down within this many days.",
  review_due: "Finds learners with a review overdue by this many days.",
  mastery_falling: "Finds learners whose mastery has fallen over this many days.",
  goal_deadline: "Finds learners with a goal due within this many days.",
  missed_check_in: "Finds learners who have left a check-in unanswered for this many days.",
};

/** The form's fields as typed: numbers stay text until sent, so a half-typed value is kept. */
interface Draft {
  name: string;
  trigger: Trigger;
  days: string;
  message: string;
  audience: Audience;
  alertMessage: string;
  holdoutPercent: string;
  active: boolean;
}

function draftOf(rule: NudgeRule | null): Draft {
  return {
    name: rule?.name ?? "",
    trigger: rule?.trigger ?? "inactive",
    days: String(rule?.days ?? 7),
    message: rule?.message ?? "",
    audience: rule?.audience ?? "learner",
    alertMessage: rule?.alert_message ?? "",
    holdoutPercent: String(holdoutPercent(rule?.holdout_share ?? DEFAULT_HOLDOUT_SHARE)),
    active: rule?.active ?? true,
  };
}

function specOf(draft: Draft): NudgeRuleSpec {
  const percent = draft.holdoutPercent.trim();
  return {
    name: draft.name.trim(),
    trigger: draft.trigger,
    // Empty or not a number: the server's refusal ("between 1 and 365") is the explanation.
    days: Number(draft.days) || 0,
    message: draft.message.trim(),
    audience: draft.audience,
    // Only a rule that alerts coaches and parents keeps an alert message.
    alert_message: alertsSupervisors(draft.audience) ? draft.alertMessage.trim() || null : null,
    holdout_share: percent === "" ? null : Number(percent) / 100,
    active: draft.active,
  };
}

function RuleForm({
  org,
  rule,
  onSaved,
  onCancel,
}: {
  org: string;
  rule: NudgeRule | null;
  onSaved: (rule: NudgeRule) => void;
  onCancel: () => void;
}) {
  const ids = useId();
  const [draft, setDraft] = useState(() => draftOf(rule));
  const save = useMutation({
    mutationFn: (spec: NudgeRuleSpec) => (rule ? nudges.update(org, rule.id, spec) : nudges.create(org, spec)),
    onSuccess: onSaved,
  });
  const refusal = fieldRefusal(save.error, FIELDS);
  const errorOf = (field: FieldName) => {
    if (refusal?.field !== field) return null;
    // The server counts the holdout as a share (0 to 0.9); the form, in percent.
    return field === "holdout_share" ? "Must be between 0 and 90 %." : refusal.message;
  };
  const headingId = `${ids}-heading`;
  const headingRef = useRef<HTMLHeadingElement>(null);

  // Opened from a row further down, the form takes the focus (and scrolls into view).
  useEffect(() => {
    headingRef.current?.focus();
  }, []);

  // The refused field takes the focus, so its reason is what is read next.
  useEffect(() => {
    const refused = fieldRefusal(save.error, FIELDS);
    if (refused) document.getElementById(`${ids}-${refused.field}`)?.focus();
  }, [save.error, ids]);

  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => setDraft((d) => ({ ...d, [key]: value }));
  const supervisors = alertsSupervisors(draft.audience);

  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate(specOf(draft));
  }

  return (
    <section className="card nudge-rule-editor" aria-labelledby={headingId}>
      <h3 id={headingId} ref={headingRef} tabIndex={-1}>
        {rule ? `Edit “${rule.name}”` : "New nudge rule"}
      </h3>
      <form className="nudge-rule-form" onSubmit={submit} aria-label="Nudge rule" noValidate>
        <FormField id={`${ids}-name`} label="Name" hint="For you: learners never see it." error={errorOf("name")}>
          {(p) => <input {...p} maxLength={120} value={draft.name} onChange={(e) => set("name", e.target.value)} />}
        </FormField>
        <div className="nudge-rule-when">
          <FormField id={`${ids}-trigger`} label="Trigger" error={errorOf("trigger")}>
            {(p) => (
              <select {...p} value={draft.trigger} onChange={(e) => set("trigger", e.target.value as Trigger)}>
                {TRIGGER_ORDER.map((t) => (
                  <option key={t} value={t}>
                    {triggerWhen(t, "N")}
                  </option>
                ))}
              </select>
            )}
          </FormField>
          <FormField
            id={`${ids}-days`}
            label="Days"
            hint={`${DAYS_HINTS[draft.trigger]} From 1 to 365.`}
            error={errorOf("days")}
          >
            {(p) => (
              <input
                {...p}
                type="number"
                inputMode="numeric"
                min={1}
                max={365}
                step={1}
                value={draft.days}
                onChange={(e) => set("days", e.target.value)}
              />
            )}
          </FormField>
        </div>
        <p className="nudge-rule-reads">
          This rule finds learners: <strong>{triggerWhen(draft.trigger, draft.days.trim() || "N")}</strong>.
        </p>
        <FormField
          id={`${ids}-message`}
          label="Message"
          hint="What the learner receives. {name} becomes their first name, {days} the rule's days."
          error={errorOf("message")}
        >
          {(p) => (
            <textarea {...p} rows={3} maxLength={1000} value={draft.message} onChange={(e) => set("message", e.target.value)} />
          )}
        </FormField>
        <fieldset
          className="nudge-rule-audience"
          aria-describedby={errorOf("audience") ? `${ids}-audience-error` : undefined}
        >
          <legend>Who gets it</legend>
          <div className="checks">
            {AUDIENCE_ORDER.map((a) => (
              <label key={a} className="check">
                <input
                  type="radio"
                  name={`${ids}-audience`}
                  id={a === draft.audience ? `${ids}-audience` : undefined}
                  value={a}
                  checked={draft.audience === a}
                  onChange={() => set("audience", a)}
                />
                {audienceChoice(a)}
              </label>
            ))}
          </div>
          <FieldError id={`${ids}-audience-error`} error={errorOf("audience")} />
        </fieldset>
        {supervisors && (
          <FormField
            id={`${ids}-alert_message`}
            label="Alert message"
            hint="What the learner's coaches and parents receive. {learner} becomes the learner's name, {days} the rule's days."
            error={errorOf("alert_message")}
          >
            {(p) => (
              <textarea
                {...p}
                rows={3}
                maxLength={1000}
                required
                value={draft.alertMessage}
                onChange={(e) => set("alertMessage", e.target.value)}
              />
            )}
          </FormField>
        )}
        <FormField
          id={`${ids}-holdout_share`}
          label="Holdout (%)"
          hint="The share of learners this rule finds but never nudges, so its effect can be measured against them. 0 to 90 %; 10 % is a good start."
          error={errorOf("holdout_share")}
        >
          {(p) => (
            <input
              {...p}
              type="number"
              inputMode="decimal"
              min={0}
              max={90}
              step={1}
              value={draft.holdoutPercent}
              onChange={(e) => set("holdoutPercent", e.target.value)}
            />
          )}
        </FormField>
        <CheckField
          id={`${ids}-active`}
          label="Active"
          checked={draft.active}
          onChange={(active) => set("active", active)}
          hint="A paused rule finds nobody and sends nothing until it is made active again."
          error={errorOf("active")}
        />
        {!refusal && <ErrorNote error={save.error} />}
        <div className="actions start">
          <button type="submit" className="primary" disabled={save.isPending}>
            {save.isPending ? "Saving…" : rule ? "Save rule" : "Create rule"}
          </button>
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </form>
    </section>
  );
}

function RulesTable({
  rules,
  onEdit,
  onDelete,
}: {
  rules: NudgeRule[];
  onEdit: (rule: NudgeRule) => void;
  onDelete: (rule: NudgeRule) => void;
}) {
  return (
    <div className="table-wrap nudge-rules-wrap">
      <table className="nudge-rules-table" aria-label="Nudge rules">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Trigger</th>
            <th scope="col">Days</th>
            <th scope="col">Audience</th>
            <th scope="col">Holdout</th>
            <th scope="col">Status</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rules.map((r) => (
            <tr key={r.id}>
              <th scope="row">{r.name}</th>
              <td title={triggerWhen(r.trigger, r.days)}>{triggerLabel(r.trigger)}</td>
              <td>{r.days}</td>
              <td>{audienceSummary(r.audience)}</td>
              <td>{holdoutPercent(r.holdout_share)} %</td>
              <td>
                <span className={`status ${r.active ? "ok" : ""}`}>{r.active ? "Active" : "Paused"}</span>
              </td>
              <td>
                <div className="nudge-rule-actions">
                  <Link to={`/admin/nudges/${encodeURIComponent(r.id)}`} aria-label={`See the effect of ${r.name}`}>
                    Effect
                  </Link>
                  <button type="button" aria-label={`Edit ${r.name}`} onClick={() => onEdit(r)}>
                    Edit
                  </button>
                  <button type="button" className="danger-text" aria-label={`Delete ${r.name}`} onClick={() => onDelete(r)}>
                    Delete
                  </button>
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** What the form is open for: a new rule, a rule to change, or nothing. */
type Editing = { rule: NudgeRule | null } | null;

export function NudgeRules({ org }: { org: string }) {
  const client = useQueryClient();
  const list = useQuery({ queryKey: nudgeKeys.rules(org), queryFn: () => nudges.rules(org) });
  const [editing, setEditing] = useState<Editing>(null);
  const [announcement, setAnnouncement] = useState("");
  const [lastRun, setLastRun] = useState<{ run: NudgeRun; at: string } | null>(null);

  const remove = useConfirmedAction({
    mutationFn: (rule: NudgeRule) => nudges.remove(org, rule.id),
    onSuccess: (_, rule) => {
      if (editing?.rule?.id === rule.id) setEditing(null);
      setAnnouncement(`Deleted “${rule.name}”.`);
      client.setQueryData<NudgeRule[]>(nudgeKeys.rules(org), (old) => (old ?? []).filter((r) => r.id !== rule.id));
      client.removeQueries({ queryKey: nudgeKeys.effect(org, rule.id) });
    },
  });

  const evaluate = useMutation({
    mutationFn: () => nudges.evaluate(org),
    onSuccess: (run) => {
      setLastRun({ run, at: new Date().toISOString() });
      // Every rule's decisions may have moved.
      return client.invalidateQueries({ queryKey: nudgeKeys.rules(org) });
    },
  });

  function saved(rule: NudgeRule, created: boolean) {
    client.setQueryData<NudgeRule[]>(nudgeKeys.rules(org), (old) =>
      created ? [...(old ?? []), rule] : (old ?? []).map((r) => (r.id === rule.id ? rule : r)),
    );
    client.invalidateQueries({ queryKey: nudgeKeys.effect(org, rule.id) });
    setEditing(null);
    setAnnouncement(created ? `Created “${rule.name}”.` : `Saved “${rule.name}”.`);
  }

  return (
    <section aria-labelledby="nudges-heading" className="nudge-rules">
      <div className="page-header">
        <h2 id="nudges-heading">Nudges</h2>
        <div className="nudge-rules-toolbar">
          <button type="button" onClick={() => evaluate.mutate()} disabled={evaluate.isPending}>
            {evaluate.isPending ? "Evaluating…" : "Evaluate now"}
          </button>
          <button
            type="button"
            className="primary"
            disabled={editing?.rule === null}
            onClick={() => {
              setAnnouncement("");
              setEditing({ rule: null });
            }}
          >
            New rule
          </button>
        </div>
      </div>
      <p className="muted">
        Rules find learners who could use a word — gone quiet, struggling, a review or a goal coming due, a check-in
        left unanswered — and message them on their linked Telegram or WhatsApp account, or alert their coaches and
        parents. The rules are evaluated every five minutes; quiet hours and each person's weekly cap are respected. A
        holdout of the learners each rule finds is never nudged, so you can see whether the rule makes a difference.
      </p>
      <ErrorNote error={evaluate.error} />
      <div role="status" aria-label="Last evaluation" className="nudge-run">
        {lastRun && (
          <p>
            Evaluated at <time dateTime={lastRun.at}>{formatTime(lastRun.at)}</time>: {runSummary(lastRun.run)}.
          </p>
        )}
      </div>
      {editing && (
        <RuleForm
          key={editing.rule?.id ?? "new"}
          org={org}
          rule={editing.rule}
          onSaved={(rule) => saved(rule, !editing.rule)}
          onCancel={() => setEditing(null)}
        />
      )}
      <p role="status" className="success nudge-rules-announcement">
        {announcement}
      </p>
      {list.isPending && <Loading />}
      <ErrorNote error={list.error} onRetry={() => list.refetch()} />
      {list.data?.length === 0 && (
        <Empty title="No nudge rules yet.">
          <p>Start with one for learners who have been inactive for a week.</p>
        </Empty>
      )}
      {list.data && list.data.length > 0 && (
        <RulesTable
          rules={list.data}
          onEdit={(rule) => {
            setAnnouncement("");
            setEditing({ rule });
          }}
          onDelete={remove.ask}
        />
      )}
      <ConfirmActionDialog
        action={remove}
        title={`Delete “${remove.target?.name ?? ""}”?`}
        message="The rule stops finding learners, and its record of whom it nudged and held out goes with it, so its effect can no longer be measured. Messages already sent stay sent."
        confirmLabel="Delete rule"
      />
    </section>
  );
}
