// An interview's summary: each field as its kind reads best (a list as chips,
// a scale as "4 of 5", yes or no), each citing the learner's answers it came
// from (a press shows that answer in the transcript), fields the learner
// corrected marked so. The learner can correct any field, with an input of
// the field's kind; a refusal shows beside the field it names. A finished
// coach intake ends with where its learner starts (see StartingPath).

import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { ApiError } from "../../api/client";
import {
  hasStartingPath,
  interviewKeys,
  interviews,
  type Interview,
  type SummaryField,
  type SummaryValue,
  type SummaryValueData,
} from "../../api/interviews";
import { ErrorNote } from "../ui";
import { FieldError } from "../provisioning/fields";
import { answerNumbers } from "./Transcript";
import { sentence } from "./flowDraft";
import { StartingPath } from "./StartingPath";

/** "next_steps" → "Next steps". */
export function fieldLabel(key: string): string {
  const words = key.replace(/[_-]+/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function FieldValue({ field, value }: { field: SummaryField; value: SummaryValueData }) {
  const list = Array.isArray(value) ? value : null;
  if (value === null || value === "" || (list && list.length === 0)) {
    return <p className="muted summary-value">Not covered in the interview.</p>;
  }
  switch (field.kind) {
    case "text_list":
      return (
        <ul className="tags summary-value" aria-label={fieldLabel(field.key)}>
          {(list ?? [String(value)]).map((item, i) => (
            <li key={`${i}-${item}`} className="tag summary-chip">
              {item}
            </li>
          ))}
        </ul>
      );
    case "scale": {
      const n = Number(value);
      return (
        <p className="summary-value summary-scale">
          <meter min={1} max={5} value={n} aria-hidden="true" />
          <strong>{n} of 5</strong>
        </p>
      );
    }
    case "yes_no":
      return <p className="summary-value">{value === true ? "Yes" : "No"}</p>;
    default:
      return <p className="summary-value summary-text">{String(value)}</p>;
  }
}

// ---- correcting ----

/** A field's value as the form holds it. */
type DraftValue = string;

function draftOf(field: SummaryField, value: SummaryValueData): DraftValue {
  if (value === null) return "";
  switch (field.kind) {
    case "text_list":
      return (Array.isArray(value) ? value : [String(value)]).join("\n");
    case "scale":
      return String(value);
    case "yes_no":
      return value === true ? "yes" : value === false ? "no" : "";
    default:
      return String(value);
  }
}

function valueOf(field: SummaryField, draft: DraftValue): SummaryValueData {
  switch (field.kind) {
    case "text_list":
      return draft
        .split("\n")
        .map((line) => line.trim())
        .filter(Boolean);
    case "scale":
      return draft ? Number(draft) : null;
    case "yes_no":
      return draft === "yes" ? true : draft === "no" ? false : null;
    default:
      return draft.trim() ? draft.trim() : null;
  }
}

function FieldInput({
  id,
  field,
  value,
  error,
  onChange,
}: {
  id: string;
  field: SummaryField;
  value: DraftValue;
  error: string | null;
  onChange: (value: DraftValue) => void;
}) {
  const label = fieldLabel(field.key);
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [error ? errorId : null, hintId].filter(Boolean).join(" ");
  const hint = [field.description, field.kind === "text_list" ? "One per line." : ""].filter(Boolean).join(" ");
  if (field.kind === "scale" || field.kind === "yes_no") {
    const options =
      field.kind === "scale"
        ? [...["1", "2", "3", "4", "5"].map((v) => ({ value: v, label: v })), { value: "", label: "Not said" }]
        : [
            { value: "yes", label: "Yes" },
            { value: "no", label: "No" },
            { value: "", label: "Not said" },
          ];
    return (
      <fieldset className="summary-choice" aria-describedby={describedBy} aria-invalid={error ? true : undefined}>
        <legend>{label}</legend>
        <div className="summary-choice-options">
          {options.map((o, i) => (
            <label key={o.label} className="check">
              <input
                type="radio"
                id={i === 0 ? id : undefined}
                name={id}
                value={o.value}
                checked={value === o.value}
                onChange={() => onChange(o.value)}
              />
              {o.label}
            </label>
          ))}
        </div>
        <FieldError id={errorId} error={error} />
        <p className="hint" id={hintId}>
          {field.kind === "scale" ? `${field.description ? `${field.description} ` : ""}1 is lowest, 5 highest.` : hint}
        </p>
      </fieldset>
    );
  }
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <textarea
        id={id}
        rows={field.kind === "text_list" ? 4 : 3}
        maxLength={field.kind === "text_list" ? undefined : 2000}
        value={value}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy}
        onChange={(e) => onChange(e.target.value)}
      />
      <FieldError id={errorId} error={error} />
      <p className="hint" id={hintId}>
        {hint}
      </p>
    </div>
  );
}

function SummaryEditor({
  org,
  interview,
  values,
  onDone,
}: {
  org: string;
  interview: Interview;
  values: Map<string, SummaryValue>;
  onDone: (saved: boolean) => void;
}) {
  const ids = useId();
  const client = useQueryClient();
  const fields = interview.summary_fields;
  const initial = Object.fromEntries(fields.map((f) => [f.key, draftOf(f, values.get(f.key)?.value ?? null)]));
  const [drafts, setDrafts] = useState<Record<string, DraftValue>>(initial);
  const save = useMutation({
    mutationFn: (changes: Record<string, SummaryValueData>) => interviews.correct(org, interview.id, changes),
    onSuccess: (saved) => {
      client.setQueryData(interviewKeys.one(org, interview.id), saved);
      void client.invalidateQueries({ queryKey: interviewKeys.lists(org) });
      // A corrected self-rating moves where a coach intake starts its learner.
      if (hasStartingPath(saved)) void client.invalidateQueries({ queryKey: interviewKeys.startingPath(org, interview.id) });
      onDone(true);
    },
  });
  const refusedKey =
    save.error instanceof ApiError && save.error.field?.startsWith("fields.") ? save.error.field.slice("fields.".length) : null;
  const refusedField = fields.find((f) => f.key === refusedKey) ?? null;

  // The first field takes the focus when the form opens.
  const firstId = `${ids}-${fields[0]?.key ?? ""}`;
  useEffect(() => {
    document.getElementById(firstId)?.focus();
  }, [firstId]);
  useEffect(() => {
    if (refusedField) document.getElementById(`${ids}-${refusedField.key}`)?.focus();
  }, [refusedField, ids, save.error]);

  function submit(event: FormEvent) {
    event.preventDefault();
    const changes: Record<string, SummaryValueData> = {};
    for (const f of fields) {
      if ((drafts[f.key] ?? "") !== (initial[f.key] ?? "")) changes[f.key] = valueOf(f, drafts[f.key] ?? "");
    }
    if (Object.keys(changes).length === 0) {
      onDone(false);
      return;
    }
    save.mutate(changes);
  }

  return (
    <form className="summary-form" aria-label="Correct the summary" onSubmit={submit} noValidate>
      {fields.map((f) => (
        <FieldInput
          key={f.key}
          id={`${ids}-${f.key}`}
          field={f}
          value={drafts[f.key] ?? ""}
          error={refusedField?.key === f.key && save.error ? sentence(save.error.message) : null}
          onChange={(value) => {
            save.reset();
            setDrafts((d) => ({ ...d, [f.key]: value }));
          }}
        />
      ))}
      {!refusedField && <ErrorNote error={save.error} />}
      <div className="actions">
        <button type="button" onClick={() => onDone(false)}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={save.isPending}>
          {save.isPending ? "Saving…" : "Save corrections"}
        </button>
      </div>
    </form>
  );
}

export function SummaryPanel({
  org,
  interview,
  own,
  onCite,
}: {
  org: string;
  interview: Interview;
  /** The learner's own interview: they may correct it. */
  own: boolean;
  /** Shows the transcript turn with this seq. */
  onCite: (seq: number) => void;
}) {
  const [editing, setEditing] = useState(false);
  const [announcement, setAnnouncement] = useState("");
  const headingRef = useRef<HTMLHeadingElement>(null);
  const values = new Map((interview.summary ?? []).map((v) => [v.key, v]));
  const numbers = answerNumbers(interview.transcript);

  return (
    <section className="card interview-summary" aria-labelledby="summary-heading">
      <div className="interview-summary-header">
        <h2 id="summary-heading" tabIndex={-1} ref={headingRef}>
          Summary
        </h2>
        {own && !editing && (
          <button
            type="button"
            onClick={() => {
              setAnnouncement("");
              setEditing(true);
            }}
          >
            Edit
          </button>
        )}
      </div>
      <p className="muted small">
        {interview.summary_source === "model"
          ? "Written by the AI model from the answers."
          : "Put together from the answers by the interview's script."}
        {own ? " If something is not right, correct it with Edit." : ""}
      </p>
      <p className="success interview-summary-saved" role="status">
        {announcement}
      </p>
      {editing ? (
        <SummaryEditor
          org={org}
          interview={interview}
          values={values}
          onDone={(saved) => {
            setEditing(false);
            setAnnouncement(saved ? "Your corrections are saved." : "");
            headingRef.current?.focus();
          }}
        />
      ) : (
        <dl className="summary-fields">
          {interview.summary_fields.map((field) => {
            const value = values.get(field.key);
            const cited = (value?.turns ?? []).filter((seq) => numbers.has(seq));
            return (
              <div key={field.key} className="summary-field" data-key={field.key}>
                <dt>
                  {fieldLabel(field.key)}
                  {value?.corrected && <span className="tag summary-corrected">{own ? "Corrected by you" : "Corrected by the learner"}</span>}
                </dt>
                <dd>
                  {field.description && <p className="muted small summary-description">{field.description}</p>}
                  <FieldValue field={field} value={value?.value ?? null} />
                  {cited.length > 0 && (
                    <p className="summary-citations small">
                      <span className="muted">From </span>
                      {cited.map((seq, i) => (
                        <span key={seq}>
                          {i > 0 && ", "}
                          <button
                            type="button"
                            className="link-button"
                            aria-label={`Show answer ${numbers.get(seq)} in the transcript`}
                            onClick={() => onCite(seq)}
                          >
                            answer {numbers.get(seq)}
                          </button>
                        </span>
                      ))}
                    </p>
                  )}
                </dd>
              </div>
            );
          })}
        </dl>
      )}
      {!editing && <StartingPath org={org} interview={interview} own={own} />}
    </section>
  );
}
