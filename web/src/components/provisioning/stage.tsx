// A provisioned coach's stage in words, the same on every screen.

import type { ProvisionStage } from "../../api/provisioning";
import "../../styles/provisioning.css";

const STAGES: Record<ProvisionStage, { label: string; description: string }> = {
  invited: { label: "Invited", description: "The invitation waits to be accepted." },
  lapsed: { label: "Invitation lapsed", description: "The invitation expired or was revoked before it was accepted." },
  profile: { label: "Profile", description: "Accepted; the profile is not completed yet." },
  intake: { label: "Intake", description: "Profile completed; the intake is not finished yet." },
  training: { label: "Training", description: "Intake done; concepts of the training path remain." },
  trained: { label: "Trained", description: "Every concept of the training program is mastered." },
};

export function stageDescription(stage: ProvisionStage): string {
  return STAGES[stage].description;
}

export function StageBadge({ stage }: { stage: ProvisionStage }) {
  return <span className={`status provision-stage provision-stage-${stage}`}>{STAGES[stage].label}</span>;
}
