// Accepting an invitation from its link (`/invite/<token>` as the server
// hands it out, or `/invite?token=<token>`): a new person chooses a name and
// password; someone with an account confirms with their current password.

import { useState, type FormEvent } from "react";
import { useNavigate, useParams, useSearchParams } from "react-router-dom";
import { useQuery } from "@tanstack/react-query";
import { invitations } from "../api/endpoints";
import { useSession } from "../session";
import { ErrorNote, Field, Loading } from "../components/ui";
import { roleLabel } from "../lib/format";

export default function Invite() {
  const params = useParams();
  const [search] = useSearchParams();
  const token = params.token ?? search.get("token") ?? "";
  const session = useSession();
  const navigate = useNavigate();
  const preview = useQuery({
    queryKey: ["invitation", token],
    queryFn: () => invitations.preview(token),
    enabled: !!token,
    retry: false,
  });
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const existing = preview.data?.account_exists;
      const accepted = await invitations.accept({
        token,
        password,
        display_name: existing ? undefined : name,
      });
      session.selectOrg(accepted.organisation.id);
      await session.started(accepted.csrf_token);
      navigate("/chat", { replace: true });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  let body;
  if (!token) {
    body = <p>This link has no invitation in it. Check that you copied the whole link.</p>;
  } else if (preview.isPending) {
    body = <Loading label="Checking your invitation…" />;
  } else if (preview.isError || !preview.data) {
    body = (
      <p role="alert">
        This invitation is not valid any more: it may have expired, been used or been revoked. Ask your
        administrator for a new one.
      </p>
    );
  } else {
    const invite = preview.data;
    body = (
      <>
        <p>
          You are invited to <strong>{invite.organisation.name}</strong> as a{" "}
          <strong>{roleLabel(invite.role).toLowerCase()}</strong>, with the email <strong>{invite.email}</strong>.
        </p>
        <form onSubmit={submit} noValidate>
          {!invite.account_exists && (
            <Field label="Your name">
              {(p) => <input {...p} autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} />}
            </Field>
          )}
          <Field
            label={invite.account_exists ? "Your current Wayfinder password" : "Choose a password"}
            hint={
              invite.account_exists
                ? "You already have an account with this email."
                : "At least 10 characters and hard to guess; a few unrelated words work well."
            }
          >
            {(p) => (
              <input
                {...p}
                type="password"
                autoComplete={invite.account_exists ? "current-password" : "new-password"}
                value={password}
                onChange={(e) => setPassword(e.target.value)}
              />
            )}
          </Field>
          <ErrorNote error={error} />
          <button type="submit" className="primary" disabled={busy || !password}>
            {busy ? "Joining…" : "Accept invitation"}
          </button>
        </form>
      </>
    );
  }

  return (
    <main className="auth-page" id="main">
      <div className="auth-card">
        <h1>{preview.data ? `Join ${preview.data.organisation.name}` : "Join on Wayfinder"}</h1>
        {body}
      </div>
    </main>
  );
}
