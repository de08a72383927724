// Setting up two-step sign-in (`/security/setup`): the authenticator app's
// secret as a QR code and as a key to type, a code from the app to confirm
// it, then the recovery codes, shown once. People who must use it and have
// not set it up are sent here from everywhere else (see App's RequireSignIn),
// so the page stands alone, with sign-out at hand; others come from their
// profile and may leave. Its own chunk, with the QR code library.

import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { Navigate, useNavigate, useSearchParams } from "react-router-dom";
import { useQueryClient } from "@tanstack/react-query";
import { ApiError } from "../../api/client";
import { digitsOf, mfa, mfaKeys, type MfaEnrolment } from "../../api/mfa";
import { useSession } from "../../session";
import { CopyButton, ErrorNote, Loading } from "../ui";
import { QrCode } from "./QrCode";
import { RecoveryCodeList } from "./RecoveryCodeList";
import { readyToSend, SecondFactorField } from "./SecondFactorField";
import { describeMfaError } from "./words";
import "./mfa.css";

/** Only same-site paths are followed afterwards. */
function safeNext(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/security/setup") ? next : "/chat";
}

/** The base32 secret in groups of four, as authenticator apps accept it typed. */
function grouped(secret: string): string {
  return secret.replace(/(.{4})(?=.)/g, "$1 ");
}

type Stage =
  | { kind: "starting" }
  | { kind: "password" }
  | { kind: "scan"; enrolment: MfaEnrolment }
  | { kind: "codes"; codes: string[] };

/** "Confirm it's you": people with a password type it before a secret is made. */
function PasswordStep({ onStarted }: { onStarted: (enrolment: MfaEnrolment) => void }) {
  const ids = useId();
  const [password, setPassword] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const field = useRef<HTMLInputElement>(null);
  const wrong = error instanceof ApiError && error.code === "invalid_credentials";
  useEffect(() => {
    field.current?.focus();
  }, [error]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onStarted(await mfa.startEnrolment(password));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} noValidate aria-label="Confirm it's you">
      <p>First, confirm it's you.</p>
      <div className="field">
        <label htmlFor={`${ids}-password`}>Your password</label>
        <input
          ref={field}
          id={`${ids}-password`}
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          aria-invalid={wrong ? true : undefined}
          aria-describedby={wrong ? `${ids}-error` : undefined}
        />
        {wrong && (
          <p className="mfa-field-error" id={`${ids}-error`}>
            {describeMfaError(error)}
          </p>
        )}
      </div>
      {!wrong && <ErrorNote error={error} />}
      <button type="submit" className="primary" disabled={busy || !password}>
        {busy ? "Checking…" : "Continue"}
      </button>
    </form>
  );
}

/** The app's secret to scan or type, and the first code from it to confirm. */
function ScanStep({ enrolment, onConfirmed }: { enrolment: MfaEnrolment; onConfirmed: (codes: string[]) => void }) {
  const ids = useId();
  const [code, setCode] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const field = useRef<HTMLInputElement>(null);
  const wrong = error instanceof ApiError && error.code === "invalid_mfa_code";
  useEffect(() => {
    if (error) field.current?.focus();
  }, [error]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!readyToSend(code, false)) return;
    setBusy(true);
    setError(null);
    try {
      const { recovery_codes } = await mfa.confirmEnrolment(digitsOf(code));
      onConfirmed(recovery_codes);
    } catch (err) {
      setCode("");
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <ol className="mfa-steps">
        <li>
          <p>
            Open an authenticator app on your phone (such as Google Authenticator, Microsoft Authenticator, 1Password
            or Aegis), add an account, and scan this code.
          </p>
          <QrCode value={enrolment.otpauth_uri} label="QR code to scan with your authenticator app" />
          <div className="field">
            <label htmlFor={`${ids}-key`}>Can't scan it? Type this setup key into the app</label>
            <div className="secret-row">
              <input
                id={`${ids}-key`}
                readOnly
                className="mfa-setup-key"
                value={grouped(enrolment.secret)}
                aria-describedby={`${ids}-key-hint`}
                onFocus={(e) => e.currentTarget.select()}
              />
              <CopyButton text={enrolment.secret} label="Copy key" />
            </div>
            <p className="hint" id={`${ids}-key-hint`}>
              Choose a time-based code; Wayfinder's codes have 6 digits and change every 30 seconds.{" "}
              <a href={enrolment.otpauth_uri}>Open in an authenticator app on this device</a>
            </p>
          </div>
        </li>
        <li>
          <form onSubmit={submit} noValidate aria-label="Confirm your authenticator app">
            <p>Type the code the app now shows for Wayfinder.</p>
            <SecondFactorField
              ref={field}
              id={`${ids}-code`}
              value={code}
              onChange={setCode}
              recovery={null}
              error={wrong ? describeMfaError(error) : null}
            />
            {!wrong && <ErrorNote error={error} />}
            <button type="submit" className="primary" disabled={busy || !readyToSend(code, false)}>
              {busy ? "Checking…" : "Turn on two-step sign-in"}
            </button>
          </form>
        </li>
      </ol>
    </>
  );
}

function Enrolment({ next }: { next: string }) {
  const session = useSession();
  const client = useQueryClient();
  const navigate = useNavigate();
  const [stage, setStage] = useState<Stage>({ kind: "starting" });
  const [error, setError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);
  const started = useRef(-1);
  const refreshed = useRef<Promise<unknown>>(Promise.resolve());
  const required = !!session.mfa?.required;

  // A secret is made straight away for someone without a password (signed in through their
  // organisation); for someone with one, the server refuses without it (`invalid_credentials`,
  // not counted as a failed sign-in), and the page asks for it.
  useEffect(() => {
    if (started.current === attempt) return;
    started.current = attempt;
    setError(null);
    mfa.startEnrolment(null).then(
      (enrolment) => setStage({ kind: "scan", enrolment }),
      (err: unknown) => {
        if (err instanceof ApiError && err.code === "invalid_credentials") setStage({ kind: "password" });
        else setError(err);
      },
    );
  }, [attempt]);

  function confirmed(codes: string[]) {
    setStage({ kind: "codes", codes });
    // The factor is on: the server answers everything again, organisations included (refused until now).
    refreshed.current = Promise.all([
      client.invalidateQueries({ queryKey: mfaKeys.all }),
      client.invalidateQueries({ queryKey: ["orgs"] }),
    ]);
  }

  async function done() {
    await refreshed.current;
    navigate(next, { replace: true });
  }

  if (stage.kind === "codes") {
    return (
      <>
        <p role="status" className="success">
          Two-step sign-in is on.
        </p>
        <RecoveryCodeList
          codes={stage.codes}
          email={session.me?.person.email ?? ""}
          onDone={done}
        />
      </>
    );
  }
  return (
    <>
      <p>
        {required
          ? "Your account must use two-step sign-in. Set it up to continue: "
          : "Protect your account with a second step: "}
        besides your password, signing in on a new device asks for a code from an app on your phone.
      </p>
      {stage.kind === "starting" && !error && <Loading label="Preparing…" />}
      <ErrorNote error={error} onRetry={() => setAttempt((a) => a + 1)} />
      {stage.kind === "password" && <PasswordStep onStarted={(enrolment) => setStage({ kind: "scan", enrolment })} />}
      {stage.kind === "scan" && <ScanStep enrolment={stage.enrolment} onConfirmed={confirmed} />}
      {!required && (
        <p>
          <button type="button" className="link-button" onClick={() => navigate(next)}>
            Not now
          </button>
        </p>
      )}
    </>
  );
}

export default function TwoStepSetup() {
  const session = useSession();
  const [params] = useSearchParams();
  const next = safeNext(params.get("next"));
  // Once shown, the card stays: turning the factor on reloads the organisations (refused until
  // then), and replacing the card with a spinner meanwhile would lose the recovery codes it shows once.
  const [shown, setShown] = useState(false);
  useEffect(() => {
    if (!session.loading) setShown(true);
  }, [session.loading]);
  if (session.loading && !shown) return <Loading />;
  // Signed out (say, with the button here): whoever signs in next is sent on from the start.
  if (!session.me) return <Navigate to="/signin" replace />;
  return <SetupCard next={next} />;
}

function SetupCard({ next }: { next: string }) {
  const session = useSession();
  const navigate = useNavigate();
  // On before this visit, there is nothing to set up (another app replaces it once it is turned off);
  // turned on during it, the recovery codes stay until the person moves on.
  const [on] = useState(() => !!session.mfa?.enabled);
  if (!session.me) return null;

  return (
    <main className="auth-page" id="main">
      <div className="auth-card mfa-setup-card">
        <div className="mfa-setup-header">
          <h1>Set up two-step sign-in</h1>
          <button
            type="button"
            onClick={async () => {
              await session.signOut();
              navigate("/signin");
            }}
          >
            Sign out
          </button>
        </div>
        <p className="muted small">
          Signed in as {session.me.person.display_name} ({session.me.person.email})
        </p>
        {on ? (
          <>
            <p>Two-step sign-in is already on for your account. To use another app, turn it off in your profile first.</p>
            <button type="button" className="primary" onClick={() => navigate(next, { replace: true })}>
              Continue
            </button>
          </>
        ) : (
          <Enrolment next={next} />
        )}
      </div>
    </main>
  );
}
