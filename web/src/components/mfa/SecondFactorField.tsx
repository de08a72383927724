// The field for a second factor: the 6-digit code from the authenticator app
// (numeric keyboard, and the browser's one-time-code autofill), or, switched
// with the button under it, one of the recovery codes. A refusal shows under
// the field and is announced with it. Part of the sign-in page's first chunk.

import { forwardRef } from "react";

export const CODE_DIGITS = 6;

/** Whether what was typed can be sent: six digits, or a recovery code. */
export function readyToSend(typed: string, recovery: boolean): boolean {
  return recovery ? typed.trim().length > 0 : typed.replace(/\D/g, "").length === CODE_DIGITS;
}

export const SecondFactorField = forwardRef<
  HTMLInputElement,
  {
    id: string;
    value: string;
    onChange: (value: string) => void;
    /** A recovery code instead of the app's code; null offers no switch (the app's code only). */
    recovery: boolean | null;
    onSwitch?: () => void;
    error: string | null;
  }
>(function SecondFactorField({ id, value, onChange, recovery, onSwitch, error }, ref) {
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  return (
    <div className="field mfa-code-field">
      <label htmlFor={id}>{recovery ? "Recovery code" : "Code from your authenticator app"}</label>
      {recovery ? (
        <input
          key="recovery"
          ref={ref}
          id={id}
          className="mfa-recovery-input"
          autoComplete="off"
          autoCapitalize="none"
          spellCheck={false}
          value={value}
          onChange={(e) => onChange(e.target.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={[error ? errorId : null, hintId].filter(Boolean).join(" ")}
        />
      ) : (
        <input
          key="code"
          ref={ref}
          id={id}
          className="mfa-code-input"
          inputMode="numeric"
          autoComplete="one-time-code"
          pattern="[0-9 ]*"
          maxLength={CODE_DIGITS + 1}
          value={value}
          onChange={(e) => onChange(e.target.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={[error ? errorId : null, hintId].filter(Boolean).join(" ")}
        />
      )}
      {error && (
        <p className="mfa-field-error" id={errorId}>
          {error}
        </p>
      )}
      <p className="hint" id={hintId}>
        {recovery
          ? "One of the recovery codes you saved when you set up two-step sign-in, like abcde-12345. Each works once."
          : "Open your authenticator app and type the 6 digits it shows for Wayfinder."}
      </p>
      {recovery !== null && onSwitch && (
        <button type="button" className="link-button mfa-switch" onClick={onSwitch}>
          {recovery ? "Use a code from your authenticator app instead" : "Use a recovery code instead"}
        </button>
      )}
    </div>
  );
});
