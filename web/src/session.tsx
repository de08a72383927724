// Who is signed in, which organisation they are working in, and what their
// role there lets them see. Screens ask `useSession()`; the permission rules
// mirror docs/PERMISSIONS.md (the server enforces them; the app only hides
// what a person could not use anyway). Someone who must use two-step sign-in
// and has not set it up reaches nothing else (`mfaSetupNeeded`): known from
// `GET /me/mfa`, and looked at again whenever the server refuses a request
// with `mfa_enrollment_required` (say, once their organisation starts
// requiring it).

import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { ApiError, setCsrfToken, setUnauthenticatedHandler } from "./api/client";
import { auth, orgs as orgsApi } from "./api/endpoints";
import { mfa as mfaApi, mfaKeys, type MfaStatus } from "./api/mfa";
import type { Me, OrgView, Role } from "./api/types";

const ORG_KEY = "wayfinder.org";

export interface Session {
  me: Me | null;
  loading: boolean;
  orgs: OrgView[];
  org: OrgView | null;
  /** The caller's role in the current organisation (null for an operator who is not a member). */
  role: Role | null;
  /** Admins and instance operators manage the organisation. */
  isAdmin: boolean;
  isOperator: boolean;
  /** The person's second factor (null until known, or when it could not be looked up). */
  mfa: MfaStatus | null;
  /** Two-step sign-in is required for this person and not set up yet: enrolling is all they can do. */
  mfaSetupNeeded: boolean;
  selectOrg: (id: string) => void;
  /** Records a new session (after sign-in, setup, invitation or password change). */
  started: (csrfToken: string) => Promise<void>;
  signOut: () => Promise<void>;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const client = useQueryClient();
  const [orgId, setOrgId] = useState<string | null>(() => localStorage.getItem(ORG_KEY));

  const meQuery = useQuery({
    queryKey: ["me"],
    queryFn: async () => {
      try {
        const me = await auth.me();
        setCsrfToken(me.csrf_token);
        return me;
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) return null;
        throw err;
      }
    },
    staleTime: 5 * 60_000,
    retry: false,
  });
  const me = meQuery.data ?? null;

  const orgsQuery = useQuery({
    queryKey: ["orgs", me?.person.id],
    queryFn: orgsApi.list,
    enabled: !!me,
    staleTime: 60_000,
  });
  const orgList = useMemo(() => orgsQuery.data ?? [], [orgsQuery.data]);

  // Asked beside the organisations (not after them), so a page load waits for no extra round trip.
  const mfaQuery = useQuery({
    queryKey: mfaKeys.status(me?.person.id ?? ""),
    queryFn: mfaApi.status,
    enabled: !!me,
    staleTime: 5 * 60_000,
  });
  const mfaStatus = mfaQuery.data ?? null;
  const mfaSetupNeeded = !!mfaStatus && mfaStatus.required && !mfaStatus.enabled;

  // A refusal for want of a second factor means the requirement changed under the person: look again.
  useEffect(() => {
    const enrolmentRequired = (error: unknown) => error instanceof ApiError && error.code === "mfa_enrollment_required";
    const recheck = () => void client.invalidateQueries({ queryKey: mfaKeys.all });
    const queries = client.getQueryCache().subscribe((event) => {
      if (event.type === "updated" && event.action.type === "error" && enrolmentRequired(event.action.error)) recheck();
    });
    const mutations = client.getMutationCache().subscribe((event) => {
      if (event.type === "updated" && event.action.type === "error" && enrolmentRequired(event.action.error)) recheck();
    });
    return () => {
      queries();
      mutations();
    };
  }, [client]);

  useEffect(() => {
    setUnauthenticatedHandler(() => {
      setCsrfToken(null);
      client.setQueryData(["me"], null);
    });
    return () => setUnauthenticatedHandler(null);
  }, [client]);

  const org = orgList.find((o) => o.organisation.id === orgId) ?? orgList[0] ?? null;
  const role = org?.role ?? null;
  const isOperator = !!me?.person.is_operator;

  const selectOrg = useCallback(
    (id: string) => {
      localStorage.setItem(ORG_KEY, id);
      setOrgId(id);
    },
    [],
  );

  const started = useCallback(
    async (csrfToken: string) => {
      setCsrfToken(csrfToken);
      client.removeQueries({ predicate: (q) => q.queryKey[0] !== "me" });
      await client.invalidateQueries({ queryKey: ["me"] });
    },
    [client],
  );

  const signOut = useCallback(async () => {
    try {
      await auth.logout();
    } catch {
      // already signed out
    }
    setCsrfToken(null);
    // The "me" query is kept and set to nobody, so this provider (its observer) hears of it; a cleared
    // cache would leave it showing the person who just left. Everything else of theirs goes.
    client.setQueryData(["me"], null);
    client.removeQueries({ predicate: (q) => !(q.queryKey.length === 1 && q.queryKey[0] === "me") });
    client.getMutationCache().clear();
  }, [client]);

  const value: Session = {
    me,
    // The organisations are refused until a required second factor is set up: not worth waiting for then.
    loading: meQuery.isPending || (!!me && (mfaQuery.isPending || (orgsQuery.isPending && !mfaSetupNeeded))),
    orgs: orgList,
    org,
    role,
    isAdmin: isOperator || role === "admin",
    isOperator,
    mfa: mfaStatus,
    mfaSetupNeeded,
    selectOrg,
    started,
    signOut,
  };
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside SessionProvider");
  return session;
}

/** The current organisation's id; screens under the signed-in layout always have one. */
export function useOrgId(): string {
  const { org } = useSession();
  if (!org) throw new Error("no organisation selected");
  return org.organisation.id;
}
