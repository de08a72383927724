// Did coaching work, for one program: learners who used the coach in the
// period against those who did not, on mastery gained and on coming back,
// each with both groups' sizes and figures, the difference, its 95 % interval
// when the groups are large enough, and the server's statement word for word
// (it claims no more than the interval supports; nor does this screen).

import { useId } from "react";
import type { Comparison, ProgramOutcome } from "../../../api/adminInsights";
import { formatCount, masteryPoints, signed } from "../format";
import { formatShare } from "./format";

/** How one measure's values read: mastery in points (100 = one concept fully known), returning as a share. */
interface Measure {
  title: string;
  value: (v: number) => string;
  difference: (d: number) => string;
}

const MASTERY: Measure = {
  title: "Mastery gained per learner",
  value: (v) => `${formatCount(masteryPoints(v))} points`,
  difference: (d) => `${signed(masteryPoints(d))} points`,
};

const RETURNING: Measure = {
  title: "Came back in two or more weeks",
  value: (v) => formatShare(v),
  difference: (d) => `${signed(Math.round(d * 100))} percentage points`,
};

function ComparisonTable({ measure, comparison }: { measure: Measure; comparison: Comparison }) {
  const headingId = useId();
  const groups = [
    { label: "Used the coach", figure: comparison.with_coach },
    { label: "Did not use the coach", figure: comparison.without_coach },
  ];
  const [low, high] = comparison.interval ?? [null, null];
  return (
    <section className={`outcome-comparison outcome-${comparison.verdict}`} aria-labelledby={headingId}>
      <h3 id={headingId}>{measure.title}</h3>
      <div className="table-wrap">
        <table className="outcome-table">
          <caption className="visually-hidden">{measure.title}, by group</caption>
          <thead>
            <tr>
              <th scope="col">Group</th>
              <th scope="col" className="numeric">
                Learners
              </th>
              <th scope="col" className="numeric">
                {measure === MASTERY ? "Mean" : "Share"}
              </th>
            </tr>
          </thead>
          <tbody>
            {groups.map((g) => (
              <tr key={g.label}>
                <th scope="row">{g.label}</th>
                <td className="numeric">{formatCount(g.figure.learners)}</td>
                <td className="numeric">{g.figure.value == null ? "No learners" : measure.value(g.figure.value)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <dl className="outcome-facts">
        <dt>Difference</dt>
        <dd>{comparison.difference == null ? "Not computed: a group is empty" : measure.difference(comparison.difference)}</dd>
        <dt>95 % interval</dt>
        <dd>
          {low == null || high == null
            ? "Not computed: too few learners"
            : `${measure.difference(low)} to ${measure.difference(high)}`}
        </dd>
      </dl>
      <p className="outcome-statement">{comparison.statement}</p>
    </section>
  );
}

export function OutcomeCard({ outcome }: { outcome: ProgramOutcome }) {
  const headingId = useId();
  return (
    <article className="card outcome-program" aria-labelledby={headingId}>
      <h2 id={headingId}>{outcome.title}</h2>
      <p className="muted small">
        {formatCount(outcome.learners)} {outcome.learners === 1 ? "learner" : "learners"} enrolled.
      </p>
      <div className="outcome-comparisons">
        <ComparisonTable measure={MASTERY} comparison={outcome.mastery_gained} />
        <ComparisonTable measure={RETURNING} comparison={outcome.return_rate} />
      </div>
    </article>
  );
}
