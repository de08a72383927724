// Browser tests of the messaging channels against the real server, with a
// stand-in for the Telegram Bot API (a small HTTP server in this file that
// records what the server sends and answers as Telegram does). Before anything
// is set up, a learner's profile says there is nothing to link. The
// administrator sets up the organisation's Telegram bot and WhatsApp number
// under Organisation → Channels (refused fields are explained beside them,
// secrets never come back, the webhook address to register is shown, Remove
// asks first). The learner makes a link code under Profile → Channels; the
// test delivers "link <code>" from a Telegram chat to the webhook as Telegram
// would, and the page shows the linked chat without a reload while the bot's
// reply goes to the chat. STOP from the chat pauses the reminders, and the
// learner unlinks the chat. Screenshots at desktop width, 375 px and in dark
// mode. Run with `npm run test:e2e` (WAYFINDER_BIN names the binary).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import {
  closeAndCheckProblems,
  eventually,
  focusedIsInvalid,
  noSideways,
  openPage,
  screenshot,
  setUpOrganisation,
  startStack,
  threeScreenshots,
} from "./lib/harness.mjs";
import { TEST_BOT, sendFromTelegram, startFakeBotApi } from "./lib/telegram.mjs";

const TIMEOUT = 30_000;
const OPERATOR = { email: "ola@example.org", password: "correct horse battery staple 42", name: "Ola Operator" };
const LEARNER = { email: "lena@example.org", password: "a sturdy learner passphrase 7", name: "Lena Learner" };
const ORG_NAME = "Northfield School";
const BOT = TEST_BOT;
const WHATSAPP = {
  phoneNumberId: "109876543210",
  displayNumber: "+49 30 1234567",
  accessToken: "EAAG-test-access-token-0123456789",
  appSecret: "whatsapp-app-secret-42",
  verifyToken: "whatsapp-verify-token-42",
};
const CHAT_ID = 424242;

let botApi; // the stand-in for the Telegram Bot API
let stack;
let api; // the operator, an administrator of the organisation
let org;
let lena;
const problems = [];

const signedInPage = (person, viewport) => openPage(stack, { person, problems, viewport, timeout: TIMEOUT });
const nav = (p) => p.getByRole("navigation", { name: "Main" });
/** Delivers a message from the learner's Telegram chat to the webhook, as Telegram does. */
async function fromTelegram(text) {
  assert.deepEqual(await sendFromTelegram(stack.base, org.id, { chatId: CHAT_ID, firstName: "Lena" }, text), { received: 1 });
}

const accountsOf = async (person) => (await person.client.call("GET", `/orgs/${org.id}/channel-accounts`)).accounts;

async function openAdminChannels(page) {
  await nav(page).getByRole("link", { name: "Organisation" }).click();
  await page.getByRole("navigation", { name: "Organisation sections" }).getByRole("link", { name: "Channels" }).click();
  await page.waitForURL(/\/admin\/channels$/);
  await page.getByRole("heading", { name: "Channels", level: 2 }).waitFor();
}

async function openProfileChannels(page) {
  await nav(page).getByRole("link", { name: "Profile" }).click();
  await page.getByRole("heading", { name: "Your profile", level: 1 }).waitFor();
  const section = page.getByRole("region", { name: "Channels", exact: true });
  await section.waitFor();
  return section;
}

before(async () => {
  botApi = await startFakeBotApi();
  stack = await startStack({ env: { WAYFINDER_TELEGRAM_API_URL: botApi.url } });
  ({ api, org } = await setUpOrganisation(stack, OPERATOR, { name: ORG_NAME, slug: "northfield" }));
  lena = await api.inviteAndAccept(org.id, LEARNER, "learner");
  assert.deepEqual(await api.call("GET", `/orgs/${org.id}/channels`), [], "no channel is set up yet");
});

after(() => closeAndCheckProblems(problems, [stack, botApi]));

test("before any channel is set up, the learner's profile says there is nothing to link", async () => {
  const page = await signedInPage(LEARNER, { width: 375, height: 740 });
  await page.getByRole("button", { name: "Menu" }).click();
  const section = await openProfileChannels(page);
  await section.getByText(`${ORG_NAME} has not set up a messaging channel yet`).waitFor();
  await section.getByText("No linked accounts.").waitFor();
  assert.equal(await section.getByRole("button", { name: /^Link / }).count(), 0);
  await noSideways(page);
  await screenshot(page, "channels-00-profile-nothing-to-link-375");
  await page.context().close();
});

test("the administrator sets up Telegram and WhatsApp, with refused fields explained beside them", async () => {
  const page = await signedInPage(OPERATOR);
  await openAdminChannels(page);

  // Telegram: a secret too short is refused beside its field, which takes the focus.
  const telegram = page.getByRole("region", { name: "Telegram", exact: true });
  await telegram.getByText("Not set up yet.").waitFor();
  const telegramForm = telegram.getByRole("form", { name: "Telegram settings" });
  const botToken = telegramForm.getByLabel("Bot token", { exact: true });
  const webhookSecret = telegramForm.getByLabel("Webhook secret", { exact: true });
  assert.equal(await botToken.getAttribute("type"), "password");
  assert.equal(await webhookSecret.getAttribute("type"), "password");
  await botToken.fill(BOT.token);
  await telegramForm.getByLabel("Bot username (optional)").fill(`@${BOT.username}`);
  await webhookSecret.fill("too-short");
  await telegramForm.getByRole("button", { name: "Save Telegram" }).click();
  await telegramForm.locator(".field-error").filter({ hasText: "Must be 16 to 256 of A-Z, a-z, 0-9, _ and -." }).waitFor();
  assert.equal(await webhookSecret.getAttribute("aria-invalid"), "true");
  await focusedIsInvalid(page);
  assert.equal(await telegram.getByText("Not set up yet.").count(), 1, "nothing was saved");

  await webhookSecret.fill(BOT.secret);
  await telegramForm.getByRole("button", { name: "Save Telegram" }).click();
  await telegram.getByText("Set up — enter new values to replace.").waitFor();
  await telegram.getByRole("status").filter({ hasText: "Telegram settings saved." }).waitFor();
  assert.equal(await telegramForm.locator(".field-error").count(), 0);
  // The webhook address to register, and how; the secrets are not shown back.
  const webhook = telegram.getByRole("region", { name: "Telegram webhook URL" });
  assert.equal(await webhook.getByRole("textbox").inputValue(), `${stack.base}/api/v1/hooks/telegram/${org.id}`);
  await webhook.getByText(/call the Bot API's setWebhook with this URL as url and the same webhook secret as secret_token/).waitFor();
  await webhook.getByRole("button", { name: "Copy" }).waitFor();
  assert.equal(await botToken.inputValue(), "");
  assert.equal(await webhookSecret.inputValue(), "");
  assert.equal(await telegramForm.getByLabel("Bot username (optional)").inputValue(), BOT.username, "saved without the @");

  // WhatsApp: a template needs its language, said beside that field.
  const whatsapp = page.getByRole("region", { name: "WhatsApp", exact: true });
  await whatsapp.getByText("Not set up yet.").waitFor();
  const whatsappForm = whatsapp.getByRole("form", { name: "WhatsApp settings" });
  for (const label of ["Access token", "App secret", "Verify token"]) {
    assert.equal(await whatsappForm.getByLabel(label, { exact: true }).getAttribute("type"), "password", label);
  }
  await whatsappForm.getByLabel("Phone number ID").fill(WHATSAPP.phoneNumberId);
  await whatsappForm.getByLabel("Number people write to (optional)").fill(WHATSAPP.displayNumber);
  await whatsappForm.getByLabel("Access token", { exact: true }).fill(WHATSAPP.accessToken);
  await whatsappForm.getByLabel("App secret", { exact: true }).fill(WHATSAPP.appSecret);
  await whatsappForm.getByLabel("Verify token", { exact: true }).fill(WHATSAPP.verifyToken);
  await whatsappForm.getByLabel("Template name (optional)").fill("study_reminder");
  await whatsappForm.getByRole("button", { name: "Save WhatsApp" }).click();
  const templateLanguage = whatsappForm.getByLabel("Template language (optional)");
  await whatsappForm.locator(".field-error").filter({ hasText: "A template needs both its name and its language." }).waitFor();
  assert.equal(await templateLanguage.getAttribute("aria-invalid"), "true");
  await focusedIsInvalid(page);
  await templateLanguage.fill("en");
  await whatsappForm.getByRole("button", { name: "Save WhatsApp" }).click();
  await whatsapp.getByText("Set up — enter new values to replace.").waitFor();
  assert.equal(
    await whatsapp.getByRole("region", { name: "WhatsApp webhook URL" }).getByRole("textbox").inputValue(),
    `${stack.base}/api/v1/hooks/whatsapp/${org.id}`,
  );
  assert.equal(await whatsappForm.getByLabel("Access token", { exact: true }).inputValue(), "");

  // What the server keeps: the settings, never handed back with their secrets.
  const setups = await api.call("GET", `/orgs/${org.id}/channels`);
  const byChannel = Object.fromEntries(setups.map((s) => [s.channel, s]));
  assert.equal(byChannel.telegram.bot_username, BOT.username);
  assert.equal(byChannel.whatsapp.phone_number_id, WHATSAPP.phoneNumberId);
  assert.equal(byChannel.whatsapp.display_number, WHATSAPP.displayNumber);
  assert.deepEqual([byChannel.whatsapp.template_name, byChannel.whatsapp.template_language], ["study_reminder", "en"]);
  const text = JSON.stringify(setups);
  for (const secret of [BOT.token, BOT.secret, WHATSAPP.accessToken, WHATSAPP.appSecret, WHATSAPP.verifyToken]) {
    assert.ok(!text.includes(secret), "no secret is answered");
  }

  // Removing asks first; cancelled, the channel stays.
  await telegram.getByRole("button", { name: "Remove Telegram" }).click();
  const confirm = page.getByRole("dialog", { name: "Remove Telegram?" });
  await confirm.getByText("The webhook refuses Telegram's calls from then on").waitFor();
  await confirm.getByRole("button", { name: "Cancel" }).click();
  await confirm.waitFor({ state: "hidden" });
  await telegram.getByText("Set up — enter new values to replace.").waitFor();

  await threeScreenshots(page, "channels-01-admin", () => webhook.waitFor());
  await page.context().close();
});

test("the learner links their Telegram chat with a code, sees it linked without a reload, pauses reminders and unlinks it", async () => {
  const page = await signedInPage(LEARNER);
  const section = await openProfileChannels(page);
  await section.getByText("No linked accounts.").waitFor();
  const linkButtons = section.getByRole("button", { name: /^Link / });
  await section.getByRole("button", { name: "Link WhatsApp", exact: true }).waitFor();
  assert.deepEqual(await linkButtons.allTextContents(), ["Link Telegram", "Link WhatsApp"]);

  // A code, big and copyable, with what to do, until when, and the bot's link.
  await section.getByRole("button", { name: "Link Telegram", exact: true }).click();
  const panel = section.getByRole("region", { name: "Link your Telegram account" });
  await panel.waitFor();
  const code = (await panel.locator(".link-code").textContent()).trim();
  assert.match(code, /^[A-Z0-9]{4}-[A-Z0-9]{4}$/);
  await panel.getByText(`Send "link ${code}" to @${BOT.username} on Telegram within`).waitFor();
  await panel.getByRole("button", { name: "Copy message" }).waitFor();
  assert.equal(
    await panel.getByRole("link", { name: "Open in Telegram" }).getAttribute("href"),
    `https://t.me/${BOT.username}?start=${code.replace("-", "")}`,
  );
  const expires = Date.parse(await panel.locator("time").getAttribute("datetime"));
  assert.ok(expires > Date.now(), "the code has not expired");
  await page.waitForFunction(() => document.activeElement?.tagName === "H3", undefined, { timeout: TIMEOUT });
  assert.equal(await section.getByRole("button", { name: "Link Telegram", exact: true }).count(), 0, "one code at a time");
  await threeScreenshots(page, "channels-02-profile-code", () => panel.waitFor());

  // Lena sends the code from her chat: the page finds the account by itself.
  await page.evaluate(() => {
    window.sameDocument = true;
  });
  await fromTelegram(`link ${code}`);
  const accounts = section.getByRole("list", { name: "Linked accounts" });
  const chat = accounts.getByRole("listitem").filter({ hasText: String(CHAT_ID) });
  await chat.waitFor();
  await section.getByRole("status").filter({ hasText: `Linked your Telegram account (chat ${CHAT_ID}).` }).waitFor();
  assert.equal(await page.evaluate(() => window.sameDocument), true, "no reload");
  assert.equal(await panel.count(), 0, "the code is gone once used");
  assert.equal(await section.getByRole("button", { name: "Link Telegram", exact: true }).count(), 0, "Telegram is linked");
  await section.getByRole("button", { name: "Link WhatsApp", exact: true }).waitFor();
  assert.match(await chat.textContent(), /Telegram/);
  assert.equal(await chat.getByText("Reminders paused (STOP)").count(), 0);

  const [account] = await accountsOf(lena);
  assert.equal(account.channel, "telegram");
  assert.equal(account.external_id, String(CHAT_ID));
  assert.ok(!account.opted_out_at, "reminders are on");

  // The bot said so in the chat, through the Bot API with the token the administrator saved.
  const reply = await eventually(
    () => botApi.sentTo(CHAT_ID).find((c) => c.body.text.startsWith("Linked")),
    "the bot's reply to the link",
  );
  assert.equal(reply.path, `/bot${BOT.token}/sendMessage`);

  // STOP from the chat pauses the reminders there.
  await fromTelegram("STOP");
  await eventually(async () => (await accountsOf(lena))[0]?.opted_out_at, "STOP to be taken");
  await page.reload();
  await chat.getByText("Reminders paused (STOP)").waitFor();
  await chat.getByText(/send START in the chat to get reminders again/).waitFor();
  await threeScreenshots(page, "channels-03-profile-linked", () => chat.waitFor());

  // Unlinking asks first; then the list is empty and Telegram can be linked again.
  await chat.getByRole("button", { name: `Unlink Telegram account chat ${CHAT_ID}` }).click();
  const dialog = page.getByRole("dialog", { name: "Unlink Telegram account?" });
  await dialog.getByText(`What chat ${CHAT_ID} sends no longer reaches your coach`).waitFor();
  await dialog.getByRole("button", { name: "Unlink", exact: true }).click();
  await section.getByText("No linked accounts.").waitFor();
  await section.getByRole("button", { name: "Link Telegram", exact: true }).waitFor();
  await section.getByRole("status").filter({ hasText: "Unlinked your Telegram account" }).waitFor();
  assert.equal(await accounts.count(), 0);
  assert.deepEqual(await accountsOf(lena), []);
  await screenshot(page, "channels-04-profile-unlinked");
  await page.context().close();
});

test("the administrator removes the Telegram bot: its webhook is gone and the learner has nothing left to link there", async () => {
  const page = await signedInPage(OPERATOR);
  await openAdminChannels(page);
  const telegram = page.getByRole("region", { name: "Telegram", exact: true });
  await telegram.getByRole("button", { name: "Remove Telegram" }).click();
  const confirm = page.getByRole("dialog", { name: "Remove Telegram?" });
  await confirm.getByRole("button", { name: "Remove Telegram" }).click();
  await confirm.waitFor({ state: "hidden" });
  await telegram.getByText("Not set up yet.").waitFor();
  const setups = await api.call("GET", `/orgs/${org.id}/channels`);
  assert.deepEqual(setups.map((s) => s.channel), ["whatsapp"]);
  const response = await fetch(`${stack.base}/api/v1/hooks/telegram/${org.id}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": BOT.secret },
    body: JSON.stringify({ update_id: 999, message: { message_id: 1, date: 0, chat: { id: CHAT_ID }, text: "hi" } }),
  });
  assert.equal(response.status, 404, "the webhook is gone");
  await page.context().close();
});
