// A conversation someone shared: read-only, no sign-in needed.

import { useState } from "react";
import { useParams } from "react-router-dom";
import { useQuery } from "@tanstack/react-query";
import { conversations } from "../api/endpoints";
import type { Citation } from "../api/types";
import { ErrorNote, Loading } from "../components/ui";
import { MessageView } from "../components/chat/MessageView";
import { CitationDialog } from "../components/chat/CitationDialog";
import { formatDate } from "../lib/format";

export default function Shared() {
  const { token = "" } = useParams();
  const [citation, setCitation] = useState<Citation | null>(null);
  const shared = useQuery({ queryKey: ["shared", token], queryFn: () => conversations.shared(token), retry: false });

  return (
    <main className="shared-page" id="main">
      <header className="shared-header">
        <span className="brand">
          <span className="brand-mark" aria-hidden="true">
            ◆
          </span>{" "}
          Wayfinder
        </span>
        <span className="muted">Shared conversation (read-only)</span>
      </header>
      {shared.isPending && <Loading />}
      {shared.isError && (
        <div className="page narrow">
          <h1>This link does not work</h1>
          <ErrorNote error={shared.error} />
          <p>The conversation may have been deleted, or its owner stopped sharing it.</p>
        </div>
      )}
      {shared.data && (
        <div className="page narrow">
          <h1>{shared.data.conversation.title || "Conversation"}</h1>
          <p className="muted">
            {shared.data.conversation.owner_name}
            {shared.data.conversation.coach_name ? ` with ${shared.data.conversation.coach_name}` : ""} ·{" "}
            {formatDate(shared.data.conversation.created_at)}
          </p>
          <div className="messages">
            {shared.data.messages.map((m) => (
              <MessageView key={m.id} message={m} readOnly onCite={setCitation} />
            ))}
          </div>
        </div>
      )}
      <CitationDialog citation={citation} onClose={() => setCitation(null)} />
    </main>
  );
}
