// Choosing a concept among all the organisation's programs, grouped by program.

import type { ConceptIndex } from "./useConceptIndex";
import { Field } from "../ui";

export function ConceptSelect({
  label,
  index,
  value,
  onChange,
  anyLabel,
}: {
  label: string;
  index: ConceptIndex;
  value: string;
  onChange: (conceptId: string) => void;
  /** Offers "any concept" (the empty value) under this label. */
  anyLabel?: string;
}) {
  return (
    <Field label={label}>
      {(p) => (
        <select {...p} value={value} onChange={(e) => onChange(e.target.value)}>
          <option value="">{anyLabel ?? "Choose a concept…"}</option>
          {index.groups.map((g) => (
            <optgroup key={g.program.id} label={g.program.title}>
              {g.concepts.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}
                </option>
              ))}
            </optgroup>
          ))}
        </select>
      )}
    </Field>
  );
}
