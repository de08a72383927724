// Whether a nudge rule works (administrators): the learners it nudged against
// those it held out, on coming back within 48 hours — people, how many came
// back and the rate in each group, the difference with its 95 % interval drawn
// around zero, the server's sentence on what the figures support, and what the
// rule has decided so far. A group with nobody in it shows "—".

import { useId } from "react";
import { Link, useParams } from "react-router-dom";
import { useQuery } from "@tanstack/react-query";
import {
  audienceSummary,
  nudgeKeys,
  nudges,
  triggerWhen,
  type ArmFigure,
  type NudgeEffect,
  type NudgeRun,
} from "../../api/nudges";
import { ErrorNote, Loading } from "../ui";
import "../../styles/nudges.css";

const EMPTY = "—";
const rate = new Intl.NumberFormat(undefined, { style: "percent", maximumFractionDigits: 1 });
const points = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });

/** A share (0.1) as a whole percentage or one decimal (10, 12.5). */
export function holdoutPercent(share: number): number {
  return Math.round(share * 1000) / 10;
}

/** A difference of rates in percentage points, with its sign: "+12.5", "−3", "0". */
function signedPoints(difference: number): string {
  const value = Math.round(difference * 1000) / 10;
  if (value > 0) return `+${points.format(value)}`;
  if (value < 0) return `−${points.format(-value)}`;
  return "0";
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** What one evaluation decided, as a clause: "2 nudges queued, 1 held out, …". */
export function runSummary(run: NudgeRun): string {
  return [
    plural(run.queued, "nudge queued", "nudges queued"),
    `${run.held_out} held out`,
    `${run.opted_out} opted out`,
    `${run.cap_reached} at their weekly cap`,
    `${run.no_channel} with no linked account`,
    plural(run.alerts, "alert to coaches and parents", "alerts to coaches and parents"),
  ].join(", ");
}

const DECISIONS: { key: keyof NudgeRun; label: string }[] = [
  { key: "queued", label: "Nudges queued" },
  { key: "held_out", label: "Held out" },
  { key: "opted_out", label: "Opted out (sent STOP)" },
  { key: "cap_reached", label: "Weekly cap reached" },
  { key: "no_channel", label: "No linked account" },
  { key: "alerts", label: "Alerts to coaches and parents" },
];

function ArmRow({ name, arm }: { name: string; arm: ArmFigure }) {
  const empty = arm.people === 0;
  return (
    <tr>
      <th scope="row">{name}</th>
      <td>{arm.people}</td>
      <td>{empty ? EMPTY : arm.returned}</td>
      <td>{arm.return_rate == null ? EMPTY : rate.format(arm.return_rate)}</td>
    </tr>
  );
}

/**
 * The difference (nudged − held out) as a dot on its 95 % interval, on an axis
 * centred on zero that reaches just past the interval's farther end: an
 * interval clear of the zero line is an effect the figures support.
 */
function IntervalBar({ difference, interval }: { difference: number; interval: [number, number] }) {
  const [low, high] = interval;
  // The axis reaches the next 10 points past the farther end (at most 100).
  const reach = Math.min(1, Math.max(0.1, Math.ceil(Math.max(Math.abs(low), Math.abs(high)) * 10) / 10));
  const at = (value: number) => `${50 + (Math.max(-reach, Math.min(reach, value)) / reach) * 50}%`;
  const clear = low > 0 || high < 0;
  const label =
    `Difference ${signedPoints(difference)} points, 95 % interval from ${signedPoints(low)} to ${signedPoints(high)} points; ` +
    (clear ? "zero lies outside the interval." : "zero lies inside the interval.");
  return (
    <figure className="interval" role="img" aria-label={label}>
      <div className="interval-track" aria-hidden="true">
        <span className="interval-zero" />
        <span
          className={`interval-bar ${clear ? "interval-bar-clear" : ""}`}
          style={{ left: at(low), width: `calc(${at(high)} - ${at(low)})` }}
        />
        <span className="interval-dot" style={{ left: at(difference) }} />
      </div>
      <div className="interval-scale" aria-hidden="true">
        <span>{signedPoints(-reach)}</span>
        <span>0</span>
        <span>{signedPoints(reach)}</span>
      </div>
    </figure>
  );
}

function EffectFigures({ effect }: { effect: NudgeEffect }) {
  const ids = useId();
  const { rule, returns, decisions } = effect;
  const interval = returns.interval;
  return (
    <>
      <p className="muted nudge-effect-rule">
        {triggerWhen(rule.trigger, rule.days)} · to {audienceSummary(rule.audience).toLowerCase()} ·{" "}
        {holdoutPercent(rule.holdout_share)} % held out · {rule.active ? "active" : "paused"}
      </p>

      <h3 id={`${ids}-returns`}>Coming back within 48 hours</h3>
      <div className="table-wrap">
        <table className="nudge-effect-table" aria-labelledby={`${ids}-returns`}>
          <thead>
            <tr>
              <th scope="col">Group</th>
              <th scope="col">People</th>
              <th scope="col">Came back</th>
              <th scope="col">Return rate</th>
            </tr>
          </thead>
          <tbody>
            <ArmRow name="Nudged" arm={returns.nudged} />
            <ArmRow name="Held out" arm={returns.holdout} />
          </tbody>
        </table>
      </div>

      <h3 id={`${ids}-difference`}>Difference</h3>
      <div className="nudge-effect-difference" aria-labelledby={`${ids}-difference`} role="group">
        <p>
          <strong className="nudge-effect-points">
            {returns.difference == null ? EMPTY : `${signedPoints(returns.difference)} points`}
          </strong>
          {interval && interval.length === 2 && (
            <span className="muted">
              {" "}
              (95 % interval {signedPoints(interval[0]!)} to {signedPoints(interval[1]!)})
            </span>
          )}
        </p>
        {returns.difference != null && interval && interval.length === 2 && (
          <IntervalBar difference={returns.difference} interval={[interval[0]!, interval[1]!]} />
        )}
        <p className="nudge-effect-statement">{returns.statement}</p>
      </div>

      <h3 id={`${ids}-decisions`}>Decisions so far</h3>
      <dl className="nudge-decisions">
        {DECISIONS.map((d) => (
          <div key={d.key}>
            <dt>{d.label}</dt>
            <dd>{decisions[d.key]}</dd>
          </div>
        ))}
      </dl>
    </>
  );
}

/** The effect of the rule named in the address (`/admin/nudges/:ruleId`). */
export function NudgeEffectView({ org }: { org: string }) {
  const { ruleId = "" } = useParams();
  const ids = useId();
  const effect = useQuery({ queryKey: nudgeKeys.effect(org, ruleId), queryFn: () => nudges.effect(org, ruleId) });
  const name = effect.data?.rule.name;
  return (
    <section className="nudge-effect" aria-labelledby={`${ids}-heading`}>
      <p className="breadcrumb">
        <Link to="/admin/nudges">← Nudge rules</Link>
      </p>
      <h2 id={`${ids}-heading`}>{name ? `Effect of ${name}` : "Effect"}</h2>
      {effect.isPending && <Loading />}
      <ErrorNote error={effect.error} onRetry={() => effect.refetch()} />
      {effect.data && <EffectFigures effect={effect.data} />}
    </section>
  );
}
