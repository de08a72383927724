// The organisation's messaging channels (administrators): a card per platform
// with its settings. Secrets go in password fields and never come back: once a
// channel is set up its card says so, keeps the values that are not secret,
// and shows the webhook address to register with the platform. A refused
// field says why beside it.

import { useEffect, useId, useState, type FormEvent, type ReactNode } from "react";
import { useMutation, useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";
import {
  channelKeys,
  channelLabel,
  channels,
  type ChannelSetup,
  type MessagingChannel,
} from "../../api/channels";
import { ConfirmDialog, ErrorNote, Loading, SecretBox } from "../ui";
import { FormField, fieldRefusal } from "../provisioning/fields";
import { formatDateTime } from "../../lib/format";
import "../../styles/channels.css";

const TELEGRAM_FIELDS = ["bot_token", "bot_username", "webhook_secret"] as const;
const WHATSAPP_FIELDS = [
  "phone_number_id",
  "display_number",
  "access_token",
  "app_secret",
  "verify_token",
  "template_name",
  "template_language",
] as const;

/** What secret inputs share: hidden, never filled from the browser's saved passwords, never corrected. */
const SECRET_INPUT = { type: "password", autoComplete: "new-password", spellCheck: false, autoCapitalize: "off" } as const;
const PLAIN_INPUT = { autoComplete: "off", spellCheck: false, autoCapitalize: "off" } as const;

const optional = (text: string) => text.trim() || null;

/** The saved channel replaces its entry in the list; members' linkable channels change with it. */
function saved(client: QueryClient, org: string, view: ChannelSetup) {
  client.setQueryData<ChannelSetup[]>(channelKeys.setups(org), (old) => [
    ...(old ?? []).filter((s) => s.channel !== view.channel),
    view,
  ]);
  return client.invalidateQueries({ queryKey: channelKeys.accounts(org) });
}

/** Moves the focus to the refused field, so its reason is what is read next. */
function useFocusRefused(error: unknown, fields: readonly string[], ids: string) {
  useEffect(() => {
    const refused = fieldRefusal(error, fields);
    if (refused) document.getElementById(`${ids}-${refused.field}`)?.focus();
  }, [error, fields, ids]);
}

function TelegramForm({ org, setup, onSaved }: { org: string; setup: ChannelSetup | null; onSaved: () => void }) {
  const client = useQueryClient();
  const ids = useId();
  const [token, setToken] = useState("");
  const [username, setUsername] = useState(setup?.bot_username ?? "");
  const [secret, setSecret] = useState("");
  const save = useMutation({
    mutationFn: () =>
      channels.setUpTelegram(org, { bot_token: token.trim(), bot_username: optional(username), webhook_secret: secret }),
    onSuccess: (view) => {
      setToken("");
      setSecret("");
      setUsername(view.bot_username ?? "");
      onSaved();
      return saved(client, org, view);
    },
  });
  const refusal = fieldRefusal(save.error, TELEGRAM_FIELDS);
  const errorOf = (field: (typeof TELEGRAM_FIELDS)[number]) => (refusal?.field === field ? refusal.message : null);
  useFocusRefused(save.error, TELEGRAM_FIELDS, ids);

  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate();
  }

  return (
    <form className="channel-form" onSubmit={submit} aria-label="Telegram settings" noValidate>
      <FormField
        id={`${ids}-bot_token`}
        label="Bot token"
        hint="The token @BotFather gave you, like 123456:ABC…"
        error={errorOf("bot_token")}
      >
        {(p) => <input {...p} {...SECRET_INPUT} value={token} onChange={(e) => setToken(e.target.value)} />}
      </FormField>
      <FormField
        id={`${ids}-bot_username`}
        label="Bot username (optional)"
        hint="Without @. With it, members get a button that opens the chat with their code."
        error={errorOf("bot_username")}
      >
        {(p) => <input {...p} {...PLAIN_INPUT} value={username} onChange={(e) => setUsername(e.target.value)} />}
      </FormField>
      <FormField
        id={`${ids}-webhook_secret`}
        label="Webhook secret"
        hint="16 to 256 letters, digits, _ and -, of your choice. Telegram sends it with every update."
        error={errorOf("webhook_secret")}
      >
        {(p) => <input {...p} {...SECRET_INPUT} value={secret} onChange={(e) => setSecret(e.target.value)} />}
      </FormField>
      {!refusal && <ErrorNote error={save.error} />}
      <button type="submit" className="primary" disabled={!token.trim() || !secret || save.isPending}>
        {save.isPending ? "Saving…" : "Save Telegram"}
      </button>
    </form>
  );
}

function WhatsAppForm({ org, setup, onSaved }: { org: string; setup: ChannelSetup | null; onSaved: () => void }) {
  const client = useQueryClient();
  const ids = useId();
  const [phoneId, setPhoneId] = useState(setup?.phone_number_id ?? "");
  const [displayNumber, setDisplayNumber] = useState(setup?.display_number ?? "");
  const [accessToken, setAccessToken] = useState("");
  const [appSecret, setAppSecret] = useState("");
  const [verifyToken, setVerifyToken] = useState("");
  const [templateName, setTemplateName] = useState(setup?.template_name ?? "");
  const [templateLanguage, setTemplateLanguage] = useState(setup?.template_language ?? "");
  const save = useMutation({
    mutationFn: () =>
      channels.setUpWhatsApp(org, {
        phone_number_id: phoneId.trim(),
        display_number: optional(displayNumber),
        access_token: accessToken.trim(),
        app_secret: appSecret.trim(),
        verify_token: verifyToken.trim(),
        template_name: optional(templateName),
        template_language: optional(templateLanguage),
      }),
    onSuccess: (view) => {
      setAccessToken("");
      setAppSecret("");
      setVerifyToken("");
      setPhoneId(view.phone_number_id ?? "");
      setDisplayNumber(view.display_number ?? "");
      setTemplateName(view.template_name ?? "");
      setTemplateLanguage(view.template_language ?? "");
      onSaved();
      return saved(client, org, view);
    },
  });
  const refusal = fieldRefusal(save.error, WHATSAPP_FIELDS);
  const errorOf = (field: (typeof WHATSAPP_FIELDS)[number]) => (refusal?.field === field ? refusal.message : null);
  useFocusRefused(save.error, WHATSAPP_FIELDS, ids);
  const complete = phoneId.trim() && accessToken.trim() && appSecret.trim() && verifyToken.trim();

  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate();
  }

  return (
    <form className="channel-form" onSubmit={submit} aria-label="WhatsApp settings" noValidate>
      <FormField
        id={`${ids}-phone_number_id`}
        label="Phone number ID"
        hint="The Cloud API's id of the business number (digits), from the app's WhatsApp settings."
        error={errorOf("phone_number_id")}
      >
        {(p) => (
          <input {...p} {...PLAIN_INPUT} inputMode="numeric" value={phoneId} onChange={(e) => setPhoneId(e.target.value)} />
        )}
      </FormField>
      <FormField
        id={`${ids}-display_number`}
        label="Number people write to (optional)"
        hint="Shown to members with their link code, e.g. +49 30 1234567."
        error={errorOf("display_number")}
      >
        {(p) => (
          <input {...p} {...PLAIN_INPUT} type="tel" value={displayNumber} onChange={(e) => setDisplayNumber(e.target.value)} />
        )}
      </FormField>
      <FormField
        id={`${ids}-access_token`}
        label="Access token"
        hint="A system user's access token with permission to send messages."
        error={errorOf("access_token")}
      >
        {(p) => <input {...p} {...SECRET_INPUT} value={accessToken} onChange={(e) => setAccessToken(e.target.value)} />}
      </FormField>
      <FormField
        id={`${ids}-app_secret`}
        label="App secret"
        hint="From the app's basic settings: the platform signs every webhook call with it."
        error={errorOf("app_secret")}
      >
        {(p) => <input {...p} {...SECRET_INPUT} value={appSecret} onChange={(e) => setAppSecret(e.target.value)} />}
      </FormField>
      <FormField
        id={`${ids}-verify_token`}
        label="Verify token"
        hint="16 or more characters of your choice, without spaces; enter the same in the app's webhook settings."
        error={errorOf("verify_token")}
      >
        {(p) => <input {...p} {...SECRET_INPUT} value={verifyToken} onChange={(e) => setVerifyToken(e.target.value)} />}
      </FormField>
      <FormField
        id={`${ids}-template_name`}
        label="Template name (optional)"
        hint="An approved template with one body parameter, for reminders more than 24 hours after the member last wrote. Without one, those are not sent."
        error={errorOf("template_name")}
      >
        {(p) => <input {...p} {...PLAIN_INPUT} value={templateName} onChange={(e) => setTemplateName(e.target.value)} />}
      </FormField>
      <FormField
        id={`${ids}-template_language`}
        label="Template language (optional)"
        hint="The template's language code, e.g. en or pt_BR."
        error={errorOf("template_language")}
      >
        {(p) => (
          <input {...p} {...PLAIN_INPUT} value={templateLanguage} onChange={(e) => setTemplateLanguage(e.target.value)} />
        )}
      </FormField>
      {!refusal && <ErrorNote error={save.error} />}
      <button type="submit" className="primary" disabled={!complete || save.isPending}>
        {save.isPending ? "Saving…" : "Save WhatsApp"}
      </button>
    </form>
  );
}

function ChannelCard({
  org,
  channel,
  setup,
  intro,
  webhookNote,
  form,
}: {
  org: string;
  channel: MessagingChannel;
  setup: ChannelSetup | null;
  intro: string;
  webhookNote: string;
  form: (onSaved: () => void) => ReactNode;
}) {
  const client = useQueryClient();
  const ids = useId();
  const label = channelLabel(channel);
  const [justSaved, setJustSaved] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const remove = useMutation({
    mutationFn: () => channels.remove(org, channel),
    onSuccess: () => {
      setConfirming(false);
      setJustSaved(false);
      client.setQueryData<ChannelSetup[]>(channelKeys.setups(org), (old) => (old ?? []).filter((s) => s.channel !== channel));
      return client.invalidateQueries({ queryKey: channelKeys.accounts(org) });
    },
  });

  return (
    <section className="card channel-card" aria-labelledby={`${ids}-heading`}>
      <div className="channel-card-header">
        <h3 id={`${ids}-heading`}>{label}</h3>
        <span className={`status ${setup ? "status-accepted" : ""}`}>{setup ? "Set up" : "Not set up"}</span>
      </div>
      <p className="muted">{intro}</p>
      {setup ? (
        <p className="channel-state">
          Set up — enter new values to replace.{" "}
          <span className="muted small">Last changed {formatDateTime(setup.updated_at)}.</span>
        </p>
      ) : (
        <p className="channel-state muted">Not set up yet.</p>
      )}
      {form(() => setJustSaved(true))}
      <div role="status" className="channel-saved">
        {justSaved && setup && <p className="success">{label} settings saved. Register the webhook below if you have not yet.</p>}
      </div>
      {setup && (
        <>
          <SecretBox label={`${label} webhook URL`} value={setup.webhook_url} note={webhookNote} />
          <div className="channel-card-remove">
            <button
              type="button"
              className="danger-text"
              onClick={() => {
                remove.reset();
                setConfirming(true);
              }}
            >
              Remove {label}
            </button>
          </div>
        </>
      )}
      <ConfirmDialog
        open={confirming}
        title={`Remove ${label}?`}
        message={
          <>
            The webhook refuses {label}'s calls from then on and nothing more is sent through it. Members' linked accounts
            are kept, and work again once {label} is set up again.
            <ErrorNote error={remove.error} />
          </>
        }
        confirmLabel={`Remove ${label}`}
        busy={remove.isPending}
        onCancel={() => setConfirming(false)}
        onConfirm={() => remove.mutate()}
      />
    </section>
  );
}

export function ChannelSettings({ org }: { org: string }) {
  const list = useQuery({ queryKey: channelKeys.setups(org), queryFn: () => channels.setups(org) });
  const setupOf = (channel: MessagingChannel) => list.data?.find((s) => s.channel === channel) ?? null;
  return (
    <section aria-labelledby="channels-heading">
      <h2 id="channels-heading">Channels</h2>
      <p className="muted">
        With a Telegram bot or a WhatsApp business number, members talk to the coach from their phone and get their
        reminders there. Each member links their own account from their profile.
      </p>
      {list.isPending && <Loading />}
      <ErrorNote error={list.error} onRetry={() => list.refetch()} />
      {list.data && (
        <div className="channel-cards">
          <ChannelCard
            org={org}
            channel="telegram"
            setup={setupOf("telegram")}
            intro="A bot made with @BotFather."
            webhookNote="Register it with Telegram: call the Bot API's setWebhook with this URL as url and the same webhook secret as secret_token."
            form={(onSaved) => <TelegramForm org={org} setup={setupOf("telegram")} onSaved={onSaved} />}
          />
          <ChannelCard
            org={org}
            channel="whatsapp"
            setup={setupOf("whatsapp")}
            intro="A business number on the WhatsApp Cloud API, in a Meta app."
            webhookNote="Enter it as the callback URL in the app's WhatsApp configuration, with the same verify token, and subscribe to messages."
            form={(onSaved) => <WhatsAppForm org={org} setup={setupOf("whatsapp")} onSaved={onSaved} />}
          />
        </div>
      )}
    </section>
  );
}
