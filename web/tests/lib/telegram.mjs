// A stand-in for the Telegram Bot API (a small HTTP server that records what
// the server sends and answers as Telegram does), and the other side of it:
// messages from a Telegram chat delivered to an organisation's webhook, as
// Telegram would, including the "link <code>" that links a chat to a person.

import assert from "node:assert/strict";
import { createServer } from "node:http";
import { eventually } from "./harness.mjs";

/** The organisation's Telegram bot in the tests (the stand-in accepts any token). */
export const TEST_BOT = {
  token: "7012345678:AAE-test-token-for-the-fake-bot-api",
  username: "NorthfieldCoachBot",
  secret: "northfield-webhook-secret_2024",
};

/**
 * Starts the stand-in: records every call to the Bot API and answers it as Telegram does.
 * Point the server at it with `WAYFINDER_TELEGRAM_API_URL` = `url`.
 */
export async function startFakeBotApi() {
  const calls = [];
  const server = createServer((request, response) => {
    let text = "";
    request.on("data", (chunk) => (text += chunk));
    request.on("end", () => {
      let body = null;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        body = text;
      }
      calls.push({ path: request.url, method: request.url.split("/").pop(), body });
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ ok: true, result: { message_id: calls.length } }));
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    /** What was sent to a chat, oldest first. */
    sentTo: (chatId) => calls.filter((c) => c.method === "sendMessage" && String(c.body?.chat_id) === String(chatId)),
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** Sets `bot` up as the organisation's Telegram channel, as its administrator `api`. */
export async function setUpTelegramBot(api, orgId, bot = TEST_BOT) {
  await api.call("PUT", `/orgs/${orgId}/channels/telegram`, {
    bot_token: bot.token,
    bot_username: bot.username,
    webhook_secret: bot.secret,
  });
}

let updateId = 0;

/**
 * Delivers `text` from the private chat `chatId` to the organisation's Telegram webhook, as
 * Telegram does; fails unless it is accepted, and answers the webhook's reply.
 */
export async function sendFromTelegram(base, orgId, { chatId, firstName, secret = TEST_BOT.secret }, text) {
  updateId += 1;
  const response = await fetch(`${base}/api/v1/hooks/telegram/${orgId}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": secret },
    body: JSON.stringify({
      update_id: updateId,
      message: {
        message_id: updateId,
        date: Math.floor(Date.now() / 1000),
        chat: { id: chatId, type: "private" },
        from: { id: chatId, is_bot: false, first_name: firstName },
        text,
      },
    }),
  });
  const body = await response.text();
  assert.equal(response.status, 200, body);
  return JSON.parse(body);
}

/**
 * Links the Telegram chat `chatId` to the person signed in as `client`: a one-time code from
 * the API, sent from the chat as "link <code>"; waits until their account shows it.
 */
export async function linkTelegramChat(base, orgId, client, { chatId, firstName }) {
  const { code } = await client.call("POST", `/orgs/${orgId}/channel-links`, { channel: "telegram" });
  await sendFromTelegram(base, orgId, { chatId, firstName }, `link ${code}`);
  await eventually(
    async () => (await client.call("GET", `/orgs/${orgId}/channel-accounts`)).accounts.length === 1,
    "the chat to be linked",
  );
}
