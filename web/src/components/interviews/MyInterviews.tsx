// A learner's side of guided interviews: their own (continue one under way,
// see a finished one's summary) and the interviews they can start. On My
// learning it is a short section — nothing at all while there is nothing to
// start or continue — with the rest at /interviews.

import { Link, useNavigate } from "react-router-dom";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { interviewFlows, interviewKeys, interviews, type InterviewFlow } from "../../api/interviews";
import { Empty, ErrorNote, Loading } from "../ui";
import { InterviewList } from "./InterviewList";
import "../../styles/interviews.css";

/** Finished interviews shown on My learning (all of them at /interviews). */
const RECENT_FINISHED = 3;

function StartList({ org, flows, heading: Heading }: { org: string; flows: InterviewFlow[]; heading: "h3" | "h4" }) {
  const navigate = useNavigate();
  const client = useQueryClient();
  const start = useMutation({
    mutationFn: (flow: InterviewFlow) => interviews.start(org, flow.id),
    onSuccess: async (interview) => {
      client.setQueryData(interviewKeys.one(org, interview.id), interview);
      await client.invalidateQueries({ queryKey: interviewKeys.lists(org) });
      navigate(`/interviews/${interview.id}`);
    },
  });
  return (
    <ul className="card-list interview-start-list" aria-label="Interviews you can start">
      {flows.map((flow) => (
        <li key={flow.id} className="card">
          <Heading>{flow.spec.name}</Heading>
          {flow.spec.description && <p className="small">{flow.spec.description}</p>}
          <p className="muted small">
            Up to {flow.spec.limits?.max_minutes ?? 20} minutes · answer by typing or speaking · ends with a summary you
            can correct
          </p>
          <button
            type="button"
            className="primary"
            aria-label={`Start ${flow.spec.name}`}
            disabled={start.isPending}
            onClick={() => start.mutate(flow)}
          >
            {start.isPending && start.variables?.id === flow.id ? "Starting…" : "Start"}
          </button>
          {start.variables?.id === flow.id && <ErrorNote error={start.error} />}
        </li>
      ))}
    </ul>
  );
}

export function MyInterviews({ org, person, compact = false }: { org: string; person: string; compact?: boolean }) {
  const mine = useQuery({ queryKey: interviewKeys.list(org, person), queryFn: () => interviews.list(org, person) });
  const flows = useQuery({ queryKey: interviewKeys.flows(org), queryFn: () => interviewFlows.list(org) });

  if (compact && (mine.isPending || flows.isPending)) return null;
  if (compact && mine.data?.length === 0 && flows.data?.length === 0) return null;

  const all = mine.data ?? [];
  const unfinished = all.filter((i) => i.status !== "completed");
  const finished = all.filter((i) => i.status === "completed");
  const shown = compact ? [...unfinished, ...finished.slice(0, RECENT_FINISHED)] : all;

  return (
    <section aria-labelledby="my-interviews-heading" className="my-interviews">
      <h2 id="my-interviews-heading">{compact ? "Interviews" : "Your interviews"}</h2>
      {!compact && mine.isPending && <Loading label="Loading your interviews…" />}
      <ErrorNote error={mine.error} onRetry={() => mine.refetch()} />
      {!compact && mine.data?.length === 0 && <Empty title="No interviews yet.">Start one below.</Empty>}
      {shown.length > 0 && (
        <InterviewList label="Your interviews" items={shown} own linkTo={(i) => `/interviews/${encodeURIComponent(i.id)}`} />
      )}
      {compact && shown.length < all.length && (
        <p className="small">
          <Link to="/interviews">All your interviews</Link>
        </p>
      )}
      {compact ? <h3>Start an interview</h3> : <h2>Start an interview</h2>}
      {!compact && flows.isPending && <Loading label="Loading interviews…" />}
      <ErrorNote error={flows.error} onRetry={() => flows.refetch()} />
      {flows.data?.length === 0 && <p className="muted">There are no interviews to start yet.</p>}
      {flows.data && flows.data.length > 0 && <StartList org={org} flows={flows.data} heading={compact ? "h4" : "h3"} />}
    </section>
  );
}
