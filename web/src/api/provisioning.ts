// Coach provisioning: an admin brings in a coach with a training program and
// a manager; the coach completes a profile and takes the program's placement
// as their intake; admins, the manager and the coach follow the result. The
// intake itself and the training path are the learning API's (`learning.ts`).

import { get, post, put } from "./client";
import type { components } from "./schema";
import type { InvitationCreated } from "./types";

type Schemas = components["schemas"];

// The document marks nullable response fields optional; the server always sends them (see types.ts).
type Sent<T> = { [K in keyof T]-?: T[K] };

export type ProvisionStage = Schemas["ProvisionStage"];
export type CoachProfile = Schemas["CoachProfile"];
export type DomainScore = Schemas["DomainScore"];
export type CoachIntake = Sent<Schemas["CoachIntake"]>;
export type GoalProgress = Schemas["GoalProgress"];
export type CoachProvision = Omit<Sent<Schemas["CoachProvision"]>, "intake"> & { intake: CoachIntake | null };
export type ProvisionCoachBody = Schemas["ProvisionCoachBody"];
/** A profile as the form sends it: experience left blank is left out, and the server names it as missing. */
export type ProfileDraft = Omit<CoachProfile, "experience_years"> & { experience_years?: number };
export type CoachProvisioned = { provision: CoachProvision; invitation: InvitationCreated };

const enc = encodeURIComponent;
const provisionsPath = (org: string) => `/orgs/${enc(org)}/coach-provisions`;

export const provisioning = {
  /** Admins get every provisioning, managers those naming them, a coach their own; newest first. */
  list: (org: string) => get<CoachProvision[]>(provisionsPath(org)),
  provision: (org: string, body: ProvisionCoachBody) => post<CoachProvisioned>(provisionsPath(org), body),
  /** The provisioned coach only. */
  completeProfile: (org: string, id: string, profile: ProfileDraft) =>
    put<CoachProvision>(`${provisionsPath(org)}/${enc(id)}/profile`, profile),
};

export const provisioningKeys = {
  list: (org: string) => ["coach-provisions", org] as const,
};
