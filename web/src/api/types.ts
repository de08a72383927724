// The shapes the app works with. Everything the server already documents is
// taken from the generated OpenAPI types (`schema.d.ts`, made by
// `npm run check:api`), so a change on the server breaks the type check here.
// The coach and conversation shapes follow the agreed contract and are written
// by hand until the server's OpenAPI document describes them.

import type { components } from "./schema";

type Schemas = components["schemas"];

export type Role = Schemas["Role"];
export type Person = Schemas["PersonView"];
export type Organisation = Schemas["Organisation"];
export type Me = Schemas["Me"];
export type OrgView = Schemas["OrgView"];
export type Membership = Schemas["MembershipView"];
export type SessionStarted = Schemas["SessionStarted"];
export type SessionView = Schemas["SessionView"];
export type SetupStatus = Schemas["SetupStatus"];
export type SetupRequest = Schemas["SetupRequest"];
export type LoginRequest = Schemas["LoginRequest"];
export type PasswordChange = Schemas["PasswordChange"];
export type CreateOrg = Schemas["CreateOrg"];
export type Member = Schemas["MemberView"];
export type Invitation = Schemas["InvitationView"];
export type InvitationCreated = Schemas["InvitationCreated"];
export type InvitationPreview = Schemas["InvitationPreview"];
export type AcceptInvitation = Schemas["AcceptInvitation"];
export type InvitationAccepted = Schemas["InvitationAccepted"];
export type Relationship = Schemas["Relationship"];
export type RelationshipKind = Schemas["RelationshipKind"];
export type CreateRelationship = Schemas["CreateRelationship"];
export type Token = Schemas["TokenView"];
export type TokenCreated = Schemas["TokenCreated"];
export type CreateToken = Schemas["CreateToken"];
export type Collection = Schemas["CollectionView"];
export type CreateCollection = Schemas["CreateCollection"];
export type UpdateCollection = Schemas["UpdateCollection"];
export type DocumentView = Schemas["DocumentView"];
export type Chunk = Schemas["ChunkView"];
export type Job = Schemas["JobView"];
export type JobFile = Schemas["JobFileView"];
export type ErrorBody = Schemas["ErrorBody"];

export const ROLES: readonly Role[] = ["learner", "coach", "parent", "manager", "admin"];

// ---- Coach contract (hand-written; see the note at the top) ----

export type CoachStyle = "direct" | "socratic";
export type AnswerMode = "grounded" | "open";

export interface Coach {
  id: string;
  org_id: string;
  name: string;
  instructions: string;
  style: CoachStyle;
  answer_mode: AnswerMode;
  collections: string[];
  domains: string[];
  retrieval_depth: number;
  model: string | null;
  temperature: number | null;
  is_default: boolean;
  created_at: string;
  updated_at: string;
}

export type CoachInput = Omit<Coach, "id" | "org_id" | "created_at" | "updated_at" | "is_default">;

export interface Conversation {
  id: string;
  org_id: string;
  owner_id: string;
  owner_name: string;
  coach_id: string | null;
  coach_name: string | null;
  title: string;
  archived: boolean;
  shared: boolean;
  created_at: string;
  updated_at: string;
}

export interface ConversationPage {
  conversations: Conversation[];
  next_before: string | null;
}

export interface Citation {
  number: number;
  chunk_id: string;
  document_id: string;
  document_title: string;
  section: string | null;
  page_start: number | null;
  page_end: number | null;
  text: string;
}

export type FeedbackRating = "up" | "down";
export const FEEDBACK_REASONS = [
  { value: "inaccurate", label: "Inaccurate" },
  { value: "not_helpful", label: "Not helpful" },
  { value: "missing_source", label: "Missing source" },
  { value: "harmful", label: "Harmful" },
  { value: "other", label: "Other" },
] as const;
export type FeedbackReason = (typeof FEEDBACK_REASONS)[number]["value"];

export interface Feedback {
  rating: FeedbackRating;
  reasons: string[];
  comment: string | null;
  updated_at: string;
}

export type MessageKind = "generated" | "extractive" | "refusal" | "error";

export interface Message {
  id: string;
  conversation_id: string;
  role: "user" | "assistant";
  content: string;
  kind: MessageKind | null;
  citations: Citation[];
  domains: string[];
  confidence: number | null;
  confidence_level: "low" | "medium" | "high" | null;
  model: string | null;
  input_tokens: number;
  output_tokens: number;
  cost: number;
  latency_ms: number;
  complete: boolean;
  created_at: string;
  feedback: Feedback | null;
}

export interface ConversationWithMessages {
  conversation: Conversation;
  messages: Message[];
}

export interface ShareLink {
  token: string;
  url: string;
}
