// The one way Wayfinder asks before erasing an account, on the profile (your
// own) and in the organisation's member list (a member's): what will happen,
// then the account's e-mail address typed out. The button works only once the
// typed address is that account's (letter case aside); the server checks it
// again, and its refusals (a last admin, an only operator, a member of another
// organisation) show under the field as it words them.

import { useState, type FormEvent, type ReactNode } from "react";
import { useMutation } from "@tanstack/react-query";
import { ApiError } from "../../api/client";
import { describeError } from "../../lib/errors";
import { Field } from "../ui";
import type { Erasure } from "./api";
import "./privacy.css";

/** Whether `typed` is `email`, ignoring letter case and surrounding spaces. */
export function sameEmail(typed: string, email: string): boolean {
  const a = typed.trim().toLowerCase();
  return a !== "" && a === email.trim().toLowerCase();
}

/** The server's refusal of the typed confirmation itself. */
function isConfirmRefusal(error: unknown): error is ApiError {
  return error instanceof ApiError && error.code === "invalid_field" && error.field === "confirm";
}

function describeEraseError(error: unknown): string {
  if (isConfirmRefusal(error)) {
    // "confirm: type the e-mail address of the account to erase": the field is the one on screen.
    const message = error.message.replace(/^confirm:\s*/i, "");
    return `${message.charAt(0).toUpperCase()}${message.slice(1)}.`;
  }
  return describeError(error);
}

export function EraseConfirmation({
  name,
  email,
  inputLabel,
  confirmLabel,
  warning,
  erase,
  onErased,
  onCancel,
}: {
  /** The form's accessible name, e.g. "Erase my account". */
  name: string;
  /** The e-mail address of the account to erase: what must be typed. */
  email: string;
  /** The field's label, e.g. "Type your e-mail address to confirm" (its hint gives the address). */
  inputLabel: string;
  /** The button, e.g. "Erase my account". */
  confirmLabel: string;
  /** What erasing does; shown above the field. */
  warning: ReactNode;
  /** Erases, sending the typed address as the confirmation. */
  erase: (confirm: string) => Promise<Erasure>;
  /** After the server erased the account (awaited before the form settles). */
  onErased: (result: Erasure) => unknown;
  /** Shows a Cancel button (in a dialog). */
  onCancel?: () => void;
}) {
  const [typed, setTyped] = useState("");
  const matches = sameEmail(typed, email);
  const mutation = useMutation({
    mutationFn: () => erase(typed.trim()),
    onSuccess: (result) => onErased(result),
  });
  const refused = isConfirmRefusal(mutation.error);

  function submit(event: FormEvent) {
    event.preventDefault();
    if (matches && !mutation.isPending) mutation.mutate();
  }

  return (
    <form className="erase-confirmation" aria-label={name} onSubmit={submit} noValidate>
      <div className="erase-warning">{warning}</div>
      <Field label={inputLabel} hint={`The address is ${email} (capital letters do not matter).`}>
        {(props) => (
          <input
            {...props}
            type="email"
            autoComplete="off"
            autoCapitalize="off"
            spellCheck={false}
            value={typed}
            aria-invalid={refused || undefined}
            onChange={(e) => {
              setTyped(e.target.value);
              if (mutation.isError) mutation.reset();
            }}
          />
        )}
      </Field>
      {mutation.error && (
        <div className="error-note" role="alert">
          <span>{describeEraseError(mutation.error)}</span>
        </div>
      )}
      <div className="actions">
        {onCancel && (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        )}
        <button type="submit" className="danger" disabled={!matches || mutation.isPending}>
          {confirmLabel}
        </button>
      </div>
      {mutation.isPending && (
        <p className="muted small" role="status">
          Erasing…
        </p>
      )}
    </form>
  );
}
