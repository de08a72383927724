// The form that adds or changes an organisation's identity provider. The kind
// sets the presets, as the server applies them: Google Workspace needs the
// organisation's Workspace domains and has its issuer; Clever needs the
// district and maps its user types to roles (its table shown, to change);
// any other OpenID Connect provider needs its issuer. The client secret is
// write-only: required when adding, left empty to keep when changing. A
// field the server refuses says why beside it and takes the focus.

import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { useMutation } from "@tanstack/react-query";
import {
  KIND_PRESETS,
  PROVIDER_KINDS,
  kindLabel,
  sso,
  type IdentityProvider,
  type IdentityProviderInput,
  type IdentityProviderKind,
} from "../../api/sso";
import { ROLES, type Role } from "../../api/types";
import { roleLabel } from "../../lib/format";
import { ErrorNote } from "../ui";
import { CheckField, FieldError, FormField, fieldRefusal } from "../provisioning/fields";

export const PROVIDER_FIELDS = [
  "kind",
  "name",
  "issuer_url",
  "client_id",
  "client_secret",
  "allowed_domains",
  "district_id",
  "role_claim",
  "role_map",
  "default_role",
  "enabled",
] as const;
type FieldName = (typeof PROVIDER_FIELDS)[number];

/** One line of the role table: a claim value and the role it gives. */
interface RoleRow {
  key: number;
  value: string;
  role: Role;
}

/** The form's fields as typed. */
interface Draft {
  kind: IdentityProviderKind;
  name: string;
  issuer: string;
  clientId: string;
  secret: string;
  domains: string;
  districtId: string;
  roleClaim: string;
  roles: RoleRow[];
  defaultRole: Role;
  enabled: boolean;
}

let rowKeys = 0;
const rowsOf = (map: Record<string, Role>): RoleRow[] =>
  Object.entries(map).map(([value, role]) => ({ key: ++rowKeys, value, role }));

function draftOf(provider: IdentityProvider | null): Draft {
  const kind = provider?.kind ?? "google";
  const preset = KIND_PRESETS[kind];
  return {
    kind,
    name: provider?.name ?? "",
    // The kind's own issuer is shown as the placeholder, not written in.
    issuer: provider && provider.issuer_url !== preset.defaultIssuer ? provider.issuer_url : "",
    clientId: provider?.client_id ?? "",
    secret: "",
    domains: provider?.allowed_domains.join("\n") ?? "",
    districtId: provider?.district_id ?? "",
    roleClaim: provider ? (provider.role_claim ?? "") : (preset.defaultRoleClaim ?? ""),
    roles: rowsOf(provider?.role_map ?? preset.defaultRoleMap),
    defaultRole: provider?.default_role ?? "learner",
    enabled: provider?.enabled ?? true,
  };
}

/** The domains typed one a line (or separated by commas or spaces). */
const domainsOf = (text: string) =>
  text
    .split(/[\s,]+/)
    .map((d) => d.trim())
    .filter(Boolean);

function inputOf(draft: Draft, editing: boolean): IdentityProviderInput {
  const input: IdentityProviderInput = {
    kind: draft.kind,
    name: draft.name.trim(),
    issuer_url: draft.issuer.trim() || null,
    client_id: draft.clientId.trim(),
    allowed_domains: domainsOf(draft.domains),
    district_id: draft.kind === "clever" ? draft.districtId.trim() || null : null,
    role_claim: draft.roleClaim.trim() || null,
    role_map: Object.fromEntries(draft.roles.filter((r) => r.value.trim()).map((r) => [r.value.trim(), r.role])),
    default_role: draft.defaultRole,
    enabled: draft.enabled,
  };
  // Left out when changing: the stored secret is kept. Adding without one, the server says it is required.
  if (draft.secret || !editing) input.client_secret = draft.secret || null;
  return input;
}

/** What the form can tell before sending: a claim value listed twice. */
function duplicateClaim(draft: Draft): string | null {
  const seen = new Set<string>();
  for (const row of draft.roles) {
    const value = row.value.trim();
    if (!value) continue;
    if (seen.has(value)) return `“${value}” is listed twice: give each claim value one role.`;
    seen.add(value);
  }
  return null;
}

const KIND_HINTS: Record<IdentityProviderKind, string> = {
  google:
    "Google Workspace accounts of your organisation's domains. Create an OAuth client (Web application) in the Google Cloud console.",
  clever: "Clever accounts of your district. Create an app in Clever's developer dashboard.",
  oidc: "Any OpenID Connect provider (Microsoft Entra ID, Okta, Keycloak…): register Wayfinder as a client there.",
};

const PLAIN_INPUT = { autoComplete: "off", spellCheck: false, autoCapitalize: "off" } as const;

export function ProviderForm({
  org,
  provider,
  onSaved,
  onCancel,
}: {
  org: string;
  provider: IdentityProvider | null;
  onSaved: (provider: IdentityProvider) => void;
  onCancel: () => void;
}) {
  const ids = useId();
  const editing = provider !== null;
  const [draft, setDraft] = useState(() => draftOf(provider));
  const [checked, setChecked] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: (input: IdentityProviderInput) =>
      provider ? sso.updateProvider(org, provider.id, input) : sso.createProvider(org, input),
    onSuccess: onSaved,
  });
  const refusal = fieldRefusal(save.error, PROVIDER_FIELDS);
  const errorOf = (field: FieldName) => {
    if (field === "role_map" && checked) return checked;
    return refusal?.field === field ? refusal.message : null;
  };
  const headingRef = useRef<HTMLHeadingElement>(null);
  const preset = KIND_PRESETS[draft.kind];

  // Opened from a row further down, the form takes the focus (and scrolls into view).
  useEffect(() => {
    headingRef.current?.focus();
  }, []);

  // The refused field takes the focus, so its reason is what is read next.
  useEffect(() => {
    const refused = fieldRefusal(save.error, PROVIDER_FIELDS);
    if (refused) document.getElementById(`${ids}-${refused.field}`)?.focus();
  }, [save.error, ids]);

  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => setDraft((d) => ({ ...d, [key]: value }));

  /** A new kind brings its presets, unless the role settings were already changed from the old kind's. */
  function changeKind(kind: IdentityProviderKind) {
    setDraft((d) => {
      const old = KIND_PRESETS[d.kind];
      const untouched =
        d.roleClaim === (old.defaultRoleClaim ?? "") &&
        JSON.stringify(Object.fromEntries(d.roles.map((r) => [r.value, r.role]))) === JSON.stringify(old.defaultRoleMap);
      const next = KIND_PRESETS[kind];
      return untouched
        ? { ...d, kind, roleClaim: next.defaultRoleClaim ?? "", roles: rowsOf(next.defaultRoleMap) }
        : { ...d, kind };
    });
  }

  function setRow(key: number, change: Partial<RoleRow>) {
    setChecked(null);
    setDraft((d) => ({ ...d, roles: d.roles.map((r) => (r.key === key ? { ...r, ...change } : r)) }));
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    const duplicate = duplicateClaim(draft);
    setChecked(duplicate);
    if (duplicate) {
      save.reset();
      document.getElementById(`${ids}-role_map`)?.focus();
      return;
    }
    save.mutate(inputOf(draft, editing));
  }

  const domainsLabel = draft.kind === "google" ? "Workspace domains" : "Allowed email domains (optional)";
  const domainsHint =
    draft.kind === "google"
      ? "One a line, such as school.example. Only Google accounts of these domains get in; at least one is needed."
      : "One a line. Only people whose email is in one of these get in; an existing Wayfinder account is linked only when the provider verifies its address here. Left empty: anyone the provider signs in joins as a new account.";

  return (
    <section className="card sso-editor" aria-labelledby={`${ids}-heading`}>
      <h3 id={`${ids}-heading`} ref={headingRef} tabIndex={-1}>
        {provider ? `Edit “${provider.name}”` : "New identity provider"}
      </h3>
      <form className="sso-form" onSubmit={submit} aria-label="Identity provider" noValidate>
        <FormField id={`${ids}-kind`} label="Kind" hint={KIND_HINTS[draft.kind]} error={errorOf("kind")}>
          {(p) => (
            <select {...p} value={draft.kind} onChange={(e) => changeKind(e.target.value as IdentityProviderKind)}>
              {PROVIDER_KINDS.map((k) => (
                <option key={k} value={k}>
                  {kindLabel(k)}
                </option>
              ))}
            </select>
          )}
        </FormField>
        <FormField
          id={`${ids}-name`}
          label="Name"
          hint="Shown on the sign-in page as “Sign in with …”."
          error={errorOf("name")}
        >
          {(p) => <input {...p} maxLength={120} value={draft.name} onChange={(e) => set("name", e.target.value)} />}
        </FormField>
        <FormField
          id={`${ids}-issuer_url`}
          label={preset.defaultIssuer ? "Issuer URL (optional)" : "Issuer URL"}
          hint={
            preset.defaultIssuer
              ? `Left empty: ${kindLabel(draft.kind)}'s own, ${preset.defaultIssuer}.`
              : "The provider's issuer, such as https://login.example.com; its discovery document is at <issuer>/.well-known/openid-configuration."
          }
          error={errorOf("issuer_url")}
        >
          {(p) => (
            <input
              {...p}
              {...PLAIN_INPUT}
              type="url"
              placeholder={preset.defaultIssuer ?? "https://"}
              value={draft.issuer}
              onChange={(e) => set("issuer", e.target.value)}
            />
          )}
        </FormField>
        <div className="row">
          <FormField id={`${ids}-client_id`} label="Client ID" error={errorOf("client_id")}>
            {(p) => (
              <input {...p} {...PLAIN_INPUT} value={draft.clientId} onChange={(e) => set("clientId", e.target.value)} />
            )}
          </FormField>
          <FormField
            id={`${ids}-client_secret`}
            label={editing ? "Client secret (leave empty to keep)" : "Client secret"}
            hint={
              editing
                ? "The saved secret is never shown. Type a new one only to replace it."
                : "Never shown again once saved."
            }
            error={errorOf("client_secret")}
          >
            {(p) => (
              <input
                {...p}
                {...PLAIN_INPUT}
                type="password"
                autoComplete="new-password"
                placeholder={editing ? "Unchanged" : undefined}
                value={draft.secret}
                onChange={(e) => set("secret", e.target.value)}
              />
            )}
          </FormField>
        </div>
        <FormField id={`${ids}-allowed_domains`} label={domainsLabel} hint={domainsHint} error={errorOf("allowed_domains")}>
          {(p) => (
            <textarea
              {...p}
              {...PLAIN_INPUT}
              rows={2}
              placeholder="school.example"
              value={draft.domains}
              onChange={(e) => set("domains", e.target.value)}
            />
          )}
        </FormField>
        {draft.kind === "clever" && (
          <FormField
            id={`${ids}-district_id`}
            label="District ID"
            hint="Clever's id of your district: only its people get in."
            error={errorOf("district_id")}
          >
            {(p) => (
              <input {...p} {...PLAIN_INPUT} value={draft.districtId} onChange={(e) => set("districtId", e.target.value)} />
            )}
          </FormField>
        )}
        <fieldset className="sso-role-map" aria-describedby={`${ids}-roles-hint`}>
          <legend>Roles of new members</legend>
          <p className="hint" id={`${ids}-roles-hint`}>
            Someone who signs in for the first time joins with the role their claim's value gives, or the default role.
            Existing members keep theirs.
            {draft.kind === "clever" && " Clever's user types are mapped as Clever suggests; change them as you need."}
          </p>
          <FormField
            id={`${ids}-role_claim`}
            label={preset.defaultRoleClaim ? "Role claim" : "Role claim (optional)"}
            hint={
              preset.defaultRoleClaim
                ? `The ID-token claim read for the role; left empty: ${preset.defaultRoleClaim}.`
                : "The ID-token claim read for the role, such as groups."
            }
            error={errorOf("role_claim")}
          >
            {(p) => (
              <input
                {...p}
                {...PLAIN_INPUT}
                placeholder={preset.defaultRoleClaim ?? undefined}
                value={draft.roleClaim}
                onChange={(e) => set("roleClaim", e.target.value)}
              />
            )}
          </FormField>
          {draft.roles.length > 0 && (
            <table aria-label="Claim values and roles" aria-describedby={errorOf("role_map") ? `${ids}-role_map-error` : undefined}>
              <thead>
                <tr>
                  <th scope="col">Claim value</th>
                  <th scope="col">Role</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {draft.roles.map((row, i) => {
                  const named = row.value.trim() || `row ${i + 1}`;
                  return (
                    <tr key={row.key}>
                      <td>
                        <input
                          {...PLAIN_INPUT}
                          id={i === 0 ? `${ids}-role_map` : undefined}
                          aria-label={`Claim value ${i + 1}`}
                          aria-invalid={errorOf("role_map") ? true : undefined}
                          value={row.value}
                          onChange={(e) => setRow(row.key, { value: e.target.value })}
                        />
                      </td>
                      <td>
                        <select
                          aria-label={`Role for ${named}`}
                          value={row.role}
                          onChange={(e) => setRow(row.key, { role: e.target.value as Role })}
                        >
                          {ROLES.map((r) => (
                            <option key={r} value={r}>
                              {roleLabel(r)}
                            </option>
                          ))}
                        </select>
                      </td>
                      <td>
                        <button
                          type="button"
                          className="danger-text"
                          aria-label={`Remove ${named}`}
                          onClick={() => {
                            setChecked(null);
                            setDraft((d) => ({ ...d, roles: d.roles.filter((r) => r.key !== row.key) }));
                          }}
                        >
                          Remove
                        </button>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
          <FieldError id={`${ids}-role_map-error`} error={errorOf("role_map")} />
          <div className="actions start">
            <button
              type="button"
              onClick={() => set("roles", [...draft.roles, { key: ++rowKeys, value: "", role: draft.defaultRole }])}
            >
              Add a claim value
            </button>
            {Object.keys(preset.defaultRoleMap).length > 0 && (
              <button
                type="button"
                onClick={() => {
                  setChecked(null);
                  setDraft((d) => ({
                    ...d,
                    roleClaim: preset.defaultRoleClaim ?? "",
                    roles: rowsOf(preset.defaultRoleMap),
                  }));
                }}
              >
                Restore {kindLabel(draft.kind)}'s defaults
              </button>
            )}
          </div>
          <FormField
            id={`${ids}-default_role`}
            label="Default role"
            hint="For new members whose claim gives no role."
            error={errorOf("default_role")}
          >
            {(p) => (
              <select {...p} value={draft.defaultRole} onChange={(e) => set("defaultRole", e.target.value as Role)}>
                {ROLES.map((r) => (
                  <option key={r} value={r}>
                    {roleLabel(r)}
                  </option>
                ))}
              </select>
            )}
          </FormField>
        </fieldset>
        <CheckField
          id={`${ids}-enabled`}
          label="Enabled"
          checked={draft.enabled}
          onChange={(enabled) => set("enabled", enabled)}
          hint="A disabled provider is not offered on the sign-in page, and sign-ins through it are refused."
          error={errorOf("enabled")}
          className="check field-check"
        />
        {!refusal && <ErrorNote error={save.error} />}
        <div className="actions start">
          <button type="submit" className="primary" disabled={save.isPending}>
            {save.isPending ? "Saving…" : provider ? "Save provider" : "Add provider"}
          </button>
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </form>
    </section>
  );
}
