// Shows an API refusal; a prerequisite cycle lists its concepts and a broken
// import lists what is wrong with each row, as the API names them.

import { DetailedApiError } from "../../api/programs";
import { describeError } from "../../lib/errors";
import { ErrorNote } from "../ui";
import "../../styles/programs.css";

export function ProgramErrorNote({ error }: { error: unknown }) {
  if (error instanceof DetailedApiError && error.cycle.length > 0) {
    return (
      <div className="error-note" role="alert">
        <span>
          Not added: that prerequisite would close a cycle{" "}
          <span className="cycle">{error.cycle.map((c) => c.name).join(" → ")}</span>. A concept cannot (even
          indirectly) require itself.
        </span>
      </div>
    );
  }
  if (error instanceof DetailedApiError && error.rows.length > 0) {
    const rows = [...error.rows].sort((a, b) => a.row - b.row);
    return (
      <div className="error-note row-errors" role="alert">
        <p>{describeError(error)}</p>
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Row</th>
                <th scope="col">Field</th>
                <th scope="col">Problem</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row, i) => (
                <tr key={i}>
                  <td>{row.row === 0 ? "The file" : row.row}</td>
                  <td>
                    <code>{row.field}</code>
                  </td>
                  <td>{row.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </div>
    );
  }
  return <ErrorNote error={error} />;
}
