// Where a finished coach intake starts its learner: their self-rating, then
// each program they are enrolled in — at the beginning, with the first
// concepts of its path (a self-rating of 2 or less), or where the program's
// placement finds them (the learner gets a link to My learning, where the
// placement starts). Asked of the server only for a completed coach intake
// (it refuses any other interview); the summary's corrections refresh it.

import { Link } from "react-router-dom";
import { useQuery } from "@tanstack/react-query";
import { hasStartingPath, interviewKeys, interviews, type Interview, type ProgramStart, type StartingPath as Path } from "../../api/interviews";
import { ErrorNote, Loading } from "../ui";

function rating(path: Path, own: boolean, name: string): string {
  if (path.self_rating === null || path.self_rating === undefined) {
    return own ? "You did not rate yourself." : `${name} did not rate themself.`;
  }
  return own ? `You rated yourself ${path.self_rating} of 5.` : `${name} rated themself ${path.self_rating} of 5.`;
}

function notEnrolled(path: Path, own: boolean, name: string): string {
  if (path.starting_point === "beginning") {
    return own
      ? "Not enrolled in a program yet: once you are, you start at its beginning."
      : `Not enrolled in a program yet: once ${name} is, they start at its beginning.`;
  }
  return own
    ? "Not enrolled in a program yet: once you are, its placement finds where you start."
    : `Not enrolled in a program yet: once ${name} is, the program's placement finds where they start.`;
}

function ProgramLine({ program, beginning, own }: { program: ProgramStart; beginning: boolean; own: boolean }) {
  if (beginning) {
    const names = program.start_with.map((c) => c.name);
    return (
      <li data-program={program.program_id}>
        <strong>{program.program_title}</strong>: start at the beginning
        {names.length > 0 && <> — {names.join(", ")}</>}
      </li>
    );
  }
  return (
    <li data-program={program.program_id}>
      <strong>{program.program_title}</strong>: take the placement to find where to start
      {own && (
        <>
          {" "}
          <Link className="starting-path-link" to="/learning">
            Take the {program.program_title} placement on My learning
          </Link>
        </>
      )}
    </li>
  );
}

export function StartingPath({ org, interview, own }: { org: string; interview: Interview; own: boolean }) {
  const asked = hasStartingPath(interview);
  const path = useQuery({
    queryKey: interviewKeys.startingPath(org, interview.id),
    queryFn: () => interviews.startingPath(org, interview.id),
    enabled: asked,
  });
  if (!asked) return null;
  const headingId = `starting-path-${interview.id}`;
  const data = path.data;
  const beginning = data?.starting_point === "beginning";
  return (
    <section className="interview-starting-path" aria-labelledby={headingId}>
      <h3 id={headingId}>Where to start</h3>
      {path.isPending && <Loading label="Finding where to start…" />}
      <ErrorNote error={path.error} onRetry={() => path.refetch()} />
      {data && (
        <>
          <p className="starting-path-rating">{rating(data, own, interview.person_name)}</p>
          <p className="muted small">
            A self-rating of 2 or less starts at the beginning of each program; above that, its placement finds where to
            start.
          </p>
          {data.programs.length === 0 ? (
            <p className="starting-path-none">{notEnrolled(data, own, interview.person_name)}</p>
          ) : (
            <ul className="starting-path-programs" aria-label="Where each program starts">
              {data.programs.map((p) => (
                <ProgramLine key={p.program_id} program={p} beginning={beginning} own={own} />
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  );
}
