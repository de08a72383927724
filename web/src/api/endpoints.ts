// Typed functions for every endpoint the app calls, grouped by what they manage.

import { del, get, patch, post, put, query } from "./client";
import type {
  AcceptInvitation,
  Chunk,
  Coach,
  CoachInput,
  Collection,
  Conversation,
  ConversationPage,
  ConversationWithMessages,
  CreateCollection,
  CreateOrg,
  CreateRelationship,
  CreateToken,
  DocumentView,
  Feedback,
  FeedbackInput,
  Invitation,
  InvitationAccepted,
  InvitationCreated,
  InvitationPreview,
  Job,
  LoginRequest,
  Me,
  Member,
  Membership,
  OrgView,
  Organisation,
  PasswordChange,
  Relationship,
  Role,
  SessionStarted,
  SessionView,
  SetupRequest,
  SetupStatus,
  ShareLink,
  StartConversation,
  Token,
  TokenCreated,
  UpdateCollection,
  UpdateConversation,
} from "./types";

const enc = encodeURIComponent;

export const auth = {
  me: () => get<Me>("/me", { quiet401: true }),
  login: (body: LoginRequest) => post<SessionStarted>("/auth/login", body, { quiet401: true }),
  logout: () => post<void>("/auth/logout"),
  logoutAll: () => post<{ sessions_ended: number }>("/auth/logout-all"),
  sessions: () => get<SessionView[]>("/auth/sessions"),
  revokeSession: (id: string) => del(`/auth/sessions/${enc(id)}`),
  changePassword: (body: PasswordChange) => post<SessionStarted>("/me/password", body),
  setupStatus: () => get<SetupStatus>("/setup"),
  completeSetup: (body: SetupRequest) => post<SessionStarted>("/setup", body, { quiet401: true }),
};

export const orgs = {
  list: () => get<OrgView[]>("/orgs"),
  create: (body: CreateOrg) => post<Membership>("/orgs", body),
  get: (org: string) => get<OrgView>(`/orgs/${enc(org)}`),
  rename: (org: string, name: string) => patch<Organisation>(`/orgs/${enc(org)}`, { name }),
  members: (org: string) => get<Member[]>(`/orgs/${enc(org)}/members`),
  setRole: (org: string, person: string, role: Role) =>
    patch<Member>(`/orgs/${enc(org)}/members/${enc(person)}`, { role }),
  removeMember: (org: string, person: string) => del(`/orgs/${enc(org)}/members/${enc(person)}`),
  invitations: (org: string) => get<Invitation[]>(`/orgs/${enc(org)}/invitations`),
  invite: (org: string, email: string, role: Role) =>
    post<InvitationCreated>(`/orgs/${enc(org)}/invitations`, { email, role }),
  revokeInvitation: (org: string, id: string) => del(`/orgs/${enc(org)}/invitations/${enc(id)}`),
  relationships: (org: string) => get<Relationship[]>(`/orgs/${enc(org)}/relationships`),
  relate: (org: string, body: CreateRelationship) => post<Relationship>(`/orgs/${enc(org)}/relationships`, body),
  unrelate: (org: string, id: string) => del(`/orgs/${enc(org)}/relationships/${enc(id)}`),
};

export const invitations = {
  preview: (token: string) => get<InvitationPreview>(`/invitations/${enc(token)}`, { quiet401: true }),
  accept: (body: AcceptInvitation) => post<InvitationAccepted>("/invitations/accept", body, { quiet401: true }),
};

export const tokens = {
  list: () => get<Token[]>("/tokens"),
  create: (body: CreateToken) => post<TokenCreated>("/tokens", body),
  revoke: (id: string) => del(`/tokens/${enc(id)}`),
};

export const knowledge = {
  collections: (org: string) => get<Collection[]>(`/orgs/${enc(org)}/collections`),
  collection: (org: string, id: string) => get<Collection>(`/orgs/${enc(org)}/collections/${enc(id)}`),
  createCollection: (org: string, body: CreateCollection) =>
    post<Collection>(`/orgs/${enc(org)}/collections`, body),
  updateCollection: (org: string, id: string, body: UpdateCollection) =>
    patch<Collection>(`/orgs/${enc(org)}/collections/${enc(id)}`, body),
  deleteCollection: (org: string, id: string) => del(`/orgs/${enc(org)}/collections/${enc(id)}`),
  documents: (org: string, collection: string) =>
    get<DocumentView[]>(`/orgs/${enc(org)}/collections/${enc(collection)}/documents`),
  deleteDocument: (org: string, id: string) => del(`/orgs/${enc(org)}/documents/${enc(id)}`),
  chunks: (org: string, document: string) => get<Chunk[]>(`/orgs/${enc(org)}/documents/${enc(document)}/chunks`),
  uploadUrl: (org: string, collection: string) =>
    `/orgs/${enc(org)}/collections/${enc(collection)}/documents`,
  job: (id: string) => get<Job>(`/jobs/${enc(id)}`),
  jobs: (org: string) => get<Job[]>(`/orgs/${enc(org)}/jobs`),
};

export const coaches = {
  list: (org: string) => get<{ coaches: Coach[] }>(`/orgs/${enc(org)}/coaches`).then((r) => r.coaches),
  get: (org: string, id: string) => get<Coach>(`/orgs/${enc(org)}/coaches/${enc(id)}`),
  create: (org: string, body: CoachInput) => post<Coach>(`/orgs/${enc(org)}/coaches`, body),
  update: (org: string, id: string, body: Partial<CoachInput>) =>
    patch<Coach>(`/orgs/${enc(org)}/coaches/${enc(id)}`, body),
  remove: (org: string, id: string) => del(`/orgs/${enc(org)}/coaches/${enc(id)}`),
};

export interface ConversationQuery {
  limit?: number;
  before?: string | null;
  archived?: boolean;
  q?: string;
  /** Another person's conversations (their coaches, managers and admins read them). */
  owner?: string;
}

export const conversations = {
  list: (org: string, params: ConversationQuery) =>
    get<ConversationPage>(
      `/orgs/${enc(org)}/conversations${query({
        limit: params.limit,
        before: params.before,
        archived: params.archived,
        q: params.q,
        owner: params.owner,
      })}`,
    ),
  create: (org: string, body: StartConversation) => post<Conversation>(`/orgs/${enc(org)}/conversations`, body),
  get: (id: string) => get<ConversationWithMessages>(`/conversations/${enc(id)}`),
  update: (id: string, body: UpdateConversation) => patch<Conversation>(`/conversations/${enc(id)}`, body),
  remove: (id: string) => del(`/conversations/${enc(id)}`),
  share: (id: string) => post<ShareLink>(`/conversations/${enc(id)}/share`),
  unshare: (id: string) => del(`/conversations/${enc(id)}/share`),
  shared: (token: string) => get<ConversationWithMessages>(`/shared/${enc(token)}`, { quiet401: true }),
  feedback: (messageId: string, body: FeedbackInput) => put<Feedback>(`/messages/${enc(messageId)}/feedback`, body),
};
