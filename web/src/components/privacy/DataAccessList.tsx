// "Who looked at your data", in the profile's "Your data": the people who read
// the signed-in person's progress or one of their conversations (their
// coaches, parents, managers, admins), and the admins who exported their data,
// newest first. The server notes each reader at most once an hour for each
// kind of look, so a busy afternoon is one line, not fifty. A conversation
// links to the person's own chat (`/chat/:conversationId`); a reader who has
// since been erased is "A former member".

import type { ReactNode } from "react";
import { Link } from "react-router-dom";
import { useQuery } from "@tanstack/react-query";
import { useSession } from "../../session";
import { ErrorNote, Loading } from "../ui";
import { formatDateTime } from "../../lib/format";
import { privacy, privacyKeys, type DataAccess } from "./api";
import "./privacy.css";

/** What the reader did, as the rest of the sentence after their name. */
function whatTheyDid(entry: DataAccess): ReactNode {
  switch (entry.what) {
    case "progress":
      return "looked at your progress";
    case "conversation":
      return entry.conversation_id ? (
        <>
          read <Link to={`/chat/${encodeURIComponent(entry.conversation_id)}`}>a conversation</Link>
        </>
      ) : (
        "read a conversation"
      );
    case "export":
      return "downloaded an export of your data";
  }
}

export function DataAccessList() {
  const { orgs } = useSession();
  const list = useQuery({ queryKey: privacyKeys.dataAccess(), queryFn: privacy.myDataAccess });
  // With more than one organisation, each line says in which one it happened.
  const orgName = (id: string | null | undefined) =>
    orgs.length > 1 ? orgs.find((o) => o.organisation.id === id)?.organisation.name : undefined;
  return (
    <section aria-labelledby="data-access-heading" className="data-access">
      <h3 id="data-access-heading">Who looked at your data</h3>
      <p className="muted small">
        Your coaches, parents, managers and administrators can read your progress and conversations, and
        administrators can export your data. Each time someone does, it is listed here (at most once an hour for each
        person and kind of look).
      </p>
      {list.isPending && <Loading />}
      <ErrorNote error={list.error} onRetry={() => list.refetch()} />
      {list.data?.length === 0 && <p className="data-access-empty">Nobody else has looked at your data.</p>}
      {list.data && list.data.length > 0 && (
        <ul className="plain-list data-access-list" aria-labelledby="data-access-heading">
          {list.data.map((entry, i) => {
            const where = orgName(entry.org_id);
            return (
              <li key={`${entry.at}-${entry.reader_id ?? "former"}-${entry.what}-${i}`}>
                <span>
                  {entry.reader_name ? <strong>{entry.reader_name}</strong> : <em>A former member</em>}{" "}
                  {whatTheyDid(entry)}
                  {where && <span className="muted"> in {where}</span>}
                </span>
                <time className="muted small" dateTime={entry.at}>
                  {formatDateTime(entry.at)}
                </time>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
