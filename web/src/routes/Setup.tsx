// First-run setup: the one-time link printed by `wayfinder serve` creates the
// instance operator, who then creates the first organisation.

import { useState, type FormEvent } from "react";
import { Navigate, useNavigate, useSearchParams } from "react-router-dom";
import { useQuery } from "@tanstack/react-query";
import { auth } from "../api/endpoints";
import { useSession } from "../session";
import { ErrorNote, Field, Loading } from "../components/ui";

export default function Setup() {
  const [params] = useSearchParams();
  const session = useSession();
  const navigate = useNavigate();
  const status = useQuery({ queryKey: ["setup"], queryFn: auth.setupStatus });
  const [token, setToken] = useState(params.get("token") ?? "");
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  if (status.isPending) return <Loading />;
  if (status.data && !status.data.needed) {
    return session.me ? <Navigate to="/chat" replace /> : (
      <main className="auth-page" id="main">
        <div className="auth-card">
          <h1>Setup is done</h1>
          <p>This Wayfinder already has an operator.</p>
          <a className="button primary" href="/signin">
            Go to sign in
          </a>
        </div>
      </main>
    );
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const started = await auth.completeSetup({ token, email, display_name: name, password });
      await session.started(started.csrf_token);
      navigate("/welcome", { replace: true });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="auth-page" id="main">
      <div className="auth-card">
        <h1>Set up Wayfinder</h1>
        <p>Create the operator account that administers this Wayfinder.</p>
        <ErrorNote error={status.error} />
        <form onSubmit={submit} noValidate>
          {!params.get("token") && (
            <Field label="Setup token" hint="The token from the link wayfinder serve printed.">
              {(p) => <input {...p} value={token} onChange={(e) => setToken(e.target.value)} required />}
            </Field>
          )}
          <Field label="Your name">
            {(p) => <input {...p} autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} />}
          </Field>
          <Field label="Email">
            {(p) => (
              <input {...p} type="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} />
            )}
          </Field>
          <Field label="Password" hint="At least 10 characters and hard to guess; a few unrelated words work well.">
            {(p) => (
              <input
                {...p}
                type="password"
                autoComplete="new-password"
                value={password}
                onChange={(e) => setPassword(e.target.value)}
              />
            )}
          </Field>
          <ErrorNote error={error} />
          <button type="submit" className="primary" disabled={busy}>
            {busy ? "Creating…" : "Create operator"}
          </button>
        </form>
      </div>
    </main>
  );
}
