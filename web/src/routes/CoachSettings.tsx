// Coach settings (admins): each coach's name, instructions, style, the
// collections and domains it answers from, grounded or open answers, and how
// many passages it retrieves.

import { useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ApiError } from "../api/client";
import { coaches as coachesApi, knowledge } from "../api/endpoints";
import type { Coach, CoachInput } from "../api/types";
import { useOrgId } from "../session";
import { ConfirmDialog, Empty, ErrorNote, Field, Loading, TagInput } from "../components/ui";
import { parseTags } from "../lib/format";

const BLANK: CoachInput = {
  name: "",
  instructions: "",
  style: "direct",
  answer_mode: "grounded",
  collections: [],
  domains: [],
  retrieval_depth: 8,
  model: null,
  temperature: null,
  relevance_threshold: null,
};

function toInput(c: Coach): CoachInput {
  return {
    name: c.name,
    instructions: c.instructions,
    style: c.style,
    answer_mode: c.answer_mode,
    collections: c.collections,
    domains: c.domains,
    retrieval_depth: c.retrieval_depth,
    model: c.model,
    temperature: c.temperature,
    relevance_threshold: c.relevance_threshold,
  };
}

function CoachForm({ org, coach, onDone }: { org: string; coach: Coach | null; onDone: (c: Coach | null) => void }) {
  const client = useQueryClient();
  const collections = useQuery({ queryKey: ["collections", org], queryFn: () => knowledge.collections(org) });
  const [form, setForm] = useState<CoachInput>(coach ? toInput(coach) : BLANK);
  const [domains, setDomains] = useState((coach?.domains ?? []).join(", "));
  const [temperature, setTemperature] = useState(coach?.temperature?.toString() ?? "");
  const [threshold, setThreshold] = useState(coach?.relevance_threshold?.toString() ?? "");
  const [confirmDelete, setConfirmDelete] = useState(false);

  const save = useMutation({
    mutationFn: () => {
      const body: CoachInput = {
        ...form,
        domains: parseTags(domains),
        model: form.model?.trim() ? form.model.trim() : null,
        temperature: temperature.trim() === "" ? null : Number(temperature),
        relevance_threshold: threshold.trim() === "" ? null : Number(threshold),
      };
      return coach ? coachesApi.update(org, coach.id, body) : coachesApi.create(org, body);
    },
    onSuccess: async (saved) => {
      await client.invalidateQueries({ queryKey: ["coaches", org] });
      onDone(saved);
    },
  });
  const remove = useMutation({
    mutationFn: () => coachesApi.remove(org, coach!.id),
    onSuccess: async () => {
      setConfirmDelete(false);
      await client.invalidateQueries({ queryKey: ["coaches", org] });
      onDone(null);
    },
  });

  const set = <K extends keyof CoachInput>(key: K, value: CoachInput[K]) => setForm((f) => ({ ...f, [key]: value }));

  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate();
  }

  return (
    <form className="card coach-form" onSubmit={submit} aria-label={coach ? `Edit ${coach.name}` : "New coach"}>
      <h2>{coach ? coach.name : "New coach"}</h2>
      <Field label="Name">{(p) => <input {...p} value={form.name} onChange={(e) => set("name", e.target.value)} />}</Field>
      <Field label="Instructions" hint="How the coach should behave: its role, audience and boundaries.">
        {(p) => (
          <textarea {...p} rows={6} value={form.instructions} onChange={(e) => set("instructions", e.target.value)} />
        )}
      </Field>
      <fieldset>
        <legend>Style</legend>
        <label className="check">
          <input type="radio" name="style" checked={form.style === "direct"} onChange={() => set("style", "direct")} />
          Direct — answers the question plainly
        </label>
        <label className="check">
          <input
            type="radio"
            name="style"
            checked={form.style === "socratic"}
            onChange={() => set("style", "socratic")}
          />
          Socratic — hints and questions rather than telling
        </label>
      </fieldset>
      <fieldset>
        <legend>Answer mode</legend>
        <label className="check">
          <input
            type="radio"
            name="answer_mode"
            checked={form.answer_mode === "grounded"}
            onChange={() => set("answer_mode", "grounded")}
          />
          Grounded — only from the knowledge base, with sources; says so when it finds nothing
        </label>
        <label className="check">
          <input
            type="radio"
            name="answer_mode"
            checked={form.answer_mode === "open"}
            onChange={() => set("answer_mode", "open")}
          />
          Open — may also answer from the model's general knowledge
        </label>
      </fieldset>
      <fieldset>
        <legend>Collections it answers from</legend>
        {collections.isPending && <Loading />}
        <ErrorNote error={collections.error} />
        {collections.data?.length === 0 && <p className="muted">No collections yet.</p>}
        <div className="checks">
          {collections.data?.map((c) => (
            <label key={c.id} className="check">
              <input
                type="checkbox"
                checked={form.collections.includes(c.id)}
                onChange={(e) =>
                  set(
                    "collections",
                    e.target.checked ? [...form.collections, c.id] : form.collections.filter((x) => x !== c.id),
                  )
                }
              />
              {c.name}
            </label>
          ))}
        </div>
        <p className="hint">None selected: every collection of the organisation.</p>
      </fieldset>
      <TagInput label="Domains" value={domains} onChange={setDomains} hint="Only passages with these tags; empty for all." />
      <div className="row">
        <Field label="Retrieval depth" hint="How many passages the coach reads per question (1–50).">
          {(p) => (
            <input
              {...p}
              type="number"
              min={1}
              max={50}
              value={form.retrieval_depth}
              onChange={(e) => set("retrieval_depth", Number(e.target.value))}
            />
          )}
        </Field>
        <Field label="Model (optional)" hint="Leave empty for the server's default.">
          {(p) => <input {...p} value={form.model ?? ""} onChange={(e) => set("model", e.target.value)} />}
        </Field>
        <Field label="Temperature (optional)" hint="0–2; empty for the default.">
          {(p) => (
            <input {...p} type="number" min={0} max={2} step={0.1} value={temperature} onChange={(e) => setTemperature(e.target.value)} />
          )}
        </Field>
        <Field
          label="Answer threshold (optional)"
          hint="0–1: how closely the knowledge base must match a question before the coach answers; below it, a grounded coach says the material lacks the answer. Empty for the measured default (0.5)."
        >
          {(p) => (
            <input {...p} type="number" min={0} max={1} step={0.05} value={threshold} onChange={(e) => setThreshold(e.target.value)} />
          )}
        </Field>
      </div>
      <ErrorNote error={save.error} />
      <div className="actions">
        {coach && !coach.is_default && (
          <button type="button" className="danger" onClick={() => setConfirmDelete(true)}>
            Delete coach
          </button>
        )}
        <button type="submit" className="primary" disabled={!form.name.trim() || save.isPending}>
          {coach ? "Save changes" : "Create coach"}
        </button>
      </div>
      {save.isSuccess && (
        <p role="status" className="success">
          Saved.
        </p>
      )}
      <ConfirmDialog
        open={confirmDelete}
        title="Delete coach?"
        message={
          <>
            “{coach?.name}” will be deleted. Existing conversations keep their messages.
            <ErrorNote error={remove.error} />
          </>
        }
        confirmLabel="Delete coach"
        busy={remove.isPending}
        onCancel={() => setConfirmDelete(false)}
        onConfirm={() => remove.mutate()}
      />
    </form>
  );
}

export default function CoachSettings() {
  const org = useOrgId();
  const list = useQuery({ queryKey: ["coaches", org], queryFn: () => coachesApi.list(org), retry: false });
  const [selected, setSelected] = useState<string | "new" | null>(null);
  const coaches = list.data ?? [];
  const current = selected === "new" ? null : (coaches.find((c) => c.id === selected) ?? coaches[0] ?? null);
  const creating = selected === "new" || (list.isSuccess && coaches.length === 0);
  const missing = list.error instanceof ApiError && list.error.status === 404;

  return (
    <div className="page">
      <div className="page-header">
        <h1>Coach settings</h1>
        <button type="button" className="primary" onClick={() => setSelected("new")}>
          New coach
        </button>
      </div>
      {list.isPending && <Loading label="Loading coaches…" />}
      {missing ? (
        <p className="notice">This server does not offer coach settings yet.</p>
      ) : (
        <ErrorNote error={list.error} onRetry={() => list.refetch()} />
      )}
      {list.isSuccess && (
        <div className="split">
          <nav aria-label="Coaches" className="side-list">
            {coaches.length === 0 && <Empty title="No coaches yet." />}
            <ul>
              {coaches.map((c) => (
                <li key={c.id}>
                  <button
                    type="button"
                    className={!creating && current?.id === c.id ? "selected" : ""}
                    aria-current={!creating && current?.id === c.id ? "true" : undefined}
                    onClick={() => setSelected(c.id)}
                  >
                    {c.name}
                    {c.is_default && <span className="tag">default</span>}
                  </button>
                </li>
              ))}
            </ul>
          </nav>
          <CoachForm
            key={creating ? "new" : (current?.id ?? "none")}
            org={org}
            coach={creating ? null : current}
            onDone={(c) => setSelected(c ? c.id : null)}
          />
        </div>
      )}
    </div>
  );
}
