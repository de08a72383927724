// The period an insight screen covers: the last 7, 30 or 90 days, as radio
// buttons drawn as a segmented control (arrow keys move between them). The
// choice lives in the address (`?days=`), so a link keeps it and every tab
// shares it.

import { useId } from "react";
import { useSearchParams } from "react-router-dom";

export const RANGES = [7, 30, 90] as const;
const DEFAULT_DAYS = 30;

/** The period in the address, or 30 days. */
export function useRange(): [number, (days: number) => void] {
  const [params, setParams] = useSearchParams();
  const asked = Number(params.get("days"));
  const days = (RANGES as readonly number[]).includes(asked) ? asked : DEFAULT_DAYS;
  const choose = (next: number) =>
    setParams(
      (current) => {
        const changed = new URLSearchParams(current);
        if (next === DEFAULT_DAYS) changed.delete("days");
        else changed.set("days", String(next));
        return changed;
      },
      { replace: true },
    );
  return [days, choose];
}

export function RangePicker({ days, onChange }: { days: number; onChange: (days: number) => void }) {
  const name = useId();
  return (
    <fieldset className="range-picker">
      <legend>Period</legend>
      <div className="range-options">
        {RANGES.map((r) => (
          <label key={r} className={r === days ? "selected" : undefined}>
            <input type="radio" name={name} value={r} checked={r === days} onChange={() => onChange(r)} />
            Last {r} days
          </label>
        ))}
      </div>
    </fieldset>
  );
}
