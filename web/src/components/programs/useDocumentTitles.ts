// Document titles by id, across the organisation's collections: a concept's
// material names only a document id.

import { useQueries, useQuery, type UseQueryResult } from "@tanstack/react-query";
import { knowledge } from "../../api/endpoints";
import type { DocumentView } from "../../api/types";

// Outside the hook, so the query library can keep the map until a list changes.
function titlesOf(results: UseQueryResult<DocumentView[]>[]): Map<string, string> {
  const titles = new Map<string, string>();
  for (const result of results) for (const doc of result.data ?? []) titles.set(doc.id, doc.title);
  return titles;
}

export function useDocumentTitles(org: string): Map<string, string> {
  const collections = useQuery({ queryKey: ["collections", org], queryFn: () => knowledge.collections(org) });
  return useQueries({
    queries: (collections.data ?? []).map((c) => ({
      queryKey: ["documents", org, c.id],
      queryFn: () => knowledge.documents(org, c.id),
    })),
    combine: titlesOf,
  });
}
