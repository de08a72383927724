// The signed-in person's own things: the messaging accounts they linked in the
// current organisation and how they want reminders there, password, two-step sign-in, active sessions (with "log out everywhere"),
// personal API tokens (the secret is shown once), the apps signed in as them (each to sign out), and their data: an
// archive of all of it, and erasing the account.

import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router-dom";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { auth, tokens } from "../api/endpoints";
import type { TokenCreated } from "../api/types";
import { useSession } from "../session";
import { ConfirmDialog, Empty, ErrorNote, Field, Loading, SecretBox } from "../components/ui";
import { LinkedAccounts } from "../components/channels/LinkedAccounts";
import { ReachSettings } from "../components/channels/ReachSettings";
import { YourData } from "../components/privacy/YourData";
import { TwoStepSection } from "../components/mfa/TwoStepSection";
import { SignedInApps } from "../components/oauth/SignedInApps";
import { formatDateTime, roleLabel } from "../lib/format";

function describeAgent(ua: string | null | undefined): string {
  if (!ua) return "Unknown device";
  const browser = /Edg\//.test(ua)
    ? "Edge"
    : /Chrome\//.test(ua)
      ? "Chrome"
      : /Firefox\//.test(ua)
        ? "Firefox"
        : /Safari\//.test(ua)
          ? "Safari"
          : ua.split(" ")[0] ?? "Browser";
  const os = /Windows/.test(ua) ? "Windows" : /Mac OS/.test(ua) ? "macOS" : /Android/.test(ua) ? "Android" : /iPhone|iPad/.test(ua) ? "iOS" : /Linux/.test(ua) ? "Linux" : "";
  return os ? `${browser} on ${os}` : browser;
}

function Password() {
  const session = useSession();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const change = useMutation({
    mutationFn: () => auth.changePassword({ current_password: current, new_password: next }),
    onSuccess: async (started) => {
      setCurrent("");
      setNext("");
      await session.started(started.csrf_token);
    },
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    change.mutate();
  }
  return (
    <section aria-labelledby="password-heading" className="card">
      <h2 id="password-heading">Password</h2>
      <form onSubmit={submit}>
        <Field label="Current password">
          {(p) => (
            <input {...p} type="password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} />
          )}
        </Field>
        <Field label="New password" hint="Changing it signs you out everywhere else.">
          {(p) => (
            <input {...p} type="password" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} />
          )}
        </Field>
        <ErrorNote error={change.error} />
        {change.isSuccess && (
          <p role="status" className="success">
            Password changed. Other sessions have been signed out.
          </p>
        )}
        <button type="submit" className="primary" disabled={!current || !next || change.isPending}>
          Change password
        </button>
      </form>
    </section>
  );
}

function Sessions() {
  const client = useQueryClient();
  const session = useSession();
  const navigate = useNavigate();
  const list = useQuery({ queryKey: ["sessions"], queryFn: auth.sessions });
  const [confirmAll, setConfirmAll] = useState(false);
  const revoke = useMutation({
    mutationFn: (id: string) => auth.revokeSession(id),
    onSettled: () => client.invalidateQueries({ queryKey: ["sessions"] }),
  });
  const all = useMutation({
    mutationFn: auth.logoutAll,
    onSuccess: async () => {
      setConfirmAll(false);
      await session.signOut();
      navigate("/signin");
    },
  });
  return (
    <section aria-labelledby="sessions-heading" className="card">
      <div className="page-header">
        <h2 id="sessions-heading">Where you're signed in</h2>
        <button type="button" className="danger" onClick={() => setConfirmAll(true)}>
          Log out everywhere
        </button>
      </div>
      {list.isPending && <Loading />}
      <ErrorNote error={list.error ?? revoke.error} />
      {list.data?.length === 0 && <Empty title="No active sessions." />}
      <ul className="plain-list" aria-label="Sessions">
        {list.data?.map((s) => (
          <li key={s.id}>
            <span>
              <strong>{describeAgent(s.user_agent)}</strong>
              {s.current && <span className="tag">this device</span>}
              <br />
              <span className="muted small">
                {s.ip ?? "unknown address"} · signed in {formatDateTime(s.created_at)} · last active{" "}
                {formatDateTime(s.last_seen_at)}
              </span>
            </span>
            {!s.current && (
              <button type="button" className="danger-text" onClick={() => revoke.mutate(s.id)}>
                Sign out
              </button>
            )}
          </li>
        ))}
      </ul>
      <ConfirmDialog
        open={confirmAll}
        title="Log out everywhere?"
        message={
          <>
            Every session ends at once, including this one: you will need to sign in again.
            <ErrorNote error={all.error} />
          </>
        }
        confirmLabel="Log out everywhere"
        busy={all.isPending}
        onCancel={() => setConfirmAll(false)}
        onConfirm={() => all.mutate()}
      />
    </section>
  );
}

function Tokens() {
  const client = useQueryClient();
  const list = useQuery({ queryKey: ["tokens"], queryFn: tokens.list });
  const [name, setName] = useState("");
  const [days, setDays] = useState("90");
  const [created, setCreated] = useState<TokenCreated | null>(null);
  const create = useMutation({
    mutationFn: () => tokens.create({ name, expires_in_days: days ? Number(days) : undefined }),
    onSuccess: (t) => {
      setCreated(t);
      setName("");
      return client.invalidateQueries({ queryKey: ["tokens"] });
    },
  });
  const revoke = useMutation({
    mutationFn: (id: string) => tokens.revoke(id),
    onSettled: () => client.invalidateQueries({ queryKey: ["tokens"] }),
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    setCreated(null);
    create.mutate();
  }
  return (
    <section aria-labelledby="tokens-heading" className="card">
      <h2 id="tokens-heading">API tokens</h2>
      <p className="muted">For scripts and other programs: send as <code>Authorization: Bearer …</code>.</p>
      <form className="inline-form" onSubmit={submit} aria-label="Create API token">
        <Field label="Token name" hint="What it is for, e.g. reporting script.">
          {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <Field label="Expires after (days)">
          {(p) => <input {...p} type="number" min={1} value={days} onChange={(e) => setDays(e.target.value)} />}
        </Field>
        <button type="submit" className="primary" disabled={!name.trim() || create.isPending}>
          Create token
        </button>
      </form>
      <ErrorNote error={create.error} />
      {created && (
        <SecretBox
          label={`Secret for “${created.token.name}”`}
          value={created.secret}
          note="Copy it now: it will not be shown again."
        />
      )}
      {list.isPending && <Loading />}
      <ErrorNote error={list.error ?? revoke.error} />
      {list.data?.length === 0 && <Empty title="No API tokens." />}
      <ul className="plain-list" aria-label="API tokens">
        {list.data?.map((t) => (
          <li key={t.id}>
            <span>
              <strong>{t.name}</strong>
              <br />
              <span className="muted small">
                {t.revoked_at
                  ? `revoked ${formatDateTime(t.revoked_at)}`
                  : `expires ${formatDateTime(t.expires_at)} · last used ${t.last_used_at ? formatDateTime(t.last_used_at) : "never"}`}
              </span>
            </span>
            {!t.revoked_at && (
              <button
                type="button"
                className="danger-text"
                aria-label={`Revoke token ${t.name}`}
                onClick={() => revoke.mutate(t.id)}
              >
                Revoke
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

export default function Profile() {
  const { me, orgs, org, role } = useSession();
  return (
    <div className="page narrow">
      <h1>Your profile</h1>
      {me && (
        <section className="card" aria-label="Account">
          <p>
            <strong>{me.person.display_name}</strong> · {me.person.email}
            {me.person.is_operator && <span className="tag">instance operator</span>}
          </p>
          {orgs.length > 0 && (
            <p className="muted">
              {orgs.map((o) => `${o.organisation.name} (${roleLabel(o.role)})`).join(" · ")}
            </p>
          )}
        </section>
      )}
      {org && role && (
        <>
          <LinkedAccounts key={org.organisation.id} org={org.organisation.id} orgName={org.organisation.name} />
          <ReachSettings key={`reach-${org.organisation.id}`} org={org.organisation.id} orgName={org.organisation.name} />
        </>
      )}
      <Password />
      <TwoStepSection />
      <Sessions />
      <Tokens />
      <SignedInApps />
      {me && <YourData email={me.person.email} />}
    </div>
  );
}
