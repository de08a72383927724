// Programs (concepts and their prerequisite edges, import and export), the
// question bank and knowledge-base search, as the program builder and the
// review queue use them. Refusals that name more than a field (the concepts
// of a prerequisite cycle, an import's row errors) come back as
// `DetailedApiError`, which keeps those details for the screen.

import {
  API_BASE,
  ApiError,
  csrfHeader,
  del,
  errorFromResponse,
  get,
  networkError,
  patch,
  post,
  put,
  query,
  reportUnauthenticated,
} from "./client";
import type { components } from "./schema";

type Schemas = components["schemas"];

// The document marks nullable response fields optional; the server always sends them (see types.ts).
type Sent<T> = { [K in keyof T]-?: T[K] };

export type Program = Sent<Schemas["Program"]>;
export type Concept = Schemas["Concept"];
export type MaterialRef = Schemas["MaterialRef"];
export type ProgramDetail = Omit<Schemas["ProgramDetail"], "program"> & { program: Program };
export type ProgramBody = Schemas["ProgramBody"];
export type ConceptBody = Schemas["ConceptBody"];
export type ProgramDocument = Schemas["ProgramDocument"];
export type ProgramCsv = Schemas["ProgramCsv"];
export type ProgramCsvImport = Schemas["ProgramCsvImport"];
export type ConceptName = Schemas["ConceptName"];
export type RowError = Schemas["RowError"];

export type Question = Sent<Schemas["Question"]>;
export type QuestionBody = Schemas["QuestionBody"];
export type QuestionKind = QuestionBody["kind"];
export type QuestionStatus = Schemas["QuestionStatus"];
export type QuestionOrigin = Schemas["QuestionOrigin"];
export type QuestionSpec = Schemas["QuestionSpec"];
export type QuestionPatch = Schemas["QuestionPatch"];
export type Defect = Schemas["Defect"];
export type QuestionPage = Omit<Schemas["QuestionPage"], "questions"> & { questions: Question[] };
export type GeneratedQuestions = Omit<Schemas["GeneratedQuestions"], "questions"> & { questions: Question[] };

export type SearchHit = Schemas["SearchHitView"];
export type SearchResponse = Omit<Sent<Schemas["SearchResponse"]>, "results"> & { results: SearchHit[] };

/** An API refusal with the concepts of the cycle it would close, or the rows of a broken import. */
export class DetailedApiError extends ApiError {
  readonly cycle: ConceptName[];
  readonly rows: RowError[];

  constructor(base: ApiError, cycle: ConceptName[], rows: RowError[]) {
    super(base.status, base.code, base.message, base.field, base.retryAfter);
    this.name = "DetailedApiError";
    this.cycle = cycle;
    this.rows = rows;
  }
}

/**
 * A JSON POST like `client.post`, but a refusal keeps the error body's `cycle`
 * and `rows`, which the shared client does not read.
 */
async function postWithDetail<T>(path: string, body: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(API_BASE + path, {
      method: "POST",
      headers: { accept: "application/json", "content-type": "application/json", ...csrfHeader() },
      body: JSON.stringify(body),
      credentials: "same-origin",
    });
  } catch (cause) {
    throw networkError(cause);
  }
  if (response.ok) return (await response.json()) as T;
  const detail = (await response
    .clone()
    .json()
    .catch(() => null)) as { error?: Schemas["ErrorDetail"] } | null;
  const err = await errorFromResponse(response);
  reportUnauthenticated(err);
  throw new DetailedApiError(err, detail?.error?.cycle ?? [], detail?.error?.rows ?? []);
}

const enc = encodeURIComponent;
const orgPath = (org: string) => `/orgs/${enc(org)}`;

export const programs = {
  list: (org: string) => get<{ programs: Program[] }>(`${orgPath(org)}/programs`).then((r) => r.programs),
  /** Authors get the latest version (the draft when there is one) unless they ask for the published one. */
  get: (org: string, id: string, version: "latest" | "published" = "latest") =>
    get<ProgramDetail>(`${orgPath(org)}/programs/${enc(id)}${query({ version })}`),
  create: (org: string, body: ProgramBody) => post<Program>(`${orgPath(org)}/programs`, body),
  draftFromCollection: (org: string, collectionId: string, title?: string) =>
    post<ProgramDetail>(`${orgPath(org)}/programs/draft`, { collection_id: collectionId, title: title || null }),
  importDocument: (org: string, document: unknown) =>
    postWithDetail<ProgramDetail>(`${orgPath(org)}/programs/import`, document),
  importCsv: (org: string, body: ProgramCsvImport) =>
    postWithDetail<ProgramDetail>(`${orgPath(org)}/programs/import/csv`, body),
  update: (org: string, id: string, body: ProgramBody) => patch<Program>(`${orgPath(org)}/programs/${enc(id)}`, body),
  publish: (org: string, id: string) => post<Program>(`${orgPath(org)}/programs/${enc(id)}/publish`),
  discardDraft: (org: string, id: string) => del(`${orgPath(org)}/programs/${enc(id)}/draft`),
  exportDocument: (org: string, id: string) => get<ProgramDocument>(`${orgPath(org)}/programs/${enc(id)}/export`),
  exportCsv: (org: string, id: string) => get<ProgramCsv>(`${orgPath(org)}/programs/${enc(id)}/export/csv`),
};

export const concepts = {
  add: (org: string, programId: string, body: ConceptBody) =>
    post<Concept>(`${orgPath(org)}/programs/${enc(programId)}/concepts`, body),
  update: (org: string, id: string, body: ConceptBody) => patch<Concept>(`${orgPath(org)}/concepts/${enc(id)}`, body),
  remove: (org: string, id: string) => del(`${orgPath(org)}/concepts/${enc(id)}`),
  /** "`conceptId` requires `requiresId`"; a cycle is refused with its concepts named. */
  addPrerequisite: (org: string, conceptId: string, requiresId: string) =>
    postWithDetail<Concept>(`${orgPath(org)}/concepts/${enc(conceptId)}/prerequisites`, { requires: requiresId }),
  removePrerequisite: (org: string, conceptId: string, requiresId: string) =>
    del(`${orgPath(org)}/concepts/${enc(conceptId)}/prerequisites/${enc(requiresId)}`),
};

export interface QuestionFilter {
  status?: QuestionStatus;
  conceptId?: string;
  limit: number;
  offset: number;
}

export type PracticeSettings = Schemas["PracticeSettings"];

export const questions = {
  settings: (org: string) => get<PracticeSettings>(`${orgPath(org)}/practice-settings`),
  saveSettings: (org: string, settings: PracticeSettings) =>
    put<PracticeSettings>(`${orgPath(org)}/practice-settings`, settings),
  list: (org: string, filter: QuestionFilter) =>
    get<QuestionPage>(
      `${orgPath(org)}/questions${query({
        status: filter.status,
        concept_id: filter.conceptId,
        limit: filter.limit,
        offset: filter.offset,
      })}`,
    ),
  /** Drafts made from the concept's cited material, waiting in the review queue; without
   * `writer`, the server's chat model writes them when one is configured. */
  generate: (org: string, conceptId: string, writer?: Schemas["QuestionWriter"]) =>
    post<GeneratedQuestions>(`${orgPath(org)}/concepts/${enc(conceptId)}/questions/generate`, writer ? { writer } : {}),
  write: (org: string, spec: QuestionSpec) => post<Question>(`${orgPath(org)}/questions`, spec),
  review: (org: string, id: string, change: QuestionPatch) =>
    patch<Question>(`${orgPath(org)}/questions/${enc(id)}`, change),
};

/** Passages of the organisation's knowledge base (lexical when no embedding model is configured). */
export const searchPassages = (org: string, text: string) =>
  post<SearchResponse>("/search", { org_id: org, query: text, k: 8 });
