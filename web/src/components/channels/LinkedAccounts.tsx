// A member's messaging accounts in the current organisation (on the profile):
// the accounts they linked, each with Unlink, and for every channel the
// organisation has set up and they have not linked yet, a one-time code to
// send from the account. While a code is shown the list is asked for again
// every few seconds, so the account appears as soon as the code arrives and
// the code goes away; an expired code goes away too.

import { useEffect, useId, useRef, useState, type RefObject } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import {
  channelKeys,
  channelLabel,
  channels,
  type IssuedLinkCode,
  type LinkedAccount,
  type MessagingChannel,
} from "../../api/channels";
import { ConfirmDialog, CopyButton, ErrorNote, Loading } from "../ui";
import { formatDate, formatDateTime, formatTime } from "../../lib/format";
import "../../styles/channels.css";

const POLL_MS = 3_000;

interface PendingCode {
  channel: MessagingChannel;
  issued: IssuedLinkCode;
  /** The accounts linked when the code was made: any other on its channel is the one it linked. */
  known: ReadonlySet<string>;
}

/** How a person recognises the account: Telegram's chat id, WhatsApp's phone number. */
export function accountName(account: LinkedAccount): string {
  if (account.channel === "telegram") return `chat ${account.external_id}`;
  if (account.channel === "whatsapp" && /^\d+$/.test(account.external_id)) return `+${account.external_id}`;
  return account.external_id;
}

function CodePanel({
  pending,
  panelRef,
  onHide,
}: {
  pending: PendingCode;
  panelRef: RefObject<HTMLDivElement>;
  onHide: () => void;
}) {
  const ids = useId();
  const { issued, channel } = pending;
  const label = channelLabel(channel);
  const headingRef = useRef<HTMLHeadingElement>(null);
  // A new code takes the focus, so it is what is read next.
  useEffect(() => {
    headingRef.current?.focus();
  }, [issued.code]);
  return (
    <div ref={panelRef} className="link-code-panel" role="region" aria-labelledby={`${ids}-heading`}>
      <h3 id={`${ids}-heading`} ref={headingRef} tabIndex={-1}>
        Link your {label} account
      </h3>
      <p className="link-code-label" id={`${ids}-code`}>
        Your code
      </p>
      <div className="link-code-row">
        <code className="link-code" aria-labelledby={`${ids}-code`}>
          {issued.code}
        </code>
        <CopyButton text={`link ${issued.code}`} label="Copy message" />
      </div>
      <p className="link-code-instructions">{issued.instructions}</p>
      <p className="muted small">
        The code works once, until <time dateTime={issued.expires_at}>{formatTime(issued.expires_at)}</time>.
      </p>
      {channel === "telegram" && issued.open_url && (
        <p>
          <a className="button primary" href={issued.open_url} target="_blank" rel="noopener noreferrer">
            Open in Telegram
          </a>
        </p>
      )}
      <p className="muted small link-code-waiting">
        <span className="spinner" aria-hidden="true" />
        Waiting for your message: the account appears here once it is linked.
      </p>
      <button type="button" className="link-button" onClick={onHide}>
        Hide code
      </button>
    </div>
  );
}

export function LinkedAccounts({ org, orgName }: { org: string; orgName: string }) {
  const client = useQueryClient();
  const ids = useId();
  const [pending, setPending] = useState<PendingCode | null>(null);
  const [expired, setExpired] = useState<MessagingChannel | null>(null);
  const [announcement, setAnnouncement] = useState("");
  const [unlinking, setUnlinking] = useState<LinkedAccount | null>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const panelRef = useRef<HTMLDivElement>(null);

  const list = useQuery({
    queryKey: channelKeys.accounts(org),
    queryFn: () => channels.accounts(org),
    // Only while a code is shown (it is sent from another app, so this tab may be in the background).
    refetchInterval: pending ? POLL_MS : false,
    refetchIntervalInBackground: true,
  });
  const accounts = list.data?.accounts;

  const link = useMutation({
    mutationFn: (channel: MessagingChannel) => channels.createLinkCode(org, channel),
    onSuccess: (issued, channel) => {
      setExpired(null);
      setAnnouncement("");
      setPending({ channel, issued, known: new Set((accounts ?? []).map((a) => a.id)) });
    },
  });

  const unlink = useMutation({
    mutationFn: (account: LinkedAccount) => channels.unlink(org, account.id),
    onSuccess: (_, account) => {
      setUnlinking(null);
      setAnnouncement(`Unlinked your ${channelLabel(account.channel)} account (${accountName(account)}).`);
      return client.invalidateQueries({ queryKey: channelKeys.accounts(org) });
    },
  });

  // The code was sent: its account is in the list.
  useEffect(() => {
    if (!pending || !accounts) return;
    const linked = accounts.find((a) => a.channel === pending.channel && !pending.known.has(a.id));
    if (!linked) return;
    const hadFocus = !!panelRef.current?.contains(document.activeElement);
    setPending(null);
    setAnnouncement(`Linked your ${channelLabel(linked.channel)} account (${accountName(linked)}).`);
    if (hadFocus) headingRef.current?.focus();
  }, [accounts, pending]);

  // The code ran out unused: stop asking.
  useEffect(() => {
    if (!pending) return;
    const left = Date.parse(pending.issued.expires_at) - Date.now();
    const timer = setTimeout(() => {
      const hadFocus = !!panelRef.current?.contains(document.activeElement);
      setPending(null);
      setExpired(pending.channel);
      if (hadFocus) headingRef.current?.focus();
    }, Math.max(0, left));
    return () => clearTimeout(timer);
  }, [pending]);

  const data = list.data;
  const linked = new Set(data?.accounts.map((a) => a.channel));
  const linkable = (data?.available ?? []).filter((c) => !linked.has(c) && pending?.channel !== c);

  return (
    <section aria-labelledby={`${ids}-heading`} className="card linked-accounts">
      <h2 id={`${ids}-heading`} ref={headingRef} tabIndex={-1}>
        Channels
      </h2>
      <p className="muted">
        Link your Telegram or WhatsApp account to talk to your coach in {orgName} from the chat and get your
        reminders there.
      </p>
      {list.isPending && <Loading />}
      <ErrorNote error={list.error} onRetry={() => list.refetch()} />
      {data && (
        <>
          {data.accounts.length === 0 ? (
            <p className="linked-accounts-none">No linked accounts.</p>
          ) : (
            <ul className="plain-list" aria-label="Linked accounts">
              {data.accounts.map((a) => (
                <li key={a.id} className="linked-account">
                  <span>
                    <strong>{channelLabel(a.channel)}</strong> · <span className="linked-account-id">{accountName(a)}</span>
                    {a.opted_out_at && <span className="tag linked-account-paused">Reminders paused (STOP)</span>}
                    <br />
                    <span className="muted small">
                      linked {formatDate(a.linked_at)}
                      {a.last_message_at ? ` · last message ${formatDateTime(a.last_message_at)}` : ""}
                      {a.opted_out_at ? " · send START in the chat to get reminders again" : ""}
                    </span>
                  </span>
                  <button
                    type="button"
                    className="danger-text"
                    aria-label={`Unlink ${channelLabel(a.channel)} account ${accountName(a)}`}
                    onClick={() => {
                      unlink.reset();
                      setUnlinking(a);
                    }}
                  >
                    Unlink
                  </button>
                </li>
              ))}
            </ul>
          )}
          {data.available.length === 0 && (
            <p className="notice">
              {orgName} has not set up a messaging channel yet, so there is nothing to link. An administrator can set up
              Telegram or WhatsApp.
            </p>
          )}
          {expired && !pending && (
            <p className="notice">
              The code expired before it was sent. Make a new one to link {channelLabel(expired)}.
            </p>
          )}
          {linkable.length > 0 && (
            <div className="linked-accounts-actions">
              {linkable.map((c) => (
                <button key={c} type="button" className="primary" disabled={link.isPending} onClick={() => link.mutate(c)}>
                  Link {channelLabel(c)}
                </button>
              ))}
            </div>
          )}
          <ErrorNote error={link.error} />
          {pending && <CodePanel pending={pending} panelRef={panelRef} onHide={() => setPending(null)} />}
        </>
      )}
      <p role="status" className="success linked-accounts-announcement">
        {announcement}
      </p>
      <ConfirmDialog
        open={!!unlinking}
        title={`Unlink ${unlinking ? channelLabel(unlinking.channel) : ""} account?`}
        message={
          <>
            {unlinking && (
              <>
                What {accountName(unlinking)} sends no longer reaches your coach, and no reminders go there. You can
                link it again with a new code.
              </>
            )}
            <ErrorNote error={unlink.error} />
          </>
        }
        confirmLabel="Unlink"
        busy={unlink.isPending}
        onCancel={() => setUnlinking(null)}
        onConfirm={() => unlinking && unlink.mutate(unlinking)}
      />
    </section>
  );
}
