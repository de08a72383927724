// The organisation's dashboard settings (administrators): the time zone its
// days and weeks are counted in, and whether parents may read the
// conversations of the learners they follow — only ever those of learners who
// agreed as well.

import { useEffect, useId, useMemo, useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { adminInsights } from "../../../api/adminInsights";
import { insights, insightsKeys, type InsightSettings } from "../../../api/insights";
import { ErrorNote, Loading } from "../../ui";
import { FormField, fieldRefusal } from "../../provisioning/fields";
// The switch is drawn as on the learner's own consent (dashboards.css).
import "../../../styles/dashboards.css";

const FIELDS = ["time_zone", "parents_may_read_conversations"] as const;

/** Every IANA zone the browser knows, with the saved one even if the browser lacks it. */
function timeZones(saved: string): string[] {
  const known = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  const zones = new Set(known);
  zones.add("UTC");
  zones.add(saved);
  return [...zones].sort((a, b) => a.localeCompare(b));
}

function SettingsForm({ org, saved }: { org: string; saved: InsightSettings }) {
  const client = useQueryClient();
  const ids = useId();
  const [timeZone, setTimeZone] = useState(saved.time_zone);
  const [parentsMayRead, setParentsMayRead] = useState(saved.parents_may_read_conversations);
  const [done, setDone] = useState(false);
  const zones = useMemo(() => timeZones(saved.time_zone), [saved.time_zone]);
  const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const change = useMutation({
    mutationFn: () =>
      adminInsights.changeSettings(org, { time_zone: timeZone, parents_may_read_conversations: parentsMayRead }),
    onSuccess: (next) => {
      client.setQueryData(insightsKeys.settings(org), next);
      setDone(true);
      // Days are counted in the zone: every figure by day may move.
      return client.invalidateQueries({ queryKey: ["insights", org] });
    },
  });
  const refusal = fieldRefusal(change.error, FIELDS);
  useEffect(() => {
    const refused = fieldRefusal(change.error, FIELDS);
    if (refused) document.getElementById(`${ids}-${refused.field}`)?.focus();
  }, [change.error, ids]);
  const unchanged = timeZone === saved.time_zone && parentsMayRead === saved.parents_may_read_conversations;

  function submit(event: FormEvent) {
    event.preventDefault();
    setDone(false);
    change.mutate();
  }

  return (
    <form className="card insight-settings" onSubmit={submit} aria-label="Insight settings" noValidate>
      <FormField
        id={`${ids}-time_zone`}
        label="Time zone"
        hint={`Days and weeks on every dashboard are counted in this zone; days already counted keep theirs. This browser is in ${browserZone}.`}
        error={refusal?.field === "time_zone" ? refusal.message : null}
      >
        {(p) => (
          <select
            {...p}
            value={timeZone}
            onChange={(e) => {
              setTimeZone(e.target.value);
              setDone(false);
            }}
          >
            {zones.map((zone) => (
              <option key={zone} value={zone}>
                {zone.replace(/_/g, " ")}
              </option>
            ))}
          </select>
        )}
      </FormField>
      <div className="field">
        <div className="switch-field">
          <input
            id={`${ids}-parents`}
            type="checkbox"
            role="switch"
            className="switch"
            checked={parentsMayRead}
            aria-describedby={`${ids}-parents-hint`}
            onChange={(e) => {
              setParentsMayRead(e.target.checked);
              setDone(false);
            }}
          />
          <label htmlFor={`${ids}-parents`}>Parents may read conversations</label>
        </div>
        <p className="hint" id={`${ids}-parents-hint`}>
          A parent reads a learner&apos;s conversations with the coach only while this is on and the learner has agreed
          too, on their own progress page (they can withdraw at any time). Without both, parents see progress but not
          what was asked.
        </p>
        {refusal?.field === "parents_may_read_conversations" && <p className="field-error">{refusal.message}</p>}
      </div>
      <div className="actions start">
        <button type="submit" className="primary" disabled={unchanged || change.isPending}>
          {change.isPending ? "Saving…" : "Save settings"}
        </button>
      </div>
      {!refusal && <ErrorNote error={change.error} />}
      <p className="success small" role="status">
        {done ? "Settings saved." : ""}
      </p>
    </form>
  );
}

export function InsightSettingsPanel({ org }: { org: string }) {
  const settings = useQuery({ queryKey: insightsKeys.settings(org), queryFn: () => insights.settings(org) });
  return (
    <section aria-labelledby="insight-settings-heading">
      <h2 id="insight-settings-heading">Settings</h2>
      {settings.isPending && <Loading />}
      <ErrorNote error={settings.error} onRetry={() => settings.refetch()} />
      {settings.data && <SettingsForm org={org} saved={settings.data} />}
    </section>
  );
}
