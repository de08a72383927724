// The bell in the top bar: how many of the alerts delivered to the signed-in
// person are unread (checked every minute), opening their list — each
// alert's message and when it fired, whether it still holds, and a button to
// mark it read. Esc or a click elsewhere closes the list, focus returning to
// the bell. Part of every screen's frame, so it stays small (no charts).

import { useEffect, useId, useRef, useState } from "react";
import { Link } from "react-router-dom";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { notificationKeys, notifications, type Notification } from "../api/notifications";
import { formatDateTime } from "../lib/format";
import { ErrorNote, Loading } from "./ui";
import { alertSentence } from "./insights/admin/alertKinds";
import "../styles/notifications.css";

const POLL_MS = 60_000;

function BellIcon() {
  return (
    <svg className="bell-icon" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
      <path
        d="M12 3a6 6 0 0 0-6 6v3.6l-1.6 2.7A1 1 0 0 0 5.3 17h13.4a1 1 0 0 0 .9-1.7L18 12.6V9a6 6 0 0 0-6-6Zm-2.5 15.5a2.5 2.5 0 0 0 5 0"
        fill="none"
        stroke="currentColor"
        strokeWidth="1.8"
        strokeLinecap="round"
        strokeLinejoin="round"
      />
    </svg>
  );
}

function NotificationItem({ item, onRead, busy }: { item: Notification; onRead: () => void; busy: boolean }) {
  const unread = !item.read_at;
  const message = alertSentence(item.alert.message);
  return (
    <li className={`notification ${unread ? "notification-unread" : "notification-read"}`}>
      <p className="notification-message">
        {unread && <span className="visually-hidden">Unread: </span>}
        {message}
      </p>
      <p className="notification-meta small muted">
        <time dateTime={item.alert.fired_at}>{formatDateTime(item.alert.fired_at)}</time>
        {item.alert.cleared_at ? " · cleared since" : " · still holds"}
      </p>
      {unread && (
        <button type="button" className="link-button small" onClick={onRead} disabled={busy} aria-label={`Mark read: ${message}`}>
          Mark read
        </button>
      )}
    </li>
  );
}

export function NotificationBell({ org, alertsLink }: { org: string; alertsLink: boolean }) {
  const client = useQueryClient();
  const panelId = useId();
  const headingId = useId();
  const [open, setOpen] = useState(false);
  const wrapper = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const list = useQuery({
    queryKey: notificationKeys.list(org),
    queryFn: () => notifications.list(org),
    refetchInterval: POLL_MS,
  });
  const markRead = useMutation({
    mutationFn: (id: string) => notifications.markRead(org, id),
    // The item's button goes once it is read: the focus moves to the list's heading rather than being lost.
    onSuccess: () => heading.current?.focus(),
    onSettled: () => client.invalidateQueries({ queryKey: notificationKeys.list(org) }),
  });
  const items = list.data ?? [];
  const unread = items.filter((n) => !n.read_at).length;

  useEffect(() => {
    if (!open) return;
    const close = (event: MouseEvent) => {
      if (wrapper.current && !wrapper.current.contains(event.target as Node)) setOpen(false);
    };
    const escape = (event: KeyboardEvent) => {
      if (event.key === "Escape") {
        setOpen(false);
        button.current?.focus();
      }
    };
    document.addEventListener("mousedown", close);
    document.addEventListener("keydown", escape);
    return () => {
      document.removeEventListener("mousedown", close);
      document.removeEventListener("keydown", escape);
    };
  }, [open]);

  const label = unread > 0 ? `Notifications, ${unread} unread` : "Notifications";
  return (
    <div className="notification-bell" ref={wrapper}>
      <button
        ref={button}
        type="button"
        className="bell-button"
        aria-label={label}
        aria-expanded={open}
        aria-controls={panelId}
        onClick={() => {
          setOpen((v) => !v);
          if (!open) void list.refetch();
        }}
      >
        <BellIcon />
        {unread > 0 && (
          <span className="bell-count" aria-hidden="true">
            {unread > 99 ? "99+" : unread}
          </span>
        )}
      </button>
      <div id={panelId} className="notification-panel" role="region" aria-labelledby={headingId} hidden={!open}>
        <h2 id={headingId} className="notification-heading" ref={heading} tabIndex={-1}>
          Notifications
        </h2>
        {list.isPending && <Loading />}
        <ErrorNote error={list.error ?? markRead.error} onRetry={() => list.refetch()} />
        {list.data && items.length === 0 && <p className="muted small">No notifications. Alerts that fire for you show here.</p>}
        {items.length > 0 && (
          <ul className="notification-list" aria-label="Notifications, newest first">
            {items.map((n) => (
              <NotificationItem
                key={n.id}
                item={n}
                busy={markRead.isPending && markRead.variables === n.id}
                onRead={() => markRead.mutate(n.id)}
              />
            ))}
          </ul>
        )}
        {alertsLink && (
          <p className="notification-footer small">
            <Link to="/insights/alerts" onClick={() => setOpen(false)}>
              All alerts and their rules
            </Link>
          </p>
        )}
      </div>
    </div>
  );
}
