// A learner's open check-ins (questions from the sequences they are enrolled
// in, sent in the last seven days), each answered with one press from 1 to 5.
// Nothing shows when there are none.

import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { checkIns, sequenceKeys, type OpenCheckIn } from "../../api/sequences";
import { ErrorNote } from "../ui";
import "../../styles/sequences.css";

const ANSWERS = [1, 2, 3, 4, 5] as const;

function CheckInItem({ org, checkIn, onAnswered }: { org: string; checkIn: OpenCheckIn; onAnswered: () => void }) {
  const answer = useMutation({
    mutationFn: (value: number) => checkIns.answer(org, checkIn.id, value),
    onSuccess: onAnswered,
  });
  const questionId = `check-in-${checkIn.id}`;
  return (
    <li className="check-in">
      <p className="muted small check-in-from">From “{checkIn.sequence_name}”</p>
      <p className="check-in-question" id={questionId}>
        {checkIn.question}
      </p>
      <div className="check-in-answers" role="group" aria-labelledby={questionId}>
        {ANSWERS.map((value) => (
          <button
            key={value}
            type="button"
            disabled={answer.isPending}
            aria-label={`${value} of 5`}
            onClick={() => answer.mutate(value)}
          >
            {value}
          </button>
        ))}
        <span className="muted small check-in-scale">1 = low, 5 = high</span>
      </div>
      <ErrorNote error={answer.error} />
    </li>
  );
}

export function OpenCheckIns({ org }: { org: string }) {
  const client = useQueryClient();
  const key = sequenceKeys.checkIns(org);
  const open = useQuery({ queryKey: key, queryFn: () => checkIns.open(org) });
  const [thanked, setThanked] = useState(false);

  function answered(id: string) {
    client.setQueryData<OpenCheckIn[]>(key, (old) => (old ?? []).filter((c) => c.id !== id));
    setThanked(true);
  }

  const items = open.data ?? [];
  if (open.isError) return <ErrorNote error={open.error} onRetry={() => open.refetch()} />;
  if (items.length === 0 && !thanked) return null;
  return (
    <section className="card check-ins" aria-labelledby="check-ins-heading">
      <h2 id="check-ins-heading">Check-ins</h2>
      {items.length > 0 && (
        <ul className="check-in-list">
          {items.map((c) => (
            <CheckInItem key={c.id} org={org} checkIn={c} onAnswered={() => answered(c.id)} />
          ))}
        </ul>
      )}
      <p className="success" role="status">
        {thanked ? "Thanks — noted" : ""}
      </p>
    </section>
  );
}
