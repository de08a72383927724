// The program builder (admins): the latest version of a program as a graph
// of concepts and prerequisites, with a side panel for the selected concept
// and, below, the same program as a list that works by keyboard. Publish,
// discard the draft, export, and edit the program's details from the header.

import { useCallback, useEffect, useId, useRef, useState, type FormEvent } from "react";
import { Link, useParams } from "react-router-dom";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { concepts as conceptsApi, programs, type Program } from "../api/programs";
import { useOrgId } from "../session";
import { ConfirmDialog, Empty, ErrorNote, Field, Loading } from "../components/ui";
import { ConceptGraph } from "../components/programs/ConceptGraph";
import { ConceptList } from "../components/programs/ConceptList";
import { ConceptPanel } from "../components/programs/ConceptPanel";
import { ProgramErrorNote } from "../components/programs/ProgramErrorNote";
import { ProgramExport } from "../components/programs/ProgramExport";
import { versionLabel } from "../components/programs/labels";
import { useDocumentTitles } from "../components/programs/useDocumentTitles";
import "../styles/programs.css";

function ProgramDetailsForm({
  org,
  program,
  onDone,
}: {
  org: string;
  program: Program;
  onDone: (changed: Program | null) => void;
}) {
  const [title, setTitle] = useState(program.title);
  const [description, setDescription] = useState(program.description);
  const [selfEnrolment, setSelfEnrolment] = useState(program.self_enrolment);
  const save = useMutation({
    mutationFn: () =>
      programs.update(org, program.id, { title: title.trim(), description, self_enrolment: selfEnrolment }),
    onSuccess: onDone,
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate();
  }

  return (
    <form className="card" onSubmit={submit} aria-label="Program details">
      <h2>Program details</h2>
      <Field label="Title">{(p) => <input {...p} value={title} onChange={(e) => setTitle(e.target.value)} />}</Field>
      <Field label="Description">
        {(p) => <textarea {...p} rows={3} value={description} onChange={(e) => setDescription(e.target.value)} />}
      </Field>
      <label className="check">
        <input type="checkbox" checked={selfEnrolment} onChange={(e) => setSelfEnrolment(e.target.checked)} />
        Learners may enrol themselves once it is published
      </label>
      <ErrorNote error={save.error} />
      <div className="actions">
        <button type="button" onClick={() => onDone(null)}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={!title.trim() || save.isPending}>
          Save details
        </button>
      </div>
    </form>
  );
}

function AddConceptForm({ org, programId, onAdded }: { org: string; programId: string; onAdded: (id: string) => void }) {
  const [name, setName] = useState("");
  const add = useMutation({
    mutationFn: () => conceptsApi.add(org, programId, { name: name.trim() }),
    onSuccess: (concept) => {
      setName("");
      onAdded(concept.id);
    },
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    add.mutate();
  }

  return (
    <form className="add-concept" onSubmit={submit} aria-label="Add a concept">
      <Field label="New concept">
        {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. Active recall" />}
      </Field>
      <button type="submit" disabled={!name.trim() || add.isPending}>
        Add concept
      </button>
      <ErrorNote error={add.error} />
    </form>
  );
}

export default function ProgramBuilder() {
  const { programId = "" } = useParams();
  const org = useOrgId();
  const client = useQueryClient();
  const graphHintId = useId();
  const detail = useQuery({ queryKey: ["program", org, programId], queryFn: () => programs.get(org, programId) });
  const documentTitles = useDocumentTitles(org);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [editingDetails, setEditingDetails] = useState(false);
  const [confirmDiscard, setConfirmDiscard] = useState(false);
  const [announcement, setAnnouncement] = useState("");
  const panelHeading = useRef<HTMLHeadingElement>(null);
  const [focusPanel, setFocusPanel] = useState(false);

  const refresh = useCallback(
    () =>
      Promise.all([
        client.invalidateQueries({ queryKey: ["program", org, programId] }),
        client.invalidateQueries({ queryKey: ["programs", org] }),
      ]),
    [client, org, programId],
  );

  const connect = useMutation({
    mutationFn: (edge: { conceptId: string; prerequisiteId: string }) =>
      conceptsApi.addPrerequisite(org, edge.conceptId, edge.prerequisiteId),
    onSettled: refresh,
  });
  const disconnect = useMutation({
    mutationFn: (edge: { conceptId: string; prerequisiteId: string }) =>
      conceptsApi.removePrerequisite(org, edge.conceptId, edge.prerequisiteId),
    onSettled: refresh,
  });
  const publish = useMutation({
    mutationFn: () => programs.publish(org, programId),
    onSuccess: async (program) => {
      setAnnouncement(`Published version ${program.published_version}. Learners now see it.`);
      await refresh();
    },
  });
  const discard = useMutation({
    mutationFn: () => programs.discardDraft(org, programId),
    onSuccess: async () => {
      setConfirmDiscard(false);
      setSelectedId(null);
      setAnnouncement("The draft was discarded; the program is back to its published version.");
      await refresh();
    },
  });

  const { mutate: addEdge } = connect;
  const { mutate: removeEdge } = disconnect;
  const onGraphConnect = useCallback(
    (conceptId: string, prerequisiteId: string) => addEdge({ conceptId, prerequisiteId }),
    [addEdge],
  );
  const onGraphRemoveEdge = useCallback(
    (conceptId: string, prerequisiteId: string) => removeEdge({ conceptId, prerequisiteId }),
    [removeEdge],
  );

  function selectFromList(conceptId: string) {
    setSelectedId(conceptId);
    setFocusPanel(true);
  }

  // A concept chosen in the list moves focus to its panel, so keyboard users land where they edit.
  useEffect(() => {
    if (focusPanel && panelHeading.current) {
      panelHeading.current.focus();
      setFocusPanel(false);
    }
  }, [focusPanel, selectedId]);

  if (detail.isPending) return <Loading label="Loading the program…" />;
  if (detail.isError) {
    return (
      <div className="page">
        <ErrorNote error={detail.error} onRetry={() => detail.refetch()} />
        <Link to="/programs">Back to programs</Link>
      </div>
    );
  }
  const { program, concepts } = detail.data;
  const editable = program.status !== "archived";
  const selected = concepts.find((c) => c.id === selectedId) ?? null;
  const publishable = editable && (program.status === "draft" || program.has_draft);

  return (
    <div className="page program-builder">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/programs">Programs</Link> › <span aria-current="page">{program.title}</span>
      </nav>
      {editingDetails ? (
        <ProgramDetailsForm
          org={org}
          program={program}
          onDone={async (changed) => {
            setEditingDetails(false);
            if (changed) await refresh();
          }}
        />
      ) : (
        <div className="page-header">
          <div>
            <h1>{program.title}</h1>
            <p>
              <span className={`status program-status-${program.status}`}>{versionLabel(program)}</span>{" "}
              <span className="muted small">
                {concepts.length} concept{concepts.length === 1 ? "" : "s"} · {program.enrolled_count} learner
                {program.enrolled_count === 1 ? "" : "s"} enrolled
                {program.self_enrolment ? " · open for self-enrolment" : ""}
              </span>
            </p>
            {program.description && <p className="program-description">{program.description}</p>}
          </div>
          <div className="actions">
            {editable && (
              <button type="button" onClick={() => setEditingDetails(true)}>
                Edit details
              </button>
            )}
            {program.published_version != null && program.has_draft && (
              <button
                type="button"
                className="danger-text"
                onClick={() => {
                  discard.reset();
                  setConfirmDiscard(true);
                }}
              >
                Discard draft
              </button>
            )}
            <button
              type="button"
              className="primary"
              onClick={() => publish.mutate()}
              disabled={!publishable || concepts.length === 0 || publish.isPending}
            >
              {program.published_version == null ? "Publish" : "Publish changes"}
            </button>
          </div>
        </div>
      )}
      <ErrorNote error={publish.error} />
      <div role="status">{announcement && <p className="notice">{announcement}</p>}</div>
      <ProgramExport org={org} programId={program.id} title={program.title} />

      <div className="builder-layout">
        <section className="builder-graph" aria-labelledby="graph-heading">
          <h2 id="graph-heading">Concept map</h2>
          <p id={graphHintId} className="hint">
            An arrow leads from a prerequisite to the concept that requires it.
            {editable &&
              " Drag from a concept's lower dot to another concept to add a prerequisite; select an arrow and press Delete to remove it. The list below does the same by keyboard."}
          </p>
          {editable && (
            <AddConceptForm
              org={org}
              programId={program.id}
              onAdded={async (id) => {
                await refresh();
                setSelectedId(id);
              }}
            />
          )}
          <ProgramErrorNote error={connect.error} />
          <ErrorNote error={disconnect.error} />
          {concepts.length === 0 ? (
            <Empty title="No concepts yet.">
              <p>Add the first concept above.</p>
            </Empty>
          ) : (
            <ConceptGraph
              concepts={concepts}
              selectedId={selectedId}
              editable={editable}
              onSelect={setSelectedId}
              onConnect={onGraphConnect}
              onRemoveEdge={onGraphRemoveEdge}
              describedBy={graphHintId}
            />
          )}
        </section>
        <aside className="builder-panel" aria-label="Selected concept">
          {selected ? (
            <ConceptPanel
              key={selected.id}
              ref={panelHeading}
              org={org}
              concept={selected}
              editable={editable}
              documentTitles={documentTitles}
              onChanged={refresh}
              onDeleted={() => setSelectedId(null)}
            />
          ) : (
            <p className="muted">Select a concept in the map or the list to edit it, cite its material and make practice questions.</p>
          )}
        </aside>
      </div>

      <section aria-labelledby="list-heading">
        <h2 id="list-heading">Concepts and prerequisites</h2>
        {concepts.length > 0 && (
          <ConceptList
            org={org}
            concepts={concepts}
            editable={editable}
            selectedId={selectedId}
            onSelect={selectFromList}
            onChanged={refresh}
          />
        )}
      </section>

      <ConfirmDialog
        open={confirmDiscard}
        title="Discard the draft?"
        message={
          <>
            Every change since version {program.published_version} was published is thrown away.
            <ErrorNote error={discard.error} />
          </>
        }
        confirmLabel="Discard draft"
        busy={discard.isPending}
        onCancel={() => setConfirmDiscard(false)}
        onConfirm={() => discard.mutate()}
      />
    </div>
  );
}
