// The learners the caller may send an interview to: an administrator's are
// every learner, a coach's those they coach. Read from the same queries (and
// cache entries) as a sequence's enrolment form.

import { useQuery } from "@tanstack/react-query";
import { orgs } from "../../api/endpoints";
import type { Person } from "../../api/types";
import { useSession } from "../../session";

export function useGuidedLearners(org: string): { learners: Person[] | null; error: unknown; retry: () => void } {
  const { isAdmin, me } = useSession();
  const members = useQuery({ queryKey: ["members", org], queryFn: () => orgs.members(org) });
  const relationships = useQuery({
    queryKey: ["relationships", org],
    queryFn: () => orgs.relationships(org),
    enabled: !isAdmin,
  });
  const retry = () => {
    void members.refetch();
    if (!isAdmin) void relationships.refetch();
  };
  if (!members.data || (!isAdmin && !relationships.data)) {
    return { learners: null, error: members.error ?? relationships.error, retry };
  }
  const coached = isAdmin
    ? null
    : new Set(
        (relationships.data ?? [])
          .filter((r) => r.kind === "coach_learner" && r.from_person === me?.person.id)
          .map((r) => r.to_person),
      );
  const learners = members.data
    .filter((m) => m.role === "learner" && (!coached || coached.has(m.person.id)))
    .map((m) => m.person)
    .sort((a, b) => a.display_name.localeCompare(b.display_name));
  return { learners, error: null, retry };
}
