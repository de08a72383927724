// Coach provisioning and coaches' teams. Admins bring in coaches (an
// invitation with a training program and a manager) and see every
// provisioning; managers follow the coaches naming them: stage, profile,
// intake, score per domain and training progress. Both see each coach's team
// (learners, activity, mastery per active learner-week, feedback, risk,
// training), compared in a chart. A coach finds their own onboarding here,
// step by step.

import { lazy, Suspense } from "react";
import { Link, Navigate } from "react-router-dom";
import { useQuery } from "@tanstack/react-query";
import { provisioning, provisioningKeys } from "../api/provisioning";
import { useOrgId, useSession } from "../session";
import { Empty, ErrorNote, Loading } from "../components/ui";
import { CoachOnboarding } from "../components/provisioning/CoachOnboarding";
import { CoachResult } from "../components/provisioning/CoachResult";
import { ProvisionForm } from "../components/provisioning/ProvisionForm";
import { ProvisionTable } from "../components/provisioning/ProvisionTable";
import "../styles/provisioning.css";

// Drawn with Recharts: loaded only for those who see it, not with a coach's onboarding.
const CoachTeams = lazy(() => import("../components/insights/admin/CoachTeams"));

function useProvisions(org: string) {
  // Stages move on other screens (an accepted invitation, an intake answered): always fresh here.
  return useQuery({
    queryKey: provisioningKeys.list(org),
    queryFn: () => provisioning.list(org),
    refetchOnMount: "always",
  });
}

function TeamOverview({ org, admin }: { org: string; admin: boolean }) {
  const provisions = useProvisions(org);
  const list = provisions.data ?? [];
  return (
    <div className="page team-page">
      <h1>Team</h1>
      <p className="muted">
        {admin
          ? "Bring in coaches with a training program, follow their onboarding, and compare their teams."
          : "The coaches you manage: how their learners are doing, and their onboarding."}
      </p>
      {admin && <ProvisionForm org={org} />}
      <Suspense fallback={<Loading label="Loading the coaches' teams…" />}>
        <CoachTeams org={org} admin={admin} />
      </Suspense>
      <section aria-labelledby="coaches-heading">
        <h2 id="coaches-heading">Provisioned coaches</h2>
        {provisions.isPending && <Loading />}
        <ErrorNote error={provisions.error} onRetry={() => provisions.refetch()} />
        {provisions.data?.length === 0 && (
          <Empty title="No coaches provisioned yet.">
            {admin ? "Provision one above." : "When an administrator names you as a coach's manager, they appear here."}
          </Empty>
        )}
        {admin && list.length > 0 && <ProvisionTable provisions={list} />}
        {list.length > 0 && (
          <div className="coach-results">
            {list.map((p) => (
              <CoachResult key={p.id} org={org} provision={p} />
            ))}
          </div>
        )}
      </section>
    </div>
  );
}

function Onboarding({ org, me }: { org: string; me: string }) {
  const provisions = useProvisions(org);
  // A coach sees their own provisioning (the newest, should there be several).
  const own = provisions.data?.find((p) => p.coach_id === me);
  return (
    <div className="page narrow onboarding-page">
      <h1>Your onboarding</h1>
      {provisions.isPending && <Loading />}
      <ErrorNote error={provisions.error} onRetry={() => provisions.refetch()} />
      {provisions.data && !own && (
        <Empty title="No onboarding for you here.">
          You were not brought in with a training program in this organisation. <Link to="/learning">My learning</Link>{" "}
          has your programs and goals.
        </Empty>
      )}
      {own && <CoachOnboarding org={org} me={me} provision={own} />}
    </div>
  );
}

export default function Team() {
  const org = useOrgId();
  const { isAdmin, role, me } = useSession();
  if (isAdmin || role === "manager") return <TeamOverview org={org} admin={isAdmin} />;
  if (role === "coach" && me) return <Onboarding org={org} me={me.person.id} />;
  return <Navigate to="/chat" replace />;
}
