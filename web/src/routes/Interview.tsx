// One interview. The learner's own, while it runs (/interviews/:id): the
// background it works from, the transcript as a chat with the question to
// answer now (read aloud on request), the answer box — typed or spoken — and
// Pause/Resume, with how many answers of the most it takes. Once it ends: why,
// and the summary, each field citing the answers it came from, which the
// learner can correct. Their coach, or an administrator, reads it (from the
// learner's page, /learners/:personId/interviews/:id) without changing it.

import { useEffect, useRef, useState } from "react";
import { Link, useParams } from "react-router-dom";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import {
  endReasonLabel,
  interviewKeys,
  interviewStatusLabel,
  interviews,
  questionAudioUrl,
  voiceSocketUrl,
  type Interview,
} from "../api/interviews";
import { orgs } from "../api/endpoints";
import { useOrgId, useSession } from "../session";
import { ErrorNote, Loading } from "../components/ui";
import { Transcript } from "../components/interviews/Transcript";
import { SummaryPanel } from "../components/interviews/SummaryPanel";
import { SuggestedPrograms } from "../components/interviews/SuggestedPrograms";
import { AnswerBox } from "../components/interviews/AnswerBox";
import { Recordings } from "../components/interviews/Recordings";
import { SpeakerIcon } from "../components/interviews/icons";
import { useVoice } from "../lib/voice";
import { useReadAloud } from "../lib/readAloud";
import "../styles/interviews.css";

const READ_ALOUD_KEY = "wayfinder.interviews.readAloud";
/** Someone else's running interview is fetched again this often, to follow it. */
const FOLLOW_MS = 15_000;

function readAloudSetting(): boolean {
  try {
    return localStorage.getItem(READ_ALOUD_KEY) === "on";
  } catch {
    return false;
  }
}

/** The learner answering their interview. */
function Running({
  org,
  interview,
  highlighted,
  sending,
  error,
  onAnswer,
}: {
  org: string;
  interview: Interview;
  highlighted: { seq: number; at: number } | null;
  sending: boolean;
  error: unknown;
  onAnswer: (text: string) => Promise<boolean>;
}) {
  const questionId = `interview-question-${interview.id}`;
  const voice = useVoice(voiceSocketUrl(org, interview.id), true);
  const readAloud = useReadAloud();
  const [autoRead, setAutoRead] = useState(readAloudSetting);
  const question = interview.question;
  const paused = interview.status === "paused";
  const serverSpeaks = !!voice.abilities?.speech;
  const canRead = serverSpeaks || readAloud.browserCanSpeak;
  const { read, stop } = readAloud;
  const audioUrl = serverSpeaks ? questionAudioUrl(org, interview.id) : null;

  // With "Read each new question aloud", every new question is read once the server said whether it has a voice.
  const lastRead = useRef<string | null>(autoRead ? null : question);
  const voiceKnown = voice.abilities !== null || voice.link === "waiting";
  useEffect(() => {
    if (!autoRead || !question || paused || !voiceKnown || lastRead.current === question) return;
    lastRead.current = question;
    read(question, audioUrl);
  }, [autoRead, question, paused, voiceKnown, audioUrl, read]);

  return (
    <>
      <Transcript
        transcript={interview.transcript}
        learnerName="You"
        currentQuestionId={question ? questionId : null}
        highlighted={highlighted}
        questionExtra={
          canRead && question ? (
            <div className="read-aloud">
              {readAloud.speaking ? (
                <button type="button" onClick={stop}>
                  Stop reading
                </button>
              ) : (
                <button type="button" onClick={() => read(question, audioUrl)}>
                  <SpeakerIcon />
                  Read aloud
                </button>
              )}
            </div>
          ) : null
        }
      />
      <AnswerBox
        interview={interview}
        questionId={questionId}
        voice={voice}
        sending={sending}
        error={error}
        onAnswer={onAnswer}
      />
      {canRead && (
        <label className="check read-aloud-setting">
          <input
            type="checkbox"
            checked={autoRead}
            onChange={(e) => {
              const on = e.target.checked;
              setAutoRead(on);
              lastRead.current = question;
              if (!on) stop();
              try {
                localStorage.setItem(READ_ALOUD_KEY, on ? "on" : "off");
              } catch {
                // not kept (private browsing): on for this page only
              }
            }}
          />
          Read each new question aloud
        </label>
      )}
    </>
  );
}

function Progress({ interview }: { interview: Interview }) {
  return (
    <p className="interview-progress">
      <progress value={interview.answers} max={Math.max(interview.max_turns, 1)} aria-label="Answers given" />
      <span>
        {interview.answers} of at most {interview.max_turns} answers
      </span>
    </p>
  );
}

export default function InterviewPage() {
  const { interviewId = "", personId } = useParams();
  const org = useOrgId();
  const { me } = useSession();
  const client = useQueryClient();
  const key = interviewKeys.one(org, interviewId);
  const detail = useQuery({
    queryKey: key,
    queryFn: () => interviews.get(org, interviewId),
    // Someone else's interview under way: follow it.
    refetchInterval: (q) => {
      const data = q.state.data;
      return data && data.person_id !== me?.person.id && data.status !== "completed" ? FOLLOW_MS : false;
    },
  });
  // The learner's name for the breadcrumb of a coach's view, from the members they already loaded.
  const members = useQuery({ queryKey: ["members", org], queryFn: () => orgs.members(org), enabled: !!personId });
  const [highlighted, setHighlighted] = useState<{ seq: number; at: number } | null>(null);
  const [announcement, setAnnouncement] = useState("");

  const settle = (saved: Interview) => {
    client.setQueryData(key, saved);
    void client.invalidateQueries({ queryKey: interviewKeys.lists(org) });
  };
  const answer = useMutation({
    mutationFn: (content: string) => interviews.answer(org, interviewId, content),
    onSuccess: (saved) => {
      settle(saved);
      setAnnouncement(
        saved.status === "completed"
          ? "The interview is finished. Your summary is below."
          : saved.question
            ? `Interviewer: ${saved.question}`
            : "",
      );
    },
  });
  const pause = useMutation({
    mutationFn: (paused: boolean) => (paused ? interviews.pause(org, interviewId) : interviews.resume(org, interviewId)),
    onSuccess: (saved) => {
      settle(saved);
      setAnnouncement(saved.status === "paused" ? "Paused." : `Resumed. Interviewer: ${saved.question ?? ""}`);
    },
  });

  const status = detail.data?.status;
  const previous = useRef(status);
  useEffect(() => {
    // Finishing moves the focus to the summary.
    if (previous.current && previous.current !== "completed" && status === "completed") {
      document.getElementById("summary-heading")?.focus();
    }
    previous.current = status;
  }, [status]);

  if (detail.isPending) return <Loading label="Loading the interview…" />;
  if (detail.isError) {
    return (
      <div className="page narrow">
        <ErrorNote error={detail.error} onRetry={() => detail.refetch()} />
        <Link to={personId ? `/learners/${encodeURIComponent(personId)}` : "/interviews"}>Back</Link>
      </div>
    );
  }
  const interview = detail.data;
  const own = interview.person_id === me?.person.id;
  const ended = interview.status === "completed";
  const learnerName = personId ? (members.data?.find((m) => m.person.id === personId)?.person.display_name ?? interview.person_name) : null;

  return (
    <div className="page narrow interview-page">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        {personId ? (
          <>
            <Link to="/learners">Learners</Link> › <Link to={`/learners/${encodeURIComponent(personId)}`}>{learnerName}</Link> ›{" "}
          </>
        ) : (
          <>
            <Link to="/interviews">Interviews</Link> ›{" "}
          </>
        )}
        <span aria-current="page">{interview.flow_name}</span>
      </nav>
      <div className="page-header">
        <div>
          <h1>{interview.flow_name}</h1>
          <p className="muted small">
            {own ? "" : `${interview.person_name} · `}
            <span className={`status interview-status-${interview.status}`}>{interviewStatusLabel(interview.status)}</span>
          </p>
        </div>
        {own && !ended && (
          <div className="actions">
            {interview.status === "paused" ? (
              <button type="button" className="primary" onClick={() => pause.mutate(false)} disabled={pause.isPending}>
                Resume
              </button>
            ) : (
              <button type="button" onClick={() => pause.mutate(true)} disabled={pause.isPending || answer.isPending}>
                Pause
              </button>
            )}
          </div>
        )}
      </div>
      <Progress interview={interview} />
      <ErrorNote error={pause.error} />
      {!own && <p className="notice small">You are reading {interview.person_name}'s interview; only they answer it.</p>}
      {interview.context && (
        <section className="card interview-context" aria-labelledby="context-heading">
          <h2 id="context-heading">Background</h2>
          <p>{interview.context}</p>
        </section>
      )}
      {interview.status === "paused" && own && (
        <p className="notice" role="note">
          Paused. Resume when you are ready; paused time does not count.
        </p>
      )}
      {ended && interview.end_reason && (
        <p className="notice interview-ended">The interview ended: {endReasonLabel(interview.end_reason)}.</p>
      )}

      <h2 className="visually-hidden">Transcript</h2>
      {own && !ended ? (
        <Running
          org={org}
          interview={interview}
          highlighted={highlighted}
          sending={answer.isPending}
          error={answer.error}
          onAnswer={async (text) => {
            setAnnouncement("");
            try {
              await answer.mutateAsync(text);
              return true;
            } catch {
              return false;
            }
          }}
        />
      ) : (
        <Transcript
          transcript={interview.transcript}
          learnerName={own ? "You" : interview.person_name}
          currentQuestionId={null}
          highlighted={highlighted}
        />
      )}
      {answer.isPending && (
        <p className="muted small interview-thinking" role="status">
          The interviewer is reading your answer…
        </p>
      )}
      <p className="visually-hidden" role="status" aria-live="polite">
        {announcement}
      </p>

      {ended && interview.summary && (
        <SummaryPanel org={org} interview={interview} own={own} onCite={(seq) => setHighlighted({ seq, at: Date.now() })} />
      )}
      {ended && interview.summary && <SuggestedPrograms org={org} interview={interview} own={own} />}
      {ended && !interview.summary && <p className="muted">The summary is not there yet.</p>}
      <Recordings org={org} interview={interview} own={own} />
    </div>
  );
}
