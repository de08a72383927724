// The organisation's own AI models (administrators): a card for the chat
// model (the coach's answers, practice questions and grading) and one for
// the embedding model (how its collections are embedded and searched). Each
// says what is in use — the instance's model, or the organisation's endpoint
// with its address, model and the last four characters of its key — and has
// the form to set it: address, model, and an API key that goes in and never
// comes back (left empty, the stored key is kept; "Remove stored key" forgets
// it). Saving a new embedding model embeds every collection again in the
// background, so it is asked first. "Stop using this endpoint" (asked
// first) returns to the instance's model. A field the server refuses says why
// beside it and takes the focus.

import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { Link } from "react-router-dom";
import { useMutation, useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";
import {
  MODEL_ENDPOINT_KINDS,
  modelEndpointKeys,
  modelEndpoints,
  type ModelEndpoint,
  type ModelEndpointChange,
  type ModelEndpointKind,
} from "../../api/modelEndpoints";
import { orgs } from "../../api/endpoints";
import { ConfirmActionDialog, ConfirmDialog, ErrorNote, Loading, useConfirmedAction } from "../ui";
import { FieldError, FormField, fieldRefusal } from "../provisioning/fields";
import { formatDateTime } from "../../lib/format";
import "./models.css";

const FIELDS = ["base_url", "model", "api_key", "remove_api_key"] as const;
type FieldName = (typeof FIELDS)[number];

const PLAIN_INPUT = { autoComplete: "off", spellCheck: false, autoCapitalize: "off" } as const;

const ABOUT: Record<
  ModelEndpointKind,
  { title: string; intro: string; modelPlaceholder: string; modelHint: string; stopped: string; stopMessage: string }
> = {
  chat: {
    title: "Chat model",
    intro: "The coach's answers, practice questions and grading go to this endpoint, on your account.",
    modelPlaceholder: "gpt-4o-mini",
    modelHint:
      "The model every coach uses, unless a coach names its own model in its settings: that one is then asked for at this address.",
    stopped: "Stopped using your chat endpoint: the coach uses the instance's model again.",
    stopMessage:
      "From the next request on, the coach's answers, practice questions and grading go to the instance's model. The address, model and stored key are forgotten.",
  },
  embedding: {
    title: "Embedding model",
    intro: "Your collections are embedded and searched with it.",
    modelPlaceholder: "text-embedding-3-small",
    modelHint: "The service's embedding model, such as text-embedding-3-small.",
    stopped: "Stopped using your embedding endpoint: your collections go back to the instance's model.",
    stopMessage:
      "Your collections go back to the instance's embedding model and are embedded again in the background; until a collection is done, the coach finds its passages by their words alone. The address, model and stored key are forgotten.",
  },
};

/** The form's fields as typed; the key is only ever what the admin typed, never the stored one. */
interface Draft {
  baseUrl: string;
  model: string;
  apiKey: string;
  removeKey: boolean;
}

const draftOf = (endpoint: ModelEndpoint | null): Draft => ({
  baseUrl: endpoint?.base_url ?? "",
  model: endpoint?.model ?? "",
  apiKey: "",
  removeKey: false,
});

function changeOf(draft: Draft): ModelEndpointChange {
  const change: ModelEndpointChange = { base_url: draft.baseUrl.trim(), model: draft.model.trim() };
  // Left out: the stored key is kept.
  if (draft.removeKey) change.remove_api_key = true;
  else if (draft.apiKey.trim()) change.api_key = draft.apiKey;
  return change;
}

/** Whether saving `draft` points the endpoint elsewhere (a new address or model), not just at another key. */
const movesEndpoint = (draft: Draft, endpoint: ModelEndpoint | null) =>
  !endpoint || draft.baseUrl.trim() !== endpoint.base_url || draft.model.trim() !== endpoint.model;

/**
 * Whether saving `model` embeds the collections again: the server does when the embedding model
 * changes (a new address for the same model keeps the vectors).
 */
const reembeds = (model: string, endpoint: ModelEndpoint | null) => !endpoint || model.trim() !== endpoint.model;

/** The saved endpoint replaces its entry; for embeddings, the collections and their jobs changed too. */
function afterChange(client: QueryClient, org: string, kind: ModelEndpointKind) {
  if (kind !== "embedding") return;
  void client.invalidateQueries({ queryKey: ["collections", org] });
  void client.invalidateQueries({ queryKey: ["jobs", org] });
}

/** The stored key as the server shows it: its last four characters. */
function KeyHint({ endpoint }: { endpoint: ModelEndpoint }) {
  if (!endpoint.api_key_set) return <>None stored</>;
  if (!endpoint.api_key_hint) return <>Stored</>;
  return (
    <>
      <span aria-hidden="true" className="model-endpoint-key">
        ••••{endpoint.api_key_hint}
      </span>
      <span className="visually-hidden">Stored, ending in {endpoint.api_key_hint}</span>
    </>
  );
}

/** What is in use for this kind: the instance's model, or the organisation's endpoint. */
function InUse({ endpoint, changedBy }: { endpoint: ModelEndpoint | null; changedBy: string | null }) {
  if (!endpoint) {
    return (
      <p className="model-endpoint-state">
        Using the instance's model. <span className="muted">Set an endpoint below to use your own account.</span>
      </p>
    );
  }
  return (
    <>
      <p className="model-endpoint-state">Using your endpoint.</p>
      <dl className="model-endpoint-facts">
        <div>
          <dt>Address</dt>
          <dd className="model-endpoint-url">{endpoint.base_url}</dd>
        </div>
        <div>
          <dt>Model</dt>
          <dd>{endpoint.model}</dd>
        </div>
        <div>
          <dt>API key</dt>
          <dd>
            <KeyHint endpoint={endpoint} />
          </dd>
        </div>
        <div>
          <dt>Last changed</dt>
          <dd>
            <time dateTime={endpoint.updated_at}>{formatDateTime(endpoint.updated_at)}</time>
            {changedBy && ` by ${changedBy}`}
          </dd>
        </div>
      </dl>
    </>
  );
}

function EndpointForm({
  org,
  kind,
  endpoint,
  onSaved,
}: {
  org: string;
  kind: ModelEndpointKind;
  endpoint: ModelEndpoint | null;
  onSaved: (endpoint: ModelEndpoint, reembedding: boolean) => void;
}) {
  const ids = useId();
  const client = useQueryClient();
  const about = ABOUT[kind];
  const [draft, setDraft] = useState(() => draftOf(endpoint));
  // The embedding change waiting to be confirmed.
  const [confirming, setConfirming] = useState<ModelEndpointChange | null>(null);
  const save = useMutation({
    mutationFn: (change: ModelEndpointChange) => modelEndpoints.set(org, kind, change),
    onSuccess: (view, change) => {
      const reembedding = kind === "embedding" && reembeds(change.model, endpoint);
      // The typed key is dropped at once: from here on only its last four characters exist in the page.
      setDraft(draftOf(view));
      client.setQueryData<ModelEndpoint[]>(modelEndpointKeys.list(org), (old) => [
        ...(old ?? []).filter((e) => e.kind !== kind),
        view,
      ]);
      afterChange(client, org, kind);
      onSaved(view, reembedding);
    },
  });
  const refusal = fieldRefusal(save.error, FIELDS);
  const errorOf = (field: FieldName) => (refusal?.field === field ? refusal.message : null);
  const keySet = !!endpoint?.api_key_set;
  const unchanged =
    !!endpoint && !movesEndpoint(draft, endpoint) && !draft.apiKey.trim() && !draft.removeKey;

  // Once the endpoint is stopped (the card's button), the form starts afresh, as for an organisation that never had one.
  const hadEndpoint = useRef(endpoint !== null);
  const resetSave = save.reset;
  useEffect(() => {
    if (hadEndpoint.current && endpoint === null) {
      setDraft(draftOf(null));
      resetSave();
    }
    hadEndpoint.current = endpoint !== null;
  }, [endpoint, resetSave]);

  // The refused field takes the focus, so its reason is what is read next.
  useEffect(() => {
    const refused = fieldRefusal(save.error, FIELDS);
    if (refused) document.getElementById(`${ids}-${refused.field}`)?.focus();
  }, [save.error, ids]);

  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => {
    setDraft((d) => ({ ...d, [key]: value }));
    if (save.isError) save.reset();
  };

  function submit(event: FormEvent) {
    event.preventDefault();
    const change = changeOf(draft);
    if (kind === "embedding" && reembeds(change.model, endpoint)) {
      save.reset();
      setConfirming(change);
      return;
    }
    save.mutate(change);
  }

  const removeError = errorOf("remove_api_key");
  return (
    <form className="model-endpoint-form" onSubmit={submit} aria-label={`${about.title} endpoint`} noValidate>
      <h4>{endpoint ? "Change the endpoint" : "Use your own endpoint"}</h4>
      <FormField
        id={`${ids}-base_url`}
        label="Base URL"
        hint="The API root of an OpenAI-compatible service, such as https://api.openai.com/v1."
        error={errorOf("base_url")}
      >
        {(p) => (
          <input
            {...p}
            {...PLAIN_INPUT}
            type="url"
            inputMode="url"
            placeholder="https://api.openai.com/v1"
            value={draft.baseUrl}
            onChange={(e) => set("baseUrl", e.target.value)}
          />
        )}
      </FormField>
      <FormField id={`${ids}-model`} label="Model" hint={about.modelHint} error={errorOf("model")}>
        {(p) => (
          <input
            {...p}
            {...PLAIN_INPUT}
            maxLength={200}
            placeholder={about.modelPlaceholder}
            value={draft.model}
            onChange={(e) => set("model", e.target.value)}
          />
        )}
      </FormField>
      <FormField
        id={`${ids}-api_key`}
        label="API key"
        hint={
          keySet
            ? "The stored key is never shown. Leave this empty to keep it; type a new key only to replace it."
            : "Sent as a bearer token with every request, and never shown again once saved. Leave it empty for an endpoint that needs no key."
        }
        error={errorOf("api_key")}
      >
        {(p) => (
          <input
            {...p}
            {...PLAIN_INPUT}
            type="password"
            autoComplete="new-password"
            placeholder={keySet ? "Leave empty to keep the stored key" : undefined}
            disabled={draft.removeKey}
            value={draft.apiKey}
            onChange={(e) => set("apiKey", e.target.value)}
          />
        )}
      </FormField>
      {keySet && (
        <div className="field">
          <label className="check field-check">
            <input
              type="checkbox"
              id={`${ids}-remove_api_key`}
              checked={draft.removeKey}
              aria-invalid={removeError ? true : undefined}
              aria-describedby={[removeError ? `${ids}-remove_api_key-error` : null, `${ids}-remove_api_key-hint`]
                .filter(Boolean)
                .join(" ")}
              onChange={(e) => {
                setDraft((d) => ({ ...d, removeKey: e.target.checked, apiKey: e.target.checked ? "" : d.apiKey }));
                if (save.isError) save.reset();
              }}
            />
            Remove stored key
          </label>
          <FieldError id={`${ids}-remove_api_key-error`} error={removeError} />
          <p className="hint" id={`${ids}-remove_api_key-hint`}>
            For an endpoint that needs no key: requests are then sent without one.
          </p>
        </div>
      )}
      {!refusal && <ErrorNote error={save.error} />}
      <div className="actions start">
        <button type="submit" className="primary" disabled={unchanged || save.isPending}>
          {save.isPending ? "Saving…" : "Save"}
        </button>
      </div>
      <ConfirmDialog
        open={confirming !== null}
        title="Embed every collection again?"
        message={
          <>
            <p>
              Your collections are embedded again with <strong>{confirming?.model}</strong>, in the background: the
              jobs show in the knowledge base. Until a collection is done, the coach finds its passages by their words
              alone.
            </p>
            <p>Requests for it go to your endpoint, on your account.</p>
          </>
        }
        confirmLabel="Save and embed again"
        busy={save.isPending}
        onCancel={() => setConfirming(null)}
        onConfirm={() => {
          if (confirming) save.mutate(confirming);
          setConfirming(null);
        }}
      />
    </form>
  );
}

function EndpointCard({
  org,
  kind,
  endpoint,
  changedBy,
}: {
  org: string;
  kind: ModelEndpointKind;
  endpoint: ModelEndpoint | null;
  changedBy: string | null;
}) {
  const ids = useId();
  const client = useQueryClient();
  const about = ABOUT[kind];
  const [announcement, setAnnouncement] = useState("");
  // How many times the endpoint was stopped here: each time, the focus goes to the card.
  const [stops, setStops] = useState(0);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const stop = useConfirmedAction({
    mutationFn: (stopping: ModelEndpointKind) => modelEndpoints.remove(org, stopping),
    onSuccess: () => {
      client.setQueryData<ModelEndpoint[]>(modelEndpointKeys.list(org), (old) =>
        (old ?? []).filter((e) => e.kind !== kind),
      );
      afterChange(client, org, kind);
      setStops((n) => n + 1);
      setAnnouncement(about.stopped);
    },
  });
  // The button that asked is gone with the endpoint: once the question has closed, the focus goes to the card.
  useEffect(() => {
    if (stops > 0) headingRef.current?.focus();
  }, [stops]);

  function saved(view: ModelEndpoint, reembedding: boolean) {
    if (kind === "chat") setAnnouncement(`Saved. The coach uses ${view.model} at ${view.base_url}.`);
    else if (reembedding) setAnnouncement(`Saved. Your collections are being embedded again with ${view.model}.`);
    else setAnnouncement(`Saved. Your collections are searched with ${view.model} at ${view.base_url}.`);
  }

  return (
    <section className="card model-endpoint-card" aria-labelledby={`${ids}-heading`}>
      <div className="model-endpoint-header">
        <h3 id={`${ids}-heading`} ref={headingRef} tabIndex={-1}>
          {about.title}
        </h3>
        <span className={`status ${endpoint ? "status-accepted" : ""}`}>
          {endpoint ? "Your endpoint" : "Instance's model"}
        </span>
      </div>
      <p className="muted">
        {about.intro}
        {kind === "embedding" && (
          <>
            {" "}
            Changing it embeds every collection again, in the background: the jobs show in the{" "}
            <Link to="/knowledge">knowledge base</Link>.
          </>
        )}
      </p>
      <InUse endpoint={endpoint} changedBy={changedBy} />
      <EndpointForm
        org={org}
        kind={kind}
        endpoint={endpoint}
        onSaved={saved}
      />
      <p role="status" className="success model-endpoint-announcement">
        {announcement}
      </p>
      {endpoint && (
        <div className="model-endpoint-stop">
          <button
            type="button"
            className="danger-text"
            onClick={() => {
              setAnnouncement("");
              stop.ask(kind);
            }}
          >
            Stop using this endpoint
          </button>
        </div>
      )}
      <ConfirmActionDialog
        action={stop}
        title={`Stop using your ${about.title.toLowerCase()} endpoint?`}
        message={<p>{about.stopMessage}</p>}
        confirmLabel="Stop using this endpoint"
      />
    </section>
  );
}

export function ModelEndpointSettings({ org }: { org: string }) {
  const list = useQuery({ queryKey: modelEndpointKeys.list(org), queryFn: () => modelEndpoints.list(org) });
  // Who last changed an endpoint, by name (the same list as the Members tab).
  const members = useQuery({ queryKey: ["members", org], queryFn: () => orgs.members(org) });
  const nameOf = (person: string | null | undefined) =>
    (person && members.data?.find((m) => m.person.id === person)?.person.display_name) || null;
  const endpointOf = (kind: ModelEndpointKind) => list.data?.find((e) => e.kind === kind) ?? null;
  return (
    <section aria-labelledby="models-heading">
      <h2 id="models-heading">AI models</h2>
      <p className="muted">
        The coach uses the models this Wayfinder instance is set up with. With an OpenAI-compatible endpoint of your
        own — your OpenAI account, or another service that speaks its API — your organisation&apos;s requests go there
        instead, on your account. Keys are stored encrypted and never shown again, only their last four characters.
      </p>
      {list.isPending && <Loading />}
      <ErrorNote error={list.error} onRetry={() => list.refetch()} />
      {list.data && (
        <div className="model-endpoint-cards">
          {MODEL_ENDPOINT_KINDS.map((kind) => (
            <EndpointCard
              key={kind}
              org={org}
              kind={kind}
              endpoint={endpointOf(kind)}
              changedBy={nameOf(endpointOf(kind)?.updated_by)}
            />
          ))}
        </div>
      )}
    </section>
  );
}
