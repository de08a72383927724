// Sign in with email and password. Part of the first chunk, so it stays plain.

import { useState, type FormEvent } from "react";
import { Link, Navigate, useNavigate, useSearchParams } from "react-router-dom";
import { useQuery } from "@tanstack/react-query";
import { auth } from "../api/endpoints";
import { useSession } from "../session";
import { ErrorNote, Loading } from "../components/ui";
import { AccountErasedNotice } from "../components/privacy/ErasedNotice";

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
          <ErrorNote error={error} />
          <button type="submit" className="primary" disabled={busy || !email || !password}>
            {busy ? "Signing in…" : "Sign in"}
          </button>
        </form>
        <p className="hint">No account? Ask your organisation's administrator for an invitation link.</p>
      </div>
    </main>
  );
}
