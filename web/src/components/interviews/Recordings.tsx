// The kept recordings of an interview's spoken answers, for whoever may read
// the interview (the learner, their coach, administrators): each with a
// player, what the speech service heard, its length and when it was made.
// Kept only while the organisation keeps interview audio (its retention
// policy), so the section shows only when there is at least one. The players
// load their audio with a plain GET: the session cookie authenticates it.

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { interviewKeys, interviews, recordingAudioUrl, type Interview } from "../../api/interviews";
import { formatDateTime } from "../../lib/format";
import { ErrorNote } from "../ui";

/** "4 seconds", "1 min 5 s". */
export function recordingLength(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} second${seconds === 1 ? "" : "s"}`;
  const minutes = Math.floor(seconds / 60);
  const rest = seconds % 60;
  return rest ? `${minutes} min ${rest} s` : `${minutes} min`;
}

export function Recordings({ org, interview, own }: { org: string; interview: Interview; own: boolean }) {
  const recordings = useQuery({
    // A new answer may have brought a recording: fetched again whenever the answers change.
    queryKey: [...interviewKeys.recordings(org, interview.id), interview.answers],
    queryFn: () => interviews.recordings(org, interview.id),
    placeholderData: keepPreviousData,
  });
  const list = recordings.data ?? [];
  if (recordings.isPending || (list.length === 0 && !recordings.error)) return null;
  const headingId = `recordings-${interview.id}`;
  return (
    <section className="card interview-recordings" aria-labelledby={headingId}>
      <h2 id={headingId}>Recordings</h2>
      <p className="muted small">
        {own ? "Your spoken answers" : `${interview.person_name}'s spoken answers`} as recorded, kept with this interview
        by the organisation's retention policy.
      </p>
      <ErrorNote error={recordings.error} onRetry={() => recordings.refetch()} />
      {list.length > 0 && (
        <ol className="interview-recording-list" aria-label="Recordings">
          {list.map((r, i) => {
            const name = `Recording ${i + 1}`;
            const length = recordingLength(r.duration_ms);
            return (
              <li key={r.id} className="interview-recording">
                <p className="interview-recording-meta">
                  <strong>{name}</strong>
                  <span className="muted small">
                    {" · "}
                    {length} · <time dateTime={r.created_at}>{formatDateTime(r.created_at)}</time>
                  </span>
                </p>
                <audio
                  controls
                  preload="none"
                  src={recordingAudioUrl(org, interview.id, r.id)}
                  aria-label={`${name}, ${length}`}
                >
                  <a href={recordingAudioUrl(org, interview.id, r.id)}>Download {name.toLowerCase()}</a>
                </audio>
                <p className="interview-recording-heard">
                  <span className="muted small">Heard: </span>
                  {r.transcript.trim() ? <q>{r.transcript}</q> : <span className="muted">nothing</span>}
                </p>
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}
