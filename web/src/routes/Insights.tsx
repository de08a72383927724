// The administrators' insights, in five sections: the overview (active
// people, questions and answers by kind, feedback, tokens and cost, the
// knowledge base's size, programs and enrolment) over the last 7, 30 or 90
// days; the knowledge gaps (topics the material could not answer); outcomes
// (learners who used the coach against those who did not, per program); the
// alert rules and the alerts they fired; and the dashboards' settings. Every
// chart has its table, and the tables download as CSV.

import { NavLink, Navigate, Route, Routes, useLocation } from "react-router-dom";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { adminInsights, adminInsightsKeys, type OrgOverview } from "../api/adminInsights";
import { useOrgId } from "../session";
import { Empty, ErrorNote, Loading } from "../components/ui";
import { formatCount, formatFullDay } from "../components/insights/format";
import { ActivePeopleByDayChart, ActivePeopleByWeekChart, AnswersByKindChart } from "../components/insights/admin/ActivityCharts";
import { AlertList } from "../components/insights/admin/AlertList";
import { AlertRules } from "../components/insights/admin/AlertRules";
import { CsvLink } from "../components/insights/admin/CsvLink";
import { FeedbackReasonsChart } from "../components/insights/admin/FeedbackReasonsChart";
import { GapTopicCard } from "../components/insights/admin/GapTopicCard";
import { InsightSettingsPanel } from "../components/insights/admin/InsightSettingsForm";
import { OutcomeCard } from "../components/insights/admin/OutcomeCard";
import { RangePicker, useRange } from "../components/insights/admin/RangePicker";
import { CostByCoachChart, TopPeopleChart, UsageByDayChart } from "../components/insights/admin/UsageCharts";
import { counted, formatCost, formatShare } from "../components/insights/admin/format";
import "../styles/admin-insights.css";

/** The Monday of a calendar date's week ("YYYY-MM-DD"), as the server starts its weeks. */
function weekStart(date: string): string {
  const day = new Date(`${date}T00:00:00Z`);
  const sinceMonday = (day.getUTCDay() + 6) % 7;
  day.setUTCDate(day.getUTCDate() - sinceMonday);
  return day.toISOString().slice(0, 10);
}

interface Headline {
  key: string;
  label: string;
  value: string;
  hint: string;
}

function headlines(o: OrgOverview): Headline[] {
  const t = o.totals;
  const thisWeek = o.weeks.find((w) => w.week_start === weekStart(o.to))?.active_people ?? 0;
  const busiestDay = Math.max(0, ...o.days.map((d) => d.active_people));
  const rated = t.helpful + t.unhelpful;
  return [
    {
      key: "active-this-week",
      label: "Active people this week",
      value: formatCount(thisWeek),
      hint: `${formatCount(busiestDay)} on the busiest day of the period`,
    },
    { key: "conversations", label: "Conversations", value: formatCount(t.conversations), hint: "started in the period" },
    { key: "questions", label: "Questions", value: formatCount(t.questions), hint: "asked of the coach" },
    {
      key: "answered",
      label: "Answered",
      value: formatCount(t.generated + t.extractive),
      hint: `${formatCount(t.generated)} written by the model, ${formatCount(t.extractive)} quoted from the material`,
    },
    {
      key: "not-answered",
      label: "Not answered",
      value: formatCount(t.refused + t.failed),
      hint: `${formatCount(t.refused)} refused, ${formatCount(t.failed)} failed`,
    },
    {
      key: "positive-feedback",
      label: "Positive feedback",
      value: o.positive_feedback_rate == null ? "No ratings" : formatShare(o.positive_feedback_rate),
      hint: rated === 0 ? "no answer was rated" : `${formatCount(t.helpful)} helpful of ${counted(rated, "rating", "ratings")}`,
    },
    {
      key: "cost",
      label: "Model cost",
      value: formatCost(t.cost),
      hint: `${formatCount(t.input_tokens)} tokens read, ${formatCount(t.output_tokens)} written`,
    },
    {
      key: "graded-answers",
      label: "Graded answers",
      value: formatCount(t.answers),
      hint: "in practice and reviews",
    },
  ];
}

function Headlines({ overview, org, days }: { overview: OrgOverview; org: string; days: number }) {
  return (
    <section aria-labelledby="headlines-heading">
      <h2 id="headlines-heading" className="visually-hidden">
        Headline figures
      </h2>
      <dl className="insight-stats">
        {headlines(overview).map((h) => (
          <div key={h.key} className="insight-stat card" data-stat={h.key}>
            <dt>{h.label}</dt>
            <dd>
              <span className="insight-stat-value">{h.value}</span>
              <span className="muted small">{h.hint}</span>
            </dd>
          </div>
        ))}
      </dl>
      <p className="small">
        <CsvLink org={org} table="messages" days={days} what="every message of the period" />
      </p>
    </section>
  );
}

function KnowledgeAndPrograms({ overview }: { overview: OrgOverview }) {
  const k = overview.knowledge;
  const sizes = [
    { label: "Collections", value: k.collections },
    { label: "Documents", value: k.documents },
    { label: "Passages", value: k.chunks },
    { label: "Files waiting to be read", value: k.queued_jobs },
  ];
  return (
    <div className="insights-columns">
      <section aria-labelledby="knowledge-size-heading">
        <h2 id="knowledge-size-heading">Knowledge base</h2>
        <dl className="knowledge-size card">
          {sizes.map((s) => (
            <div key={s.label}>
              <dt>{s.label}</dt>
              <dd>{formatCount(s.value)}</dd>
            </div>
          ))}
        </dl>
        <p className="small">
          <NavLink to="/knowledge">Open the knowledge base</NavLink>
        </p>
      </section>
      <section aria-labelledby="programs-heading">
        <h2 id="programs-heading">Programs and enrolment</h2>
        {overview.programs.length === 0 ? (
          <p className="muted">
            No programs yet. <NavLink to="/programs">Build one</NavLink>.
          </p>
        ) : (
          <div className="table-wrap">
            <table className="enrolment-table">
              <caption className="visually-hidden">Programs and enrolment</caption>
              <thead>
                <tr>
                  <th scope="col">Program</th>
                  <th scope="col">Status</th>
                  <th scope="col" className="numeric">
                    Learners enrolled
                  </th>
                </tr>
              </thead>
              <tbody>
                {overview.programs.map((p) => (
                  <tr key={p.program_id}>
                    <th scope="row">
                      <NavLink to={`/programs/${p.program_id}`}>{p.title}</NavLink>
                    </th>
                    <td>
                      <span className={`status program-status-${p.status}`}>{p.status}</span>
                    </td>
                    <td className="numeric">{formatCount(p.enrolled)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </div>
  );
}

function Period({ from, to, timeZone }: { from: string; to: string; timeZone?: string }) {
  return (
    <p className="muted small insights-period">
      <time dateTime={from}>{formatFullDay(from)}</time> to <time dateTime={to}>{formatFullDay(to)}</time>
      {timeZone && <>; days are counted in the {timeZone} time zone</>}.
    </p>
  );
}

function Overview({ org }: { org: string }) {
  const [days, setDays] = useRange();
  const overview = useQuery({
    queryKey: adminInsightsKeys.overview(org, days),
    queryFn: () => adminInsights.overview(org, days),
    placeholderData: keepPreviousData,
    refetchOnMount: "always",
  });
  const o = overview.data;
  return (
    <div className="insights-panel" aria-busy={overview.isFetching}>
      <div className="insights-toolbar">
        <RangePicker days={days} onChange={setDays} />
        {o && <Period from={o.from} to={o.to} timeZone={o.time_zone} />}
      </div>
      {overview.isPending && <Loading />}
      <ErrorNote error={overview.error} onRetry={() => overview.refetch()} />
      {o && (
        <>
          <Headlines overview={o} org={org} days={days} />
          <div className="insights-charts">
            <ActivePeopleByDayChart days={o.days} org={org} range={days} />
            <ActivePeopleByWeekChart weeks={o.weeks} />
            <AnswersByKindChart days={o.days} />
            <UsageByDayChart days={o.days} />
            <FeedbackReasonsChart reasons={o.feedback_reasons} />
            <CostByCoachChart coaches={o.cost_by_coach} org={org} range={days} />
            <TopPeopleChart people={o.top_people_by_cost} org={org} range={days} />
          </div>
          <KnowledgeAndPrograms overview={o} />
        </>
      )}
    </div>
  );
}

function Gaps({ org }: { org: string }) {
  const [days, setDays] = useRange();
  const gaps = useQuery({
    queryKey: adminInsightsKeys.gaps(org, days),
    queryFn: () => adminInsights.gaps(org, days),
    placeholderData: keepPreviousData,
    refetchOnMount: "always",
  });
  const g = gaps.data;
  return (
    <div className="insights-panel" aria-busy={gaps.isFetching}>
      <div className="insights-toolbar">
        <RangePicker days={days} onChange={setDays} />
        <CsvLink org={org} table="gaps" days={days} what="the knowledge gaps" />
      </div>
      {gaps.isPending && <Loading />}
      <ErrorNote error={gaps.error} onRetry={() => gaps.refetch()} />
      {g && (
        <>
          <p className="gaps-summary">
            In the last {counted(g.days, "day", "days")}, {counted(g.unanswered_questions, "question", "questions")} went
            unanswered (refused, answered with low confidence, or rated “missing source”), in{" "}
            {counted(g.topics.length, "topic", "topics")}.{" "}
            {g.answered_questions === 0
              ? "No question was answered in those days."
              : `The ${counted(g.answered_questions, "question", "questions")} answered in those days ${g.answered_questions === 1 ? "was" : "were"} compared with the topics too: a topic’s “Answered” counts those on it.`}{" "}
            {g.grouped_by === "meaning"
              ? "Questions are grouped by meaning."
              : "Questions are grouped by the words they share, as no embedding model is configured."}{" "}
            Each topic is named after its latest unanswered question; adding material on it should lower its refusal rate.
          </p>
          {g.topics.length === 0 ? (
            <Empty title="No knowledge gaps in this period.">Every question was answered from the material.</Empty>
          ) : (
            <div className="gap-topics">
              {g.topics.map((t) => (
                <GapTopicCard key={`${t.label}:${t.first_asked}`} topic={t} />
              ))}
            </div>
          )}
        </>
      )}
    </div>
  );
}

function OutcomesPanel({ org }: { org: string }) {
  const [days, setDays] = useRange();
  const outcomes = useQuery({
    queryKey: adminInsightsKeys.outcomes(org, days),
    queryFn: () => adminInsights.outcomes(org, days),
    placeholderData: keepPreviousData,
    refetchOnMount: "always",
  });
  const o = outcomes.data;
  return (
    <div className="insights-panel" aria-busy={outcomes.isFetching}>
      <div className="insights-toolbar">
        <RangePicker days={days} onChange={setDays} />
        {o && <Period from={o.from} to={o.to} />}
      </div>
      <p className="muted">
        Per program, the learners who asked the coach something in the period are compared with those who did not, on
        mastery gained and on coming back. Learners chose whether to use the coach, so a difference shows an association,
        not that the coach caused it; groups too small to compare are said to be.
      </p>
      {outcomes.isPending && <Loading />}
      <ErrorNote error={outcomes.error} onRetry={() => outcomes.refetch()} />
      {o && o.programs.length === 0 && (
        <Empty title="No programs to compare.">Outcomes show here once learners are enrolled in a program.</Empty>
      )}
      {o && o.programs.length > 0 && (
        <div className="outcome-programs">
          {o.programs.map((p) => (
            <OutcomeCard key={p.program_id} outcome={p} />
          ))}
        </div>
      )}
    </div>
  );
}

function Alerts({ org }: { org: string }) {
  return (
    <div className="insights-panel">
      <AlertList org={org} />
      <AlertRules org={org} />
    </div>
  );
}

const SECTIONS = [
  { path: "overview", label: "Overview" },
  { path: "gaps", label: "Knowledge gaps" },
  { path: "outcomes", label: "Outcomes" },
  { path: "alerts", label: "Alerts" },
  { path: "settings", label: "Settings" },
] as const;

export default function Insights() {
  const org = useOrgId();
  // The period travels with the tabs.
  const { search } = useLocation();
  const days = new URLSearchParams(search).get("days");
  const keep = days ? `?days=${encodeURIComponent(days)}` : "";
  return (
    <div className="page insights-page">
      <h1>Insights</h1>
      <nav className="tabs" aria-label="Insights sections">
        {SECTIONS.map((s) => (
          <NavLink key={s.path} to={`/insights/${s.path}${keep}`}>
            {s.label}
          </NavLink>
        ))}
      </nav>
      <Routes>
        <Route index element={<Navigate to={`overview${keep}`} replace />} />
        <Route path="overview" element={<Overview org={org} />} />
        <Route path="gaps" element={<Gaps org={org} />} />
        <Route path="outcomes" element={<OutcomesPanel org={org} />} />
        <Route path="alerts" element={<Alerts org={org} />} />
        <Route path="settings" element={<InsightSettingsPanel org={org} />} />
        <Route path="*" element={<Navigate to="overview" replace />} />
      </Routes>
    </div>
  );
}
