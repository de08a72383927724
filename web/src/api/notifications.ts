// The alerts delivered to the signed-in person in the app: their list, newest
// first, and marking one read. Kept apart from the insights screens' calls
// because the frame around every screen (the bell) uses it.

import { get, post } from "./client";
import type { components } from "./schema";

type Schemas = components["schemas"];
type Sent<T> = { [K in keyof T]-?: T[K] };

export type NotifiedAlert = Sent<Schemas["Alert"]>;
export type Notification = Omit<Sent<Schemas["Notification"]>, "alert"> & { alert: NotifiedAlert };

const enc = encodeURIComponent;

export const notifications = {
  list: (org: string) => get<Notification[]>(`/orgs/${enc(org)}/notifications`),
  markRead: (org: string, id: string) => post<void>(`/orgs/${enc(org)}/notifications/${enc(id)}/read`),
};

export const notificationKeys = {
  list: (org: string) => ["notifications", org] as const,
};
