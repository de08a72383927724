// The program as a list, for the keyboard and screen readers (and narrow
// screens): each concept with what it requires, a button to remove each
// prerequisite and a form to add one.

import { useId, useState, type FormEvent } from "react";
import { useMutation } from "@tanstack/react-query";
import { concepts as conceptsApi, type Concept } from "../../api/programs";
import { ErrorNote } from "../ui";
import { ProgramErrorNote } from "./ProgramErrorNote";
import "../../styles/programs.css";

interface ItemProps {
  org: string;
  concept: Concept;
  names: Map<string, string>;
  all: Concept[];
  editable: boolean;
  selected: boolean;
  onSelect: (conceptId: string) => void;
  onChanged: () => Promise<unknown>;
}

function ConceptListItem({ org, concept, names, all, editable, selected, onSelect, onChanged }: ItemProps) {
  const selectId = useId();
  const [requires, setRequires] = useState("");
  const add = useMutation({
    mutationFn: (requiresId: string) => conceptsApi.addPrerequisite(org, concept.id, requiresId),
    onSuccess: async () => {
      setRequires("");
      await onChanged();
    },
  });
  const remove = useMutation({
    mutationFn: (requiresId: string) => conceptsApi.removePrerequisite(org, concept.id, requiresId),
    onSuccess: onChanged,
  });
  const candidates = all.filter((c) => c.id !== concept.id && !concept.prerequisites.includes(c.id));

  function submit(event: FormEvent) {
    event.preventDefault();
    if (requires) add.mutate(requires);
  }

  return (
    <li className={`concept-item${selected ? " selected" : ""}`} aria-labelledby={`${selectId}-name`}>
      <div className="concept-item-header">
        <h3 id={`${selectId}-name`}>{concept.name}</h3>
        <button type="button" onClick={() => onSelect(concept.id)} aria-label={`Edit ${concept.name}`}>
          Edit
        </button>
      </div>
      <p className="muted small">
        {concept.estimated_minutes} min ·{" "}
        {concept.material.length ? `${concept.material.length} cited source${concept.material.length === 1 ? "" : "s"}` : "no material yet"}
      </p>
      {concept.prerequisites.length === 0 ? (
        <p className="small">No prerequisites.</p>
      ) : (
        <div className="small">
          Requires:
          <ul className="prerequisites" aria-label={`Prerequisites of ${concept.name}`}>
            {concept.prerequisites.map((id) => {
              const name = names.get(id) ?? "a concept of another program";
              return (
                <li key={id}>
                  <span>{name}</span>
                  {editable && (
                    <button
                      type="button"
                      className="icon-button"
                      aria-label={`Remove prerequisite ${name} from ${concept.name}`}
                      disabled={remove.isPending}
                      onClick={() => remove.mutate(id)}
                    >
                      ×
                    </button>
                  )}
                </li>
              );
            })}
          </ul>
        </div>
      )}
      <ErrorNote error={remove.error} />
      {editable && candidates.length > 0 && (
        <form className="requires-form" onSubmit={submit} aria-label={`Add a prerequisite to ${concept.name}`}>
          <label htmlFor={selectId}>Requires</label>
          <select
            id={selectId}
            aria-label={`${concept.name} requires`}
            value={requires}
            onChange={(e) => {
              add.reset();
              setRequires(e.target.value);
            }}
          >
            <option value="">Choose a concept…</option>
            {candidates.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
          <button type="submit" disabled={!requires || add.isPending}>
            Add prerequisite
          </button>
        </form>
      )}
      <ProgramErrorNote error={add.error} />
    </li>
  );
}

export function ConceptList({
  org,
  concepts,
  editable,
  selectedId,
  onSelect,
  onChanged,
}: {
  org: string;
  concepts: Concept[];
  editable: boolean;
  selectedId: string | null;
  onSelect: (conceptId: string) => void;
  onChanged: () => Promise<unknown>;
}) {
  const names = new Map(concepts.map((c) => [c.id, c.name]));
  return (
    <ol className="concept-list" aria-label="Concepts">
      {concepts.map((c) => (
        <ConceptListItem
          key={c.id}
          org={org}
          concept={c}
          names={names}
          all={concepts}
          editable={editable}
          selected={c.id === selectedId}
          onSelect={onSelect}
          onChanged={onChanged}
        />
      ))}
    </ol>
  );
}
