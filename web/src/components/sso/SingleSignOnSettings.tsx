// The organisation's single sign-on (administrators): its OpenID Connect
// identity providers in a table (kind, issuer, domains, enabled), each to
// edit, switch off or on, or delete (asked first); the form to add or change
// one (see ProviderForm); once saved, the redirect URI to register at the
// provider, with a copy button; and whether members may sign in only through
// these providers ("SSO-only"), which the server allows once one is enabled;
// and whether its admins must use two-step sign-in (see AdminMfaSetting).
// A refusal shows beside the field it names.

import { useEffect, useId, useRef, useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import {
  kindLabel,
  sso,
  ssoKeys,
  type IdentityProvider,
  type IdentityProviderInput,
} from "../../api/sso";
import { ConfirmActionDialog, CopyButton, Empty, ErrorNote, Loading, useConfirmedAction } from "../ui";
import { FieldError } from "../provisioning/fields";
import { describeError, errorField } from "../../lib/errors";
import { ProviderForm } from "./ProviderForm";
import { AdminMfaSetting } from "../mfa/AdminMfaSetting";
import "./sso.css";

/** A provider's settings as they are, to send back with one change (the secret left out: kept). */
function inputFrom(provider: IdentityProvider): IdentityProviderInput {
  return {
    kind: provider.kind,
    name: provider.name,
    issuer_url: provider.issuer_url,
    client_id: provider.client_id,
    allowed_domains: provider.allowed_domains,
    district_id: provider.district_id ?? null,
    role_claim: provider.role_claim ?? null,
    role_map: provider.role_map,
    default_role: provider.default_role,
    enabled: provider.enabled,
  };
}

/** The address to register at the provider, to copy. */
function RedirectUri({ provider, onClose }: { provider: IdentityProvider; onClose: () => void }) {
  const ids = useId();
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    headingRef.current?.focus();
  }, [provider.id]);
  return (
    <section className="card sso-redirect" aria-labelledby={`${ids}-heading`}>
      <h3 id={`${ids}-heading`} ref={headingRef} tabIndex={-1}>
        Register Wayfinder at “{provider.name}”
      </h3>
      <p>
        At {kindLabel(provider.kind)}, add this address to the client <code>{provider.client_id}</code> as an authorised
        redirect URI (sometimes called callback URL): sign-ins come back to it.
      </p>
      <div className="secret-row">
        <input
          readOnly
          id={`${ids}-uri`}
          aria-label="Redirect URI"
          value={provider.redirect_uri}
          onFocus={(e) => e.currentTarget.select()}
        />
        <CopyButton text={provider.redirect_uri} />
      </div>
      <div className="actions start">
        <button type="button" onClick={onClose}>
          Done
        </button>
      </div>
    </section>
  );
}

function ProvidersTable({
  list,
  busy,
  onShow,
  onEdit,
  onToggle,
  onDelete,
}: {
  list: IdentityProvider[];
  busy: boolean;
  onShow: (provider: IdentityProvider) => void;
  onEdit: (provider: IdentityProvider) => void;
  onToggle: (provider: IdentityProvider) => void;
  onDelete: (provider: IdentityProvider) => void;
}) {
  return (
    <div className="table-wrap">
      <table className="stacked-table" aria-label="Identity providers">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Kind</th>
            <th scope="col">Issuer</th>
            <th scope="col">Domains</th>
            <th scope="col">Status</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {list.map((p) => (
            <tr key={p.id}>
              <th scope="row">{p.name}</th>
              <td data-label="Kind">{kindLabel(p.kind)}</td>
              <td data-label="Issuer" className="sso-issuer">
                {p.issuer_url}
              </td>
              <td data-label="Domains">
                {p.allowed_domains.length === 0 ? (
                  <span className="muted">Any</span>
                ) : (
                  <ul className="sso-domains">
                    {p.allowed_domains.map((d) => (
                      <li key={d}>{d}</li>
                    ))}
                  </ul>
                )}
              </td>
              <td data-label="Status">
                <span className={`status ${p.enabled ? "ok" : ""}`}>{p.enabled ? "Enabled" : "Disabled"}</span>
              </td>
              <td>
                <div className="sso-actions">
                  <button type="button" aria-label={`Redirect URI for ${p.name}`} onClick={() => onShow(p)}>
                    Redirect URI
                  </button>
                  <button type="button" aria-label={`Edit ${p.name}`} onClick={() => onEdit(p)}>
                    Edit
                  </button>
                  <button
                    type="button"
                    aria-label={`${p.enabled ? "Disable" : "Enable"} ${p.name}`}
                    disabled={busy}
                    onClick={() => onToggle(p)}
                  >
                    {p.enabled ? "Disable" : "Enable"}
                  </button>
                  <button type="button" className="danger-text" aria-label={`Delete ${p.name}`} onClick={() => onDelete(p)}>
                    Delete
                  </button>
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** "SSO-only sign-in": saved as soon as it is switched; a refusal says why beside it. */
function SsoOnlySetting({ org }: { org: string }) {
  const ids = useId();
  const client = useQueryClient();
  const settings = useQuery({ queryKey: ssoKeys.settings(org), queryFn: () => sso.signInSettings(org) });
  const [saved, setSaved] = useState("");
  // What was asked, shown from the click on (the mutation's own state arrives a tick later).
  const [asked, setAsked] = useState<boolean | null>(null);
  const save = useMutation({
    mutationFn: (next: { sso_only: boolean }) => sso.setSignInSettings(org, next),
    onSettled: () => setAsked(null),
    onSuccess: (view) => {
      client.setQueryData(ssoKeys.settings(org), view);
      setSaved(
        view.sso_only
          ? "Saved: members now sign in only through your identity providers."
          : "Saved: members may sign in with their passwords again.",
      );
    },
  });
  // The one field here: a refusal naming it, or naming none (SSO-only without an enabled provider), shows beside it.
  const refused = save.error && (!errorField(save.error) || errorField(save.error) === "sso_only");
  const errorId = `${ids}-error`;
  return (
    <section className="card" aria-labelledby={`${ids}-heading`}>
      <h3 id={`${ids}-heading`}>How members sign in</h3>
      {settings.isPending && <Loading />}
      <ErrorNote error={settings.error} onRetry={() => settings.refetch()} />
      {settings.data && (
        <div className="field">
          <label className="check field-check">
            <input
              type="checkbox"
              id={`${ids}-sso_only`}
              // While saving, the box shows what was asked; refused, it shows what is in force again.
              checked={asked ?? settings.data.sso_only}
              disabled={save.isPending}
              aria-invalid={refused ? true : undefined}
              aria-describedby={[refused ? errorId : null, `${ids}-hint`].filter(Boolean).join(" ")}
              onChange={(e) => {
                setSaved("");
                setAsked(e.target.checked);
                save.mutate({ sso_only: e.target.checked });
              }}
            />
            SSO-only sign-in
          </label>
          <FieldError id={errorId} error={refused ? describeError(save.error) : null} />
          <p className="hint" id={`${ids}-hint`}>
            Members sign in only through the identity providers above; their passwords are refused. Instance operators
            can still use theirs. Needs an enabled provider.
          </p>
        </div>
      )}
      {save.error !== null && !refused && <ErrorNote error={save.error} />}
      <p role="status" className="success">
        {saved}
      </p>
    </section>
  );
}

/** What the panel under the heading shows: the form (new or for a provider), a redirect URI, or nothing. */
type Panel = { form: IdentityProvider | null } | { uri: IdentityProvider } | null;

export function SingleSignOnSettings({ org }: { org: string }) {
  const client = useQueryClient();
  const list = useQuery({ queryKey: ssoKeys.providers(org), queryFn: () => sso.providers(org) });
  const [panel, setPanel] = useState<Panel>(null);
  const [announcement, setAnnouncement] = useState("");

  const replace = (provider: IdentityProvider) =>
    client.setQueryData<IdentityProvider[]>(ssoKeys.providers(org), (old) =>
      (old ?? []).some((p) => p.id === provider.id)
        ? (old ?? []).map((p) => (p.id === provider.id ? provider : p))
        : [...(old ?? []), provider],
    );

  const toggle = useMutation({
    mutationFn: (provider: IdentityProvider) =>
      sso.updateProvider(org, provider.id, { ...inputFrom(provider), enabled: !provider.enabled }),
    onSuccess: (provider) => {
      replace(provider);
      setAnnouncement(`${provider.enabled ? "Enabled" : "Disabled"} “${provider.name}”.`);
    },
  });

  const remove = useConfirmedAction({
    mutationFn: (provider: IdentityProvider) => sso.removeProvider(org, provider.id),
    onSuccess: (_, provider) => {
      setPanel((p) => (p && ("uri" in p ? p.uri.id : p.form?.id) === provider.id ? null : p));
      setAnnouncement(`Deleted “${provider.name}”.`);
      client.setQueryData<IdentityProvider[]>(ssoKeys.providers(org), (old) =>
        (old ?? []).filter((p) => p.id !== provider.id),
      );
      // Without an enabled provider the server may have let passwords back in.
      return client.invalidateQueries({ queryKey: ssoKeys.settings(org) });
    },
  });

  function saved(provider: IdentityProvider, created: boolean) {
    replace(provider);
    setPanel({ uri: provider });
    setAnnouncement(created ? `Added “${provider.name}”.` : `Saved “${provider.name}”.`);
  }

  const editing = panel && "form" in panel ? panel : null;

  return (
    <section aria-labelledby="sso-heading" className="sso-settings">
      <div className="page-header">
        <h2 id="sso-heading">Single sign-on</h2>
        <button
          type="button"
          className="primary"
          disabled={!list.data || editing?.form === null}
          onClick={() => {
            setAnnouncement("");
            setPanel({ form: null });
          }}
        >
          Add identity provider
        </button>
      </div>
      <p className="muted">
        Let your members sign in with the account they already have at Google Workspace, Clever or another OpenID
        Connect provider. Someone who signs in this way for the first time joins the organisation; the sign-in page
        offers your providers to anyone who types an email of your domains.
      </p>
      {editing && (
        <ProviderForm
          key={editing.form?.id ?? "new"}
          org={org}
          provider={editing.form}
          onSaved={(provider) => saved(provider, !editing.form)}
          onCancel={() => setPanel(null)}
        />
      )}
      <p role="status" className="success sso-announcement">
        {announcement}
      </p>
      {panel && "uri" in panel && <RedirectUri provider={panel.uri} onClose={() => setPanel(null)} />}
      {list.isPending && <Loading />}
      <ErrorNote error={list.error} onRetry={() => list.refetch()} />
      <ErrorNote error={toggle.error} />
      {list.data?.length === 0 && (
        <Empty title="No identity providers yet.">
          <p>Add one, then register the redirect URI Wayfinder shows at the provider.</p>
        </Empty>
      )}
      {list.data && list.data.length > 0 && (
        <ProvidersTable
          list={list.data}
          busy={toggle.isPending}
          onShow={(provider) => setPanel({ uri: provider })}
          onEdit={(provider) => {
            setAnnouncement("");
            setPanel({ form: provider });
          }}
          onToggle={(provider) => {
            setAnnouncement("");
            toggle.mutate(provider);
          }}
          onDelete={remove.ask}
        />
      )}
      <SsoOnlySetting org={org} />
      <AdminMfaSetting org={org} />
      <ConfirmActionDialog
        action={remove}
        title={`Delete “${remove.target?.name ?? ""}”?`}
        message="Nobody can sign in through it any more, and the accounts linked through it are unlinked. The people stay members, with their data."
        confirmLabel="Delete provider"
      />
    </section>
  );
}
