// A learner's conversations with the coach, for those who may read them (their
// coaches and managers, admins, and parents the learner lets): newest first,
// each opening the conversation followed live.

import { Link } from "react-router-dom";
import { useInfiniteQuery } from "@tanstack/react-query";
import { ApiError } from "../../api/client";
import { conversations } from "../../api/endpoints";
import { ErrorNote, Loading } from "../ui";
import { formatDateTime } from "../../lib/format";
import "../../styles/live.css";

const PAGE_SIZE = 20;

export function LearnerConversations({ org, person, name }: { org: string; person: string; name: string }) {
  const list = useInfiniteQuery({
    queryKey: ["conversations", org, { owner: person }],
    queryFn: ({ pageParam }) => conversations.list(org, { owner: person, limit: PAGE_SIZE, before: pageParam }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_before,
    // New conversations show up while the page is open.
    refetchInterval: 30_000,
  });
  const items = list.data?.pages.flatMap((p) => p.conversations) ?? [];
  // The server answers 404 to those who may not read them (a parent the learner has not allowed).
  const hidden = list.error instanceof ApiError && (list.error.status === 404 || list.error.status === 403);

  return (
    <section aria-labelledby="conversations-heading">
      <h2 id="conversations-heading">Conversations</h2>
      {list.isPending && <Loading label="Loading conversations…" />}
      {hidden ? (
        <p className="muted">Their conversations with the coach are not shared with you.</p>
      ) : (
        <ErrorNote error={list.error} onRetry={() => list.refetch()} />
      )}
      {list.data && items.length === 0 && <p className="muted">No conversations yet.</p>}
      {items.length > 0 && (
        <ul className="plain-list learner-conversations" aria-label={`${name}'s conversations`}>
          {items.map((c) => (
            <li key={c.id}>
              <span>
                <Link to={`/learners/${encodeURIComponent(person)}/conversations/${encodeURIComponent(c.id)}`}>
                  {c.title || "Untitled conversation"}
                </Link>{" "}
                {c.held_by && <span className="tag held-tag">A coach has joined</span>}
              </span>
              <span className="muted small">
                {c.coach_name ? `with ${c.coach_name} · ` : ""}
                {formatDateTime(c.updated_at)}
              </span>
            </li>
          ))}
        </ul>
      )}
      {list.hasNextPage && (
        <button type="button" onClick={() => list.fetchNextPage()} disabled={list.isFetchingNextPage}>
          Load older conversations
        </button>
      )}
    </section>
  );
}
