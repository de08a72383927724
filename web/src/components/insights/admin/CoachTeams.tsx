// The coaches a manager oversees (an administrator: every coach), each with
// their learners over the last four weeks: how many, how many were active in
// the last seven days, mastery gained per active learner-week, feedback on
// the coach's answers, learners at risk, and the coach's own training; a
// chart compares them, and the table downloads as CSV. Loaded lazily by the
// Team screen (it draws with Recharts).

import { Bar, BarChart, CartesianGrid, Legend, Tooltip, XAxis, YAxis } from "recharts";
import { useQuery } from "@tanstack/react-query";
import { adminInsights, adminInsightsKeys, type CoachTeam } from "../../../api/adminInsights";
import { Empty, ErrorNote, Loading } from "../../ui";
import { StageBadge } from "../../provisioning/stage";
import { percent } from "../../learning/mastery";
import { ChartWithTable, type ChartColumn } from "../ChartWithTable";
import { SERIES_COLOURS, axisProps, gridProps, legendProps, tooltipProps } from "../chartTheme";
import { formatCount } from "../format";
import { CsvLink } from "./CsvLink";
import { formatOneDecimal } from "./format";
import "../../../styles/admin-insights.css";

/** Mastery points (100 = one concept fully known) gained per week a learner was active. */
function perActiveWeek(c: CoachTeam): string {
  return c.mastery_per_active_week == null ? "No active weeks" : `${formatOneDecimal(c.mastery_per_active_week * 100)} points`;
}

function Feedback({ coach }: { coach: CoachTeam }) {
  const rated = coach.helpful + coach.unhelpful;
  if (rated === 0) return <span className="muted">No ratings</span>;
  return (
    <span>
      {formatCount(coach.helpful)} helpful, {formatCount(coach.unhelpful)} unhelpful
      <span className="muted small"> ({percent(coach.helpful / rated)} helpful)</span>
    </span>
  );
}

function Training({ coach }: { coach: CoachTeam }) {
  const provision = coach.training;
  if (!provision) return <span className="muted">Not provisioned</span>;
  const goal = provision.training;
  return (
    <span className="coach-team-training">
      <StageBadge stage={provision.stage} />
      {goal && (
        <span className="small">
          {formatCount(goal.remaining)} of {formatCount(goal.concepts)} concepts to go ({percent(goal.progress)} done)
        </span>
      )}
    </span>
  );
}

const CHART_COLUMNS: readonly ChartColumn<CoachTeam>[] = [
  { label: "Coach", cell: (c) => c.name },
  { label: "Learners", cell: (c) => formatCount(c.learners), numeric: true },
  { label: "Active in the last 7 days", cell: (c) => formatCount(c.active_learners_7d), numeric: true },
  { label: "At risk", cell: (c) => formatCount(c.learners_at_risk), numeric: true },
];

function CoachesChart({ coaches }: { coaches: readonly CoachTeam[] }) {
  return (
    <ChartWithTable
      title="Coaches compared"
      description="Each coach's learners, those active in the last seven days, and those at risk now."
      rows={coaches}
      columns={CHART_COLUMNS}
      rowKey={(c) => c.person_id}
      headingLevel={3}
    >
      <BarChart data={[...coaches]} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
        <CartesianGrid {...gridProps} />
        <XAxis dataKey="name" interval={0} {...axisProps} />
        <YAxis allowDecimals={false} {...axisProps} />
        <Tooltip {...tooltipProps} />
        <Legend {...legendProps} />
        <Bar dataKey="learners" name="Learners" fill={SERIES_COLOURS[0]} maxBarSize={40} isAnimationActive={false} />
        <Bar dataKey="active_learners_7d" name="Active in 7 days" fill={SERIES_COLOURS[2]} maxBarSize={40} isAnimationActive={false} />
        <Bar dataKey="learners_at_risk" name="At risk" fill={SERIES_COLOURS[1]} maxBarSize={40} isAnimationActive={false} />
      </BarChart>
    </ChartWithTable>
  );
}

function CoachTeamsTable({ coaches }: { coaches: readonly CoachTeam[] }) {
  return (
    <div className="table-wrap">
      <table className="coach-teams-table">
        <caption className="visually-hidden">Coaches' teams</caption>
        <thead>
          <tr>
            <th scope="col">Coach</th>
            <th scope="col" className="numeric">
              Learners
            </th>
            <th scope="col" className="numeric">
              Active in 7 days
            </th>
            <th scope="col" className="numeric">
              Questions
            </th>
            <th scope="col" className="numeric">
              Graded answers
            </th>
            <th scope="col" className="numeric">
              Mastery per active learner-week
            </th>
            <th scope="col">Feedback</th>
            <th scope="col" className="numeric">
              At risk
            </th>
            <th scope="col">Training</th>
          </tr>
        </thead>
        <tbody>
          {coaches.map((c) => (
            <tr key={c.person_id} data-coach-id={c.person_id}>
              <th scope="row">{c.name}</th>
              <td className="numeric" data-figure="learners">
                {formatCount(c.learners)}
              </td>
              <td className="numeric" data-figure="active">
                {formatCount(c.active_learners_7d)}
              </td>
              <td className="numeric" data-figure="questions">
                {formatCount(c.questions)}
              </td>
              <td className="numeric" data-figure="answers">
                {formatCount(c.answers)}
              </td>
              <td className="numeric" data-figure="mastery">
                {perActiveWeek(c)}
              </td>
              <td data-figure="feedback">
                <Feedback coach={c} />
              </td>
              <td className={`numeric${c.learners_at_risk > 0 ? " coach-team-at-risk" : ""}`} data-figure="at-risk">
                {formatCount(c.learners_at_risk)}
              </td>
              <td data-figure="training">
                <Training coach={c} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export default function CoachTeams({ org, admin }: { org: string; admin: boolean }) {
  const team = useQuery({
    queryKey: adminInsightsKeys.team(org),
    queryFn: () => adminInsights.team(org),
    refetchOnMount: "always",
  });
  const coaches = team.data?.coaches ?? [];
  return (
    <section aria-labelledby="coach-teams-heading" className="coach-teams">
      <div className="section-header">
        <h2 id="coach-teams-heading">Coaches&apos; teams</h2>
        <CsvLink org={org} table="team" what="coaches' teams" />
      </div>
      <p className="muted">
        {admin ? "Every coach" : "The coaches you manage"} and their learners over the last{" "}
        {team.data ? formatCount(team.data.days) : "28"} days. Mastery per active learner-week is the mastery their
        learners gained (100 points for a concept fully known) divided by the weeks in which a learner was active.
      </p>
      {team.isPending && <Loading />}
      <ErrorNote error={team.error} onRetry={() => team.refetch()} />
      {team.data && coaches.length === 0 && (
        <Empty title="No coaches to show.">
          {admin
            ? "Coaches appear here once someone has the coach role."
            : "When an administrator makes you a coach's manager, their team appears here."}
        </Empty>
      )}
      {coaches.length > 0 && (
        <>
          <CoachTeamsTable coaches={coaches} />
          <CoachesChart coaches={coaches} />
        </>
      )}
    </section>
  );
}
