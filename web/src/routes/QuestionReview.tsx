// The question review queue (admins and coaches): the bank's questions by
// state (drafts first: the queue) and concept, each with its answers, the
// passage it cites and the automatic check; approve, reject, retire, correct,
// regenerate, or write a question by hand.

import { useCallback, useState } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { questions as questionsApi, type Question, type QuestionStatus } from "../api/programs";
import { useOrgId, useSession } from "../session";
import { Dialog, Empty, ErrorNote, Field, Loading } from "../components/ui";
import { ConceptSelect } from "../components/programs/ConceptSelect";
import { QuestionCard } from "../components/programs/QuestionCard";
import { WriteQuestionForm } from "../components/programs/WriteQuestion";
import { QUESTION_STATUSES } from "../components/programs/labels";
import { useConceptIndex } from "../components/programs/useConceptIndex";
import { promptOf } from "../components/programs/QuestionBodyFields";
import "../styles/programs.css";

const PAGE_SIZE = 20;

/** Whether generated questions that pass their check skip this queue (admins change it). */
function AutoApproval({ org, editable }: { org: string; editable: boolean }) {
  const client = useQueryClient();
  const key = ["practice-settings", org];
  const settings = useQuery({ queryKey: key, queryFn: () => questionsApi.settings(org) });
  // The choice shows at once (a controlled checkbox must change within its event), and is
  // forgotten again if saving it fails.
  const [chosen, setChosen] = useState<boolean | null>(null);
  const save = useMutation({
    mutationFn: (on: boolean) => questionsApi.saveSettings(org, { auto_approve_generated: on }),
    onSuccess: (saved) => client.setQueryData(key, saved),
    onError: () => setChosen(null),
  });
  if (!settings.data) return <ErrorNote error={settings.error} />;
  return (
    <div className="auto-approval">
      <label className="check">
        <input
          type="checkbox"
          checked={chosen ?? settings.data.auto_approve_generated}
          disabled={!editable}
          onChange={(e) => {
            setChosen(e.target.checked);
            save.mutate(e.target.checked);
          }}
        />
        Approve generated questions that pass the check against their passage without review
      </label>
      {!editable && <p className="hint">An administrator decides this.</p>}
      <ErrorNote error={save.error} />
    </div>
  );
}

/** The `status` parameter's value for every state. */
const ALL_STATUSES = "all";

export default function QuestionReview() {
  const org = useOrgId();
  const { isAdmin } = useSession();
  const client = useQueryClient();
  const [params, setParams] = useSearchParams();
  const statusParam = params.get("status") ?? "draft";
  const status = statusParam === ALL_STATUSES ? undefined : (statusParam as QuestionStatus);
  const conceptId = params.get("concept") ?? "";
  const [offset, setOffset] = useState(0);
  const [writing, setWriting] = useState(false);
  const [announcement, setAnnouncement] = useState("");

  const index = useConceptIndex(org, isAdmin ? "latest" : "published");
  const page = useQuery({
    queryKey: ["questions", org, statusParam, conceptId, offset],
    queryFn: () => questionsApi.list(org, { status, conceptId: conceptId || undefined, limit: PAGE_SIZE, offset }),
    placeholderData: (previous) => previous,
  });

  const refresh = useCallback(() => client.invalidateQueries({ queryKey: ["questions", org] }), [client, org]);

  function setFilter(name: "status" | "concept", value: string) {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next, { replace: true });
    setOffset(0);
  }

  async function written(question: Question) {
    setWriting(false);
    setAnnouncement(`“${promptOf(question.body)}” was saved and approved.`);
    await refresh();
  }

  const total = page.data?.total ?? 0;
  const shown = page.data?.questions ?? [];
  const filteredConcept = conceptId ? index.names.get(conceptId) : undefined;

  return (
    <div className="page">
      <div className="page-header">
        <h1>Question review</h1>
        <button type="button" className="primary" onClick={() => setWriting(true)}>
          Write a question
        </button>
      </div>
      <p className="muted">
        Questions made from the material wait here as drafts. Learners practise only approved questions. Compare each
        with the passage it cites; the automatic check flags what it can.
      </p>
      <AutoApproval org={org} editable={isAdmin} />

      <form className="inline-form question-filters" aria-label="Filter questions" onSubmit={(e) => e.preventDefault()}>
        <Field label="State">
          {(p) => (
            <select {...p} value={statusParam} onChange={(e) => setFilter("status", e.target.value)}>
              {QUESTION_STATUSES.map((s) => (
                <option key={s.value} value={s.value}>
                  {s.label}
                </option>
              ))}
              <option value={ALL_STATUSES}>Any state</option>
            </select>
          )}
        </Field>
        <ConceptSelect
          label="Concept"
          index={index}
          value={conceptId}
          onChange={(id) => setFilter("concept", id)}
          anyLabel="Every concept"
        />
      </form>
      <ErrorNote error={index.error} />
      {isAdmin && index.groups.length === 0 && !index.pending && (
        <p className="notice">
          Questions practise the concepts of a program. <Link to="/programs">Create a program</Link> first.
        </p>
      )}

      <div role="status">{announcement && <p className="notice">{announcement}</p>}</div>

      {page.isPending && <Loading label="Loading questions…" />}
      <ErrorNote error={page.error} onRetry={() => page.refetch()} />
      {page.data && shown.length === 0 && (
        <Empty title={status === "draft" ? "Nothing waits for review." : "No questions match."}>
          <p>
            Generate questions for a concept from the program builder, or write one. {filteredConcept && `(Showing ${filteredConcept} only.)`}
          </p>
        </Empty>
      )}
      {shown.length > 0 && (
        <>
          <p className="muted small">
            {offset + 1}–{offset + shown.length} of {total}
            {filteredConcept ? ` · ${filteredConcept}` : ""}
          </p>
          <ol className="question-list" aria-label="Questions">
            {shown.map((q) => (
              <QuestionCard
                key={q.id}
                org={org}
                question={q}
                conceptNames={index.names}
                onChanged={refresh}
                onAnnounce={setAnnouncement}
              />
            ))}
          </ol>
        </>
      )}
      {total > PAGE_SIZE && (
        <nav className="actions pager" aria-label="Pages of questions">
          <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE_SIZE))}>
            Previous
          </button>
          <button type="button" disabled={offset + PAGE_SIZE >= total} onClick={() => setOffset(offset + PAGE_SIZE)}>
            Next
          </button>
        </nav>
      )}

      <Dialog open={writing} title="Write a question" onClose={() => setWriting(false)} className="write-question-dialog">
        <WriteQuestionForm
          org={org}
          index={index}
          initialConceptId={conceptId}
          onWritten={written}
          onCancel={() => setWriting(false)}
        />
      </Dialog>
    </div>
  );
}
