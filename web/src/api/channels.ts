// Messaging channels: an organisation's Telegram bot and WhatsApp number (set
// up by its administrators; secrets go in and never come back), and the
// accounts a member links on them with a one-time code, to talk to the coach
// and get reminders there. Types are the generated OpenAPI ones.

import { del, get, post, put } from "./client";
import type { components } from "./schema";

type Schemas = components["schemas"];

export type Channel = Schemas["Channel"];
export type ChannelSetup = Schemas["ChannelSetupView"];
export type TelegramSetup = Schemas["TelegramSetup"];
export type WhatsAppSetup = Schemas["WhatsAppSetup"];
export type LinkedAccount = Schemas["LinkedAccount"];
export type IssuedLinkCode = Schemas["IssuedLinkCode"];

/** The channels a person links an account on (the others are the app's own). */
export const MESSAGING_CHANNELS = ["telegram", "whatsapp"] as const;
export type MessagingChannel = (typeof MESSAGING_CHANNELS)[number];

export function isMessaging(channel: Channel): channel is MessagingChannel {
  return (MESSAGING_CHANNELS as readonly Channel[]).includes(channel);
}

const LABELS: Record<Channel, string> = {
  web: "Web",
  widget: "Website widget",
  email: "Email",
  telegram: "Telegram",
  whatsapp: "WhatsApp",
};

export function channelLabel(channel: Channel): string {
  return LABELS[channel];
}

/** `ChannelAccounts` in the document, its `available` narrowed to the messaging channels it documents. */
export interface ChannelAccounts {
  accounts: LinkedAccount[];
  available: MessagingChannel[];
}

const enc = encodeURIComponent;
const orgPath = (org: string) => `/orgs/${enc(org)}`;

export const channels = {
  /** Admins: what each set-up channel is set to, secrets left out. */
  setups: (org: string) => get<ChannelSetup[]>(`${orgPath(org)}/channels`),
  setUpTelegram: (org: string, body: TelegramSetup) => put<ChannelSetup>(`${orgPath(org)}/channels/telegram`, body),
  setUpWhatsApp: (org: string, body: WhatsAppSetup) => put<ChannelSetup>(`${orgPath(org)}/channels/whatsapp`, body),
  remove: (org: string, channel: MessagingChannel) => del(`${orgPath(org)}/channels/${enc(channel)}`),
  /** Any member: their linked accounts, and the channels they can link. */
  accounts: (org: string) =>
    get<Schemas["ChannelAccounts"]>(`${orgPath(org)}/channel-accounts`).then(
      (r): ChannelAccounts => ({ accounts: r.accounts, available: r.available.filter(isMessaging) }),
    ),
  /** A one-time code that links the account it is sent from; an earlier code for the channel stops working. */
  createLinkCode: (org: string, channel: MessagingChannel) =>
    post<IssuedLinkCode>(`${orgPath(org)}/channel-links`, { channel } satisfies Schemas["NewLinkCode"]),
  unlink: (org: string, account: string) => del(`${orgPath(org)}/channel-accounts/${enc(account)}`),
};

export const channelKeys = {
  setups: (org: string) => ["channels", org] as const,
  accounts: (org: string) => ["channel-accounts", org] as const,
};
