// The organisation's data retention (administrators): how long conversations
// and the accounts of members who stopped using Wayfinder are kept, and
// whether the audio of spoken interview answers is kept with them. The
// policy in force and when it was last applied come first, with "Apply now"
// (asked first: nothing it removes can be brought back) and what it removed;
// then the form to change it, where each setting is a number of days or
// "Keep … forever". A day count that is not a whole number is caught here; the
// server's refusal of any other (out of 1–36,500) shows beside its field,
// which takes the focus. The server applies the saved policy every hour.
// Kept interview audio goes with its interview: under the conversation limit
// and on erasure; off, the audio is dropped once transcribed.

import { useEffect, useId, useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ConfirmDialog, ErrorNote, Loading } from "../ui";
import { FieldError } from "../provisioning/fields";
import { describeError, errorField } from "../../lib/errors";
import { formatDateTime, formatTime } from "../../lib/format";
import { privacy, privacyKeys, type Retention, type RetentionRun, type RetentionSpec } from "./api";
import "./privacy.css";

const FIELDS = ["conversation_days", "inactive_account_days"] as const;
type FieldName = (typeof FIELDS)[number];

const SETTINGS: Record<
  FieldName,
  { legend: string; label: string; keep: string; explain: string; kept: string; removed: (days: number) => string }
> = {
  conversation_days: {
    legend: "Conversations",
    label: "Delete quiet conversations after (days)",
    keep: "Keep conversations forever",
    explain:
      "A conversation nobody has written in for longer than this is deleted, with all its messages, for everyone.",
    kept: "Kept forever",
    removed: (days) => `Deleted, with their messages, once quiet for more than ${days} ${days === 1 ? "day" : "days"}`,
  },
  inactive_account_days: {
    legend: "Inactive accounts",
    label: "Erase inactive accounts after (days)",
    keep: "Keep inactive accounts forever",
    explain:
      "A member who has not used Wayfinder for longer than this, and belongs to no other organisation, is erased with everything that is theirs. Admins and operators never are.",
    kept: "Kept forever",
    removed: (days) => `Erased after more than ${days} ${days === 1 ? "day" : "days"} without activity`,
  },
};

/** One setting as typed: the days stay text until sent, and are kept while "forever" is ticked. */
interface Setting {
  days: string;
  forever: boolean;
}
type Draft = Record<FieldName, Setting>;

const settingOf = (days: number | null | undefined): Setting =>
  days == null ? { days: "", forever: true } : { days: String(days), forever: false };

const draftOf = (policy: Retention): Draft => ({
  conversation_days: settingOf(policy.conversation_days),
  inactive_account_days: settingOf(policy.inactive_account_days),
});

const daysOf = (setting: Setting): number | null => (setting.forever ? null : Number(setting.days.trim()));

const AUDIO = {
  legend: "Interview audio",
  label: "Keep the audio of spoken interview answers",
  explain:
    "Each spoken answer's recording is kept with its interview, for whoever may read the interview to listen to. It is deleted with the interview's conversation by the limit above, and when its learner is erased. Off, the audio is dropped as soon as it is transcribed.",
  kept: "Kept with their interview",
  dropped: "Dropped once transcribed",
};

/** What the form can tell before sending: a day count must be a whole number (the server checks its range). */
function localErrors(draft: Draft): Partial<Record<FieldName, string>> {
  const errors: Partial<Record<FieldName, string>> = {};
  for (const field of FIELDS) {
    const setting = draft[field];
    if (!setting.forever && !/^\d+$/.test(setting.days.trim())) {
      errors[field] = `Enter a whole number of days, or tick “${SETTINGS[field].keep}”.`;
    }
  }
  return errors;
}

/**
 * The server's refusal of a field, in its words (see `describeError`), said beside that field: without
 * the field's name in front, and with the form's way of keeping things forever instead of the API's null.
 */
function refusalBeside(error: unknown, field: FieldName): string {
  const sentence = describeError(error)
    .replace(/^[^:]+:\s*/, "")
    .replace(/,?\s*or null to keep \w+/i, `, or tick “${SETTINGS[field].keep}”`);
  return `${sentence.charAt(0).toUpperCase()}${sentence.slice(1)}`;
}

const count = (n: number, thing: string) => `${n.toLocaleString()} ${thing}${n === 1 ? "" : "s"}`;

/** "Removed 2 conversations (4 messages) and 1 account." */
export function removedSentence(run: RetentionRun): string {
  return `Removed ${count(run.conversations, "conversation")} (${count(run.messages, "message")}) and ${count(run.accounts, "account")}.`;
}

function PolicyInForce({ org, policy }: { org: string; policy: Retention }) {
  const client = useQueryClient();
  const [asking, setAsking] = useState(false);
  const [lastRun, setLastRun] = useState<{ run: RetentionRun; at: string } | null>(null);
  const apply = useMutation({
    mutationFn: () => privacy.applyRetention(org),
    onSuccess: (run) => {
      setAsking(false);
      setLastRun({ run, at: new Date().toISOString() });
      // "Last applied" moved.
      return client.invalidateQueries({ queryKey: privacyKeys.retention(org) });
    },
  });
  const keepsEverything = policy.conversation_days == null && policy.inactive_account_days == null;
  return (
    <section className="card retention-in-force" aria-labelledby="retention-in-force-heading">
      <h3 id="retention-in-force-heading">Policy in force</h3>
      <dl className="retention-facts">
        {FIELDS.map((field) => {
          const days = policy[field];
          return (
            <div key={field}>
              <dt>{SETTINGS[field].legend}</dt>
              <dd>{days == null ? SETTINGS[field].kept : SETTINGS[field].removed(days)}</dd>
            </div>
          );
        })}
        <div>
          <dt>{AUDIO.legend}</dt>
          <dd>{policy.keep_interview_audio ? AUDIO.kept : AUDIO.dropped}</dd>
        </div>
        <div>
          <dt>Last applied</dt>
          <dd>
            {policy.last_applied_at ? (
              <time dateTime={policy.last_applied_at}>{formatDateTime(policy.last_applied_at)}</time>
            ) : (
              "Never"
            )}
          </dd>
        </div>
      </dl>
      <p className="muted small">
        Wayfinder applies this policy every hour by itself. Apply now does it at once; unsaved changes below are not
        part of it.
      </p>
      <div className="actions start">
        <button
          type="button"
          onClick={() => {
            apply.reset();
            setAsking(true);
          }}
          disabled={apply.isPending}
        >
          {apply.isPending ? "Applying…" : "Apply now"}
        </button>
      </div>
      <div role="status" aria-label="Last run" className="retention-run">
        {lastRun && (
          <p>
            Applied at <time dateTime={lastRun.at}>{formatTime(lastRun.at)}</time>: {removedSentence(lastRun.run)}
          </p>
        )}
      </div>
      <ConfirmDialog
        open={asking}
        title="Apply the policy now?"
        message={
          <>
            {keepsEverything ? (
              <p>The policy keeps everything, so nothing will be removed.</p>
            ) : (
              <div className="retention-confirm">
                <p>Right now, Wayfinder will:</p>
                <ul>
                  {policy.conversation_days != null && (
                    <li>
                      delete conversations quiet for more than {count(policy.conversation_days, "day")}, with their
                      messages{policy.keep_interview_audio ? " and the interview audio kept with them" : ""};
                    </li>
                  )}
                  {policy.inactive_account_days != null && (
                    <li>
                      erase members inactive for more than {count(policy.inactive_account_days, "day")} who belong to
                      no other organisation (never admins or operators).
                    </li>
                  )}
                </ul>
                <p>
                  <strong>This cannot be undone.</strong>
                </p>
              </div>
            )}
            <ErrorNote error={apply.error} />
          </>
        }
        confirmLabel="Apply now"
        busy={apply.isPending}
        onCancel={() => setAsking(false)}
        onConfirm={() => apply.mutate()}
      />
    </section>
  );
}

function PolicyForm({ org, policy }: { org: string; policy: Retention }) {
  const ids = useId();
  const client = useQueryClient();
  const [draft, setDraft] = useState(() => draftOf(policy));
  const [keepAudio, setKeepAudio] = useState(policy.keep_interview_audio);
  const [checked, setChecked] = useState<Partial<Record<FieldName, string>>>({});
  const [saved, setSaved] = useState(false);
  const save = useMutation({
    mutationFn: (spec: RetentionSpec) => privacy.setRetention(org, spec),
    onSuccess: (view) => {
      client.setQueryData(privacyKeys.retention(org), view);
      setDraft(draftOf(view));
      setKeepAudio(view.keep_interview_audio);
      setSaved(true);
    },
  });
  const refused = errorField(save.error);
  const refusedField = FIELDS.find((f) => f === refused);
  const errorOf = (field: FieldName): string | null =>
    checked[field] ?? (refusedField === field ? refusalBeside(save.error, field) : null);
  const inputId = (field: FieldName) => `${ids}-${field}`;

  // The refused field takes the focus, so its reason is what is read next.
  useEffect(() => {
    const field = FIELDS.find((f) => f === errorField(save.error));
    if (field) document.getElementById(`${ids}-${field}`)?.focus();
  }, [save.error, ids]);

  function change(field: FieldName, setting: Partial<Setting>) {
    setDraft((d) => ({ ...d, [field]: { ...d[field], ...setting } }));
    setSaved(false);
    setChecked((c) => ({ ...c, [field]: undefined }));
    if (save.isError) save.reset();
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    setSaved(false);
    const errors = localErrors(draft);
    setChecked(errors);
    const first = FIELDS.find((f) => errors[f]);
    if (first) {
      save.reset();
      document.getElementById(inputId(first))?.focus();
      return;
    }
    save.mutate({
      conversation_days: daysOf(draft.conversation_days),
      inactive_account_days: daysOf(draft.inactive_account_days),
      keep_interview_audio: keepAudio,
    });
  }

  return (
    <section className="card" aria-labelledby={`${ids}-heading`}>
      <h3 id={`${ids}-heading`}>Change the policy</h3>
      <form className="retention-form" onSubmit={submit} aria-label="Retention policy" noValidate>
        {FIELDS.map((field) => {
          const spec = SETTINGS[field];
          const setting = draft[field];
          const error = errorOf(field);
          const explainId = `${inputId(field)}-explain`;
          const errorId = `${inputId(field)}-error`;
          return (
            <fieldset key={field} className="retention-setting" aria-describedby={explainId}>
              <legend>{spec.legend}</legend>
              <p className="hint" id={explainId}>
                {spec.explain} <strong>This cannot be undone.</strong>
              </p>
              <div className="field">
                <label htmlFor={inputId(field)}>{spec.label}</label>
                <input
                  id={inputId(field)}
                  type="number"
                  inputMode="numeric"
                  min={1}
                  max={36500}
                  step={1}
                  // Ticked "forever", the field is empty and off; the days typed come back when unticked.
                  value={setting.forever ? "" : setting.days}
                  placeholder={setting.forever ? "Kept forever" : undefined}
                  disabled={setting.forever}
                  aria-invalid={error ? true : undefined}
                  aria-describedby={[error ? errorId : null, `${inputId(field)}-range`].filter(Boolean).join(" ")}
                  onChange={(e) => change(field, { days: e.target.value })}
                />
                <FieldError id={errorId} error={error} />
                <p className="hint" id={`${inputId(field)}-range`}>
                  From 1 to 36,500 days.
                </p>
              </div>
              <label className="check">
                <input
                  type="checkbox"
                  checked={setting.forever}
                  onChange={(e) => {
                    const forever = e.target.checked;
                    change(field, { forever });
                    // Unticked, the days are what to fill in next.
                    if (!forever) requestAnimationFrame(() => document.getElementById(inputId(field))?.focus());
                  }}
                />
                {spec.keep}
              </label>
            </fieldset>
          );
        })}
        <fieldset className="retention-setting" aria-describedby={`${ids}-audio-explain`}>
          <legend>{AUDIO.legend}</legend>
          <p className="hint" id={`${ids}-audio-explain`}>
            {AUDIO.explain}
          </p>
          <label className="check">
            <input
              type="checkbox"
              id={`${ids}-keep_interview_audio`}
              checked={keepAudio}
              onChange={(e) => {
                setKeepAudio(e.target.checked);
                setSaved(false);
                if (save.isError) save.reset();
              }}
            />
            {AUDIO.label}
          </label>
        </fieldset>
        {save.error !== null && !refusedField && <ErrorNote error={save.error} />}
        <div className="actions start">
          <button type="submit" className="primary" disabled={save.isPending}>
            {save.isPending ? "Saving…" : "Save policy"}
          </button>
        </div>
        <p role="status" className="success retention-saved">
          {saved ? "Saved. The policy in force above is the one Wayfinder applies from now on." : ""}
        </p>
      </form>
    </section>
  );
}

export function RetentionSettings({ org }: { org: string }) {
  const policy = useQuery({ queryKey: privacyKeys.retention(org), queryFn: () => privacy.retention(org) });
  return (
    <section aria-labelledby="retention-heading" className="retention">
      <h2 id="retention-heading">Data retention</h2>
      <p className="muted">
        How long this organisation keeps conversations, and the accounts of members who stopped using Wayfinder, and
        whether it keeps the audio of spoken interview answers. By default conversations and accounts are kept, and the
        audio is not. What the policy removes is gone for good: it cannot be brought back.
      </p>
      {policy.isPending && <Loading />}
      <ErrorNote error={policy.error} onRetry={() => policy.refetch()} />
      {policy.data && (
        <>
          <PolicyInForce org={org} policy={policy.data} />
          <PolicyForm key={org} org={org} policy={policy.data} />
        </>
      )}
    </section>
  );
}
