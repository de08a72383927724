// Form fields that show the API's refusal beside the field it is about: the
// server names the field (`invalid_field`, `missing_field`…), or a code
// implies one (an email already a member). Whatever names no field of the
// form stays a general error note.

import type { ReactNode } from "react";
import { ApiError, type ErrorCode } from "../../api/client";
import { describeError } from "../../lib/errors";
import "../../styles/provisioning.css";

export interface FieldRefusal {
  field: string;
  message: string;
}

/** The form field an API error is about, with what to say there; null when it is about none of `fields`. */
export function fieldRefusal(
  error: unknown,
  fields: readonly string[],
  impliedByCode: Partial<Record<ErrorCode, string>> = {},
): FieldRefusal | null {
  if (!(error instanceof ApiError)) return null;
  const named = error.field;
  if (named) {
    // Nested paths (`subjects[2]`) belong to their top-level field.
    const field = fields.find((f) => named === f || named.startsWith(`${f}[`) || named.startsWith(`${f}.`));
    if (!field) return null;
    const message = error.message.replace(/^[^:]+: /, "");
    return { field, message: `${message.charAt(0).toUpperCase()}${message.slice(1)}.` };
  }
  const implied = impliedByCode[error.code];
  return implied && fields.includes(implied) ? { field: implied, message: describeError(error) } : null;
}

/** A labelled control with its hint and, when refused, the reason (announced with the field). */
export function FormField({
  id,
  label,
  hint,
  error,
  children,
}: {
  id: string;
  label: string;
  hint?: string;
  error?: string | null;
  children: (props: { id: string; "aria-describedby"?: string; "aria-invalid"?: true }) => ReactNode;
}) {
  const errorId = error ? `${id}-error` : undefined;
  const hintId = hint ? `${id}-hint` : undefined;
  const describedBy = [errorId, hintId].filter(Boolean).join(" ") || undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children({ id, "aria-describedby": describedBy, "aria-invalid": error ? true : undefined })}
      <FieldError id={errorId} error={error} />
      {hint && (
        <p className="hint" id={hintId}>
          {hint}
        </p>
      )}
    </div>
  );
}

/** A key that names an item within its list (a step, a summary field): letters, digits, - and _. */
export function KeyField({
  id,
  hint,
  error,
  value,
  onChange,
}: {
  id: string;
  hint: string;
  error?: string | null;
  value: string;
  onChange: (key: string) => void;
}) {
  return (
    <FormField id={id} label="Key" hint={hint} error={error}>
      {(p) => (
        <input
          {...p}
          value={value}
          maxLength={40}
          autoComplete="off"
          spellCheck={false}
          onChange={(e) => onChange(e.target.value)}
        />
      )}
    </FormField>
  );
}

/** Why a field was refused, shown beside it; nothing while it is not. */
export function FieldError({ id, error }: { id?: string; error?: string | null }) {
  if (!error) return null;
  return (
    <p className="field-error" id={id}>
      {error}
    </p>
  );
}

/** A checkbox field (such as "Active") with its hint and, when refused, the reason. */
export function CheckField({
  id,
  label,
  checked,
  onChange,
  hint,
  error,
  className = "check",
}: {
  id: string;
  label: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
  hint: string;
  error?: string | null;
  className?: string;
}) {
  return (
    <div className="field">
      <label className={className}>
        <input type="checkbox" id={id} checked={checked} onChange={(e) => onChange(e.target.checked)} />
        {label}
      </label>
      <p className="hint">{hint}</p>
      <FieldError error={error} />
    </div>
  );
}
