// Learners at a glance, one row each, those who need attention first: when
// they were last active, concepts mastered, goal progress, the mastery they
// gained each of the last four weeks, their questions and answers of the last
// seven days, the reasons they may need attention, and (where the viewer may
// see what they asked) the topics they asked about.

import { Link } from "react-router-dom";
import type { LearnerGlance } from "../../api/insights";
import { percent } from "../learning/mastery";
import { formatCount, formatFullDay, masteryPoints, signed } from "./format";
import { RiskBadges } from "./RiskBadges";
import { Sparkline } from "./Sparkline";

/** Learners with at-risk flags first, each group in the server's (name) order. */
export function atRiskFirst(learners: readonly LearnerGlance[]): LearnerGlance[] {
  const flagged = learners.filter((l) => l.at_risk.length > 0);
  const others = learners.filter((l) => l.at_risk.length === 0);
  return [...flagged, ...others];
}

function plural(count: number, one: string, many: string): string {
  return `${formatCount(count)} ${count === 1 ? one : many}`;
}

function MasteryTrend({ glance }: { glance: LearnerGlance }) {
  const weekly = glance.mastery_by_week.map(masteryPoints);
  const change = masteryPoints(glance.mastery_change_7d);
  return (
    <div className="glance-trend">
      <Sparkline
        values={weekly}
        label={`Mastery points gained per week, oldest first: ${weekly.map(signed).join(", ")}.`}
      />
      <span className="small">
        {signed(change)} <span className="muted">points in 7 days</span>
      </span>
    </div>
  );
}

function GlanceRow({ glance, showTopics }: { glance: LearnerGlance; showTopics: boolean }) {
  const atRisk = glance.at_risk.length > 0;
  return (
    <tr className={atRisk ? "glance-at-risk" : undefined} data-person-id={glance.person_id}>
      <th scope="row" className="glance-learner">
        <Link to={`/progress/${glance.person_id}`} className="glance-name">
          {glance.name}
        </Link>
        <Link to={`/learners/${glance.person_id}`} className="small" aria-label={`Details of ${glance.name}`}>
          Details
        </Link>
      </th>
      <td className="glance-attention">
        <RiskBadges flags={glance.at_risk} learner={glance.name} />
      </td>
      <td className="glance-last-active">
        {glance.last_active ? (
          <time dateTime={glance.last_active}>{formatFullDay(glance.last_active)}</time>
        ) : (
          <span className="muted">Never</span>
        )}
      </td>
      <td className="glance-mastered">
        {glance.enrolled_concepts === 0 ? (
          <span className="muted">Not enrolled</span>
        ) : (
          `${glance.mastered_concepts} of ${glance.enrolled_concepts}`
        )}
      </td>
      <td className="glance-goals">
        {glance.goal_progress == null ? <span className="muted">No goals</span> : percent(glance.goal_progress)}
      </td>
      <td>
        <MasteryTrend glance={glance} />
      </td>
      <td className="glance-week">
        <span>{plural(glance.questions_7d, "question", "questions")}</span>
        <span>{plural(glance.answers_7d, "answer", "answers")}</span>
        <span className={glance.wrong_7d > 0 ? "glance-wrong" : undefined}>{formatCount(glance.wrong_7d)} wrong</span>
      </td>
      {showTopics && (
        <td className="glance-topics">
          {glance.topics.length === 0 ? (
            <span className="muted">None</span>
          ) : (
            <ul className="plain-topics" aria-label={`Topics ${glance.name} asked about`}>
              {glance.topics.map((t) => (
                <li key={t.topic}>
                  {t.topic} <span className="muted small">({formatCount(t.questions)})</span>
                </li>
              ))}
            </ul>
          )}
        </td>
      )}
    </tr>
  );
}

export function GlanceTable({ learners, showTopics }: { learners: readonly LearnerGlance[]; showTopics: boolean }) {
  return (
    <div className="table-wrap glance-wrap">
      <table className="glance-table">
        <caption className="visually-hidden">Learners at a glance, those who need attention first</caption>
        <thead>
          <tr>
            <th scope="col">Learner</th>
            <th scope="col">Needs attention</th>
            <th scope="col">Last active</th>
            <th scope="col">Concepts mastered</th>
            <th scope="col">Goals</th>
            <th scope="col">Mastery by week</th>
            <th scope="col">Last 7 days</th>
            {showTopics && <th scope="col">Topics asked about</th>}
          </tr>
        </thead>
        <tbody>
          {atRiskFirst(learners).map((g) => (
            <GlanceRow key={g.person_id} glance={g} showTopics={showTopics} />
          ))}
        </tbody>
      </table>
    </div>
  );
}
