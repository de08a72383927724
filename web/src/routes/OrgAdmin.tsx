// Organisation administration (admins): members and their roles (and, on a
// member's request, the archive of their data or erasing them; for one who
// lost their phone, resetting their two-step sign-in), invitations
// (a new one shows its link once), relationships, the messaging channels
// members link their accounts on, the nudge rules that reach learners there
// (each with its measured effect), the widgets that put a coach on the
// organisation's own website, how long its data is kept (retention), what
// chat models may see of its people, the organisation's own chat and embedding
// model endpoints (its own account at an OpenAI-compatible service), and
// single sign-on through its identity providers (with SSO-only sign-in).
// Instance operators also find the apps people sign in to Wayfinder with here
// (OAuth clients, for the whole instance).

import { useEffect, useRef, useState, type FormEvent } from "react";
import { NavLink, Navigate, Route, Routes } from "react-router-dom";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { orgs } from "../api/endpoints";
import { mfa } from "../api/mfa";
import { ROLES, type InvitationCreated, type Member, type RelationshipKind, type Role } from "../api/types";
import { useOrgId, useSession } from "../session";
import { ConfirmActionDialog, Empty, ErrorNote, Field, Loading, SecretBox, useConfirmedAction } from "../components/ui";
import { ChannelSettings } from "../components/channels/ChannelSettings";
import { NudgeRules } from "../components/nudges/NudgeRules";
import { NudgeEffectView } from "../components/nudges/NudgeEffect";
import { WidgetSettings } from "../components/widgets/WidgetSettings";
import { EraseMemberDialog, MemberExportLink } from "../components/privacy/MemberData";
import { RetentionSettings } from "../components/privacy/RetentionSettings";
import { SingleSignOnSettings } from "../components/sso/SingleSignOnSettings";
import { PromptPrivacySettings } from "../components/privacy/PromptPrivacySettings";
import { ModelEndpointSettings } from "../components/models/ModelEndpointSettings";
import { OAuthClients } from "../components/oauth/OAuthClients";
import { formatDate, formatDateTime, roleLabel } from "../lib/format";

function useMembers(org: string) {
  return useQuery({ queryKey: ["members", org], queryFn: () => orgs.members(org) });
}

function Members({ org }: { org: string }) {
  const client = useQueryClient();
  const { me } = useSession();
  const members = useMembers(org);
  const setRole = useMutation({
    mutationFn: (v: { person: string; role: Role }) => orgs.setRole(org, v.person, v.role),
    onSettled: () => client.invalidateQueries({ queryKey: ["members", org] }),
  });
  const remove = useConfirmedAction({
    mutationFn: (member: Member) => orgs.removeMember(org, member.person.id),
    onSuccess: () => client.invalidateQueries({ queryKey: ["members", org] }),
  });
  const [erasing, setErasing] = useState<Member | null>(null);
  const [erased, setErased] = useState<string | null>(null);
  // Whose two-step sign-in was just reset, to say so.
  const [reset, setReset] = useState<string | null>(null);
  const resetMfa = useConfirmedAction({
    mutationFn: (member: Member) => mfa.resetMember(org, member.person.id),
    onSuccess: (_, member) => {
      setErased(null);
      setReset(member.person.display_name);
    },
  });
  const erasedNote = useRef<HTMLParagraphElement>(null);
  // The Erase button that opened the dialog left with its row: the focus goes to what happened.
  useEffect(() => {
    if (erased) erasedNote.current?.focus();
  }, [erased]);
  return (
    <section aria-labelledby="members-heading">
      <h2 id="members-heading">Members</h2>
      {members.isPending && <Loading />}
      <ErrorNote error={members.error} onRetry={() => members.refetch()} />
      <ErrorNote error={setRole.error} />
      {erased && (
        <p role="status" className="success" tabIndex={-1} ref={erasedNote}>
          {erased} was erased.
        </p>
      )}
      <p role="status" className="success">
        {reset && `${reset}'s two-step sign-in was reset: they sign in with their password alone until they set it up again.`}
      </p>
      {members.data?.length === 0 && <Empty title="No members yet." />}
      {members.data && members.data.length > 0 && (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">Joined</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {members.data.map((m) => (
                <tr key={m.person.id}>
                  <td>
                    {m.person.display_name}
                    {m.person.id === me?.person.id && <span className="muted"> (you)</span>}
                  </td>
                  <td>{m.person.email}</td>
                  <td>
                    <select
                      aria-label={`Role of ${m.person.display_name}`}
                      value={m.role}
                      disabled={setRole.isPending}
                      onChange={(e) => setRole.mutate({ person: m.person.id, role: e.target.value as Role })}
                    >
                      {ROLES.map((r) => (
                        <option key={r} value={r}>
                          {roleLabel(r)}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td className="muted">{formatDate(m.joined_at)}</td>
                  <td>
                    <div className="member-actions">
                      <MemberExportLink org={org} member={m} />
                      {m.person.id !== me?.person.id && (
                        <button
                          type="button"
                          className="danger-text"
                          aria-label={`Reset two-step sign-in of ${m.person.display_name}`}
                          onClick={() => {
                            setReset(null);
                            resetMfa.ask(m);
                          }}
                        >
                          Reset two-step sign-in
                        </button>
                      )}
                      {m.person.id !== me?.person.id && (
                        <button
                          type="button"
                          className="danger-text"
                          aria-label={`Erase ${m.person.display_name}`}
                          onClick={() => {
                            setErased(null);
                            setReset(null);
                            setErasing(m);
                          }}
                        >
                          Erase
                        </button>
                      )}
                      <button
                        type="button"
                        className="danger-text"
                        aria-label={`Remove ${m.person.display_name}`}
                        onClick={() => remove.ask(m)}
                      >
                        Remove
                      </button>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ConfirmActionDialog
        action={remove}
        title="Remove member?"
        message={
          <>
            {remove.target?.person.display_name} will lose access to this organisation. Their relationships here end
            too.
          </>
        }
        confirmLabel="Remove"
      />
      <ConfirmActionDialog
        action={resetMfa}
        title={`Reset ${resetMfa.target?.person.display_name ?? ""}'s two-step sign-in?`}
        message={
          <>
            For someone who lost their phone: if {resetMfa.target?.person.display_name} uses two-step sign-in, their
            authenticator app, recovery codes and remembered devices are removed. They then sign in with their password
            alone, and are asked to set it up again where it is required for them.
          </>
        }
        confirmLabel="Reset two-step sign-in"
      />
      <EraseMemberDialog
        org={org}
        member={erasing}
        onClose={() => setErasing(null)}
        onErased={(member) => {
          setErasing(null);
          setErased(member.person.display_name);
        }}
      />
    </section>
  );
}

function Invitations({ org }: { org: string }) {
  const client = useQueryClient();
  const list = useQuery({ queryKey: ["invitations", org], queryFn: () => orgs.invitations(org) });
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("learner");
  const [created, setCreated] = useState<InvitationCreated | null>(null);
  const invite = useMutation({
    mutationFn: () => orgs.invite(org, email, role),
    onSuccess: (c) => {
      setCreated(c);
      setEmail("");
      return client.invalidateQueries({ queryKey: ["invitations", org] });
    },
  });
  const revoke = useMutation({
    mutationFn: (id: string) => orgs.revokeInvitation(org, id),
    onSettled: () => client.invalidateQueries({ queryKey: ["invitations", org] }),
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    setCreated(null);
    invite.mutate();
  }

  // The server builds the link from its public URL, which is right even behind a proxy.
  const link = created?.accept_url ?? "";

  return (
    <section aria-labelledby="invitations-heading">
      <h2 id="invitations-heading">Invitations</h2>
      <form className="card inline-form" onSubmit={submit} aria-label="Invite someone">
        <Field label="Email">
          {(p) => <input {...p} type="email" value={email} onChange={(e) => setEmail(e.target.value)} />}
        </Field>
        <Field label="Role">
          {(p) => (
            <select {...p} value={role} onChange={(e) => setRole(e.target.value as Role)}>
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {roleLabel(r)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <button type="submit" className="primary" disabled={!email.trim() || invite.isPending}>
          Create invitation
        </button>
      </form>
      <ErrorNote error={invite.error} />
      {created && (
        <SecretBox
          label={`Invitation link for ${created.invitation.email}`}
          value={link}
          note="Send this link to the person. It is shown only now, and works once, until it expires."
        />
      )}
      {list.isPending && <Loading />}
      <ErrorNote error={list.error ?? revoke.error} />
      {list.data?.length === 0 && <Empty title="No invitations yet." />}
      {list.data && list.data.length > 0 && (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">Status</th>
                <th scope="col">Expires</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data.map((i) => (
                <tr key={i.id}>
                  <td>{i.email}</td>
                  <td>{roleLabel(i.role)}</td>
                  <td>
                    <span className={`status status-${i.status}`}>{i.status}</span>
                  </td>
                  <td className="muted">{formatDateTime(i.expires_at)}</td>
                  <td>
                    {i.status === "pending" && (
                      <button
                        type="button"
                        className="danger-text"
                        aria-label={`Revoke invitation for ${i.email}`}
                        disabled={revoke.isPending}
                        onClick={() => revoke.mutate(i.id)}
                      >
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

const KINDS: { value: RelationshipKind; label: string; from: Role; to: Role }[] = [
  { value: "coach_learner", label: "Coach supports learner", from: "coach", to: "learner" },
  { value: "parent_learner", label: "Parent follows learner", from: "parent", to: "learner" },
  { value: "manager_coach", label: "Manager oversees coach", from: "manager", to: "coach" },
];

function Relationships({ org }: { org: string }) {
  const client = useQueryClient();
  const members = useMembers(org);
  const list = useQuery({ queryKey: ["relationships", org], queryFn: () => orgs.relationships(org) });
  const [kind, setKind] = useState<RelationshipKind>("coach_learner");
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const spec = KINDS.find((k) => k.value === kind)!;
  const name = (id: string) => members.data?.find((m) => m.person.id === id)?.person.display_name ?? "someone";
  const create = useMutation({
    mutationFn: () => orgs.relate(org, { kind, from_person: from, to_person: to }),
    onSuccess: () => {
      setFrom("");
      setTo("");
      return client.invalidateQueries({ queryKey: ["relationships", org] });
    },
  });
  const remove = useMutation({
    mutationFn: (id: string) => orgs.unrelate(org, id),
    onSettled: () => client.invalidateQueries({ queryKey: ["relationships", org] }),
  });
  const withRole = (role: Role) => (members.data ?? []).filter((m) => m.role === role);

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate();
  }

  return (
    <section aria-labelledby="relationships-heading">
      <h2 id="relationships-heading">Relationships</h2>
      <p className="muted">Relationships decide who sees whom: a coach sees their learners, a parent their children.</p>
      <form className="card inline-form" onSubmit={submit} aria-label="Add relationship">
        <Field label="Kind">
          {(p) => (
            <select
              {...p}
              value={kind}
              onChange={(e) => {
                setKind(e.target.value as RelationshipKind);
                setFrom("");
                setTo("");
              }}
            >
              {KINDS.map((k) => (
                <option key={k.value} value={k.value}>
                  {k.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={roleLabel(spec.from)}>
          {(p) => (
            <select {...p} value={from} onChange={(e) => setFrom(e.target.value)}>
              <option value="">Choose…</option>
              {withRole(spec.from).map((m) => (
                <option key={m.person.id} value={m.person.id}>
                  {m.person.display_name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={roleLabel(spec.to)}>
          {(p) => (
            <select {...p} value={to} onChange={(e) => setTo(e.target.value)}>
              <option value="">Choose…</option>
              {withRole(spec.to).map((m) => (
                <option key={m.person.id} value={m.person.id}>
                  {m.person.display_name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <button type="submit" className="primary" disabled={!from || !to || create.isPending}>
          Add
        </button>
      </form>
      <ErrorNote error={create.error ?? remove.error} />
      {list.isPending && <Loading />}
      <ErrorNote error={list.error} />
      {list.data?.length === 0 && <Empty title="No relationships yet." />}
      {list.data && list.data.length > 0 && (
        <ul className="plain-list" aria-label="Relationships">
          {list.data.map((r) => {
            const k = KINDS.find((x) => x.value === r.kind);
            return (
              <li key={r.id}>
                <span>
                  <strong>{name(r.from_person)}</strong> ({k ? roleLabel(k.from).toLowerCase() : r.kind}) →{" "}
                  <strong>{name(r.to_person)}</strong> ({k ? roleLabel(k.to).toLowerCase() : ""})
                </span>
                <button
                  type="button"
                  className="danger-text"
                  onClick={() => remove.mutate(r.id)}
                  aria-label={`End relationship ${name(r.from_person)} to ${name(r.to_person)}`}
                >
                  End
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

export default function OrgAdmin() {
  const org = useOrgId();
  const { org: current, isOperator } = useSession();
  return (
    <div className="page">
      <h1>{current?.organisation.name ?? "Organisation"}</h1>
      <nav className="tabs" aria-label="Organisation sections">
        <NavLink to="/admin/members">Members</NavLink>
        <NavLink to="/admin/invitations">Invitations</NavLink>
        <NavLink to="/admin/relationships">Relationships</NavLink>
        <NavLink to="/admin/channels">Channels</NavLink>
        <NavLink to="/admin/nudges">Nudges</NavLink>
        <NavLink to="/admin/widgets">Widgets</NavLink>
        <NavLink to="/admin/retention">Data retention</NavLink>
        <NavLink to="/admin/sso">Single sign-on</NavLink>
        <NavLink to="/admin/prompt-privacy">Chat model privacy</NavLink>
        <NavLink to="/admin/models">AI models</NavLink>
        {isOperator && <NavLink to="/admin/apps">Apps</NavLink>}
      </nav>
      <Routes>
        <Route index element={<Navigate to="members" replace />} />
        <Route path="members" element={<Members org={org} />} />
        <Route path="invitations" element={<Invitations org={org} />} />
        <Route path="relationships" element={<Relationships org={org} />} />
        <Route path="channels" element={<ChannelSettings org={org} />} />
        <Route path="nudges" element={<NudgeRules org={org} />} />
        <Route path="nudges/:ruleId" element={<NudgeEffectView org={org} />} />
        <Route path="widgets" element={<WidgetSettings org={org} />} />
        <Route path="retention" element={<RetentionSettings org={org} />} />
        <Route path="sso" element={<SingleSignOnSettings org={org} />} />
        <Route path="prompt-privacy" element={<PromptPrivacySettings org={org} />} />
        <Route path="models" element={<ModelEndpointSettings org={org} />} />
        <Route path="apps" element={isOperator ? <OAuthClients /> : <Navigate to="/admin/members" replace />} />
      </Routes>
    </div>
  );
}
