// The buttons under one step of an ordered list of steps (a sequence's, an
// interview flow's): move it up, move it down, remove it. Each names the step
// it acts on ("Move up: step 2"); the first cannot move up, the last cannot
// move down and a lone step cannot be removed.

import "../styles/step-actions.css";

export function StepActions({
  idPrefix,
  position,
  count,
  name,
  onMove,
  onRemove,
}: {
  /** The buttons' ids are this with `-up`, `-down` and `-remove` (for moving the focus to them). */
  idPrefix: string;
  /** The step's place in the list, from 0. */
  position: number;
  /** How many steps the list has. */
  count: number;
  /** The step as the buttons' accessible names end: "step 2". */
  name: string;
  onMove: (by: -1 | 1) => void;
  onRemove: () => void;
}) {
  return (
    <div className="step-actions">
      <button
        type="button"
        id={`${idPrefix}-up`}
        disabled={position === 0}
        aria-label={`Move up: ${name}`}
        onClick={() => onMove(-1)}
      >
        Move up
      </button>
      <button
        type="button"
        id={`${idPrefix}-down`}
        disabled={position === count - 1}
        aria-label={`Move down: ${name}`}
        onClick={() => onMove(1)}
      >
        Move down
      </button>
      <button
        type="button"
        id={`${idPrefix}-remove`}
        className="danger-text"
        disabled={count === 1}
        aria-label={`Remove: ${name}`}
        onClick={onRemove}
      >
        Remove
      </button>
    </div>
  );
}
