// Why a learner needs attention: one badge per flag the server raised, its
// reason named and the figures behind it in words beside it (never colour alone).

import type { RiskFlag, RiskReason } from "../../api/insights";

const REASONS: Record<RiskReason, string> = {
  inactive: "Inactive",
  mastery_falling: "Mastery falling",
  repeated_wrong_answers: "Repeated wrong answers",
  negative_feedback: "Unhappy with answers",
  refusals: "Questions left unanswered",
};

export function riskReasonLabel(reason: RiskReason): string {
  return REASONS[reason];
}

export function RiskBadges({ flags, learner }: { flags: readonly RiskFlag[]; learner: string }) {
  if (flags.length === 0) return <span className="muted small">No concerns</span>;
  return (
    <ul className="risk-badges" aria-label={`Why ${learner} needs attention`}>
      {flags.map((flag) => (
        <li key={flag.reason} className={`risk-badge risk-${flag.reason}`}>
          <span className="risk-badge-reason">{riskReasonLabel(flag.reason)}</span>
          <span className="risk-badge-detail">{flag.detail}</span>
        </li>
      ))}
    </ul>
  );
}
