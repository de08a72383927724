// The shapes the app works with, all taken from the generated OpenAPI types
// (`schema.d.ts`, made by `npm run check:api` from the server's document), so
// a change on the server breaks the type check here.

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

export const ROLES: readonly Role[] = ["learner", "coach", "parent", "manager", "admin"];

// ---- The coach ----
// The document marks nullable response fields as optional (that is how the
// server's generator reads `Option`), but the server always sends them, as
// null when empty: `Sent<T>` makes them required again. Closed sets (style,
// mode, role, kind, rating, reasons, confidence) are the document's own enums.

type Sent<T> = { [K in keyof T]-?: T[K] };

export type CoachStyle = Schemas["CoachStyle"];
export type AnswerMode = Schemas["AnswerMode"];
export type Coach = Sent<Schemas["Coach"]>;

/** What the coach settings form sends; checked against the documented request body below. */
export type CoachInput = Omit<Coach, "id" | "org_id" | "created_at" | "updated_at" | "is_default" | "max_output_tokens">;

export type Conversation = Sent<Schemas["Conversation"]>;

export interface ConversationPage {
  conversations: Conversation[];
  next_before: string | null;
}

export type Citation = Sent<Schemas["Citation"]>;

export type FeedbackRating = Schemas["FeedbackRating"];
export type FeedbackReason = Schemas["FeedbackReason"];
export const FEEDBACK_REASONS: readonly { value: FeedbackReason; label: string }[] = [
  { value: "inaccurate", label: "Inaccurate" },
  { value: "not_helpful", label: "Not helpful" },
  { value: "missing_source", label: "Missing source" },
  { value: "harmful", label: "Harmful" },
  { value: "other", label: "Other" },
];

export type Feedback = Sent<Schemas["Feedback"]>;
export type FeedbackInput = Schemas["FeedbackBody"];

export type MessageKind = Schemas["AnswerKind"];

export type Message = Omit<Sent<Schemas["Message"]>, "citations" | "feedback"> & {
  citations: Citation[];
  feedback: Feedback | null;
};

/** `ConversationDetail` in the document. */
export interface ConversationWithMessages {
  conversation: Conversation;
  messages: Message[];
}

export type ShareLink = Schemas["ShareLink"];
export type StartConversation = Schemas["StartConversation"];
export type UpdateConversation = Schemas["UpdateConversation"];

// What the app sends must fit the documented request bodies (a type error here otherwise).
type Fits<Body, Sent extends Body> = Sent;
export type CoachInputFits = Fits<Schemas["CoachBody"], CoachInput>;
export type PartialCoachInputFits = Fits<Schemas["CoachBody"], Partial<CoachInput>>;
export type FeedbackInputFits = Fits<Schemas["FeedbackBody"], FeedbackInput>;
