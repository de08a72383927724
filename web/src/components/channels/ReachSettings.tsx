// How a member wants reminders in the current organisation (on the profile):
// their time zone, quiet hours, how many reminders a week at most, and the
// channel to use when they have linked more than one. A field left empty
// means the organisation's default, which each field names. A field the
// server refuses says why beside it and takes the focus.

import { useEffect, useId, useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { channelLabel, MESSAGING_CHANNELS, type MessagingChannel } from "../../api/channels";
import { nudgeKeys, reach, type ReachSettings as Settings } from "../../api/nudges";
import { ErrorNote, Loading } from "../ui";
import { FormField, fieldRefusal } from "../provisioning/fields";
import "../../styles/nudges.css";

const FIELDS = ["time_zone", "quiet_start", "quiet_end", "weekly_cap", "preferred_channel"] as const;
type FieldName = (typeof FIELDS)[number];

/** The browser's list of IANA time zones, where it has one. */
function knownTimeZones(): string[] {
  try {
    return typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  } catch {
    return [];
  }
}

function deviceTimeZone(): string | null {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || null;
  } catch {
    return null;
  }
}

interface Draft {
  timeZone: string;
  quietStart: string;
  quietEnd: string;
  weeklyCap: string;
  preferred: MessagingChannel | "";
}

function draftOf(settings: Settings): Draft {
  const preferred = settings.preferred_channel;
  return {
    timeZone: settings.time_zone ?? "",
    quietStart: settings.quiet_start ?? "",
    quietEnd: settings.quiet_end ?? "",
    weeklyCap: settings.weekly_cap == null ? "" : String(settings.weekly_cap),
    preferred: preferred === "telegram" || preferred === "whatsapp" ? preferred : "",
  };
}

/** Every field is sent: an empty one goes back to the organisation's default. */
function settingsOf(draft: Draft): Settings {
  const text = (value: string) => value.trim() || null;
  const cap = draft.weeklyCap.trim();
  return {
    time_zone: text(draft.timeZone),
    quiet_start: text(draft.quietStart),
    quiet_end: text(draft.quietEnd),
    // Not a whole number: sent as typed, so the server's refusal explains it.
    weekly_cap: cap === "" ? null : Number(cap),
    preferred_channel: draft.preferred || null,
  };
}

function ReachForm({ org, settings }: { org: string; settings: Settings }) {
  const client = useQueryClient();
  const ids = useId();
  const [draft, setDraft] = useState(() => draftOf(settings));
  const [justSaved, setJustSaved] = useState(false);
  const [zones] = useState(knownTimeZones);
  const device = deviceTimeZone();
  const save = useMutation({
    mutationFn: (body: Settings) => reach.save(org, body),
    onSuccess: (answer) => {
      client.setQueryData(nudgeKeys.reach(org), answer);
      setDraft(draftOf(answer));
      setJustSaved(true);
    },
  });
  const refusal = fieldRefusal(save.error, FIELDS);
  const errorOf = (field: FieldName) => (refusal?.field === field ? refusal.message : null);

  useEffect(() => {
    const refused = fieldRefusal(save.error, FIELDS);
    if (refused) document.getElementById(`${ids}-${refused.field}`)?.focus();
  }, [save.error, ids]);

  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => {
    setJustSaved(false);
    setDraft((d) => ({ ...d, [key]: value }));
  };

  function submit(event: FormEvent) {
    event.preventDefault();
    setJustSaved(false);
    save.mutate(settingsOf(draft));
  }

  return (
    <form onSubmit={submit} aria-label="Reach settings" noValidate>
      <FormField
        id={`${ids}-time_zone`}
        label="Time zone"
        hint="A name such as Europe/Berlin; your quiet hours are in this zone. Empty: the organisation's time zone."
        error={errorOf("time_zone")}
      >
        {(p) => (
          <>
            <input
              {...p}
              list={zones.length > 0 ? `${ids}-zones` : undefined}
              autoComplete="off"
              spellCheck={false}
              autoCapitalize="off"
              placeholder="The organisation's time zone"
              value={draft.timeZone}
              onChange={(e) => set("timeZone", e.target.value)}
            />
            {zones.length > 0 && (
              <datalist id={`${ids}-zones`}>
                {zones.map((z) => (
                  <option key={z} value={z} />
                ))}
              </datalist>
            )}
          </>
        )}
      </FormField>
      {device && device !== draft.timeZone && (
        <p className="reach-device-zone">
          <button type="button" className="link-button" onClick={() => set("timeZone", device)}>
            Use this device's time zone ({device})
          </button>
        </p>
      )}
      <fieldset>
        <legend>Quiet hours</legend>
        <p className="hint">
          No reminders arrive between these times; one due then waits until they end. Give both or neither. Empty: 21:00
          to 08:00.
        </p>
        <div className="reach-form-grid">
          <FormField id={`${ids}-quiet_start`} label="Quiet from" error={errorOf("quiet_start")}>
            {(p) => <input {...p} type="time" value={draft.quietStart} onChange={(e) => set("quietStart", e.target.value)} />}
          </FormField>
          <FormField id={`${ids}-quiet_end`} label="Quiet until" error={errorOf("quiet_end")}>
            {(p) => <input {...p} type="time" value={draft.quietEnd} onChange={(e) => set("quietEnd", e.target.value)} />}
          </FormField>
        </div>
      </fieldset>
      <div className="reach-form-grid">
        <FormField
          id={`${ids}-weekly_cap`}
          label="Reminders a week at most"
          hint="0 to 21; 0 means none. Empty: 3 a week."
          error={errorOf("weekly_cap")}
        >
          {(p) => (
            <input
              {...p}
              type="number"
              inputMode="numeric"
              min={0}
              max={21}
              step={1}
              placeholder="3"
              value={draft.weeklyCap}
              onChange={(e) => set("weeklyCap", e.target.value)}
            />
          )}
        </FormField>
        <FormField
          id={`${ids}-preferred_channel`}
          label="Preferred channel"
          hint="Where reminders go when you have linked more than one account."
          error={errorOf("preferred_channel")}
        >
          {(p) => (
            <select
              {...p}
              value={draft.preferred}
              onChange={(e) => set("preferred", e.target.value as MessagingChannel | "")}
            >
              <option value="">No preference</option>
              {MESSAGING_CHANNELS.map((c) => (
                <option key={c} value={c}>
                  {channelLabel(c)}
                </option>
              ))}
            </select>
          )}
        </FormField>
      </div>
      {!refusal && <ErrorNote error={save.error} />}
      <div className="actions start">
        <button type="submit" className="primary" disabled={save.isPending}>
          {save.isPending ? "Saving…" : "Save"}
        </button>
      </div>
      <div role="status" className="reach-saved">
        {justSaved && <p className="success">Saved.</p>}
      </div>
    </form>
  );
}

export function ReachSettings({ org, orgName }: { org: string; orgName: string }) {
  const ids = useId();
  const settings = useQuery({ queryKey: nudgeKeys.reach(org), queryFn: () => reach.settings(org) });
  return (
    <section aria-labelledby={`${ids}-heading`} className="card reach-settings">
      <h2 id={`${ids}-heading`}>Reminders</h2>
      <p className="muted">
        When and how often {orgName} may send you reminders on your linked accounts. Leave a field empty to use the
        organisation's default.
      </p>
      {settings.isPending && <Loading />}
      <ErrorNote error={settings.error} onRetry={() => settings.refetch()} />
      {settings.data && <ReachForm org={org} settings={settings.data} />}
    </section>
  );
}
