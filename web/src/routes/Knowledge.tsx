// The knowledge base: the organisation's collections (those open to website
// visitors marked Public); create one with its domain tags.

import { useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router-dom";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { knowledge } from "../api/endpoints";
import { useOrgId } from "../session";
import { Empty, ErrorNote, Field, Loading, TagInput } from "../components/ui";
import { PublicBadge, PublicField } from "../components/knowledge/PublicCollection";
import { formatDate, parseTags } from "../lib/format";

export default function Knowledge() {
  const org = useOrgId();
  const client = useQueryClient();
  const navigate = useNavigate();
  const collections = useQuery({ queryKey: ["collections", org], queryFn: () => knowledge.collections(org) });
  const [creating, setCreating] = useState(false);
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [domains, setDomains] = useState("");
  const [isPublic, setIsPublic] = useState(false);
  const create = useMutation({
    mutationFn: () =>
      knowledge.createCollection(org, { name, description, domains: parseTags(domains), public: isPublic }),
    onSuccess: async (c) => {
      await client.invalidateQueries({ queryKey: ["collections", org] });
      navigate(`/knowledge/${c.id}`);
    },
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate();
  }

  return (
    <div className="page">
      <div className="page-header">
        <h1>Knowledge base</h1>
        {!creating && (
          <button type="button" className="primary" onClick={() => setCreating(true)}>
            New collection
          </button>
        )}
      </div>
      <p className="muted">
        Collections hold the documents the coach answers from: handbooks, course material, books.
      </p>
      {creating && (
        <form className="card" onSubmit={submit} aria-label="New collection">
          <h2>New collection</h2>
          <Field label="Name">{(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} autoFocus />}</Field>
          <Field label="Description">
            {(p) => <textarea {...p} rows={2} value={description} onChange={(e) => setDescription(e.target.value)} />}
          </Field>
          <TagInput
            label="Domain tags"
            value={domains}
            onChange={setDomains}
            hint="Your organisation's topics, e.g. assessment, collaborative-teams. Separate with commas."
          />
          <PublicField checked={isPublic} onChange={setIsPublic} />
          <ErrorNote error={create.error} />
          <div className="actions">
            <button type="button" onClick={() => setCreating(false)}>
              Cancel
            </button>
            <button type="submit" className="primary" disabled={!name.trim() || create.isPending}>
              Create collection
            </button>
          </div>
        </form>
      )}
      {collections.isPending && <Loading label="Loading collections…" />}
      <ErrorNote error={collections.error} onRetry={() => collections.refetch()} />
      {collections.data?.length === 0 && !creating && (
        <Empty title="No collections yet.">
          <p>Create a collection, then drop documents into it (TXT, Markdown, HTML, PDF, DOCX).</p>
        </Empty>
      )}
      <ul className="card-list" aria-label="Collections">
        {collections.data?.map((c) => (
          <li key={c.id} className="card">
            <h2>
              <Link to={`/knowledge/${c.id}`}>{c.name}</Link>
              {c.public && <PublicBadge />}
            </h2>
            {c.description && <p>{c.description}</p>}
            {c.domains.length > 0 && (
              <ul className="tags" aria-label="Domain tags">
                {c.domains.map((d) => (
                  <li className="tag" key={d}>
                    {d}
                  </li>
                ))}
              </ul>
            )}
            <p className="muted small">
              Updated {formatDate(c.updated_at)} · {c.embedding_model ? `semantic search (${c.embedding_model})` : "keyword search"}
            </p>
          </li>
        ))}
      </ul>
    </div>
  );
}
