// The organisation's programs with their concepts, to name the concepts a
// question practises and to choose one. Authors read each program's latest
// version (drafts included); others its published one.

import { useQueries, useQuery, type UseQueryResult } from "@tanstack/react-query";
import { programs, type Concept, type ProgramDetail } from "../../api/programs";

export interface ConceptIndex {
  /** Programs in the API's order, each with its concepts. */
  groups: ProgramDetail[];
  names: Map<string, string>;
  concepts: Map<string, Concept>;
  pending: boolean;
  error: unknown;
}

// Outside the hook, so the query library can keep the result until a program changes.
function indexOf(results: UseQueryResult<ProgramDetail>[]): Omit<ConceptIndex, "pending" | "error"> & { failed: unknown } {
  const groups = results.flatMap((r) => (r.data ? [r.data] : []));
  const concepts = new Map(groups.flatMap((g) => g.concepts.map((c) => [c.id, c] as const)));
  const names = new Map([...concepts].map(([id, c]) => [id, c.name]));
  return { groups, names, concepts, failed: results.find((r) => r.error)?.error ?? null };
}

export function useConceptIndex(org: string, version: "latest" | "published"): ConceptIndex {
  const list = useQuery({ queryKey: ["programs", org], queryFn: () => programs.list(org) });
  const index = useQueries({
    queries: (list.data ?? []).map((p) => ({
      queryKey: ["program", org, p.id, version],
      queryFn: () => programs.get(org, p.id, version),
    })),
    combine: indexOf,
  });
  return {
    groups: index.groups,
    names: index.names,
    concepts: index.concepts,
    pending: list.isPending,
    error: list.error ?? index.failed,
  };
}
