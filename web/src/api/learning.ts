// The learning API as the learner and coach screens use it: programs and
// enrolments, goals and their paths, mastery, the next step and due reviews,
// evidence, practice sessions, and the coach's overview of learners. Types are
// the generated OpenAPI ones, so a change on the server breaks the type check.

import { del, get, post, query } from "./client";
import type { components } from "./schema";

type Schemas = components["schemas"];

export type Program = Schemas["Program"];
export type ProgramDetail = Schemas["ProgramDetail"];
export type Enrolment = Schemas["Enrolment"];
export type Goal = Schemas["Goal"];
export type GoalInput = Schemas["GoalBody"];
export type LearningPath = Schemas["LearningPath"];
export type PathStep = Schemas["PathStepView"];
export type ConceptMastery = Schemas["ConceptMastery"];
export type ConceptMasteryDetail = Schemas["ConceptMasteryDetail"];
export type DueReview = Schemas["DueReview"];
export type Evidence = Schemas["EvidenceView"];
export type PracticeTarget = Schemas["PracticeTarget"];
export type PracticeSession = Schemas["PracticeSession"];
export type PracticeSessionSummary = Schemas["PracticeSessionSummary"];
export type PracticeQuestion = Schemas["PracticeQuestion"];
export type PracticePrompt = Schemas["PracticePrompt"];
export type PracticeAttempt = Schemas["PracticeAttempt"];
export type PlacementResult = Schemas["PlacementResult"];
export type Answer = Schemas["Answer"];
export type AnswerOutcome = Schemas["AnswerOutcome"];
export type QuestionCitation = Schemas["QuestionCitation"];
export type LearnerProgress = Schemas["LearnerProgress"];
export type AwaitingAnswer = Schemas["AwaitingAnswer"];
export type LearnersProgress = Schemas["LearnersProgress"];

const enc = encodeURIComponent;
const learnerPath = (org: string, person: string) => `/orgs/${enc(org)}/learners/${enc(person)}`;

export const learning = {
  programs: (org: string) =>
    get<Schemas["ProgramList"]>(`/orgs/${enc(org)}/programs`).then((r) => r.programs),
  /** The published version: what learners see. */
  program: (org: string, id: string) => get<ProgramDetail>(`/orgs/${enc(org)}/programs/${enc(id)}`),
  enrol: (org: string, program: string, person: string) =>
    post<Enrolment>(`/orgs/${enc(org)}/programs/${enc(program)}/enrolments`, { person_id: person }),

  enrolments: (org: string, person: string) => get<Enrolment[]>(`${learnerPath(org, person)}/enrolments`),
  goals: (org: string, person: string) => get<Goal[]>(`${learnerPath(org, person)}/goals`),
  setGoal: (org: string, person: string, body: GoalInput) => post<Goal>(`${learnerPath(org, person)}/goals`, body),
  deleteGoal: (org: string, person: string, goal: string) => del(`${learnerPath(org, person)}/goals/${enc(goal)}`),
  goalPath: (org: string, person: string, goal: string) =>
    get<LearningPath>(`${learnerPath(org, person)}/goals/${enc(goal)}/path`),
  mastery: (org: string, person: string) =>
    get<Schemas["LearnerMastery"]>(`${learnerPath(org, person)}/mastery`).then((r) => r.concepts),
  conceptMastery: (org: string, person: string, concept: string) =>
    get<ConceptMasteryDetail>(`${learnerPath(org, person)}/mastery/${enc(concept)}`),
  nextStep: (org: string, person: string) =>
    get<Schemas["NextStepView"]>(`${learnerPath(org, person)}/next-step`).then((r) => r.next ?? null),
  reviews: (org: string, person: string) => get<DueReview[]>(`${learnerPath(org, person)}/reviews`),
  evidence: (org: string, person: string) => get<Evidence[]>(`${learnerPath(org, person)}/evidence`),

  practiceSessions: (org: string, person: string) =>
    get<Schemas["PracticeSessions"]>(`${learnerPath(org, person)}/practice-sessions`).then((r) => r.sessions),
  startPractice: (org: string, person: string, target: PracticeTarget) =>
    post<PracticeSession>(`${learnerPath(org, person)}/practice-sessions`, { target }),
  practiceSession: (org: string, id: string) => get<PracticeSession>(`/orgs/${enc(org)}/practice-sessions/${enc(id)}`),
  answer: (org: string, session: string, body: Schemas["AnswerSpec"]) =>
    post<AnswerOutcome>(`/orgs/${enc(org)}/practice-sessions/${enc(session)}/answers`, body),
  /** A coach grades an answer the rules could not. */
  reviewAnswer: (org: string, session: string, body: Schemas["ReviewSpec"]) =>
    post<PracticeSession>(`/orgs/${enc(org)}/practice-sessions/${enc(session)}/reviews`, body),
  /** Answers waiting for the caller to grade them. */
  awaitingReview: (org: string) => get<AwaitingAnswer[]>(`/orgs/${enc(org)}/practice-reviews`),

  progress: (org: string, page: { limit: number; offset: number }) =>
    get<LearnersProgress>(`/orgs/${enc(org)}/learners/progress${query(page)}`),
};

/**
 * Query keys. Everything about one learner sits under `learner(org, person)`,
 * so a practice answer or a new goal refreshes all of it with one invalidation.
 */
export const learningKeys = {
  learner: (org: string, person: string) => ["learning", org, person] as const,
  enrolments: (org: string, person: string) => ["learning", org, person, "enrolments"] as const,
  goals: (org: string, person: string) => ["learning", org, person, "goals"] as const,
  goalPath: (org: string, person: string, goal: string) => ["learning", org, person, "goals", goal, "path"] as const,
  mastery: (org: string, person: string) => ["learning", org, person, "mastery"] as const,
  conceptMastery: (org: string, person: string, concept: string) =>
    ["learning", org, person, "mastery", concept] as const,
  nextStep: (org: string, person: string) => ["learning", org, person, "next-step"] as const,
  reviews: (org: string, person: string) => ["learning", org, person, "reviews"] as const,
  evidence: (org: string, person: string) => ["learning", org, person, "evidence"] as const,
  sessions: (org: string, person: string) => ["learning", org, person, "sessions"] as const,
  session: (org: string, id: string) => ["learning", org, "session", id] as const,
  awaitingReview: (org: string) => ["learning", org, "awaiting-review"] as const,
  programs: (org: string) => ["learning", org, "programs"] as const,
  program: (org: string, id: string) => ["learning", org, "program", id] as const,
  progress: (org: string, offset: number) => ["learning", org, "progress", offset] as const,
};
