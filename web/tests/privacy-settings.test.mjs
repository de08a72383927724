// Browser tests of who looked at a person's data and of the organisation's
// data retention, against the real server. A learner's "Who looked at your
// data" (Profile → Your data) starts empty; once their coach has opened their
// progress and one of their conversations, and an administrator has exported
// their data (all through the API), a reload lists the three, newest first,
// the conversation linking to the learner's own chat; once the coach is
// erased, their lines name "A former member". An administrator sets
// the retention policy in Organisation → Data retention (conversations deleted
// after 30 quiet days, accounts kept forever), finds it kept after a reload
// and through the API; a day count of 0 is refused beside its field in the
// server's words and changes nothing; "Apply now", once confirmed, says what
// it removed (nothing, on a fresh organisation) and when it last ran. Then
// the administrator ticks "Keep the audio of spoken interview answers" (off by
// default), saves it with the form and finds it kept through the API and after
// a reload. Run with `npm run test:e2e` (WAYFINDER_BIN names the binary).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { closeAndCheckProblems, openPage, screenshot, setUpOrganisation, startStack, threeScreenshots } from "./lib/harness.mjs";

const TIMEOUT = 30_000;
const OPERATOR = { email: "ola@example.org", password: "correct horse battery staple 42", name: "Ola Operator" };
const LEARNER = { email: "lena@example.org", password: "a sturdy learner passphrase 7", name: "Lena Learner" };
const COACH = { email: "cole@example.org", password: "a patient coach passphrase 3", name: "Cole Coach" };

let stack;
let api; // the operator, an administrator of the organisation
let org;
let lena;
let cole;
const problems = [];

const signedInPage = (person) => openPage(stack, { person, problems, timeout: TIMEOUT });
const nav = (p) => p.getByRole("navigation", { name: "Main" });

before(async () => {
  stack = await startStack();
  ({ api, org } = await setUpOrganisation(stack, OPERATOR, { name: "Northfield School", slug: "northfield" }));
  lena = await api.inviteAndAccept(org.id, LEARNER, "learner");
  cole = await api.inviteAndAccept(org.id, COACH, "coach");
  await api.call("POST", `/orgs/${org.id}/relationships`, { kind: "coach_learner", from_person: cole.id, to_person: lena.id });
});

after(() => closeAndCheckProblems(problems, [stack]));

/** The lines of "Who looked at your data", each as its text. */
async function accessLines(page) {
  const list = page.getByRole("list", { name: "Who looked at your data" });
  await list.waitFor();
  return list.getByRole("listitem").allTextContents();
}

test("a learner sees who looked at their data: their coach's reads and an administrator's export", async () => {
  const page = await signedInPage(LEARNER);
  await nav(page).getByRole("link", { name: "Profile" }).click();
  const region = page.getByRole("region", { name: "Who looked at your data" });
  await region.getByText("Nobody else has looked at your data.").waitFor();
  assert.equal(await region.getByRole("list").count(), 0, "no list while nobody looked");
  assert.deepEqual(await lena.client.call("GET", "/me/data-access"), []);

  // Lena's own conversation; her coach opens it and her progress, then the administrator exports her data.
  const conversation = await lena.client.call("POST", `/orgs/${org.id}/conversations`, {});
  await cole.client.call("GET", `/orgs/${org.id}/learners/${lena.id}/mastery`);
  await cole.client.call("GET", `/conversations/${conversation.id}`);
  const exported = await fetch(`${stack.base}/api/v1/orgs/${org.id}/members/${lena.id}/export`, {
    headers: { cookie: api.cookie },
  });
  assert.equal(exported.status, 200, "the administrator exported Lena's data");
  await exported.arrayBuffer();

  await page.reload();
  await page.getByRole("heading", { name: "Your profile", level: 1 }).waitFor();
  const lines = await accessLines(page);
  assert.equal(lines.length, 3, JSON.stringify(lines));
  // Newest first: the export, then the coach's reads.
  assert.match(lines[0], new RegExp(`^${OPERATOR.name} downloaded an export of your data`));
  assert.match(lines[1], new RegExp(`^${COACH.name} read a conversation`));
  assert.match(lines[2], new RegExp(`^${COACH.name} looked at your progress`));
  // Each line says when, as a machine-readable time too.
  const times = await region.locator("li time").evaluateAll((els) => els.map((e) => e.getAttribute("datetime")));
  const seen = await lena.client.call("GET", "/me/data-access");
  assert.deepEqual(times, seen.map((e) => e.at), "the times are the server's, in its order");
  assert.deepEqual(
    seen.map((e) => [e.reader_name, e.what, e.conversation_id]),
    [
      [OPERATOR.name, "export", null],
      [COACH.name, "conversation", conversation.id],
      [COACH.name, "progress", null],
    ],
  );
  await threeScreenshots(page, "privacy-settings-01-who-looked", () => region.scrollIntoViewIfNeeded());

  // Once the coach is erased, the lines stay, naming "A former member".
  await api.call("POST", `/orgs/${org.id}/members/${cole.id}/erase`, { confirm: COACH.email });
  await page.reload();
  await page.getByRole("heading", { name: "Your profile", level: 1 }).waitFor();
  const after = await accessLines(page);
  assert.equal(after.length, 3, JSON.stringify(after));
  assert.match(after[1], /^A former member read a conversation/);
  assert.match(after[2], /^A former member looked at your progress/);
  const erased = await lena.client.call("GET", "/me/data-access");
  assert.deepEqual(erased.slice(1).map((e) => e.reader_name), [null, null]);

  // The conversation opens in Lena's own chat.
  await region.getByRole("link", { name: "a conversation" }).click();
  await page.waitForURL(new RegExp(`/chat/${conversation.id}$`));
  await page.context().close();
});

test("an administrator sets the data retention policy, is refused a day count of 0, and applies it now", async () => {
  const page = await signedInPage(OPERATOR);
  await nav(page).getByRole("link", { name: "Organisation" }).click();
  await page.getByRole("navigation", { name: "Organisation sections" }).getByRole("link", { name: "Data retention" }).click();
  await page.waitForURL(/\/admin\/retention$/);
  const section = page.getByRole("region", { name: "Data retention" });
  const inForce = section.getByRole("region", { name: "Policy in force" });
  const form = section.getByRole("form", { name: "Retention policy" });
  const conversationDays = form.getByLabel("Delete quiet conversations after (days)");
  const keepConversations = form.getByLabel("Keep conversations forever");
  const accountDays = form.getByLabel("Erase inactive accounts after (days)");
  const keepAccounts = form.getByLabel("Keep inactive accounts forever");

  // A fresh organisation keeps everything and has never applied its policy.
  await inForce.getByText("Never").waitFor();
  assert.equal(await keepConversations.isChecked(), true);
  assert.equal(await keepAccounts.isChecked(), true);
  assert.equal(await conversationDays.isDisabled(), true, "kept forever: no days to type");
  assert.equal(await form.getByText("This cannot be undone.").count(), 2, "each setting says it cannot be undone");

  // Conversations deleted after 30 quiet days, accounts kept forever.
  await keepConversations.uncheck();
  assert.equal(await conversationDays.isDisabled(), false);
  await conversationDays.fill("30");
  await form.getByRole("button", { name: "Save policy" }).click();
  await form.getByRole("status").filter({ hasText: "Saved." }).waitFor();
  await inForce.getByText("Deleted, with their messages, once quiet for more than 30 days").waitFor();
  assert.deepEqual(await api.call("GET", `/orgs/${org.id}/retention`), {
    conversation_days: 30,
    inactive_account_days: null,
    keep_interview_audio: false,
    last_applied_at: null,
  });

  await page.reload();
  await inForce.getByText("Deleted, with their messages, once quiet for more than 30 days").waitFor();
  assert.equal(await conversationDays.inputValue(), "30", "kept after a reload");
  assert.equal(await keepConversations.isChecked(), false);
  assert.equal(await keepAccounts.isChecked(), true);
  assert.equal(await accountDays.isDisabled(), true);
  await threeScreenshots(page, "privacy-settings-02-retention", () => section.scrollIntoViewIfNeeded());

  // 0 days: the server's refusal beside the field, which takes the focus; nothing changes.
  await conversationDays.fill("0");
  await form.getByRole("button", { name: "Save policy" }).click();
  await page.waitForFunction(
    (id) => document.activeElement?.id === id && document.activeElement.getAttribute("aria-invalid") === "true",
    await conversationDays.getAttribute("id"),
  );
  const describedBy = (await conversationDays.getAttribute("aria-describedby")).split(" ");
  const refusal = page.locator(`[id="${describedBy[0]}"]`);
  assert.match(await refusal.textContent(), /^Must be between 1 and 36500 days/);
  assert.equal(await accountDays.getAttribute("aria-invalid"), null, "the other field is not refused");
  assert.equal(await form.getByRole("status").filter({ hasText: "Saved." }).count(), 0);
  await screenshot(page, "privacy-settings-03-retention-refused");
  assert.equal((await api.call("GET", `/orgs/${org.id}/retention`)).conversation_days, 30, "the refused value was not kept");
  await inForce.getByText("once quiet for more than 30 days").waitFor();

  // Apply now, asked first: nothing to remove on a fresh organisation.
  await inForce.getByRole("button", { name: "Apply now" }).click();
  const dialog = page.getByRole("dialog", { name: "Apply the policy now?" });
  await dialog.getByText("This cannot be undone.").waitFor();
  await dialog.getByRole("button", { name: "Apply now" }).click();
  await dialog.waitFor({ state: "hidden" });
  await inForce
    .getByRole("status", { name: "Last run" })
    .filter({ hasText: "Removed 0 conversations (0 messages) and 0 accounts." })
    .waitFor();
  await inForce.getByText("Never").waitFor({ state: "detached" });
  const applied = await api.call("GET", `/orgs/${org.id}/retention`);
  assert.equal(applied.conversation_days, 30);
  assert.equal(applied.inactive_account_days, null);
  assert.ok(applied.last_applied_at, "the server noted when it applied the policy");
  assert.equal(await inForce.locator("time").first().getAttribute("datetime"), applied.last_applied_at);
  await screenshot(page, "privacy-settings-04-retention-applied");
  await page.context().close();
});

test("an administrator keeps the audio of spoken interview answers, saved with the policy", async () => {
  const page = await signedInPage(OPERATOR);
  await page.goto(`${stack.base}/admin/retention`);
  const section = page.getByRole("region", { name: "Data retention" });
  const inForce = section.getByRole("region", { name: "Policy in force" });
  const form = section.getByRole("form", { name: "Retention policy" });
  const keepAudio = form.getByLabel("Keep the audio of spoken interview answers");

  // Off by default: the audio is dropped once transcribed.
  await keepAudio.waitFor();
  assert.equal(await keepAudio.isChecked(), false);
  await inForce.getByText("Dropped once transcribed", { exact: true }).waitFor();
  const group = form.getByRole("group", { name: "Interview audio" });
  const explainId = await group.getAttribute("aria-describedby");
  const explanation = await page.locator(`[id="${explainId}"]`).textContent();
  assert.match(explanation, /kept with its interview/);
  assert.match(explanation, /deleted with the interview's conversation by the limit above, and when its learner is erased/);
  assert.match(explanation, /Off, the audio is dropped as soon as it is transcribed/);

  await keepAudio.check();
  await form.getByRole("button", { name: "Save policy" }).click();
  await form.getByRole("status").filter({ hasText: "Saved." }).waitFor();
  await inForce.getByText("Kept with their interview", { exact: true }).waitFor();
  const saved = await api.call("GET", `/orgs/${org.id}/retention`);
  assert.equal(saved.keep_interview_audio, true);
  assert.equal(saved.conversation_days, 30, "the other settings are as they were");
  assert.equal(saved.inactive_account_days, null);

  await page.reload();
  await inForce.getByText("Kept with their interview", { exact: true }).waitFor();
  assert.equal(await keepAudio.isChecked(), true, "kept after a reload");
  await threeScreenshots(page, "privacy-settings-05-keep-interview-audio", () => group.scrollIntoViewIfNeeded());
  await page.context().close();
});
