// The programs a finished interview points to: published programs whose
// title, description or concepts speak of what the learner said, with the
// words that matched. The learner may enrol in one that takes self-enrolment;
// a coach reading the interview sees the same list.

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { interviewKeys, interviews, type Interview } from "../../api/interviews";
import { learning } from "../../api/learning";
import { ErrorNote } from "../ui";

export function SuggestedPrograms({ org, interview, own }: { org: string; interview: Interview; own: boolean }) {
  const client = useQueryClient();
  const suggestions = useQuery({
    queryKey: interviewKeys.suggestions(org, interview.id),
    queryFn: () => interviews.suggestedPrograms(org, interview.id),
  });
  const enrol = useMutation({
    mutationFn: (program: string) => learning.enrol(org, program, interview.person_id),
    onSuccess: () =>
      Promise.all([
        client.invalidateQueries({ queryKey: ["learning"] }),
        // A coach intake's "Where to start" lists the programs the learner is enrolled in.
        client.invalidateQueries({ queryKey: interviewKeys.startingPath(org, interview.id) }),
      ]),
  });
  const list = suggestions.data ?? [];
  if (suggestions.isPending || (list.length === 0 && !suggestions.error)) return null;
  return (
    <section className="interview-suggestions" aria-labelledby={`suggested-${interview.id}`}>
      <h2 id={`suggested-${interview.id}`}>Programs that match what {own ? "you" : interview.person_name} said</h2>
      <ErrorNote error={suggestions.error ?? enrol.error} />
      <ul>
        {list.map((p) => (
          <li key={p.program_id}>
            <strong>{p.title}</strong>
            {p.description && <span className="muted"> — {p.description}</span>}
            <div className="small muted">Matches: {p.matched.join(", ")}</div>
            {own && p.self_enrolment && (
              <button
                type="button"
                disabled={enrol.isPending || (enrol.isSuccess && enrol.variables === p.program_id)}
                onClick={() => enrol.mutate(p.program_id)}
              >
                {enrol.isSuccess && enrol.variables === p.program_id ? "Enrolled" : `Enrol in ${p.title}`}
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
