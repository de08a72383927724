// Guided interviews at /interviews. Learners find the interviews they can
// start and their own (continue one under way, read a finished one's
// summary); My learning shows the same in short. Coaches and administrators find the organisation's flows (new
// from a template, imported, exported, sent to a learner, deleted) and the
// interviews of the learners they follow. /interviews/flows/:flowId (`new`
// for a new one) is a flow's editor.

import { useEffect, useState } from "react";
import { Link, useLocation, useNavigate, useParams } from "react-router-dom";
import { useQuery } from "@tanstack/react-query";
import { interviewFlows, interviewKeys, interviews, type InterviewFlow } from "../api/interviews";
import { useOrgId, useSession } from "../session";
import { ErrorNote, Loading } from "../components/ui";
import { FlowList } from "../components/interviews/FlowList";
import { FlowEditor } from "../components/interviews/FlowEditor";
import { InterviewList } from "../components/interviews/InterviewList";
import { MyInterviews } from "../components/interviews/MyInterviews";
import "../styles/interviews.css";

function InterviewsHome() {
  const org = useOrgId();
  const { isAdmin, role, me } = useSession();
  const author = isAdmin || role === "coach";
  const person = me!.person.id;
  const followed = useQuery({
    queryKey: interviewKeys.list(org),
    queryFn: () => interviews.list(org),
    enabled: author,
  });
  const others = (followed.data ?? []).filter((i) => i.person_id !== person);

  return (
    <div className="page interviews-page">
      <h1>Interviews</h1>
      {author ? (
        <>
          <FlowList org={org} />
          <section aria-labelledby="followed-heading">
            <h2 id="followed-heading">Your learners' interviews</h2>
            {followed.isPending && <Loading label="Loading interviews…" />}
            <ErrorNote error={followed.error} onRetry={() => followed.refetch()} />
            {followed.data && others.length === 0 && <p className="muted">None yet. Send one with “Send to a learner”.</p>}
            {others.length > 0 && (
              <InterviewList
                label="Your learners' interviews"
                items={others}
                showPerson
                linkTo={(i) => `/learners/${encodeURIComponent(i.person_id)}/interviews/${encodeURIComponent(i.id)}`}
              />
            )}
          </section>
        </>
      ) : (
        <>
          <p className="muted">
            A guided interview is a short conversation: it asks, listens, and ends with a summary of what you said that
            you can correct.
          </p>
          <MyInterviews org={org} person={person} />
        </>
      )}
    </div>
  );
}

function FlowPage({ id }: { id: string }) {
  const org = useOrgId();
  const navigate = useNavigate();
  const location = useLocation();
  const isNew = id === "new";
  const detail = useQuery({
    queryKey: interviewKeys.flow(org, id),
    queryFn: () => interviewFlows.get(org, id),
    enabled: !isNew,
  });
  // "Saved" is said once: the history entry forgets it, so a reload does not say it again.
  const [created] = useState(() => (location.state as { created?: boolean } | null)?.created === true);
  useEffect(() => {
    if (created) navigate(location.pathname, { replace: true, state: null });
  }, [created, navigate, location.pathname]);

  const breadcrumb = (current: string) => (
    <nav aria-label="Breadcrumb" className="breadcrumb">
      <Link to="/interviews">Interviews</Link> › <span aria-current="page">{current}</span>
    </nav>
  );
  const onSaved = (saved: InterviewFlow, wasNew: boolean) => {
    if (wasNew) navigate(`/interviews/flows/${saved.id}`, { replace: true, state: { created: true } });
  };

  if (isNew) {
    return (
      <div className="page narrow flow-page">
        {breadcrumb("New flow")}
        <h1>New flow</h1>
        <FlowEditor org={org} flow={null} onSaved={onSaved} />
      </div>
    );
  }
  if (detail.isPending) return <Loading label="Loading the flow…" />;
  if (detail.isError) {
    return (
      <div className="page narrow">
        <ErrorNote error={detail.error} onRetry={() => detail.refetch()} />
        <Link to="/interviews">Back to interviews</Link>
      </div>
    );
  }
  const flow = detail.data;
  return (
    <div className="page narrow flow-page">
      {breadcrumb(flow.spec.name)}
      <h1>{flow.spec.name}</h1>
      <p className="muted small">
        Version {flow.version}
        {flow.interviews > 0
          ? ` · ${flow.interviews} interview${flow.interviews === 1 ? "" : "s"} ran on it; those under way keep their version`
          : ""}
      </p>
      {created && (
        <p className="success" role="status">
          Flow saved. Change it below; each save is a new version.
        </p>
      )}
      <FlowEditor key={flow.id} org={org} flow={flow} onSaved={onSaved} />
    </div>
  );
}

export default function Interviews() {
  const { flowId } = useParams();
  return flowId ? <FlowPage key={flowId} id={flowId} /> : <InterviewsHome />;
}
