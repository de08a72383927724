// Writing a question by hand: the concept it practises, its kind and text,
// an explanation, and the passages it is based on (found by searching the
// knowledge base). Written questions are approved as written.

import { useState, type FormEvent } from "react";
import { useMutation } from "@tanstack/react-query";
import { questions as questionsApi, type Question, type QuestionBody, type QuestionKind, type SearchHit } from "../../api/programs";
import { ErrorNote, Field } from "../ui";
import { QUESTION_KINDS, passageLabel } from "./labels";
import { PassageSearch } from "./PassageSearch";
import { QuestionBodyFields, cleanBody, emptyBody } from "./QuestionBodyFields";
import { ConceptSelect } from "./ConceptSelect";
import type { ConceptIndex } from "./useConceptIndex";
import "../../styles/programs.css";

const MAX_CITATIONS = 10;

export function WriteQuestionForm({
  org,
  index,
  initialConceptId,
  onWritten,
  onCancel,
}: {
  org: string;
  index: ConceptIndex;
  initialConceptId: string;
  onWritten: (question: Question) => void;
  onCancel: () => void;
}) {
  const [conceptId, setConceptId] = useState(initialConceptId);
  const [body, setBody] = useState<QuestionBody>(emptyBody("multiple_choice"));
  const [explanation, setExplanation] = useState("");
  const [cited, setCited] = useState<SearchHit["chunk"][]>([]);
  const write = useMutation({
    mutationFn: () =>
      questionsApi.write(org, {
        concepts: [conceptId],
        body: cleanBody(body),
        explanation,
        citations: cited.map((c) => c.id),
      }),
    onSuccess: onWritten,
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    write.mutate();
  }

  const citeAction = (hit: SearchHit) => {
    const already = cited.some((c) => c.id === hit.chunk.id);
    return (
      <button
        type="button"
        disabled={already || cited.length >= MAX_CITATIONS}
        onClick={() => setCited([...cited, hit.chunk])}
      >
        {already ? "Cited" : "Cite this passage"}
      </button>
    );
  };

  return (
    <form onSubmit={submit} aria-label="Write a question">
      <ConceptSelect label="Concept it practises" index={index} value={conceptId} onChange={setConceptId} />
      <Field label="Kind">
        {(p) => (
          <select {...p} value={body.kind} onChange={(e) => setBody(emptyBody(e.target.value as QuestionKind))}>
            {QUESTION_KINDS.map((k) => (
              <option key={k.value} value={k.value}>
                {k.label}
              </option>
            ))}
          </select>
        )}
      </Field>
      <QuestionBodyFields value={body} onChange={setBody} />
      <Field label="Explanation" hint="One line of feedback shown after answering.">
        {(p) => <textarea {...p} rows={2} value={explanation} onChange={(e) => setExplanation(e.target.value)} />}
      </Field>
      <fieldset>
        <legend>Based on (optional)</legend>
        {cited.length > 0 && (
          <ul className="material-list">
            {cited.map((c) => (
              <li key={c.id}>
                <span>{passageLabel(c.document_title, c.section)}</span>
                <button
                  type="button"
                  className="danger-text"
                  aria-label={`Stop citing the passage from ${c.section || c.document_title}`}
                  onClick={() => setCited(cited.filter((k) => k.id !== c.id))}
                >
                  Remove
                </button>
              </li>
            ))}
          </ul>
        )}
        <PassageSearch org={org} label="Find a passage to cite" actions={citeAction} />
      </fieldset>
      <ErrorNote error={write.error} />
      <div className="actions">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={!conceptId || write.isPending}>
          Save question
        </button>
      </div>
    </form>
  );
}
