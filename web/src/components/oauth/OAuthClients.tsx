// Apps (operators): the OAuth clients people can sign in to Wayfinder with,
// for the whole instance rather than one organisation. Each shows its kind,
// its client ID to copy and the addresses it may return to; registering one
// takes a name, a kind and those addresses, one a line, and a confidential
// client's secret is shown once, right after. Removing one (asked first) signs
// out every app signed in through it. Beside them, rotating the key access
// tokens are signed with, which shows the new key's id. A field the server
// refuses says why beside it and takes the focus.

import { useEffect, useId, useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import {
  CLIENT_KINDS,
  clientKindLabel,
  oauth,
  oauthKeys,
  type OAuthClient,
  type OAuthClientCreate,
  type OAuthClientCreated,
  type OAuthClientKind,
} from "../../api/oauth";
import { ConfirmActionDialog, CopyButton, Empty, ErrorNote, Loading, SecretBox, useConfirmedAction } from "../ui";
import { FormField, fieldRefusal } from "../provisioning/fields";
import { formatDate } from "../../lib/format";
import "./oauth.css";

const CLIENT_FIELDS = ["name", "kind", "redirect_uris"] as const;

/** The addresses typed one a line (blank lines left out). */
const addressesOf = (text: string) =>
  text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);

const PLAIN_INPUT = { autoComplete: "off", spellCheck: false, autoCapitalize: "off" } as const;

function RegisterForm({ onRegistered }: { onRegistered: (created: OAuthClientCreated) => void }) {
  const ids = useId();
  const [name, setName] = useState("");
  const [kind, setKind] = useState<OAuthClientKind>("public");
  const [addresses, setAddresses] = useState("");
  const register = useMutation({
    mutationFn: (input: OAuthClientCreate) => oauth.registerClient(input),
    onSuccess: (created) => {
      setName("");
      setAddresses("");
      onRegistered(created);
    },
  });
  const refusal = fieldRefusal(register.error, CLIENT_FIELDS);
  const fieldError = (field: (typeof CLIENT_FIELDS)[number]) => (refusal?.field === field ? refusal.message : null);

  // A refused field takes the focus, to be fixed where its reason is.
  const refusedField = refusal?.field;
  useEffect(() => {
    if (refusedField) document.getElementById(`${ids}-${refusedField}`)?.focus();
  }, [register.error, refusedField, ids]);

  function submit(event: FormEvent) {
    event.preventDefault();
    register.mutate({ name: name.trim(), kind, redirect_uris: addressesOf(addresses) });
  }

  return (
    <form className="card oauth-register" onSubmit={submit} noValidate aria-label="Register an app">
      <h3>Register an app</h3>
      <div className="row">
        <FormField id={`${ids}-name`} label="Name" hint="People see it when they are asked to allow the app." error={fieldError("name")}>
          {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} />}
        </FormField>
        <FormField
          id={`${ids}-kind`}
          label="Kind"
          hint={CLIENT_KINDS.find((k) => k.kind === kind)?.hint}
          error={fieldError("kind")}
        >
          {(p) => (
            <select {...p} value={kind} onChange={(e) => setKind(e.target.value as OAuthClientKind)}>
              {CLIENT_KINDS.map((k) => (
                <option key={k.kind} value={k.kind}>
                  {k.label} ({k.use})
                </option>
              ))}
            </select>
          )}
        </FormField>
      </div>
      <FormField
        id={`${ids}-redirect_uris`}
        label="Redirect addresses"
        hint="One a line: where the browser returns with the answer. An https address, a loopback address such as http://127.0.0.1/callback (the app may listen on any port), or the app's own scheme such as com.example.app:/oauth."
        error={fieldError("redirect_uris")}
      >
        {(p) => (
          <textarea
            {...p}
            {...PLAIN_INPUT}
            rows={3}
            className="oauth-addresses"
            value={addresses}
            onChange={(e) => setAddresses(e.target.value)}
          />
        )}
      </FormField>
      {!refusal && <ErrorNote error={register.error} />}
      <div className="actions start">
        <button
          type="submit"
          className="primary"
          disabled={!name.trim() || !addressesOf(addresses).length || register.isPending}
        >
          {register.isPending ? "Registering…" : "Register app"}
        </button>
      </div>
    </form>
  );
}

function ClientsTable({ list, onRemove }: { list: OAuthClient[]; onRemove: (client: OAuthClient) => void }) {
  return (
    <div className="table-wrap">
      <table className="stacked-table" aria-label="Registered apps">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Kind</th>
            <th scope="col">Client ID</th>
            <th scope="col">Redirect addresses</th>
            <th scope="col">Registered</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {list.map((c) => (
            <tr key={c.id}>
              <th scope="row">{c.name}</th>
              <td data-label="Kind">{clientKindLabel(c.kind)}</td>
              <td data-label="Client ID">
                <div className="secret-row oauth-client-id">
                  <input
                    readOnly
                    aria-label={`Client ID of ${c.name}`}
                    value={c.id}
                    onFocus={(e) => e.currentTarget.select()}
                  />
                  <CopyButton text={c.id} />
                </div>
              </td>
              <td data-label="Redirect addresses">
                <ul className="oauth-addresses-list" aria-label={`Redirect addresses of ${c.name}`}>
                  {c.redirect_uris.map((uri) => (
                    <li key={uri}>{uri}</li>
                  ))}
                </ul>
              </td>
              <td data-label="Registered" className="muted">
                {formatDate(c.created_at)}
              </td>
              <td>
                <button type="button" className="danger-text" aria-label={`Remove ${c.name}`} onClick={() => onRemove(c)}>
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Rotating the signing key: new access tokens are signed with the new one, published beside the old. */
function SigningKey() {
  const ids = useId();
  const rotate = useMutation({ mutationFn: oauth.rotateSigningKey });
  return (
    <section className="card oauth-signing-key" aria-labelledby={`${ids}-heading`}>
      <h3 id={`${ids}-heading`}>Signing key</h3>
      <p>
        Access tokens are signed with this Wayfinder's key, published at <code>/.well-known/jwks.json</code>. Rotate it
        if it may have leaked, or on a schedule: tokens signed with the previous key keep working until they expire
        (within 15 minutes), and apps signed in stay signed in.
      </p>
      <button type="button" onClick={() => rotate.mutate()} disabled={rotate.isPending}>
        {rotate.isPending ? "Rotating…" : "Rotate signing key"}
      </button>
      <ErrorNote error={rotate.error} />
      <p role="status" className="success oauth-announcement">
        {rotate.data && (
          <>
            New access tokens are signed with key <code className="oauth-kid">{rotate.data.kid}</code>.
          </>
        )}
      </p>
    </section>
  );
}

export function OAuthClients() {
  const client = useQueryClient();
  const list = useQuery({ queryKey: oauthKeys.clients, queryFn: oauth.clients });
  const [created, setCreated] = useState<OAuthClientCreated | null>(null);
  const [announcement, setAnnouncement] = useState("");

  const remove = useConfirmedAction({
    mutationFn: (app: OAuthClient) => oauth.removeClient(app.id),
    onSuccess: (_, app) => {
      setCreated((c) => (c?.client.id === app.id ? null : c));
      setAnnouncement(`Removed “${app.name}”.`);
      client.setQueryData<OAuthClient[]>(oauthKeys.clients, (old) => (old ?? []).filter((c) => c.id !== app.id));
    },
  });

  function registered(done: OAuthClientCreated) {
    setCreated(done);
    setAnnouncement(`Registered “${done.client.name}”.`);
    client.setQueryData<OAuthClient[]>(oauthKeys.clients, (old) => [...(old ?? []), done.client]);
  }

  return (
    <section aria-labelledby="oauth-apps-heading" className="oauth-apps">
      <h2 id="oauth-apps-heading">Apps</h2>
      <p className="muted">
        Apps people can sign in to Wayfinder with (OAuth 2.1 with PKCE), for this whole Wayfinder, not only this
        organisation: desktop and phone apps, and integrations that run on a server. Each person chooses whether to
        allow an app, which then uses Wayfinder as them. Apps find the details at{" "}
        <code>/.well-known/oauth-authorization-server</code>.
      </p>
      <RegisterForm onRegistered={registered} />
      <p role="status" className="success oauth-announcement">
        {announcement}
      </p>
      {created?.client_secret && (
        <SecretBox
          label={`Client secret for “${created.client.name}”`}
          value={created.client_secret}
          note="Copy it now: it is shown only this once. The integration sends it with its client ID to the token endpoint."
        />
      )}
      {list.isPending && <Loading />}
      <ErrorNote error={list.error} onRetry={() => list.refetch()} />
      {list.data?.length === 0 && (
        <Empty title="No apps registered yet.">
          <p>Register one above, with the addresses it returns to after people answer.</p>
        </Empty>
      )}
      {list.data && list.data.length > 0 && <ClientsTable list={list.data} onRemove={remove.ask} />}
      <SigningKey />
      <ConfirmActionDialog
        action={remove}
        title={`Remove “${remove.target?.name ?? ""}”?`}
        message="Everyone signed in through it is signed out at once, and nobody can sign in with it any more."
        confirmLabel="Remove app"
      />
    </section>
  );
}
