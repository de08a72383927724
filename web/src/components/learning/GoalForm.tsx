// Setting a goal on a concept, on a whole program, or in the learner's own
// words (the server finds the concepts the words are about), with an
// optional deadline (a nudge rule can remind the learner as it approaches).
// Used by the learner for themself and by a coach assigning one.

import { useState, type FormEvent } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import "../../styles/learning.css";
import { learning, learningKeys, type ConceptMastery, type Enrolment, type GoalInput } from "../../api/learning";
import { ErrorNote, Field } from "../ui";

type GoalKind = GoalInput["kind"];

export function GoalForm({
  org,
  person,
  enrolments,
  concepts,
  forSelf,
}: {
  org: string;
  person: string;
  /** Active enrolments: the programs a goal may point at. */
  enrolments: Enrolment[];
  /** The concepts of those programs (the learner's mastery list names them all). */
  concepts: ConceptMastery[];
  forSelf: boolean;
}) {
  const client = useQueryClient();
  const [kind, setKind] = useState<GoalKind>("concept");
  const [conceptId, setConceptId] = useState("");
  const [programId, setProgramId] = useState("");
  const [text, setText] = useState("");
  const [deadline, setDeadline] = useState("");
  const set = useMutation({
    mutationFn: (body: GoalInput) => learning.setGoal(org, person, body),
    onSuccess: () => {
      setText("");
      setDeadline("");
      return client.invalidateQueries({ queryKey: learningKeys.learner(org, person) });
    },
  });

  const chosenConcept = conceptId || concepts[0]?.concept_id || "";
  const chosenProgram = programId || enrolments[0]?.program_id || "";
  const ready =
    (kind === "concept" && !!chosenConcept) || (kind === "program" && !!chosenProgram) || (kind === "text" && !!text.trim());

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!ready) return;
    const target: GoalInput =
      kind === "concept"
        ? { kind, concept_id: chosenConcept }
        : kind === "program"
          ? { kind, program_id: chosenProgram }
          : { kind, text: text.trim() };
    set.mutate({ ...target, deadline: deadline || null });
  }

  const kinds: { value: GoalKind; label: string }[] = [
    { value: "concept", label: "A concept" },
    { value: "program", label: "A whole program" },
    { value: "text", label: forSelf ? "In my own words" : "In their words" },
  ];
  const byProgram = enrolments.map((e) => ({
    program: e,
    concepts: concepts.filter((c) => c.program_id === e.program_id),
  }));

  return (
    <form className="learner-goal-form" onSubmit={submit} aria-label={forSelf ? "Set a goal" : "Assign a goal"}>
      <fieldset>
        <legend>Goal on</legend>
        <div className="checks">
          {kinds.map((k) => (
            <label key={k.value} className="check">
              <input
                type="radio"
                name="goal-kind"
                value={k.value}
                checked={kind === k.value}
                onChange={() => {
                  setKind(k.value);
                  set.reset();
                }}
              />
              {k.label}
            </label>
          ))}
        </div>
      </fieldset>
      {kind === "concept" && (
        <Field label="Concept">
          {(p) => (
            <select {...p} value={chosenConcept} onChange={(e) => setConceptId(e.target.value)}>
              {byProgram.map(({ program, concepts: own }) => (
                <optgroup key={program.program_id} label={program.program_title}>
                  {own.map((c) => (
                    <option key={c.concept_id} value={c.concept_id}>
                      {c.name}
                    </option>
                  ))}
                </optgroup>
              ))}
            </select>
          )}
        </Field>
      )}
      {kind === "program" && (
        <Field label="Program">
          {(p) => (
            <select {...p} value={chosenProgram} onChange={(e) => setProgramId(e.target.value)}>
              {enrolments.map((e) => (
                <option key={e.program_id} value={e.program_id}>
                  {e.program_title}
                </option>
              ))}
            </select>
          )}
        </Field>
      )}
      {kind === "text" && (
        <Field
          label={forSelf ? "What do you want to be able to do?" : "What should they be able to do?"}
          hint="For example: stop cramming the night before exams."
        >
          {(p) => <input {...p} value={text} maxLength={500} onChange={(e) => setText(e.target.value)} />}
        </Field>
      )}
      <Field
        label="Deadline (optional)"
        hint={forSelf ? "The day you want to get there by." : "The day they should get there by."}
      >
        {(p) => <input {...p} type="date" value={deadline} onChange={(e) => setDeadline(e.target.value)} />}
      </Field>
      <ErrorNote error={set.error} />
      {set.isSuccess && (
        <p className="success" role="status">
          Goal set: {set.data.title}.
        </p>
      )}
      <div className="actions start">
        <button type="submit" className="primary" disabled={!ready || set.isPending}>
          {forSelf ? "Set goal" : "Assign goal"}
        </button>
      </div>
    </form>
  );
}
