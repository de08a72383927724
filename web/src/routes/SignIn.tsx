// Sign in with email and password, or through the person's organisation
// (single sign-on: the links for the organisation the address names with
// `?org=<slug>`, or for the typed email's domain). A sign-in through an
// organisation that came back refused says why (`?sso_error=<code>`); a
// password refused because the organisation signs its members in itself says
// so and offers its sign-in. Part of the first chunk, so it stays plain.

import { useState, type FormEvent } from "react";
import { Link, Navigate, useNavigate, useSearchParams } from "react-router-dom";
import { useQuery } from "@tanstack/react-query";
import { auth } from "../api/endpoints";
import { useSession } from "../session";
import { ApiError } from "../api/client";
import { ErrorNote, Loading } from "../components/ui";
import { AccountErasedNotice } from "../components/privacy/ErasedNotice";
import { OrganisationSignIn, SsoErrorNotice, ssoErrorMessage } from "../components/sso/SsoSignIn";

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
  const setup = useQuery({ queryKey: ["setup"], queryFn: auth.setupStatus, staleTime: 60_000 });
  const next = safeNext(params.get("next"));
  // Through the organisation's sign-in, back to where the person was going (the server's default otherwise).
  const returnTo = params.get("next") ? next : null;
  const ssoRequired = error instanceof ApiError && error.code === "sso_required";

  if (session.loading) return <Loading />;
  if (session.me) return <Navigate to={next} replace />;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const started = await auth.login({ email, password });
      await session.started(started.csrf_token);
      navigate(next, { replace: true });
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
        <p className="hint">No account? Ask your organisation's administrator for an invitation link.</p>
      </div>
    </main>
  );
}
