// Progress on each of a learner's programs: a bar of the concepts mastered
// beside the figures in words (a table, so it needs no second view).

import type { ProgramProgress } from "../../api/insights";
import { percent } from "../learning/mastery";

export function ProgramProgressTable({ programs }: { programs: readonly ProgramProgress[] }) {
  if (programs.length === 0) return <p className="muted">Not enrolled in any program yet.</p>;
  return (
    <div className="table-wrap">
      <table className="program-progress" aria-label="Progress per program">
        <thead>
          <tr>
            <th scope="col">Program</th>
            <th scope="col">Concepts mastered</th>
            <th scope="col" className="numeric">
              Average mastery
            </th>
          </tr>
        </thead>
        <tbody>
          {programs.map((p) => {
            const share = p.concepts ? p.mastered / p.concepts : 0;
            return (
              <tr key={p.program_id}>
                <th scope="row">{p.title}</th>
                <td>
                  <span className="progress-bar" aria-hidden="true">
                    <span className="progress-bar-fill" style={{ width: `${Math.round(share * 100)}%` }} />
                  </span>
                  <span className="program-progress-figures">
                    {p.mastered} of {p.concepts} ({percent(share)})
                  </span>
                </td>
                <td className="numeric">{percent(p.mean_mastery)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
