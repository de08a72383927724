// The organisation's programs (drafts included) for admins: start an empty
// one, draft one from a knowledge collection, or import one; each opens in
// the program builder.

import { useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router-dom";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { knowledge } from "../api/endpoints";
import { programs, type Program, type ProgramDetail } from "../api/programs";
import { useOrgId } from "../session";
import { Empty, ErrorNote, Field, Loading } from "../components/ui";
import { ImportProgram } from "../components/programs/ImportProgram";
import { versionLabel } from "../components/programs/labels";
import { formatDate } from "../lib/format";
import "../styles/programs.css";

type Starting = "empty" | "collection" | "import" | null;

function NewProgramForm({ org, onCreated, onCancel }: { org: string; onCreated: (id: string) => void; onCancel: () => void }) {
  const [title, setTitle] = useState("");
  const [description, setDescription] = useState("");
  const create = useMutation({
    mutationFn: () => programs.create(org, { title: title.trim(), description }),
    onSuccess: (program) => onCreated(program.id),
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate();
  }

  return (
    <form className="card" onSubmit={submit} aria-label="New program">
      <h2>New program</h2>
      <Field label="Title">{(p) => <input {...p} value={title} onChange={(e) => setTitle(e.target.value)} autoFocus />}</Field>
      <Field label="Description">
        {(p) => <textarea {...p} rows={2} value={description} onChange={(e) => setDescription(e.target.value)} />}
      </Field>
      <ErrorNote error={create.error} />
      <div className="actions">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={!title.trim() || create.isPending}>
          Create program
        </button>
      </div>
    </form>
  );
}

function DraftFromCollectionForm({
  org,
  onCreated,
  onCancel,
}: {
  org: string;
  onCreated: (id: string) => void;
  onCancel: () => void;
}) {
  const collections = useQuery({ queryKey: ["collections", org], queryFn: () => knowledge.collections(org) });
  const [collectionId, setCollectionId] = useState("");
  const [title, setTitle] = useState("");
  const draft = useMutation({
    mutationFn: (id: string) => programs.draftFromCollection(org, id, title.trim()),
    onSuccess: (detail: ProgramDetail) => onCreated(detail.program.id),
  });
  // The first collection until another is chosen.
  const chosen = collectionId || collections.data?.[0]?.id || "";

  function submit(event: FormEvent) {
    event.preventDefault();
    draft.mutate(chosen);
  }

  return (
    <form className="card" onSubmit={submit} aria-label="Draft from a collection">
      <h2>Draft from a collection</h2>
      <p className="muted">
        Wayfinder reads the collection's documents and makes a concept of each section, citing it as the concept's
        material, with prerequisites from the order of the sections. You review and change the draft before
        publishing it.
      </p>
      {collections.isPending && <Loading label="Loading collections…" />}
      <ErrorNote error={collections.error} onRetry={() => collections.refetch()} />
      {collections.data?.length === 0 && (
        <p className="notice">
          There are no collections yet. <Link to="/knowledge">Add documents to the knowledge base</Link> first.
        </p>
      )}
      {collections.data && collections.data.length > 0 && (
        <>
          <Field label="Collection">
            {(p) => (
              <select {...p} value={chosen} onChange={(e) => setCollectionId(e.target.value)}>
                {collections.data.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Program title" hint="Leave empty to use the collection's name.">
            {(p) => <input {...p} value={title} onChange={(e) => setTitle(e.target.value)} />}
          </Field>
        </>
      )}
      <ErrorNote error={draft.error} />
      <div className="actions">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={!chosen || draft.isPending}>
          {draft.isPending ? "Drafting…" : "Draft program"}
        </button>
      </div>
    </form>
  );
}

function ProgramCard({ program }: { program: Program }) {
  return (
    <li className="card program-card">
      <h2>
        <Link to={`/programs/${program.id}`}>{program.title}</Link>
      </h2>
      <p>
        <span className={`status program-status-${program.status}`}>{versionLabel(program)}</span>
      </p>
      {program.description && <p className="program-description">{program.description}</p>}
      <p className="muted small">
        {program.concept_count} concept{program.concept_count === 1 ? "" : "s"} · {program.enrolled_count} learner
        {program.enrolled_count === 1 ? "" : "s"} enrolled
        {program.self_enrolment ? " · open for self-enrolment" : ""} · updated {formatDate(program.updated_at)}
      </p>
    </li>
  );
}

export default function Programs() {
  const org = useOrgId();
  const client = useQueryClient();
  const navigate = useNavigate();
  const list = useQuery({ queryKey: ["programs", org], queryFn: () => programs.list(org) });
  const [starting, setStarting] = useState<Starting>(null);

  async function open(id: string) {
    await client.invalidateQueries({ queryKey: ["programs", org] });
    navigate(`/programs/${id}`);
  }

  const startButton = (mode: Exclude<Starting, null>, label: string, primary = false) => (
    <button
      type="button"
      className={primary ? "primary" : undefined}
      aria-pressed={starting === mode}
      onClick={() => setStarting(starting === mode ? null : mode)}
    >
      {label}
    </button>
  );

  return (
    <div className="page">
      <div className="page-header">
        <h1>Programs</h1>
        <div className="actions">
          {startButton("collection", "Draft from a collection", true)}
          {startButton("empty", "New program")}
          {startButton("import", "Import")}
        </div>
      </div>
      <p className="muted">
        A program is a map of concepts and the prerequisites between them, each learned from material in the knowledge
        base. Learners see a program once it is published; later changes wait in a draft until you publish again.
      </p>
      {starting === "empty" && <NewProgramForm org={org} onCreated={open} onCancel={() => setStarting(null)} />}
      {starting === "collection" && (
        <DraftFromCollectionForm org={org} onCreated={open} onCancel={() => setStarting(null)} />
      )}
      {starting === "import" && <ImportProgram org={org} onImported={(detail) => open(detail.program.id)} />}

      {list.isPending && <Loading label="Loading programs…" />}
      <ErrorNote error={list.error} onRetry={() => list.refetch()} />
      {list.data?.length === 0 && !starting && (
        <Empty title="No programs yet.">
          <p>Draft one from a knowledge collection, start an empty one, or import one.</p>
        </Empty>
      )}
      {list.data && list.data.length > 0 && (
        <ul className="card-list" aria-label="Programs">
          {list.data.map((p) => (
            <ProgramCard key={p.id} program={p} />
          ))}
        </ul>
      )}
    </div>
  );
}
