// An organisation's own OpenAI-compatible model endpoints (its administrators):
// one for chat (the coach's answers, practice questions and grading) and one
// for embeddings (how its collections are searched), each an address, a model
// and an API key. The key goes in and never comes back: the server answers
// only whether one is stored and its last four characters. Without an
// endpoint of a kind, the organisation uses the instance's model. Types are
// the generated OpenAPI ones.

import { del, get, put } from "./client";
import type { components } from "./schema";

type Schemas = components["schemas"];

/** An endpoint as the server shows it: address, model, whether a key is stored and its last characters. */
export type ModelEndpoint = Schemas["ModelEndpointView"];
/** `chat` or `embedding`. */
export type ModelEndpointKind = Schemas["ModelEndpointKind"];
/** What a save sends: without `api_key` the stored key is kept; `remove_api_key` forgets it. */
export type ModelEndpointChange = Schemas["ModelEndpointChange"];

/** The kinds in the order the screen shows them. */
export const MODEL_ENDPOINT_KINDS: readonly ModelEndpointKind[] = ["chat", "embedding"];

const enc = encodeURIComponent;
const endpointsPath = (org: string, kind?: ModelEndpointKind) =>
  `/orgs/${enc(org)}/model-endpoints${kind ? `/${enc(kind)}` : ""}`;

export const modelEndpoints = {
  /** Admins: the organisation's own endpoints, keys left out (none: it uses the instance's models). */
  list: (org: string) => get<ModelEndpoint[]>(endpointsPath(org)),
  /**
   * Admins: uses this endpoint for `kind` from now on. A refused value is `invalid_field` naming
   * `base_url`, `model`, `api_key` or `remove_api_key`. A new embedding endpoint re-embeds the
   * organisation's collections in the background.
   */
  set: (org: string, kind: ModelEndpointKind, change: ModelEndpointChange) =>
    put<ModelEndpoint>(endpointsPath(org, kind), change),
  /** Admins: back to the instance's model for `kind` (for embeddings, the collections are embedded again). */
  remove: (org: string, kind: ModelEndpointKind) => del(endpointsPath(org, kind)),
};

export const modelEndpointKeys = {
  list: (org: string) => ["model-endpoints", org] as const,
};
