// The side panel of the program builder for one concept: its name,
// description, tags and time; the knowledge-base material it is learned
// from (found by searching passages); practice questions made from that
// material; and deleting it.

import { forwardRef, useState, type FormEvent } from "react";
import { Link } from "react-router-dom";
import { useMutation } from "@tanstack/react-query";
import {
  concepts as conceptsApi,
  questions as questionsApi,
  type Concept,
  type MaterialRef,
  type SearchHit,
} from "../../api/programs";
import { parseTags } from "../../lib/format";
import { ConfirmDialog, ErrorNote, Field, TagInput } from "../ui";
import { describeGenerated, materialLabel, sameMaterial } from "./labels";
import { PassageSearch } from "./PassageSearch";
import "../../styles/programs.css";

interface ConceptPanelProps {
  org: string;
  concept: Concept;
  editable: boolean;
  documentTitles: Map<string, string>;
  onChanged: () => Promise<unknown>;
  onDeleted: () => void;
}

export const ConceptPanel = forwardRef<HTMLHeadingElement, ConceptPanelProps>(function ConceptPanel(
  { org, concept, editable, documentTitles, onChanged, onDeleted },
  headingRef,
) {
  const [name, setName] = useState(concept.name);
  const [description, setDescription] = useState(concept.description);
  const [tags, setTags] = useState(concept.tags.join(", "));
  const [minutes, setMinutes] = useState(String(concept.estimated_minutes));
  const [confirmDelete, setConfirmDelete] = useState(false);

  const save = useMutation({
    mutationFn: () =>
      conceptsApi.update(org, concept.id, {
        name: name.trim(),
        description,
        tags: parseTags(tags),
        estimated_minutes: Number(minutes),
      }),
    // The server cleans what it stores (trimmed text, tidied tags): show what it kept.
    onSuccess: (saved) => {
      setName(saved.name);
      setDescription(saved.description);
      setTags(saved.tags.join(", "));
      setMinutes(String(saved.estimated_minutes));
      return onChanged();
    },
  });
  const setMaterial = useMutation({
    mutationFn: (material: MaterialRef[]) => conceptsApi.update(org, concept.id, { material }),
    onSuccess: onChanged,
  });
  const [fromText, setFromText] = useState(false);
  const generate = useMutation({ mutationFn: () => questionsApi.generate(org, concept.id, fromText ? "text" : undefined) });
  const remove = useMutation({
    mutationFn: () => conceptsApi.remove(org, concept.id),
    onSuccess: async () => {
      setConfirmDelete(false);
      onDeleted();
      await onChanged();
    },
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate();
  }

  const citeActions = (hit: SearchHit) => {
    const itsSection: MaterialRef = { document: hit.chunk.document_id, section: hit.chunk.section_path };
    const itsDocument: MaterialRef = { document: hit.chunk.document_id, section: [] };
    const cited = (m: MaterialRef) => concept.material.some((c) => sameMaterial(c, m));
    const cite = (m: MaterialRef) => setMaterial.mutate([...concept.material, m]);
    return (
      <>
        {hit.chunk.section_path.length > 0 && (
          <button type="button" onClick={() => cite(itsSection)} disabled={!editable || cited(itsSection) || setMaterial.isPending}>
            {cited(itsSection) ? "Section cited" : "Cite this section"}
          </button>
        )}
        <button type="button" onClick={() => cite(itsDocument)} disabled={!editable || cited(itsDocument) || setMaterial.isPending}>
          {cited(itsDocument) ? "Document cited" : "Cite the whole document"}
        </button>
      </>
    );
  };

  const made = generate.data;
  const edited =
    name !== concept.name ||
    description !== concept.description ||
    tags !== concept.tags.join(", ") ||
    minutes !== String(concept.estimated_minutes);

  return (
    <div className="concept-panel-body">
      <h2 ref={headingRef} tabIndex={-1}>
        {concept.name}
      </h2>
      <form onSubmit={submit} aria-label={`Edit ${concept.name}`}>
        <fieldset disabled={!editable} className="plain-fieldset">
          <Field label="Name">{(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} />}</Field>
          <Field label="Description">
            {(p) => <textarea {...p} rows={3} value={description} onChange={(e) => setDescription(e.target.value)} />}
          </Field>
          <TagInput label="Tags" value={tags} onChange={setTags} />
          <Field label="Estimated minutes">
            {(p) => (
              <input {...p} type="number" min={1} inputMode="numeric" value={minutes} onChange={(e) => setMinutes(e.target.value)} />
            )}
          </Field>
          <ErrorNote error={save.error} />
          <div role="status">{save.isSuccess && !edited && <p className="success small">Saved.</p>}</div>
          <div className="actions">
            <button type="submit" className="primary" disabled={!name.trim() || !edited || save.isPending}>
              Save concept
            </button>
          </div>
        </fieldset>
      </form>

      <section aria-labelledby={`${concept.id}-material`}>
        <h3 id={`${concept.id}-material`}>Material</h3>
        {concept.material.length === 0 ? (
          <p className="muted small">No material cited yet. Search the knowledge base below to cite a section.</p>
        ) : (
          <ul className="material-list">
            {concept.material.map((m) => {
              const label = materialLabel(m, documentTitles);
              return (
                <li key={`${m.document}/${(m.section ?? []).join("/")}`}>
                  <span>{label}</span>
                  {editable && (
                    <button
                      type="button"
                      className="danger-text"
                      aria-label={`Stop citing ${label}`}
                      disabled={setMaterial.isPending}
                      onClick={() => setMaterial.mutate(concept.material.filter((c) => !sameMaterial(c, m)))}
                    >
                      Remove
                    </button>
                  )}
                </li>
              );
            })}
          </ul>
        )}
        <ErrorNote error={setMaterial.error} />
        {editable && <PassageSearch org={org} label="Find material to cite" actions={citeActions} />}
      </section>

      <section aria-labelledby={`${concept.id}-questions`}>
        <h3 id={`${concept.id}-questions`}>Practice questions</h3>
        <p className="muted small">
          Made from the cited material: written by the chat model when one is configured, otherwise from the text's
          own sentences (fill in the blank, true or false, multiple choice). Each is checked against its passage, and
          new questions wait in the review queue until a coach or admin approves them.
        </p>
        <label className="check">
          <input type="checkbox" checked={fromText} onChange={(e) => setFromText(e.target.checked)} />
          Make them from the text's sentences, without the chat model
        </label>
        <div className="actions start">
          <button
            type="button"
            onClick={() => generate.mutate()}
            disabled={concept.material.length === 0 || generate.isPending}
          >
            {generate.isPending ? "Generating…" : "Generate questions"}
          </button>
          <Link to={`/questions?concept=${encodeURIComponent(concept.id)}`}>This concept's questions</Link>
        </div>
        {concept.material.length === 0 && <p className="hint">Cite material first: questions are made from it.</p>}
        <ErrorNote error={generate.error} />
        <div role="status">
          {made && (
            <p className="notice small">
              {describeGenerated(made)}{" "}
              {made.questions.length > 0 && (
                <Link to={`/questions?concept=${encodeURIComponent(concept.id)}&status=draft`}>Review them</Link>
              )}
            </p>
          )}
        </div>
      </section>

      {editable && (
        <div className="actions start">
          <button
            type="button"
            className="danger-text"
            onClick={() => {
              remove.reset();
              setConfirmDelete(true);
            }}
          >
            Delete concept
          </button>
        </div>
      )}
      <ConfirmDialog
        open={confirmDelete}
        title="Delete concept?"
        message={
          <>
            “{concept.name}” and its prerequisite edges are removed from the draft; learners see the change once you
            publish.
            <ErrorNote error={remove.error} />
          </>
        }
        confirmLabel="Delete concept"
        busy={remove.isPending}
        onCancel={() => setConfirmDelete(false)}
        onConfirm={() => remove.mutate()}
      />
    </div>
  );
});
