// The admin's form bringing in a coach: their email, the published program
// that trains them and, optionally, the manager who follows them and a
// coach-intake interview they answer first (its self-rating decides whether
// they take the program's placement). The invitation link is shown once, to
// copy and send.

import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { orgs } from "../../api/endpoints";
import { interviewFlows, interviewKeys } from "../../api/interviews";
import { learning, learningKeys } from "../../api/learning";
import { provisioning, provisioningKeys, type CoachProvisioned } from "../../api/provisioning";
import { ErrorNote, SecretBox } from "../ui";
import { FormField, fieldRefusal } from "./fields";
import "../../styles/provisioning.css";

const FIELDS = ["email", "program_id", "manager_id", "intake_flow_id"] as const;
// An existing member's email, or a program unpublished meanwhile, are about those fields too.
const IMPLIED = { already_member: "email", conflict: "program_id" } as const;

export function ProvisionForm({ org }: { org: string }) {
  const client = useQueryClient();
  const ids = useId();
  const programs = useQuery({ queryKey: learningKeys.programs(org), queryFn: () => learning.programs(org) });
  const members = useQuery({ queryKey: ["members", org], queryFn: () => orgs.members(org) });
  const published = (programs.data ?? []).filter((p) => p.status === "published");
  const managers = (members.data ?? []).filter((m) => m.role === "manager");
  const flows = useQuery({ queryKey: interviewKeys.flows(org), queryFn: () => interviewFlows.list(org) });
  const intakeFlows = (flows.data ?? []).filter((f) => f.spec.purpose === "coach_intake");

  const [email, setEmail] = useState("");
  const [programId, setProgramId] = useState("");
  const [managerId, setManagerId] = useState("");
  const [intakeFlowId, setIntakeFlowId] = useState("");
  const [created, setCreated] = useState<(CoachProvisioned & { withInterview: boolean }) | null>(null);
  const provision = useMutation({
    mutationFn: () =>
      provisioning.provision(org, {
        email: email.trim(),
        program_id: programId,
        manager_id: managerId || null,
        intake_flow_id: intakeFlowId || null,
      }),
    onSuccess: (result) => {
      setCreated({ ...result, withInterview: !!intakeFlowId });
      setEmail("");
      return client.invalidateQueries({ queryKey: provisioningKeys.list(org) });
    },
  });
  const refusal = fieldRefusal(provision.error, FIELDS, IMPLIED);
  const errorOf = (field: (typeof FIELDS)[number]) => (refusal?.field === field ? refusal.message : null);

  // A refused field takes the focus, so the reason is what is read next; a new link, so it can be copied.
  useEffect(() => {
    const refused = fieldRefusal(provision.error, FIELDS, IMPLIED);
    if (refused) document.getElementById(`${ids}-${refused.field}`)?.focus();
  }, [provision.error, ids]);
  const linkBox = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (created) linkBox.current?.querySelector("input")?.focus();
  }, [created]);

  function submit(event: FormEvent) {
    event.preventDefault();
    setCreated(null);
    provision.mutate();
  }

  return (
    <section aria-labelledby={`${ids}-heading`}>
      <h2 id={`${ids}-heading`}>Provision a coach</h2>
      <form className="card provision-form" onSubmit={submit} aria-labelledby={`${ids}-heading`} noValidate>
        <FormField id={`${ids}-email`} label="Coach's email" error={errorOf("email")}>
          {(p) => (
            <input {...p} type="email" autoComplete="off" value={email} onChange={(e) => setEmail(e.target.value)} />
          )}
        </FormField>
        <FormField
          id={`${ids}-program_id`}
          label="Training program"
          hint={programs.data && published.length === 0 ? "Publish a program first: only published ones train coaches." : undefined}
          error={errorOf("program_id")}
        >
          {(p) => (
            <select {...p} value={programId} onChange={(e) => setProgramId(e.target.value)}>
              <option value="">Choose…</option>
              {published.map((program) => (
                <option key={program.id} value={program.id}>
                  {program.title}
                </option>
              ))}
            </select>
          )}
        </FormField>
        <FormField
          id={`${ids}-manager_id`}
          label="Manager (optional)"
          hint="Follows the coach's onboarding and training."
          error={errorOf("manager_id")}
        >
          {(p) => (
            <select {...p} value={managerId} onChange={(e) => setManagerId(e.target.value)}>
              <option value="">No manager</option>
              {managers.map((m) => (
                <option key={m.person.id} value={m.person.id}>
                  {m.person.display_name}
                </option>
              ))}
            </select>
          )}
        </FormField>
        <FormField
          id={`${ids}-intake_flow_id`}
          label="Intake interview (optional)"
          hint={
            flows.data && intakeFlows.length === 0
              ? "No coach intake flow yet: save one from the Coach intake template under Interviews."
              : "The coach answers it first; a self-rating of 2 or less starts their training at the beginning, without a placement."
          }
          error={errorOf("intake_flow_id")}
        >
          {(p) => (
            <select {...p} value={intakeFlowId} onChange={(e) => setIntakeFlowId(e.target.value)}>
              <option value="">None</option>
              {intakeFlows.map((flow) => (
                <option key={flow.id} value={flow.id}>
                  {flow.spec.name}
                </option>
              ))}
            </select>
          )}
        </FormField>
        <button type="submit" className="primary" disabled={!email.trim() || !programId || provision.isPending}>
          {provision.isPending ? "Provisioning…" : "Provision coach"}
        </button>
      </form>
      <ErrorNote error={programs.error ?? members.error ?? flows.error} />
      {!refusal && <ErrorNote error={provision.error} />}
      {created && (
        <div ref={linkBox}>
          <SecretBox
            label={`Invitation link for ${created.invitation.invitation.email}`}
            value={created.invitation.accept_url}
            note={`Send this link to the coach. It is shown only now and works once, until it expires. Accepting it enrols them in the training program${created.withInterview ? " and starts their intake interview" : ""}.`}
          />
        </div>
      )}
    </section>
  );
}
