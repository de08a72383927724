// The mastery map of one of a learner's programs (a choice when they have
// several) with the explanation of the concept chosen on it. The learner's
// screen passes a "Practise this concept" action; a coach's does not.

import { useState, type ReactNode } from "react";
import { useQuery } from "@tanstack/react-query";
import "../../styles/learning.css";
import { learning, learningKeys, type ConceptMastery, type Enrolment } from "../../api/learning";
import { ErrorNote, Field, Loading } from "../ui";
import { ConceptMasteryPanel } from "./ConceptMasteryPanel";
import { MasteryMap } from "./MasteryMap";

export function ProgramMastery({
  org,
  person,
  enrolments,
  mastery,
  conceptAction,
}: {
  org: string;
  person: string;
  /** Active enrolments. */
  enrolments: Enrolment[];
  mastery: ConceptMastery[];
  conceptAction?: (concept: { id: string; name: string }) => ReactNode;
}) {
  const [chosenProgram, setChosenProgram] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const programId = enrolments.some((e) => e.program_id === chosenProgram)
    ? chosenProgram!
    : (enrolments[0]?.program_id ?? "");
  const program = useQuery({
    queryKey: learningKeys.program(org, programId),
    queryFn: () => learning.program(org, programId),
    enabled: !!programId,
  });
  const selectedConcept = program.data?.concepts.find((c) => c.id === selected);

  return (
    <div className="program-mastery">
      {enrolments.length > 1 && (
        <Field label="Program">
          {(p) => (
            <select
              {...p}
              value={programId}
              onChange={(e) => {
                setChosenProgram(e.target.value);
                setSelected(null);
              }}
            >
              {enrolments.map((e) => (
                <option key={e.program_id} value={e.program_id}>
                  {e.program_title}
                </option>
              ))}
            </select>
          )}
        </Field>
      )}
      {program.isPending && <Loading label="Loading the program…" />}
      <ErrorNote error={program.error} onRetry={() => program.refetch()} />
      {program.data && (
        <div className={`mastery-layout${selectedConcept ? " with-panel" : ""}`}>
          <MasteryMap
            program={program.data}
            mastery={mastery}
            selectedId={selected}
            onSelect={(id) => setSelected((current) => (current === id ? null : id))}
          />
          {selectedConcept && (
            <ConceptMasteryPanel
              org={org}
              person={person}
              conceptId={selectedConcept.id}
              onClose={() => setSelected(null)}
              action={conceptAction?.(selectedConcept)}
            />
          )}
        </div>
      )}
    </div>
  );
}
