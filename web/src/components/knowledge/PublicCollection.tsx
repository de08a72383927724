// Whether a collection is open to the anonymous visitors of the organisation's
// website widgets: the checkbox that sets it and the badge that shows it.

import { useId } from "react";

/** Whether a collection is open to the anonymous visitors of the organisation's website widgets. */
export function PublicField({ checked, onChange }: { checked: boolean; onChange: (open: boolean) => void }) {
  const hintId = useId();
  return (
    <div className="field">
      <label className="check field-check">
        <input
          type="checkbox"
          checked={checked}
          aria-describedby={hintId}
          onChange={(e) => onChange(e.target.checked)}
        />
        Open to website visitors
      </label>
      <p className="hint" id={hintId}>
        Anonymous visitors of your website widgets are answered only from open collections, so leave internal material
        closed.
      </p>
    </div>
  );
}

/** Marks a collection open to website visitors (after its name, with a space for the accessible name). */
export function PublicBadge() {
  return (
    <>
      {" "}
      <span className="badge-public" title="Open to website visitors">
        Public
      </span>
    </>
  );
}
