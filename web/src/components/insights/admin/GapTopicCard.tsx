// One topic the knowledge base could not answer: named after its latest
// unanswered question, with how often it went unanswered and why, how often
// questions on it were answered, the refusal rate, the words its questions
// share, example questions and the weekly trend (chart and table).

import { useId } from "react";
import { Bar, BarChart, CartesianGrid, Legend, Tooltip, XAxis, YAxis } from "recharts";
import type { GapExample, GapTopic, GapWeek, QuestionOutcome } from "../../../api/adminInsights";
import { formatDateTime } from "../../../lib/format";
import { ChartWithTable, type ChartColumn } from "../ChartWithTable";
import { SERIES_COLOURS, axisProps, gridProps, legendProps, tooltipProps } from "../chartTheme";
import { formatCount, formatFullDay, formatShortDay } from "../format";
import { formatShare } from "./format";

const OUTCOMES: Record<QuestionOutcome, string> = {
  answered: "Answered",
  low_confidence: "Answered with low confidence",
  refused: "Refused",
  failed: "Failed",
};

function exampleOutcome(example: GapExample): string {
  const outcome = OUTCOMES[example.outcome];
  return example.missing_source ? `${outcome}, rated “missing source”` : outcome;
}

const WEEK_COLUMNS: readonly ChartColumn<GapWeek>[] = [
  { label: "Week from", cell: (w) => <time dateTime={w.week_start}>{formatFullDay(w.week_start)}</time> },
  { label: "Unanswered", cell: (w) => formatCount(w.unanswered), numeric: true },
  { label: "Answered", cell: (w) => formatCount(w.answered), numeric: true },
];

export function GapTopicCard({ topic }: { topic: GapTopic }) {
  const headingId = useId();
  const figures = [
    { label: "Unanswered", value: formatCount(topic.unanswered), key: "unanswered" },
    { label: "Refused", value: formatCount(topic.refused), key: "refused" },
    { label: "Low confidence", value: formatCount(topic.low_confidence), key: "low-confidence" },
    { label: "Rated “missing source”", value: formatCount(topic.missing_source), key: "missing-source" },
    { label: "Answered", value: formatCount(topic.answered), key: "answered" },
    { label: "Refusal rate", value: formatShare(topic.refusal_rate), key: "refusal-rate" },
  ];
  return (
    <article className="card gap-topic" aria-labelledby={headingId}>
      <h2 id={headingId} className="gap-topic-label">
        “{topic.label}”
      </h2>
      <p className="muted small gap-topic-dates">
        First asked {formatDateTime(topic.first_asked)} · last asked {formatDateTime(topic.last_asked)} · last unanswered{" "}
        {formatDateTime(topic.last_unanswered)}
      </p>
      <dl className="gap-figures">
        {figures.map((f) => (
          <div key={f.key} className="gap-figure" data-figure={f.key}>
            <dt>{f.label}</dt>
            <dd>{f.value}</dd>
          </div>
        ))}
      </dl>
      {topic.keywords.length > 0 && (
        <div className="gap-keywords">
          <h3 className="small-heading">Shared words</h3>
          <ul className="tags" aria-label="Shared words">
            {topic.keywords.map((k) => (
              <li key={k} className="tag">
                {k}
              </li>
            ))}
          </ul>
        </div>
      )}
      <h3 className="small-heading">Examples</h3>
      <ul className="gap-examples" aria-label="Example questions">
        {topic.examples.map((e) => (
          <li key={`${e.asked_at}:${e.question}`}>
            <q className="gap-example-question">{e.question}</q>
            <span className="muted small">
              {exampleOutcome(e)} · <time dateTime={e.asked_at}>{formatDateTime(e.asked_at)}</time>
            </span>
          </li>
        ))}
      </ul>
      <ChartWithTable
        title="Questions per week"
        headingLevel={3}
        description="Questions on this topic each week that went unanswered, and those that were answered."
        rows={topic.weeks}
        columns={WEEK_COLUMNS}
        rowKey={(w) => w.week_start}
        height={150}
      >
        <BarChart data={[...topic.weeks]} margin={{ top: 8, right: 8, bottom: 0, left: -20 }}>
          <CartesianGrid {...gridProps} />
          <XAxis dataKey="week_start" tickFormatter={formatShortDay} {...axisProps} />
          <YAxis allowDecimals={false} {...axisProps} />
          <Tooltip {...tooltipProps} labelFormatter={(date: string) => `Week from ${formatFullDay(date)}`} />
          <Legend {...legendProps} />
          <Bar dataKey="unanswered" name="Unanswered" stackId="week" fill={SERIES_COLOURS[1]} maxBarSize={40} isAnimationActive={false} />
          <Bar dataKey="answered" name="Answered" stackId="week" fill={SERIES_COLOURS[2]} maxBarSize={40} isAnimationActive={false} />
        </BarChart>
      </ChartWithTable>
    </article>
  );
}
