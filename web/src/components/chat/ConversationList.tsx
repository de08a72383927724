// The conversation sidebar: search titles, show archived, and per
// conversation rename, archive, share (copy link, revoke) and delete.

import { useEffect, useState, type FormEvent, type KeyboardEvent, type MouseEvent } from "react";
import { Link, useNavigate } from "react-router-dom";
import { useInfiniteQuery, useMutation, useQueryClient } from "@tanstack/react-query";
import { conversations } from "../../api/endpoints";
import type { Conversation, ShareLink } from "../../api/types";
import { ConfirmDialog, Dialog, Empty, ErrorNote, Loading, SecretBox } from "../ui";
import { formatDate } from "../../lib/format";

function useDebounced<T>(value: T, ms: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setDebounced(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return debounced;
}

/** Closes the actions menu once one is chosen (the menu is a <details>). */
function closeMenu(event: MouseEvent<HTMLElement>) {
  const details = event.currentTarget.closest("details");
  if (details && (event.target as HTMLElement).closest("button")) details.open = false;
}

function closeOnEscape(event: KeyboardEvent<HTMLDetailsElement>) {
  if (event.key === "Escape" && event.currentTarget.open) {
    event.currentTarget.open = false;
    event.currentTarget.querySelector("summary")?.focus();
  }
}

type Action = { kind: "rename" | "share" | "delete"; conversation: Conversation } | null;

export function ConversationList({ org, currentId }: { org: string; currentId: string | undefined }) {
  const client = useQueryClient();
  const navigate = useNavigate();
  const [search, setSearch] = useState("");
  const [archived, setArchived] = useState(false);
  const q = useDebounced(search.trim(), 250);
  const [action, setAction] = useState<Action>(null);
  const [title, setTitle] = useState("");
  const [share, setShare] = useState<ShareLink | null>(null);

  const list = useInfiniteQuery({
    queryKey: ["conversations", org, { archived, q }],
    queryFn: ({ pageParam }) => conversations.list(org, { limit: 30, before: pageParam, archived, q }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_before,
  });
  const items = list.data?.pages.flatMap((p) => p.conversations) ?? [];

  const refresh = () => client.invalidateQueries({ queryKey: ["conversations", org] });
  const update = useMutation({
    mutationFn: (v: { id: string; title?: string; archived?: boolean }) =>
      conversations.update(v.id, { title: v.title, archived: v.archived }),
    onSuccess: (c) => {
      client.setQueryData(["conversation", c.id], (old: { conversation: Conversation } | undefined) =>
        old ? { ...old, conversation: c } : old,
      );
      setAction(null);
      return refresh();
    },
  });
  const remove = useMutation({
    mutationFn: (id: string) => conversations.remove(id),
    onSuccess: (_, id) => {
      setAction(null);
      client.removeQueries({ queryKey: ["conversation", id] });
      if (id === currentId) navigate("/chat");
      return refresh();
    },
  });
  const makeLink = useMutation({
    mutationFn: (id: string) => conversations.share(id),
    onSuccess: (link) => {
      setShare(link);
      return refresh();
    },
  });
  const revoke = useMutation({
    mutationFn: (id: string) => conversations.unshare(id),
    onSuccess: () => {
      setShare(null);
      setAction(null);
      return refresh();
    },
  });

  function open(kind: "rename" | "share" | "delete", conversation: Conversation) {
    update.reset();
    remove.reset();
    makeLink.reset();
    revoke.reset();
    setShare(null);
    setTitle(conversation.title);
    setAction({ kind, conversation });
  }

  function submitRename(event: FormEvent) {
    event.preventDefault();
    if (action) update.mutate({ id: action.conversation.id, title: title.trim() });
  }

  const shareUrl = share ? new URL(share.url, window.location.origin).toString() : null;

  return (
    <div className="conversation-list">
      <div className="field compact">
        <label htmlFor="conversation-search">Search conversations</label>
        <input
          id="conversation-search"
          type="search"
          value={search}
          placeholder="Search titles"
          onChange={(e) => setSearch(e.target.value)}
        />
      </div>
      <label className="check">
        <input type="checkbox" checked={archived} onChange={(e) => setArchived(e.target.checked)} />
        Show archived
      </label>
      {list.isPending && <Loading label="Loading conversations…" />}
      <ErrorNote error={list.error} onRetry={() => list.refetch()} />
      {list.isSuccess && items.length === 0 && (
        <Empty title={q ? "No conversations match." : archived ? "No archived conversations." : "No conversations yet."} />
      )}
      <ul className="conversations" aria-label="Conversations">
        {items.map((c) => (
          <li key={c.id} className={c.id === currentId ? "current" : ""}>
            <Link to={`/chat/${c.id}`} aria-current={c.id === currentId ? "page" : undefined}>
              <span className="conversation-title">{c.title || "Untitled conversation"}</span>
              <span className="muted small">
                {formatDate(c.updated_at)}
                {c.shared ? " · shared" : ""}
                {c.archived ? " · archived" : ""}
              </span>
            </Link>
            <details className="menu" onKeyDown={closeOnEscape}>
              <summary aria-label={`Actions for ${c.title || "untitled conversation"}`}>⋯</summary>
              <div className="menu-items" onClick={closeMenu}>
                <button type="button" onClick={() => open("rename", c)}>
                  Rename
                </button>
                <button type="button" onClick={() => update.mutate({ id: c.id, archived: !c.archived })}>
                  {c.archived ? "Unarchive" : "Archive"}
                </button>
                <button type="button" onClick={() => open("share", c)}>
                  Share…
                </button>
                <button type="button" className="danger-text" onClick={() => open("delete", c)}>
                  Delete
                </button>
              </div>
            </details>
          </li>
        ))}
      </ul>
      {list.hasNextPage && (
        <button type="button" onClick={() => list.fetchNextPage()} disabled={list.isFetchingNextPage}>
          Load older conversations
        </button>
      )}
      {!action && <ErrorNote error={update.error} />}

      <Dialog open={action?.kind === "rename"} title="Rename conversation" onClose={() => setAction(null)}>
        <form onSubmit={submitRename}>
          <div className="field">
            <label htmlFor="rename-title">Title</label>
            <input id="rename-title" value={title} onChange={(e) => setTitle(e.target.value)} autoFocus />
          </div>
          <ErrorNote error={update.error} />
          <div className="actions">
            <button type="button" onClick={() => setAction(null)}>
              Cancel
            </button>
            <button type="submit" className="primary" disabled={!title.trim() || update.isPending}>
              Save
            </button>
          </div>
        </form>
      </Dialog>

      <Dialog open={action?.kind === "share"} title="Share conversation" onClose={() => setAction(null)}>
        <p>Anyone with the link can read this conversation (but not continue it).</p>
        {shareUrl && (
          <SecretBox label="Share link" value={shareUrl} note="Stop sharing to make the link stop working." />
        )}
        <ErrorNote error={makeLink.error ?? revoke.error} />
        <div className="actions">
          {!shareUrl && action && (
            <button
              type="button"
              className="primary"
              disabled={makeLink.isPending}
              onClick={() => makeLink.mutate(action.conversation.id)}
            >
              {action.conversation.shared ? "Show a link" : "Create link"}
            </button>
          )}
          {action && (action.conversation.shared || shareUrl) && (
            <button
              type="button"
              className="danger"
              disabled={revoke.isPending}
              onClick={() => revoke.mutate(action.conversation.id)}
            >
              Stop sharing
            </button>
          )}
        </div>
      </Dialog>

      <ConfirmDialog
        open={action?.kind === "delete"}
        title="Delete conversation?"
        message={
          <>
            “{action?.conversation.title || "Untitled conversation"}” and all its messages will be deleted. This cannot
            be undone.
            <ErrorNote error={remove.error} />
          </>
        }
        confirmLabel="Delete"
        busy={remove.isPending}
        onCancel={() => setAction(null)}
        onConfirm={() => action && remove.mutate(action.conversation.id)}
      />
    </div>
  );
}
