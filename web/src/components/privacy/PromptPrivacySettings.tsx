// What the organisation's chat models may see of its people (administrators):
// two switches, saved together. "Hide personal data" has e-mail addresses,
// phone numbers and the names of the organisation's people replaced by
// placeholders before anything is sent to a model, and put back in its answer,
// so learners read the real values. "No learner data" keeps learners' records
// (goals, mastery, next step) out of the coach's prompt and has free-text
// practice answers graded by rules instead of the model, for schools whose
// student records must not leave (FERPA). Both are off by default; the server
// audits each change.

import { useId, useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ErrorNote, Loading } from "../ui";
import { privacy, privacyKeys, type PromptPrivacy } from "./api";
// The switches are drawn as the organisation's other on/off settings (dashboards.css).
import "../../styles/dashboards.css";

const SETTINGS = ["redact_personal_data", "no_learner_data"] as const;
type SettingName = (typeof SETTINGS)[number];

const EXPLAINED: Record<SettingName, { label: string; explain: string[] }> = {
  redact_personal_data: {
    label: "Hide personal data from chat models",
    explain: [
      "E-mail addresses, phone numbers and the names of this organisation's people are replaced by placeholders " +
        "(such as [EMAIL_1] or [PERSON_2]) before a question, a conversation or a source is sent to a chat model.",
      "The placeholders in the model's answer are put back before anyone reads it, so learners still see the real " +
        "names, addresses and numbers.",
    ],
  },
  no_learner_data: {
    label: "Keep learner records and practice answers away from chat models",
    explain: [
      "Nothing from a learner's record (their goals, mastery or next step) goes into the coach's prompt: the coach " +
        "answers from the knowledge base alone, without pitching its answer to where the learner stands.",
      "Learners' free-text practice answers are graded by rules instead of by the model. Meant for schools that " +
        "keep student records out of outside services, as FERPA asks.",
    ],
  },
};

/** What the saved settings mean, in a sentence, for the confirmation. */
function inForce(settings: PromptPrivacy): string {
  const names = settings.redact_personal_data
    ? "Chat models see placeholders instead of e-mail addresses, phone numbers and names"
    : "Chat models see e-mail addresses, phone numbers and names as written";
  const records = settings.no_learner_data
    ? "the coach gets no learner records and practice answers are graded by rules"
    : "the coach gets learners' records";
  return `${names}; ${records}.`;
}

function PromptPrivacyForm({ org, saved }: { org: string; saved: PromptPrivacy }) {
  const ids = useId();
  const client = useQueryClient();
  const [draft, setDraft] = useState<PromptPrivacy>(saved);
  const [done, setDone] = useState(false);
  const save = useMutation({
    mutationFn: (settings: PromptPrivacy) => privacy.setPromptPrivacy(org, settings),
    onSuccess: (view) => {
      client.setQueryData(privacyKeys.promptPrivacy(org), view);
      setDraft(view);
      setDone(true);
    },
  });
  const unchanged = SETTINGS.every((s) => draft[s] === saved[s]);

  function change(setting: SettingName, on: boolean) {
    setDraft((d) => ({ ...d, [setting]: on }));
    setDone(false);
    if (save.isError) save.reset();
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    setDone(false);
    save.mutate(draft);
  }

  return (
    <form className="card" onSubmit={submit} aria-label="Chat model privacy" noValidate>
      {SETTINGS.map((setting) => {
        const id = `${ids}-${setting}`;
        const { label, explain } = EXPLAINED[setting];
        return (
          <div className="field" key={setting}>
            <div className="switch-field">
              <input
                id={id}
                type="checkbox"
                role="switch"
                className="switch"
                checked={draft[setting]}
                aria-describedby={`${id}-hint`}
                onChange={(e) => change(setting, e.target.checked)}
              />
              <label htmlFor={id}>{label}</label>
            </div>
            <div id={`${id}-hint`}>
              {explain.map((sentence) => (
                <p key={sentence} className="hint">
                  {sentence}
                </p>
              ))}
            </div>
          </div>
        );
      })}
      <p className="hint">Changes apply from the next message on; answers already given stay as they are.</p>
      <div className="actions start">
        <button type="submit" className="primary" disabled={unchanged || save.isPending}>
          {save.isPending ? "Saving…" : "Save"}
        </button>
      </div>
      <ErrorNote error={save.error} />
      <p className="success small" role="status">
        {done ? `Saved. ${inForce(saved)}` : ""}
      </p>
    </form>
  );
}

export function PromptPrivacySettings({ org }: { org: string }) {
  const settings = useQuery({ queryKey: privacyKeys.promptPrivacy(org), queryFn: () => privacy.promptPrivacy(org) });
  return (
    <section aria-labelledby="prompt-privacy-heading">
      <h2 id="prompt-privacy-heading">What chat models see</h2>
      <p className="muted">
        The coach sends questions, conversations and knowledge-base passages to a chat model to write its answers.
        These settings keep people&apos;s personal data and learners&apos; records out of what it is sent. Both are off
        by default.
      </p>
      {settings.isPending && <Loading />}
      <ErrorNote error={settings.error} onRetry={() => settings.refetch()} />
      {settings.data && <PromptPrivacyForm key={org} org={org} saved={settings.data} />}
    </section>
  );
}
