// A learner's interviews on their page, for those who may read them (their
// coaches and managers, administrators, parents the learner lets): where each
// stands, each opening to read its transcript and summary. Coaches and
// administrators can send them an interview from here too.

import { useQuery } from "@tanstack/react-query";
import { ApiError } from "../../api/client";
import { interviewKeys, interviews } from "../../api/interviews";
import { ErrorNote, Loading } from "../ui";
import { InterviewList } from "./InterviewList";
import { SendInterviewForm } from "./SendInterview";
import "../../styles/interviews.css";

export function LearnerInterviews({
  org,
  person,
  name,
  canSend,
}: {
  org: string;
  person: string;
  name: string;
  canSend: boolean;
}) {
  const list = useQuery({
    queryKey: interviewKeys.list(org, person),
    queryFn: () => interviews.list(org, person),
    // Interviews under way move on while the page is open.
    refetchInterval: 30_000,
  });
  const hidden = list.error instanceof ApiError && (list.error.status === 404 || list.error.status === 403);
  return (
    <section aria-labelledby="interviews-heading">
      <h2 id="interviews-heading">Interviews</h2>
      {list.isPending && <Loading label="Loading interviews…" />}
      {hidden ? (
        <p className="muted">Their interviews are not shared with you.</p>
      ) : (
        <ErrorNote error={list.error} onRetry={() => list.refetch()} />
      )}
      {list.data?.length === 0 && <p className="muted">No interviews yet.</p>}
      {list.data && list.data.length > 0 && (
        <InterviewList
          label={`${name}'s interviews`}
          items={list.data}
          linkTo={(i) => `/learners/${encodeURIComponent(person)}/interviews/${encodeURIComponent(i.id)}`}
        />
      )}
      {canSend && <SendInterviewForm org={org} person={person} name={name} />}
    </section>
  );
}
