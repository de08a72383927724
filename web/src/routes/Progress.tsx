// A learner's progress: their streak of active days, what they did each day
// of the last 30 (questions asked, graded answers), their mastery over the last
// 90 days, progress on each program and the reviews coming up. `/progress` is
// the signed-in person's own, with their consent to let their parents read
// their conversations; `/progress/:personId` is a learner's as their coaches,
// parents, their coaches' managers and admins see it.

import { Link, useParams } from "react-router-dom";
import { useQuery } from "@tanstack/react-query";
import "../styles/dashboards.css";
import { insights, insightsKeys, type LearnerDashboard } from "../api/insights";
import { useOrgId, useSession } from "../session";
import { ErrorNote, Loading } from "../components/ui";
import { ActivityChart } from "../components/insights/ActivityChart";
import { ConversationSharingSwitch } from "../components/insights/ConversationSharingSwitch";
import { MasteryTimelineChart } from "../components/insights/MasteryTimelineChart";
import { ProgramProgressTable } from "../components/insights/ProgramProgressTable";
import { UpcomingReviews } from "../components/insights/UpcomingReviews";
import { days, formatCount, formatFullDay, formatScore } from "../components/insights/format";

function Summary({ dashboard }: { dashboard: LearnerDashboard }) {
  const { streak, activity } = dashboard;
  const activeDays = activity.filter((d) => d.active).length;
  const questions = activity.reduce((n, d) => n + d.questions, 0);
  const answers = activity.reduce((n, d) => n + d.answers, 0);
  const right = activity.reduce((n, d) => n + d.correct, 0);
  const stats = [
    { label: "Current streak", value: days(streak.current), hint: "active days in a row" },
    { label: "Longest streak", value: days(streak.longest), hint: "in the last 90 days" },
    { label: "Active days", value: `${formatCount(activeDays)} of ${activity.length}`, hint: "in the last 30 days" },
    { label: "Questions asked", value: formatCount(questions), hint: "in the last 30 days" },
    {
      label: "Graded answers",
      value: formatCount(answers),
      hint: answers ? `${formatScore(right)} right, in the last 30 days` : "in the last 30 days",
    },
  ];
  return (
    <section aria-labelledby="summary-heading">
      <h2 id="summary-heading" className="visually-hidden">
        Streak and activity
      </h2>
      <dl className="progress-stats">
        {stats.map((s) => (
          <div key={s.label} className="progress-stat card">
            <dt>{s.label}</dt>
            <dd>
              <span className="progress-stat-value">{s.value}</span>
              <span className="muted small">{s.hint}</span>
            </dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

export default function Progress() {
  const { personId } = useParams();
  const org = useOrgId();
  const { me } = useSession();
  const myId = me?.person.id ?? "";
  const person = personId ?? myId;
  const own = person === myId;

  const dashboard = useQuery({
    queryKey: insightsKeys.learnerDashboard(org, person),
    queryFn: () => insights.learnerDashboard(org, person),
    enabled: !!person,
    // Activity moves on other screens (a question asked, a practice answer): fresh on every visit.
    refetchOnMount: "always",
  });
  const member = useQuery({
    queryKey: insightsKeys.member(org, person),
    queryFn: () => insights.member(org, person),
    enabled: !own,
  });
  const name = member.data?.person.display_name;
  const title = own ? "My progress" : name ? `${name}'s progress` : "Learner's progress";

  return (
    <div className="page progress-page">
      {!own && (
        <nav aria-label="Breadcrumb" className="breadcrumb">
          <Link to="/learners">Learners</Link> › <span aria-current="page">{name ?? "Learner"}</span>
        </nav>
      )}
      <div className="page-header">
        <h1>{title}</h1>
        {!own && <Link to={`/learners/${person}`}>Goals, practice and evidence</Link>}
      </div>
      {dashboard.data && (
        <p className="muted small">
          As of {formatFullDay(dashboard.data.today)}; days are counted in the {dashboard.data.time_zone} time zone.
        </p>
      )}
      {dashboard.isPending && <Loading />}
      <ErrorNote error={dashboard.error} onRetry={() => dashboard.refetch()} />
      {dashboard.data && (
        <>
          <Summary dashboard={dashboard.data} />
          <div className="progress-charts">
            <ActivityChart activity={dashboard.data.activity} />
            <MasteryTimelineChart timeline={dashboard.data.mastery_timeline} />
          </div>
          <div className="progress-columns">
            <section aria-labelledby="programs-heading">
              <h2 id="programs-heading">Programs</h2>
              <ProgramProgressTable programs={dashboard.data.programs} />
            </section>
            <section aria-labelledby="reviews-heading">
              <h2 id="reviews-heading">Upcoming reviews</h2>
              <UpcomingReviews reviews={dashboard.data.upcoming_reviews} now={dashboard.dataUpdatedAt} />
            </section>
          </div>
        </>
      )}
      {own && <ConversationSharingSwitch org={org} />}
    </div>
  );
}
