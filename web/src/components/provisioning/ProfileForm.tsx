// The coach's profile: years of experience, the subjects they coach and what
// they want from the training. The server checks it and names the field it
// refuses; the reason shows beside that field, which takes the focus.

import { useEffect, useId, useState, type FormEvent } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { provisioning, provisioningKeys, type CoachProvision } from "../../api/provisioning";
import { parseTags } from "../../lib/format";
import { ErrorNote } from "../ui";
import { FormField, fieldRefusal } from "./fields";
import "../../styles/provisioning.css";

const FIELDS = ["experience_years", "subjects", "goals"] as const;

export function ProfileForm({
  org,
  provision,
  onSaved,
  onCancel,
}: {
  org: string;
  provision: CoachProvision;
  onSaved: () => void;
  /** Offered when correcting a completed profile. */
  onCancel?: () => void;
}) {
  const client = useQueryClient();
  const ids = useId();
  const [years, setYears] = useState(provision.profile ? String(provision.profile.experience_years) : "");
  const [subjects, setSubjects] = useState(provision.profile?.subjects.join(", ") ?? "");
  const [goals, setGoals] = useState(provision.profile?.goals ?? "");
  const subjectList = parseTags(subjects);

  const save = useMutation({
    mutationFn: () =>
      provisioning.completeProfile(org, provision.id, {
        experience_years: years.trim() === "" ? undefined : Number(years),
        subjects: subjectList,
        goals,
      }),
    onSuccess: (saved) => {
      client.setQueryData<CoachProvision[]>(provisioningKeys.list(org), (list) =>
        list?.map((p) => (p.id === saved.id ? saved : p)),
      );
      onSaved();
    },
  });
  const refusal = fieldRefusal(save.error, FIELDS);
  const errorOf = (field: (typeof FIELDS)[number]) => (refusal?.field === field ? refusal.message : null);
  useEffect(() => {
    const refused = fieldRefusal(save.error, FIELDS);
    if (refused) document.getElementById(`${ids}-${refused.field}`)?.focus();
  }, [save.error, ids]);

  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate();
  }

  return (
    <form className="profile-form" onSubmit={submit} aria-label="Your coach profile" noValidate>
      <FormField
        id={`${ids}-experience_years`}
        label="Years of coaching or teaching experience"
        hint="A whole number from 0 to 70."
        error={errorOf("experience_years")}
      >
        {(p) => (
          <input
            {...p}
            className="profile-years"
            type="number"
            inputMode="numeric"
            min={0}
            max={70}
            step={1}
            value={years}
            onChange={(e) => setYears(e.target.value)}
          />
        )}
      </FormField>
      <FormField
        id={`${ids}-subjects`}
        label="Subjects you coach"
        hint="Separate subjects with commas, e.g. Study skills, Maths."
        error={errorOf("subjects")}
      >
        {(p) => (
          <>
            <input {...p} value={subjects} onChange={(e) => setSubjects(e.target.value)} />
            {subjectList.length > 0 && (
              <ul className="tags" aria-label="Subjects to save">
                {subjectList.map((s) => (
                  <li key={s} className="tag">
                    {s}
                  </li>
                ))}
              </ul>
            )}
          </>
        )}
      </FormField>
      <FormField
        id={`${ids}-goals`}
        label="What you want from the training (optional)"
        hint="Up to 2,000 characters."
        error={errorOf("goals")}
      >
        {(p) => <textarea {...p} rows={3} value={goals} onChange={(e) => setGoals(e.target.value)} />}
      </FormField>
      {!refusal && <ErrorNote error={save.error} />}
      <div className="actions start">
        <button type="submit" className="primary" disabled={save.isPending}>
          {save.isPending ? "Saving…" : "Save profile"}
        </button>
        {onCancel && (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
