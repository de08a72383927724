// The second step of signing in, after a right password for an account with
// two-step sign-in: the code from the authenticator app (or a recovery code),
// and whether to remember this browser for 30 days. A wrong code is refused
// beside the field, which takes the focus back; a step that ran out (too
// slow, too many wrong codes) sends the person back to the password with
// `onRestart`. Part of the sign-in page's first chunk, so it stays plain.

import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { ApiError } from "../../api/client";
import { secondFactor, signIn, type MfaChallenge } from "../../api/mfa";
import type { SessionStarted } from "../../api/types";
import { CHALLENGE_ENDED, describeMfaError } from "./words";
import { readyToSend, SecondFactorField } from "./SecondFactorField";
import "./mfa.css";

export function SecondStep({
  challenge,
  email,
  onSignedIn,
  onRestart,
}: {
  challenge: MfaChallenge;
  email: string;
  onSignedIn: (started: SessionStarted) => Promise<void>;
  /** Back to the password step, saying why (null: the person chose to). */
  onRestart: (why: string | null) => void;
}) {
  const ids = useId();
  const [typed, setTyped] = useState("");
  const [recovery, setRecovery] = useState(false);
  const [remember, setRemember] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const field = useRef<HTMLInputElement>(null);

  // The step opens on the field, and a refusal or a switch of field comes back to it.
  useEffect(() => {
    field.current?.focus();
  }, [recovery, error]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!readyToSend(typed, recovery)) return;
    setBusy(true);
    setError(null);
    try {
      const started = await signIn.finish(challenge, secondFactor(typed, recovery), remember);
      await onSignedIn(started);
    } catch (err) {
      if (err instanceof ApiError && err.code === "mfa_challenge_invalid") {
        onRestart(CHALLENGE_ENDED);
        return;
      }
      setTyped("");
      setError(describeMfaError(err, recovery));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="mfa-second-step" aria-labelledby={`${ids}-heading`}>
      <h2 id={`${ids}-heading`}>Two-step sign-in</h2>
      <p className="muted">
        Signing in as <strong>{email}</strong>.{" "}
        {recovery ? "Type one of your recovery codes." : "Type the code your authenticator app shows for Wayfinder."}
      </p>
      <form onSubmit={submit} noValidate aria-label="Two-step sign-in">
        <SecondFactorField
          ref={field}
          id={`${ids}-code`}
          value={typed}
          onChange={setTyped}
          recovery={recovery}
          onSwitch={() => {
            setRecovery((r) => !r);
            setTyped("");
            setError(null);
          }}
          error={error}
        />
        <div className="field">
          <label className="check field-check">
            <input type="checkbox" checked={remember} onChange={(e) => setRemember(e.target.checked)} />
            Remember this device for 30 days
          </label>
          <p className="hint">Only on a browser you alone use: signing in here then needs just your password.</p>
        </div>
        <button type="submit" className="primary" disabled={busy || !readyToSend(typed, recovery)}>
          {busy ? "Checking…" : "Verify"}
        </button>
      </form>
      <button type="button" className="link-button mfa-restart" onClick={() => onRestart(null)}>
        Start again with your password
      </button>
    </section>
  );
}
