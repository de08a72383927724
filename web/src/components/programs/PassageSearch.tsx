// Searches the knowledge base for passages; the caller decides what each
// result offers (cite its section, cite it in a question…).

import { useId, useState, type ReactNode } from "react";
import { useMutation } from "@tanstack/react-query";
import { searchPassages, type SearchHit } from "../../api/programs";
import { ErrorNote } from "../ui";
import { passageLabel } from "./labels";
import "../../styles/programs.css";

const SNIPPET_CHARS = 220;

function snippet(text: string): string {
  return text.length > SNIPPET_CHARS ? `${text.slice(0, SNIPPET_CHARS).trimEnd()}…` : text;
}

export function PassageSearch({
  org,
  label,
  actions,
}: {
  org: string;
  label: string;
  actions: (hit: SearchHit) => ReactNode;
}) {
  const inputId = useId();
  const [text, setText] = useState("");
  const search = useMutation({ mutationFn: (q: string) => searchPassages(org, q) });

  function submit() {
    if (text.trim()) search.mutate(text.trim());
  }

  return (
    <div className="passage-search">
      {/* A div, not a form: this search sits inside other forms. */}
      <div className="passage-search-row" role="search" aria-label={label}>
        <label htmlFor={inputId} className="visually-hidden">
          {label}
        </label>
        <input
          id={inputId}
          type="search"
          value={text}
          placeholder="Search the knowledge base"
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter") {
              e.preventDefault();
              submit();
            }
          }}
        />
        <button type="button" onClick={submit} disabled={!text.trim() || search.isPending}>
          Search
        </button>
      </div>
      <ErrorNote error={search.error} />
      {search.data?.notice && <p className="hint">{search.data.notice}</p>}
      {search.data && search.data.results.length === 0 && <p className="muted small">No passages match.</p>}
      {search.data && search.data.results.length > 0 && (
        <ul className="passage-results" aria-label={`${label}: results`}>
          {search.data.results.map((hit) => (
            <li key={hit.chunk.id}>
              <p className="passage-where">{passageLabel(hit.chunk.document_title, hit.chunk.section)}</p>
              <p className="passage-text">{snippet(hit.chunk.text)}</p>
              <div className="passage-actions">{actions(hit)}</div>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
