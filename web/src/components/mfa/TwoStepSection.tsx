// Profile → "Two-step sign-in": whether it is on (and how many recovery codes
// are left), turning it on (the set-up screen), new recovery codes (confirmed
// with a code), and turning it off (password and a code) — which people who
// must use it cannot, and are told why.

import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { Link } from "react-router-dom";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { ApiError } from "../../api/client";
import { mfa, mfaKeys, secondFactor, type SecondFactor } from "../../api/mfa";
import { useSession } from "../../session";
import { ErrorNote } from "../ui";
import { RecoveryCodeList } from "./RecoveryCodeList";
import { readyToSend, SecondFactorField } from "./SecondFactorField";
import { describeMfaError } from "./words";
import "./mfa.css";

type Panel = "codes" | "off" | null;

/** The app's code (or a recovery code) that confirms a change, with its refusal beside it. */
function useSecondFactorInput(error: unknown) {
  const [typed, setTyped] = useState("");
  const [recovery, setRecovery] = useState(false);
  const field = useRef<HTMLInputElement>(null);
  const wrong = error instanceof ApiError && error.code === "invalid_mfa_code";
  useEffect(() => {
    if (wrong) {
      setTyped("");
      field.current?.focus();
    }
  }, [wrong, error]);
  return {
    factor: (): SecondFactor => secondFactor(typed, recovery),
    ready: readyToSend(typed, recovery),
    wrong,
    props: {
      ref: field,
      value: typed,
      onChange: setTyped,
      recovery,
      onSwitch: () => {
        setRecovery((r) => !r);
        setTyped("");
      },
      error: wrong ? describeMfaError(error, recovery) : null,
    },
  };
}

function NewRecoveryCodes({ onClose }: { onClose: () => void }) {
  const ids = useId();
  const client = useQueryClient();
  const { me } = useSession();
  const replace = useMutation({
    mutationFn: (factor: SecondFactor) => mfa.replaceRecoveryCodes(factor),
    onSuccess: () => client.invalidateQueries({ queryKey: mfaKeys.all }),
  });
  const input = useSecondFactorInput(replace.error);

  if (replace.data) {
    return <RecoveryCodeList codes={replace.data.recovery_codes} email={me?.person.email ?? ""} onDone={onClose} />;
  }
  function submit(event: FormEvent) {
    event.preventDefault();
    if (input.ready) replace.mutate(input.factor());
  }
  return (
    <form onSubmit={submit} noValidate aria-label="New recovery codes" className="mfa-panel">
      <p>New codes replace the ones you have: those stop working. Confirm with a code from your app.</p>
      <SecondFactorField id={`${ids}-code`} {...input.props} />
      {!input.wrong && <ErrorNote error={replace.error} />}
      <div className="actions start">
        <button type="submit" className="primary" disabled={!input.ready || replace.isPending}>
          Make new codes
        </button>
        <button type="button" onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function TurnOff({ onClose, onDone }: { onClose: () => void; onDone: () => void }) {
  const ids = useId();
  const client = useQueryClient();
  const [password, setPassword] = useState("");
  const off = useMutation({
    mutationFn: (factor: SecondFactor) => mfa.disable(password || null, factor),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: mfaKeys.all });
      onDone();
    },
  });
  const input = useSecondFactorInput(off.error);
  const wrongPassword = off.error instanceof ApiError && off.error.code === "invalid_credentials";
  const passwordField = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (wrongPassword) passwordField.current?.focus();
  }, [wrongPassword, off.error]);

  function submit(event: FormEvent) {
    event.preventDefault();
    if (input.ready) off.mutate(input.factor());
  }
  return (
    <form onSubmit={submit} noValidate aria-label="Turn off two-step sign-in" className="mfa-panel">
      <p>Without it, your password alone opens your account again.</p>
      <div className="field">
        <label htmlFor={`${ids}-password`}>Your password</label>
        <input
          ref={passwordField}
          id={`${ids}-password`}
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          aria-invalid={wrongPassword ? true : undefined}
          aria-describedby={[wrongPassword ? `${ids}-password-error` : null, `${ids}-password-hint`].filter(Boolean).join(" ")}
        />
        {wrongPassword && (
          <p className="mfa-field-error" id={`${ids}-password-error`}>
            {describeMfaError(off.error)}
          </p>
        )}
        <p className="hint" id={`${ids}-password-hint`}>
          Leave it empty if you sign in only through your organisation and have no password here.
        </p>
      </div>
      <SecondFactorField id={`${ids}-code`} {...input.props} />
      {!input.wrong && !wrongPassword && <ErrorNote error={off.error} />}
      <div className="actions start">
        <button type="submit" className="danger" disabled={!input.ready || off.isPending}>
          Turn off
        </button>
        <button type="button" onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}

export function TwoStepSection() {
  const { mfa: status, me } = useSession();
  const [panel, setPanel] = useState<Panel>(null);
  const [said, setSaid] = useState("");
  if (!me) return null;
  const reason = me.person.is_operator
    ? "Operators of this Wayfinder must use it"
    : "Your organisation requires its admins to use it";

  return (
    <section aria-labelledby="two-step-heading" className="card mfa-section">
      <h2 id="two-step-heading">Two-step sign-in</h2>
      {!status && <p className="muted">Whether two-step sign-in is on could not be looked up.</p>}
      {status && !status.enabled && (
        <>
          <p>
            <span className="status">Off</span> Add a code from an authenticator app on your phone to your password,
            so a stolen password alone can't open your account.
          </p>
          <Link className="button primary" to="/security/setup?next=/profile">
            {status.enrolling ? "Finish turning on two-step sign-in" : "Turn on two-step sign-in"}
          </Link>
        </>
      )}
      {status?.enabled && (
        <>
          <p>
            <span className="status ok">On</span> Signing in on a new device asks for a code from your authenticator
            app.{" "}
            {status.recovery_codes_left === 1
              ? "1 recovery code left."
              : `${status.recovery_codes_left} recovery codes left.`}
            {status.recovery_codes_left <= 2 && " Make new ones before they run out."}
          </p>
          {status.required && (
            <p className="muted">{reason}, so it can't be turned off. If you lose your phone, use a recovery code.</p>
          )}
          {panel === null && (
            <div className="actions start">
              <button
                type="button"
                onClick={() => {
                  setSaid("");
                  setPanel("codes");
                }}
              >
                New recovery codes
              </button>
              {!status.required && (
                <button
                  type="button"
                  className="danger-text"
                  onClick={() => {
                    setSaid("");
                    setPanel("off");
                  }}
                >
                  Turn off two-step sign-in
                </button>
              )}
            </div>
          )}
          {panel === "codes" && <NewRecoveryCodes onClose={() => setPanel(null)} />}
          {panel === "off" && (
            <TurnOff
              onClose={() => setPanel(null)}
              onDone={() => {
                setPanel(null);
                setSaid("Two-step sign-in is off.");
              }}
            />
          )}
        </>
      )}
      <p role="status" className="success mfa-said">
        {said}
      </p>
    </section>
  );
}
