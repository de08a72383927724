// The organisation's website widgets (administrators): a table of widgets
// with today's answers against their budget, a form to write or change one,
// the tag to copy into the site once saved, and Delete (asked first). A field
// the server refuses says why beside it and takes the focus; a refused site
// names its line.

import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { Link } from "react-router-dom";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { coaches as coachesApi } from "../../api/endpoints";
import { ApiError } from "../../api/client";
import type { Coach } from "../../api/types";
import {
  AUDIENCE_ORDER,
  DEFAULT_ANSWERS_PER_MINUTE,
  DEFAULT_DAILY_ANSWERS,
  audienceChoice,
  audienceHint,
  audienceSummary,
  widgetKeys,
  widgets,
  type Widget,
  type WidgetAudience,
  type WidgetSpec,
} from "../../api/widgets";
import { ConfirmActionDialog, CopyButton, Empty, ErrorNote, Loading, useConfirmedAction } from "../ui";
import { CheckField, FieldError, FormField, fieldRefusal } from "../provisioning/fields";
import "../../styles/widgets.css";

const FIELDS = [
  "name",
  "coach_id",
  "allowed_origins",
  "audience",
  "daily_answers",
  "answers_per_minute",
  "greeting",
  "active",
] as const;
type FieldName = (typeof FIELDS)[number];

/** The form's fields as typed: numbers stay text until sent, so a half-typed value is kept. */
interface Draft {
  name: string;
  coachId: string;
  origins: string;
  audience: WidgetAudience;
  dailyAnswers: string;
  answersPerMinute: string;
  greeting: string;
  active: boolean;
}

function draftOf(widget: Widget | null, coaches: Coach[]): Draft {
  const fallbackCoach = coaches.find((c) => c.is_default) ?? coaches[0];
  // A widget whose coach was deleted asks for another one.
  const coachId = widget ? (coaches.some((c) => c.id === widget.coach_id) ? widget.coach_id : "") : fallbackCoach?.id;
  return {
    name: widget?.name ?? "",
    coachId: coachId ?? "",
    origins: widget?.allowed_origins.join("\n") ?? "",
    audience: widget?.audience ?? "visitors",
    dailyAnswers: String(widget?.daily_answers ?? DEFAULT_DAILY_ANSWERS),
    answersPerMinute: String(widget?.answers_per_minute ?? DEFAULT_ANSWERS_PER_MINUTE),
    greeting: widget?.greeting ?? "",
    active: widget?.active ?? true,
  };
}

/** The sites listed in the text box, one a line, each with the line it is on (blank lines skipped). */
function originLines(text: string): { origin: string; line: number }[] {
  return text
    .split("\n")
    .map((raw, i) => ({ origin: raw.trim(), line: i + 1 }))
    .filter((o) => o.origin !== "");
}

const numberOrNull = (text: string) => (text.trim() === "" ? null : Number(text));

function specOf(draft: Draft): WidgetSpec {
  return {
    name: draft.name.trim(),
    coach_id: draft.coachId,
    allowed_origins: originLines(draft.origins).map((o) => o.origin),
    audience: draft.audience,
    // Not a number: the server's refusal ("between 1 and …") is the explanation.
    daily_answers: numberOrNull(draft.dailyAnswers),
    answers_per_minute: numberOrNull(draft.answersPerMinute),
    // Empty: the server greets with the coach's name.
    greeting: draft.greeting.trim() || null,
    active: draft.active,
  };
}

/** What to say beside the sites: a refused entry names its line and what was written there. */
function originsError(error: unknown, draft: Draft, message: string): string {
  const index = error instanceof ApiError ? /^allowed_origins\[(\d+)\]$/.exec(error.field ?? "")?.[1] : undefined;
  const entry = index === undefined ? undefined : originLines(draft.origins)[Number(index)];
  return entry ? `Line ${entry.line} (${entry.origin}): ${message.charAt(0).toLowerCase()}${message.slice(1)}` : message;
}

function WidgetForm({
  org,
  widget,
  coaches,
  onSaved,
  onCancel,
}: {
  org: string;
  widget: Widget | null;
  coaches: Coach[];
  onSaved: (widget: Widget) => void;
  onCancel: () => void;
}) {
  const ids = useId();
  const [draft, setDraft] = useState(() => draftOf(widget, coaches));
  // The refusal is about the draft as it was sent, not as edited since.
  const [sent, setSent] = useState(draft);
  const save = useMutation({
    mutationFn: (spec: WidgetSpec) => (widget ? widgets.update(org, widget.id, spec) : widgets.create(org, spec)),
    onSuccess: onSaved,
  });
  const refusal = fieldRefusal(save.error, FIELDS);
  const errorOf = (field: FieldName) => {
    if (refusal?.field !== field) return null;
    return field === "allowed_origins" ? originsError(save.error, sent, refusal.message) : refusal.message;
  };
  const headingRef = useRef<HTMLHeadingElement>(null);

  // Opened from a row further down, the form takes the focus (and scrolls into view).
  useEffect(() => {
    headingRef.current?.focus();
  }, []);

  // The refused field takes the focus, so its reason is what is read next.
  useEffect(() => {
    const refused = fieldRefusal(save.error, FIELDS);
    if (refused) document.getElementById(`${ids}-${refused.field}`)?.focus();
  }, [save.error, ids]);

  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => setDraft((d) => ({ ...d, [key]: value }));
  const coachName = coaches.find((c) => c.id === draft.coachId)?.name ?? "the coach";

  function submit(event: FormEvent) {
    event.preventDefault();
    setSent(draft);
    save.mutate(specOf(draft));
  }

  return (
    <section className="card widget-editor" aria-labelledby={`${ids}-heading`}>
      <h3 id={`${ids}-heading`} ref={headingRef} tabIndex={-1}>
        {widget ? `Edit “${widget.name}”` : "New widget"}
      </h3>
      <form onSubmit={submit} aria-label="Widget" noValidate>
        <FormField
          id={`${ids}-name`}
          label="Name"
          hint="For you, and shown under the coach's name in the chat window."
          error={errorOf("name")}
        >
          {(p) => <input {...p} maxLength={120} value={draft.name} onChange={(e) => set("name", e.target.value)} />}
        </FormField>
        <FormField id={`${ids}-coach_id`} label="Coach" hint="The coach profile that answers." error={errorOf("coach_id")}>
          {(p) => (
            <select {...p} value={draft.coachId} onChange={(e) => set("coachId", e.target.value)}>
              {draft.coachId === "" && <option value="">Choose a coach…</option>}
              {coaches.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}
                </option>
              ))}
            </select>
          )}
        </FormField>
        <FormField
          id={`${ids}-allowed_origins`}
          label="Sites it may appear on"
          hint="One origin a line, such as https://school.example — scheme and host (and port, if not the usual one), no path. Up to 20."
          error={errorOf("allowed_origins")}
        >
          {(p) => (
            <textarea
              {...p}
              rows={3}
              spellCheck={false}
              autoCapitalize="off"
              placeholder="https://school.example"
              value={draft.origins}
              onChange={(e) => set("origins", e.target.value)}
            />
          )}
        </FormField>
        <fieldset
          className="widget-audience"
          aria-describedby={errorOf("audience") ? `${ids}-audience-error` : `${ids}-audience-hint`}
        >
          <legend>Who it answers</legend>
          <div className="checks">
            {AUDIENCE_ORDER.map((a) => (
              <label key={a} className="check">
                <input
                  type="radio"
                  name={`${ids}-audience`}
                  id={a === draft.audience ? `${ids}-audience` : undefined}
                  value={a}
                  checked={draft.audience === a}
                  onChange={() => set("audience", a)}
                />
                {audienceChoice(a)}
              </label>
            ))}
          </div>
          <p className="hint" id={`${ids}-audience-hint`}>
            {audienceHint(draft.audience)}
          </p>
          <FieldError id={`${ids}-audience-error`} error={errorOf("audience")} />
        </fieldset>
        <div className="widget-limits">
          <FormField
            id={`${ids}-daily_answers`}
            label="Answers a day"
            hint="Across all visitors; after that the widget asks them to come back tomorrow. 1 to 100,000."
            error={errorOf("daily_answers")}
          >
            {(p) => (
              <input
                {...p}
                type="number"
                inputMode="numeric"
                min={1}
                max={100000}
                step={1}
                value={draft.dailyAnswers}
                onChange={(e) => set("dailyAnswers", e.target.value)}
              />
            )}
          </FormField>
          <FormField
            id={`${ids}-answers_per_minute`}
            label="Answers a minute per visitor"
            hint="1 to 60."
            error={errorOf("answers_per_minute")}
          >
            {(p) => (
              <input
                {...p}
                type="number"
                inputMode="numeric"
                min={1}
                max={60}
                step={1}
                value={draft.answersPerMinute}
                onChange={(e) => set("answersPerMinute", e.target.value)}
              />
            )}
          </FormField>
        </div>
        <FormField
          id={`${ids}-greeting`}
          label="Greeting (optional)"
          hint={`The first thing the chat says. Left empty: “Hi! I'm ${coachName}. Ask me anything.”`}
          error={errorOf("greeting")}
        >
          {(p) => (
            <textarea {...p} rows={2} maxLength={500} value={draft.greeting} onChange={(e) => set("greeting", e.target.value)} />
          )}
        </FormField>
        <CheckField
          id={`${ids}-active`}
          label="Active"
          checked={draft.active}
          onChange={(active) => set("active", active)}
          hint="A paused widget shows nothing on the site until it is made active again."
          error={errorOf("active")}
          className="check field-check"
        />
        {!refusal && <ErrorNote error={save.error} />}
        <div className="actions start">
          <button type="submit" className="primary" disabled={save.isPending}>
            {save.isPending ? "Saving…" : widget ? "Save widget" : "Create widget"}
          </button>
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </form>
    </section>
  );
}

/** The tag to paste into the site, with a copy button and what visitors will be answered from. */
function EmbedCode({ widget, onClose }: { widget: Widget; onClose: () => void }) {
  const ids = useId();
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    headingRef.current?.focus();
  }, [widget.id]);
  return (
    <section className="card widget-embed" aria-labelledby={`${ids}-heading`}>
      <h3 id={`${ids}-heading`} ref={headingRef} tabIndex={-1}>
        Embed code for “{widget.name}”
      </h3>
      <p>Paste this tag into the pages of {widget.allowed_origins.join(", ")}, just before the closing body tag.</p>
      <div className="widget-code-row">
        <textarea
          readOnly
          className="widget-code"
          rows={3}
          aria-label="Embed code"
          spellCheck={false}
          value={widget.snippet}
          onFocus={(e) => e.currentTarget.select()}
        />
        <CopyButton text={widget.snippet} />
      </div>
      {widget.audience === "visitors" ? (
        <p className="hint">
          Anonymous visitors are answered only from collections marked “Open to website visitors” in the{" "}
          <Link to="/knowledge">knowledge base</Link>; with none, the widget says it has nothing to answer from yet.
        </p>
      ) : (
        <p className="hint">Visitors sign in with their Wayfinder account, and only members of this organisation are answered.</p>
      )}
      <div className="actions start">
        <button type="button" onClick={onClose}>
          Done
        </button>
      </div>
    </section>
  );
}

function WidgetsTable({
  list,
  coaches,
  onShow,
  onEdit,
  onDelete,
}: {
  list: Widget[];
  coaches: Coach[];
  onShow: (widget: Widget) => void;
  onEdit: (widget: Widget) => void;
  onDelete: (widget: Widget) => void;
}) {
  const coachName = (id: string) => coaches.find((c) => c.id === id)?.name ?? "A deleted coach";
  return (
    <div className="table-wrap widgets-table-wrap">
      <table className="widgets-table" aria-label="Widgets">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Coach</th>
            <th scope="col">Sites</th>
            <th scope="col">Who it answers</th>
            <th scope="col">Answers today</th>
            <th scope="col">Status</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {list.map((w) => (
            <tr key={w.id}>
              <th scope="row">{w.name}</th>
              <td>{coachName(w.coach_id)}</td>
              <td>
                <ul className="widget-origins">
                  {w.allowed_origins.map((o) => (
                    <li key={o}>{o}</li>
                  ))}
                </ul>
              </td>
              <td>{audienceSummary(w.audience)}</td>
              <td className="widget-figure">
                {w.answers_today.toLocaleString()} of {w.daily_answers.toLocaleString()}
              </td>
              <td>
                <span className={`status ${w.active ? "ok" : ""}`}>{w.active ? "Active" : "Paused"}</span>
              </td>
              <td>
                <div className="widget-actions">
                  <button type="button" aria-label={`Embed code for ${w.name}`} onClick={() => onShow(w)}>
                    Embed code
                  </button>
                  <button type="button" aria-label={`Edit ${w.name}`} onClick={() => onEdit(w)}>
                    Edit
                  </button>
                  <button type="button" className="danger-text" aria-label={`Delete ${w.name}`} onClick={() => onDelete(w)}>
                    Delete
                  </button>
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** What the panel under the heading shows: the form (new or for a widget), a widget's tag, or nothing. */
type Panel = { form: Widget | null } | { code: Widget } | null;

export function WidgetSettings({ org }: { org: string }) {
  const client = useQueryClient();
  const list = useQuery({ queryKey: widgetKeys.list(org), queryFn: () => widgets.list(org) });
  const coaches = useQuery({ queryKey: ["coaches", org], queryFn: () => coachesApi.list(org) });
  const [panel, setPanel] = useState<Panel>(null);
  const [announcement, setAnnouncement] = useState("");

  const remove = useConfirmedAction({
    mutationFn: (widget: Widget) => widgets.remove(org, widget.id),
    onSuccess: (_, widget) => {
      setPanel((p) => (p && ("code" in p ? p.code.id : p.form?.id) === widget.id ? null : p));
      setAnnouncement(`Deleted “${widget.name}”.`);
      client.setQueryData<Widget[]>(widgetKeys.list(org), (old) => (old ?? []).filter((w) => w.id !== widget.id));
    },
  });

  function saved(widget: Widget, created: boolean) {
    client.setQueryData<Widget[]>(widgetKeys.list(org), (old) =>
      created ? [...(old ?? []), widget] : (old ?? []).map((w) => (w.id === widget.id ? widget : w)),
    );
    setPanel({ code: widget });
    setAnnouncement(created ? `Created “${widget.name}”.` : `Saved “${widget.name}”.`);
  }

  const editing = panel && "form" in panel ? panel : null;
  const ready = list.data && coaches.data;

  return (
    <section aria-labelledby="widgets-heading" className="widgets">
      <div className="page-header">
        <h2 id="widgets-heading">Widgets</h2>
        <button
          type="button"
          className="primary widgets-new"
          disabled={!ready || editing?.form === null}
          onClick={() => {
            setAnnouncement("");
            setPanel({ form: null });
          }}
        >
          New widget
        </button>
      </div>
      <p className="muted">
        A widget puts a coach on your own website: a button in the corner of the page that opens a chat. It appears
        only on the sites you list, within the limits you set.
      </p>
      {editing && coaches.data && (
        <WidgetForm
          key={editing.form?.id ?? "new"}
          org={org}
          widget={editing.form}
          coaches={coaches.data}
          onSaved={(widget) => saved(widget, !editing.form)}
          onCancel={() => setPanel(null)}
        />
      )}
      <p role="status" className="success widgets-announcement">
        {announcement}
      </p>
      {panel && "code" in panel && <EmbedCode widget={panel.code} onClose={() => setPanel(null)} />}
      {(list.isPending || coaches.isPending) && <Loading />}
      <ErrorNote error={list.error ?? coaches.error} onRetry={() => (list.error ? list.refetch() : coaches.refetch())} />
      {list.data?.length === 0 && (
        <Empty title="No widgets yet.">
          <p>Create one, then paste its tag into your site.</p>
        </Empty>
      )}
      {list.data && list.data.length > 0 && (
        <WidgetsTable
          list={list.data}
          coaches={coaches.data ?? []}
          onShow={(widget) => setPanel({ code: widget })}
          onEdit={(widget) => {
            setAnnouncement("");
            setPanel({ form: widget });
          }}
          onDelete={remove.ask}
        />
      )}
      <ConfirmActionDialog
        action={remove}
        title={`Delete “${remove.target?.name ?? ""}”?`}
        message="The widget disappears from every site its tag is on, and its visitors' conversations are deleted with it."
        confirmLabel="Delete widget"
      />
    </section>
  );
}
