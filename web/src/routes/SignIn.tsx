// Sign in with email and password, or through the person's organisation
// (single sign-on: the links for the organisation the address names with
// `?org=<slug>`, or for the typed email's domain). A sign-in through an
// organisation that came back refused says why (`?sso_error=<code>`); a
// password refused because the organisation signs its members in itself says
// so and offers its sign-in. An account with two-step sign-in is then asked
// for its code (see SecondStep); when that step runs out, the password step
// comes back saying so. Sent here by an app that asked to use Wayfinder as
// the person (`?next=/oauth/authorize…`), the page says so; signed in, the
// person goes back to that request to answer it. Part of the first chunk, so
// it stays plain.

import { useEffect, useRef, useState, type FormEvent } from "react";
import { Link, Navigate, useNavigate, useSearchParams } from "react-router-dom";
import { useQuery } from "@tanstack/react-query";
import { auth } from "../api/endpoints";
import { isChallenge, signIn, type MfaChallenge } from "../api/mfa";
import type { SessionStarted } from "../api/types";
import { useSession } from "../session";
import { ApiError } from "../api/client";
import { ErrorNote, Loading } from "../components/ui";
import { AccountErasedNotice } from "../components/privacy/ErasedNotice";
import { OrganisationSignIn, SsoErrorNotice, ssoErrorMessage } from "../components/sso/SsoSignIn";
import { SecondStep } from "../components/mfa/SecondStep";

/** Only same-site paths are followed after sign-in. */
function safeNext(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/chat";
}

export function SignIn() {
  const session = useSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  // A right password for an account with two-step sign-in: the step to finish, and why the password step came back.
  const [challenge, setChallenge] = useState<MfaChallenge | null>(null);
  const [restarted, setRestarted] = useState<{ why: string | null } | null>(null);
  const passwordField = useRef<HTMLInputElement>(null);
  const setup = useQuery({ queryKey: ["setup"], queryFn: auth.setupStatus, staleTime: 60_000 });
  const next = safeNext(params.get("next"));
  // Through the organisation's sign-in, back to where the person was going (the server's default otherwise).
  const returnTo = params.get("next") ? next : null;
  const ssoRequired = error instanceof ApiError && error.code === "sso_required";
  const forApp = next.startsWith("/oauth/authorize?");

  // Back from the second step, the password is asked again.
  useEffect(() => {
    if (restarted) passwordField.current?.focus();
  }, [restarted]);

  if (session.loading) return <Loading />;
  if (session.me) return <Navigate to={next} replace />;

  async function signedIn(started: SessionStarted) {
    await session.started(started.csrf_token);
    navigate(next, { replace: true });
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setRestarted(null);
    try {
      const answer = await signIn.start({ email, password });
      if (isChallenge(answer)) {
        setPassword("");
        setChallenge(answer);
        return;
      }
      await signedIn(answer);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="auth-page" id="main">
      <div className="auth-card">
        <h1>
          <span className="brand-mark" aria-hidden="true">
            ◆
          </span>{" "}
          Sign in to Wayfinder
        </h1>
        <AccountErasedNotice />
        <SsoErrorNotice code={params.get("sso_error")} />
        {challenge ? (
          <SecondStep
            challenge={challenge}
            email={email}
            onSignedIn={signedIn}
            onRestart={(why) => {
              setChallenge(null);
              setRestarted({ why });
            }}
          />
        ) : (
          <>
            {restarted?.why && (
              <div className="error-note" role="alert">
                <span>{restarted.why}</span>
              </div>
            )}
            {forApp && (
              <p className="notice">An app asked to use Wayfinder as you. Sign in first, then choose whether to allow it.</p>
            )}
            {setup.data?.needed && (
              <p className="notice">
                This Wayfinder has no operator yet. Open the setup link that <code>wayfinder serve</code> printed, or{" "}
                <Link to="/setup">enter the setup token</Link>.
              </p>
            )}
            <form onSubmit={submit} noValidate>
              <div className="field">
                <label htmlFor="email">Email</label>
                <input
                  id="email"
                  type="email"
                  autoComplete="username"
                  required
                  value={email}
                  onChange={(e) => setEmail(e.target.value)}
                />
              </div>
              <div className="field">
                <label htmlFor="password">Password</label>
                <input
                  id="password"
                  type="password"
                  autoComplete="current-password"
                  ref={passwordField}
                  required
                  value={password}
                  onChange={(e) => setPassword(e.target.value)}
                />
              </div>
              {ssoRequired ? (
                <div className="error-note" role="alert">
                  <span>{ssoErrorMessage("sso_required")}</span>
                </div>
              ) : (
                <ErrorNote error={error} />
              )}
              <button type="submit" className="primary" disabled={busy || !email || !password}>
                {busy ? "Signing in…" : "Sign in"}
              </button>
            </form>
            <OrganisationSignIn email={email} orgSlug={params.get("org")} returnTo={returnTo} required={ssoRequired} />
          </>
        )}
        <p className="hint">No account? Ask your organisation's administrator for an invitation link.</p>
      </div>
    </main>
  );
}
