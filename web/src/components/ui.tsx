// Small building blocks every screen uses: loading and empty states, error
// notes, labelled fields, dialogs and a copy button.

import { useEffect, useId, useRef, useState, type ReactNode } from "react";
import { useMutation, type UseMutationResult } from "@tanstack/react-query";
import { describeError } from "../lib/errors";

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <div className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

export function ErrorNote({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  if (!error) return null;
  return (
    <div className="error-note" role="alert">
      <span>{describeError(error)}</span>
      {onRetry && (
        <button type="button" className="link-button" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <p className="empty-title">{title}</p>
      {children && <div className="empty-body">{children}</div>}
    </div>
  );
}

export function Field({
  label,
  hint,
  children,
  id,
}: {
  label: string;
  hint?: string;
  id?: string;
  children: (props: { id: string; "aria-describedby"?: string }) => ReactNode;
}) {
  const generated = useId();
  const fieldId = id ?? generated;
  const hintId = hint ? `${fieldId}-hint` : undefined;
  return (
    <div className="field">
      <label htmlFor={fieldId}>{label}</label>
      {children({ id: fieldId, "aria-describedby": hintId })}
      {hint && (
        <p className="hint" id={hintId}>
          {hint}
        </p>
      )}
    </div>
  );
}

/** A modal dialog on the native <dialog> element (focus handling and Esc come with it). */
export function Dialog({
  open,
  title,
  onClose,
  children,
  className,
}: {
  open: boolean;
  title: string;
  onClose: () => void;
  children: ReactNode;
  className?: string;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      className={`dialog ${className ?? ""}`}
      aria-labelledby={titleId}
      onClose={onClose}
      onClick={(e) => {
        if (e.target === ref.current) onClose();
      }}
    >
      {open && (
        <div className="dialog-body">
          <header className="dialog-header">
            <h2 id={titleId}>{title}</h2>
            <button type="button" className="icon-button" onClick={onClose} aria-label="Close">
              ×
            </button>
          </header>
          {children}
        </div>
      )}
    </dialog>
  );
}

/** Asks before something that cannot be undone. */
export function ConfirmDialog({
  open,
  title,
  message,
  confirmLabel,
  onConfirm,
  onCancel,
  busy,
}: {
  open: boolean;
  title: string;
  message: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
  busy?: boolean;
}) {
  return (
    <Dialog open={open} title={title} onClose={onCancel}>
      <div className="confirm-message">{message}</div>
      <div className="actions">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="button" className="danger" onClick={onConfirm} disabled={busy}>
          {confirmLabel}
        </button>
      </div>
    </Dialog>
  );
}

/** An action that waits for the person to confirm it on one thing (see `ConfirmActionDialog`). */
export type ConfirmedAction<T> = {
  /** What the action waits to be confirmed on; null while nothing is asked. */
  target: T | null;
  /** Asks to confirm the action on `target`, without the refusal of an earlier try. */
  ask: (target: T) => void;
  cancel: () => void;
  mutation: UseMutationResult<unknown, Error, T>;
};

/**
 * A mutation that runs only once confirmed, such as a delete: `ask(thing)` opens the question,
 * and the question closes when the mutation succeeds (then `onSuccess` runs).
 */
export function useConfirmedAction<T, R>({
  mutationFn,
  onSuccess,
}: {
  mutationFn: (target: T) => Promise<R>;
  onSuccess?: (result: R, target: T) => unknown;
}): ConfirmedAction<T> {
  const [target, setTarget] = useState<T | null>(null);
  const mutation = useMutation({
    mutationFn,
    onSuccess: (result: R, done: T) => {
      setTarget(null);
      return onSuccess?.(result, done);
    },
  });
  return {
    target,
    ask: (next) => {
      mutation.reset();
      setTarget(next);
    },
    cancel: () => setTarget(null),
    mutation: mutation as UseMutationResult<unknown, Error, T>,
  };
}

/** Asks before a confirmed action runs (see `useConfirmedAction`); its refusal shows under `message`. */
export function ConfirmActionDialog<T>({
  action,
  title,
  message,
  confirmLabel,
}: {
  action: ConfirmedAction<T>;
  title: string;
  message: ReactNode;
  confirmLabel: string;
}) {
  const { target, mutation } = action;
  return (
    <ConfirmDialog
      open={target !== null}
      title={title}
      message={
        <>
          {message}
          <ErrorNote error={mutation.error} />
        </>
      }
      confirmLabel={confirmLabel}
      busy={mutation.isPending}
      onCancel={action.cancel}
      onConfirm={() => target !== null && mutation.mutate(target)}
    />
  );
}

export function CopyButton({ text, label = "Copy" }: { text: string; label?: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      onClick={async () => {
        try {
          await navigator.clipboard.writeText(text);
          setCopied(true);
          setTimeout(() => setCopied(false), 2000);
        } catch {
          setCopied(false);
        }
      }}
    >
      {copied ? "Copied" : label}
      <span className="visually-hidden" aria-live="polite">
        {copied ? " to clipboard" : ""}
      </span>
    </button>
  );
}

/** A one-time secret (invitation link, API token) with a copy button. */
export function SecretBox({ label, value, note }: { label: string; value: string; note: string }) {
  const id = useId();
  return (
    <div className="secret-box" role="region" aria-labelledby={id}>
      <p id={id} className="secret-label">
        {label}
      </p>
      <div className="secret-row">
        <input readOnly value={value} aria-labelledby={id} onFocus={(e) => e.currentTarget.select()} />
        <CopyButton text={value} />
      </div>
      <p className="hint">{note}</p>
    </div>
  );
}

/** A comma-separated tag input that shows the tags it will save. */
export function TagInput({
  label,
  value,
  onChange,
  hint,
}: {
  label: string;
  value: string;
  onChange: (text: string) => void;
  hint?: string;
}) {
  const tags = value
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean);
  return (
    <Field label={label} hint={hint ?? "Separate tags with commas."}>
      {(props) => (
        <>
          <input {...props} value={value} onChange={(e) => onChange(e.target.value)} />
          {tags.length > 0 && (
            <ul className="tags" aria-label={`${label} preview`}>
              {tags.map((t) => (
                <li key={t} className="tag">
                  {t}
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </Field>
  );
}
