// Browser tests of sequences (programs of scheduled steps) against the real
// server. Coaches and administrators find Sequences in the navigation,
// learners do not. The administrator builds a four-step sequence in the list
// editor (a message at once, a check-in a day later, a practice prompt two
// days after that only for answers of at least 3, a reflection prompt two days
// after that only for answers below 3), moves a conditional step above its
// check-in and sees the server's refusal beside that step's condition, moves it
// back, saves, reloads and finds the steps in order. Then they enrol a learner,
// press "Advance now" and see the first step taken, not sent because the
// learner has no linked channel; a second enrolment is stopped. A coach sees
// only their own learners there. Finally a learner with no check-ins sees
// nothing extra on My learning; once they have linked a Telegram chat (a
// stand-in for the Bot API in this file) and a check-in has been sent to it,
// they answer it there with one press. Last, a coach writes a sequence whose
// second step is a guided interview: the step names no flow until they choose
// one (saving without is refused at the flow), a flow deleted meanwhile is
// refused by the server at that step's flow, and with the weekly reflection
// chosen it saves; the steps show the flow's name in the editor and in the
// enrolments, where the learner's interview starts when the step is taken.
// Run with `npm run test:e2e` (WAYFINDER_BIN names the binary).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  SCREENSHOTS,
  closeAndCheckProblems,
  eventually,
  noSideways,
  openPage,
  screenshot,
  setUpOrganisation,
  startStack,
  threeScreenshots,
} from "./lib/harness.mjs";
import { linkTelegramChat, setUpTelegramBot, startFakeBotApi } from "./lib/telegram.mjs";

const TIMEOUT = 30_000;
const OPERATOR = { email: "ola@example.org", password: "correct horse battery staple 42", name: "Ola Operator" };
const COACH = { email: "cora@example.org", password: "a patient coach passphrase 3", name: "Cora Coach" };
const LEARNER = { email: "lena@example.org", password: "a sturdy learner passphrase 7", name: "Lena Learner" };
const OTHER = { email: "max@example.org", password: "another learner passphrase 9", name: "Max Learner" };
const CHAT_ID = 515151;

let botApi;
let stack;
let api; // the operator, an administrator of the organisation
let org;
let lena;
let max;
let cora;
let sequenceId;
const problems = [];

const signedInPage = (person, viewport) => openPage(stack, { person, problems, viewport, timeout: TIMEOUT });
const nav = (p) => p.getByRole("navigation", { name: "Main" });

const stepGroup = (form, n) => form.getByRole("list", { name: "Steps" }).getByRole("group", { name: `Step ${n}`, exact: true });

/** Fills one step of the editor. */
async function fillStep(form, n, { kind, text, delay }) {
  const step = stepGroup(form, n);
  await step.getByLabel("Kind").selectOption({ label: kind });
  await step.getByLabel(kind === "Check-in (1–5)" ? "Question" : "Text", { exact: true }).fill(text);
  await step.getByLabel("Delay in hours").fill(String(delay));
  return step;
}

/** Reads the editor's steps back: key, kind label, delay and condition, in order. */
async function stepsShown(form) {
  const groups = form.getByRole("list", { name: "Steps" }).getByRole("group");
  const shown = [];
  for (let i = 0; i < (await groups.count()); i++) {
    const step = groups.nth(i);
    const conditional = await step.getByLabel("Only if check-in").count();
    shown.push({
      legend: (await step.locator("legend").textContent()).trim(),
      key: await step.getByLabel("Key").inputValue(),
      kind: await step.getByLabel("Kind").evaluate((s) => s.selectedOptions[0].textContent),
      delay: await step.getByLabel("Delay in hours").inputValue(),
      condition: conditional
        ? [
            await step.getByLabel("Only if check-in").evaluate((s) => s.selectedOptions[0].textContent.split(":")[0]),
            await step.getByLabel("Is", { exact: true }).evaluate((s) => s.selectedOptions[0].textContent),
            await step.getByLabel("Answer", { exact: true }).inputValue(),
          ].join(" ")
        : null,
    });
  }
  return shown;
}

before(async () => {
  botApi = await startFakeBotApi();
  stack = await startStack({ env: { WAYFINDER_TELEGRAM_API_URL: botApi.url } });
  ({ api, org } = await setUpOrganisation(stack, OPERATOR, { name: "Northfield School", slug: "northfield" }));
  lena = await api.inviteAndAccept(org.id, LEARNER, "learner");
  max = await api.inviteAndAccept(org.id, OTHER, "learner");
  cora = await api.inviteAndAccept(org.id, COACH, "coach");
  await api.call("POST", `/orgs/${org.id}/relationships`, { kind: "coach_learner", from_person: cora.id, to_person: lena.id });
});

after(() => closeAndCheckProblems(problems, [stack, botApi]));

test("learners have no Sequences link and are turned away; coaches have it", async () => {
  const learner = await signedInPage(LEARNER);
  await nav(learner).getByRole("link", { name: "My learning" }).waitFor();
  assert.equal(await nav(learner).getByRole("link", { name: "Sequences" }).count(), 0);
  await learner.goto(`${stack.base}/sequences`);
  await learner.waitForURL(/\/chat$/);
  await learner.context().close();

  const coach = await signedInPage(COACH);
  await nav(coach).getByRole("link", { name: "Sequences" }).click();
  await coach.getByRole("heading", { name: "Sequences", level: 1 }).waitFor();
  await coach.getByText("No sequences yet.").waitFor();
  await coach.context().close();
});

test("the administrator builds a four-step sequence; a condition on a later step is refused at that step", async () => {
  const page = await signedInPage(OPERATOR);
  await nav(page).getByRole("link", { name: "Sequences" }).click();
  await page.getByRole("link", { name: "New sequence" }).click();
  await page.waitForURL(/\/sequences\/new$/);
  const form = page.getByRole("form", { name: "Sequence" });
  await form.getByLabel("Name").fill("First week");
  await form.getByLabel("Description (optional)").fill("Welcome, a check-in, then practice or reflection.");
  assert.equal(await form.getByLabel("Active").isChecked(), true);

  // Step 1 is there, keyed s1; it goes out at enrolment and can have no condition.
  const first = await fillStep(form, 1, { kind: "Message", text: "Welcome, {name}! Here is your first week.", delay: 0 });
  assert.equal(await first.getByLabel("Key").inputValue(), "s1");
  await first.getByText("Sent right after enrolment.").waitFor();
  await first.getByText("Day 0 · Message").waitFor();
  assert.equal(await first.getByRole("checkbox", { name: "Send only for some check-in answers" }).isDisabled(), true);
  await first.getByText("{name} becomes the learner's first name.").waitFor();

  await form.getByRole("button", { name: "Add step" }).click();
  const second = await fillStep(form, 2, { kind: "Check-in (1–5)", text: "How confident do you feel, {name}?", delay: 24 });
  assert.equal(await second.getByLabel("Key").inputValue(), "s2");
  await second.getByText("Sent 1 day after the step before.").waitFor();
  await second.getByText("Day 1 · Check-in (1–5)").waitFor();

  await form.getByRole("button", { name: "Add step" }).click();
  const third = await fillStep(form, 3, { kind: "Practice prompt", text: "Try three practice questions today.", delay: 48 });
  assert.equal(await third.getByLabel("Key").inputValue(), "s3");
  await third.getByText("Sent 2 days after the step before.").waitFor();
  await third.getByRole("checkbox", { name: "Send only for some check-in answers" }).check();
  assert.deepEqual(
    await third.getByLabel("Only if check-in").evaluate((s) => [...s.options].map((o) => o.textContent)),
    ["s2: How confident do you feel, {name}?"],
    "only the earlier check-in can be chosen",
  );
  await third.getByLabel("Is", { exact: true }).selectOption({ label: "at least" });
  await third.getByLabel("Answer", { exact: true }).selectOption("3");
  await third.getByText("Day 3 · Practice prompt · only if s2 ≥ 3").waitFor();

  await form.getByRole("button", { name: "Add step" }).click();
  const fourth = await fillStep(form, 4, { kind: "Reflection prompt", text: "What made this week hard, {name}?", delay: 48 });
  assert.equal(await fourth.getByLabel("Key").inputValue(), "s4");
  await fourth.getByRole("checkbox", { name: "Send only for some check-in answers" }).check();
  await fourth.getByLabel("Is", { exact: true }).selectOption({ label: "below" });
  await fourth.getByLabel("Answer", { exact: true }).selectOption("3");
  await fourth.getByText("Day 5 · Reflection prompt · only if s2 < 3").waitFor();

  // The practice prompt moved above its check-in: the server refuses it, beside that step's condition.
  await third.getByRole("button", { name: "Move up: step 3" }).click();
  const moved = stepGroup(form, 2);
  assert.equal(await moved.getByLabel("Key").inputValue(), "s3");
  await page.waitForFunction(() => document.activeElement?.getAttribute("aria-label") === "Move up: step 2");
  assert.equal(
    await moved.getByLabel("Only if check-in").evaluate((s) => s.selectedOptions[0].textContent),
    "s2 (not an earlier check-in)",
  );
  await form.getByRole("button", { name: "Create sequence" }).click();
  await moved.locator(".field-error").filter({ hasText: "Must name an earlier check-in step." }).waitFor();
  assert.equal(await moved.getByLabel("Only if check-in").getAttribute("aria-invalid"), "true");
  await page.waitForFunction(() => document.activeElement?.getAttribute("aria-invalid") === "true");
  assert.equal(await form.locator(".field-error").count(), 1, "the refusal shows at one step only");
  assert.match(page.url(), /\/sequences\/new$/, "nothing was saved");
  assert.deepEqual(await api.call("GET", `/orgs/${org.id}/sequences`), []);
  await screenshot(page, "sequences-01-editor-refused");

  // Moved back, it saves.
  await moved.getByRole("button", { name: "Move down: step 2" }).click();
  await form.locator(".field-error").waitFor({ state: "detached" }); // moving a step clears the refusal
  await form.getByRole("button", { name: "Create sequence" }).click();
  await page.waitForURL(/\/sequences\/[0-9a-f-]{36}$/);
  sequenceId = page.url().split("/").pop();
  await page.getByRole("status").filter({ hasText: "Sequence created." }).waitFor();
  await page.getByRole("heading", { name: "First week", level: 1 }).waitFor();

  const saved = await api.call("GET", `/orgs/${org.id}/sequences/${sequenceId}`);
  assert.deepEqual(
    saved.steps.map((s) => [s.key, s.kind, s.delay_hours, s.condition]),
    [
      ["s1", "message", 0, null],
      ["s2", "check_in", 24, null],
      ["s3", "practice", 48, { step: "s2", answer: "at_least", value: 3 }],
      ["s4", "reflection", 48, { step: "s2", answer: "below", value: 3 }],
    ],
  );

  // After a reload the editor shows the steps as saved, in order.
  await page.reload();
  const again = page.getByRole("form", { name: "Sequence" });
  await again.getByLabel("Name").waitFor();
  assert.equal(await again.getByLabel("Name").inputValue(), "First week");
  assert.deepEqual(await stepsShown(again), [
    { legend: "Step 1", key: "s1", kind: "Message", delay: "0", condition: null },
    { legend: "Step 2", key: "s2", kind: "Check-in (1–5)", delay: "24", condition: null },
    { legend: "Step 3", key: "s3", kind: "Practice prompt", delay: "48", condition: "s2 at least 3" },
    { legend: "Step 4", key: "s4", kind: "Reflection prompt", delay: "48", condition: "s2 below 3" },
  ]);
  await stepGroup(again, 4).getByText("Day 5 · Reflection prompt · only if s2 < 3").waitFor();
  await screenshot(page, "sequences-02-editor");

  // A change is saved with PUT and kept.
  await stepGroup(again, 3).getByLabel("Text", { exact: true }).fill("Try five practice questions today.");
  await again.getByRole("button", { name: "Save sequence" }).click();
  await again.getByRole("status").filter({ hasText: "Sequence saved." }).waitFor();
  const updated = await api.call("GET", `/orgs/${org.id}/sequences/${sequenceId}`);
  assert.equal(updated.steps[2].text, "Try five practice questions today.");

  await page.setViewportSize({ width: 375, height: 740 });
  await noSideways(page);
  await screenshot(page, "sequences-02-editor-375");
  await page.context().close();
});

test("the administrator enrols learners, advances the sequence and stops an enrolment", async () => {
  const page = await signedInPage(OPERATOR);
  await page.goto(`${stack.base}/sequences/${sequenceId}`);
  const panel = page.getByRole("region", { name: "Enrolments" });
  await panel.getByText("Nobody is enrolled yet.").waitFor();

  // Learners only: not the coach, not the administrator.
  const learner = panel.getByLabel("Learner", { exact: true });
  await panel.getByRole("option", { name: "Lena Learner" }).waitFor({ state: "attached" });
  assert.deepEqual(await learner.evaluate((s) => [...s.options].map((o) => o.textContent)), [
    "Choose a learner",
    "Lena Learner",
    "Max Learner",
  ]);
  await learner.selectOption({ label: "Lena Learner" });
  await panel.getByRole("button", { name: "Enrol", exact: true }).click();
  await panel.getByRole("status").filter({ hasText: "Enrolled Lena Learner." }).waitFor();
  const table = panel.getByRole("table", { name: "Enrolments" });
  const lenaRow = table.getByRole("row").filter({ has: page.getByRole("rowheader", { name: "Lena Learner" }) });
  await lenaRow.getByText("Active", { exact: true }).waitFor();
  await lenaRow.getByText("s1").waitFor();
  await lenaRow.getByText("None yet").waitFor();
  assert.equal(await lenaRow.locator("time").count(), 1, "when the next step is due");

  // Advance now: the welcome is taken, but Lena has no linked channel.
  await panel.getByRole("button", { name: "Advance now" }).click();
  await panel
    .getByRole("status")
    .filter({ hasText: "Took 1 step: 0 sent, 0 skipped (condition not met), 1 not sent: no linked channel" })
    .waitFor();
  const taken = lenaRow.getByRole("list", { name: "Steps taken by Lena Learner" });
  await taken.getByRole("listitem").filter({ hasText: "s1 · Message" }).filter({ hasText: "Not sent: no linked channel" }).waitFor();
  await lenaRow.getByText("Check-in (1–5)").waitFor();
  const [enrolment] = await api.call("GET", `/orgs/${org.id}/sequences/${sequenceId}/enrolments`);
  assert.equal(enrolment.next_step, "s2");
  assert.deepEqual(enrolment.taken.map((t) => [t.step_key, t.outcome]), [["s1", "no_channel"]]);

  // Max is enrolled, then stopped (after being asked).
  await learner.selectOption({ label: "Max Learner" });
  await panel.getByRole("button", { name: "Enrol", exact: true }).click();
  const maxRow = table.getByRole("row").filter({ has: page.getByRole("rowheader", { name: "Max Learner" }) });
  await maxRow.getByText("Active", { exact: true }).waitFor();
  assert.equal(await learner.isDisabled(), true, "everyone is enrolled");
  await maxRow.getByRole("button", { name: "Stop Max Learner's enrolment" }).click();
  const dialog = page.getByRole("dialog", { name: "Stop Max Learner's enrolment?" });
  await dialog.getByText("Enrolling them again starts from the first step.").waitFor();
  await dialog.getByRole("button", { name: "Stop enrolment" }).click();
  await dialog.waitFor({ state: "hidden" });
  await maxRow.getByText("Stopped", { exact: true }).waitFor();
  assert.equal(await maxRow.getByRole("button", { name: /^Stop/ }).count(), 0);
  await panel.getByRole("option", { name: "Max Learner" }).waitFor({ state: "attached" });

  await panel.screenshot({ path: join(SCREENSHOTS, "sequences-03-enrolments.png") });
  await page.setViewportSize({ width: 375, height: 740 });
  await noSideways(page);
  await panel.screenshot({ path: join(SCREENSHOTS, "sequences-03-enrolments-375.png") });

  // The list: name, steps, active enrolments, state.
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.getByRole("navigation", { name: "Breadcrumb" }).getByRole("link", { name: "Sequences" }).click();
  const row = page.getByRole("table", { name: "Sequences" }).getByRole("row").filter({ hasText: "First week" });
  await row.waitFor();
  assert.deepEqual(await row.locator("td").allTextContents().then((cells) => cells.slice(0, 3)), ["4", "1", "Active"]);
  await screenshot(page, "sequences-04-list");
  await page.context().close();
});

test("a coach enrols only their own learners and has no Advance now", async () => {
  const page = await signedInPage(COACH);
  await page.goto(`${stack.base}/sequences/${sequenceId}`);
  const panel = page.getByRole("region", { name: "Enrolments" });
  const table = panel.getByRole("table", { name: "Enrolments" });
  await table.getByRole("rowheader", { name: "Lena Learner" }).waitFor();
  assert.equal(await table.getByRole("rowheader", { name: "Max Learner" }).count(), 0, "not Cora's learner");
  const learner = panel.getByLabel("Learner", { exact: true });
  assert.deepEqual(await learner.evaluate((s) => [...s.options].map((o) => o.textContent)), ["Everyone is enrolled"]);
  assert.equal(await panel.getByRole("button", { name: "Advance now" }).count(), 0);
  await page.context().close();
});

test("a learner answers an open check-in at the top of My learning; with none, nothing shows", async () => {
  const page = await signedInPage(LEARNER);
  const loaded = page.waitForResponse((r) => r.url().endsWith(`/orgs/${org.id}/check-ins`));
  await nav(page).getByRole("link", { name: "My learning" }).click();
  assert.deepEqual(await (await loaded).json(), []);
  await page.getByRole("heading", { name: "My learning", level: 1 }).waitFor();
  assert.equal(await page.getByRole("heading", { name: "Check-ins" }).count(), 0, "nothing shows without check-ins");

  // Lena links a Telegram chat; a check-in sequence sends her its question there.
  await setUpTelegramBot(api, org.id);
  await linkTelegramChat(stack.base, org.id, lena.client, { chatId: CHAT_ID, firstName: "Lena" });
  // Her quiet hours far from now (by default they start at 21:00), so the check-in goes at once.
  const hhmm = (hoursFromNow) => new Date(Date.now() + hoursFromNow * 3600e3).toISOString().slice(11, 16);
  await lena.client.call("PUT", `/orgs/${org.id}/reach-settings`, {
    time_zone: "UTC",
    quiet_start: hhmm(12),
    quiet_end: hhmm(13),
  });
  const pulse = await api.call("POST", `/orgs/${org.id}/sequences`, {
    name: "Daily pulse",
    steps: [{ key: "c1", kind: "check_in", text: "How sure do you feel about today's topic?", delay_hours: 0, condition: null }],
  });
  await api.call("POST", `/orgs/${org.id}/sequences/${pulse.id}/enrolments`, { person_id: lena.id });
  const run = await api.call("POST", `/orgs/${org.id}/sequences/advance`);
  assert.equal(run.sent, 1, JSON.stringify(run));
  await eventually(
    () => botApi.sentTo(CHAT_ID).find((c) => c.body.text.startsWith("How sure do you feel about today's topic?")),
    "the check-in to reach the chat",
  );

  await page.reload();
  const section = page.getByRole("region", { name: "Check-ins" });
  await section.getByText("From “Daily pulse”").waitFor();
  const answers = section.getByRole("group", { name: "How sure do you feel about today's topic?" });
  assert.deepEqual(await answers.getByRole("button").allTextContents(), ["1", "2", "3", "4", "5"]);
  await screenshot(page, "sequences-05-check-in");
  await answers.getByRole("button", { name: "4 of 5" }).click();
  await section.getByRole("status").filter({ hasText: "Thanks — noted" }).waitFor();
  assert.equal(await section.getByRole("group").count(), 0, "the answered check-in is gone");
  await screenshot(page, "sequences-06-check-in-answered");

  const [enrolment] = await api.call("GET", `/orgs/${org.id}/sequences/${pulse.id}/enrolments`);
  assert.deepEqual(enrolment.taken.map((t) => [t.step_key, t.outcome, t.answer]), [["c1", "sent", 4]]);
  assert.deepEqual(await lena.client.call("GET", `/orgs/${org.id}/check-ins`), []);
  const reloaded = page.waitForResponse((r) => r.url().endsWith(`/orgs/${org.id}/check-ins`));
  await page.reload();
  assert.deepEqual(await (await reloaded).json(), []);
  await page.getByRole("heading", { name: "My learning", level: 1 }).waitFor();
  assert.equal(await page.getByRole("heading", { name: "Check-ins" }).count(), 0);
  await page.context().close();

  // The administrator sees the answer in the enrolments.
  const admin = await signedInPage(OPERATOR);
  await admin.goto(`${stack.base}/sequences/${pulse.id}`);
  const row = admin.getByRole("region", { name: "Enrolments" }).getByRole("row").filter({ hasText: "Lena Learner" });
  await row.getByRole("listitem").filter({ hasText: "c1 · Check-in (1–5)" }).filter({ hasText: "answered 4 of 5" }).waitFor();
  await row.getByText("Completed", { exact: true }).waitFor();

  // Deleting asks first, then the sequence is gone from the list.
  await admin.getByRole("form", { name: "Sequence" }).getByRole("button", { name: "Delete sequence" }).click();
  const dialog = admin.getByRole("dialog", { name: "Delete this sequence?" });
  await dialog.getByRole("button", { name: "Delete sequence" }).click();
  await admin.waitForURL(/\/sequences$/);
  await admin.getByRole("table", { name: "Sequences" }).getByRole("link", { name: "First week" }).waitFor();
  assert.equal(await admin.getByRole("link", { name: "Daily pulse" }).count(), 0);
  await admin.context().close();
});

test("a coach adds a guided interview step: its flow is chosen, checked, saved and shown by name", async () => {
  const page = await signedInPage(COACH);
  await page.goto(`${stack.base}/sequences/new`);
  const form = page.getByRole("form", { name: "Sequence" });

  // Without flows, an interview step says where to write one.
  const lone = stepGroup(form, 1);
  await lone.getByLabel("Kind").selectOption({ label: "Guided interview" });
  await lone.getByText("No interview flows yet: write one under Interviews.").waitFor();
  assert.equal(await lone.getByRole("link", { name: "Interviews" }).getAttribute("href"), "/interviews");

  // The coach saves two templates as flows.
  const templates = await cora.client.call("GET", `/orgs/${org.id}/interview-templates`);
  const template = (purpose) => templates.find((t) => t.purpose === purpose);
  const reflection = await cora.client.call("POST", `/orgs/${org.id}/interview-flows`, template("weekly_reflection"));
  const checkIn = await cora.client.call("POST", `/orgs/${org.id}/interview-flows`, template("program_check_in"));
  assert.deepEqual([reflection.spec.name, checkIn.spec.name], ["Weekly reflection", "Program check-in"]);

  await page.reload();
  await form.getByLabel("Name").fill("Weekly reflections");
  const welcome = "Welcome, {name}! Each week a short interview helps you reflect.";
  await fillStep(form, 1, { kind: "Message", text: welcome, delay: 0 });
  await form.getByRole("button", { name: "Add step" }).click();
  const second = stepGroup(form, 2);
  assert.equal(await second.getByLabel("Interview flow").count(), 0, "only an interview step names a flow");
  await second.getByLabel("Kind").selectOption({ label: "Guided interview" });
  const flow = second.getByLabel("Interview flow");
  await second.getByRole("option", { name: "Program check-in" }).waitFor({ state: "attached" });
  assert.deepEqual(await flow.evaluate((s) => [...s.options].map((o) => o.textContent)), [
    "Choose an interview flow",
    "Weekly reflection",
    "Program check-in",
  ]);
  assert.equal(await flow.inputValue(), "", "the author chooses the flow");
  await second
    .getByText("The message sent with the link to the interview. {name} becomes the learner's first name.")
    .waitFor();
  await second.getByLabel("Text", { exact: true }).fill("Time for your weekly reflection, {name}.");
  await second.getByLabel("Delay in hours").fill("0");
  await second.getByText("Day 0 · Guided interview", { exact: true }).waitFor();

  // Saved without its flow: refused in the browser, at the flow, which takes the focus.
  const flowId = await flow.getAttribute("id");
  const isFocused = () => page.waitForFunction((id) => document.activeElement?.id === id, flowId);
  await form.getByRole("button", { name: "Create sequence" }).click();
  await second.locator(".field-error").filter({ hasText: "Choose the interview this step starts." }).waitFor();
  assert.equal(await flow.getAttribute("aria-invalid"), "true");
  await isFocused();
  assert.equal(await form.locator(".field-error").count(), 1, "the refusal shows at one step only");
  assert.match(page.url(), /\/sequences\/new$/, "nothing was saved");

  // A flow deleted after it was chosen: the server refuses the step, at its flow.
  await flow.selectOption({ label: "Program check-in" });
  await second.locator(".field-error").waitFor({ state: "detached" }); // choosing a flow clears the refusal
  await second.getByText("Day 0 · Guided interview · Program check-in").waitFor();
  await cora.client.call("DELETE", `/orgs/${org.id}/interview-flows/${checkIn.id}`);
  await form.getByRole("button", { name: "Create sequence" }).click();
  const refusal = second.locator(".field-error").filter({ hasText: "Names no interview flow here." });
  await refusal.waitFor();
  assert.equal(await flow.getAttribute("aria-invalid"), "true");
  await isFocused();
  assert.equal(
    (await api.call("GET", `/orgs/${org.id}/sequences`)).some((s) => s.name === "Weekly reflections"),
    false,
    "nothing was saved",
  );
  await threeScreenshots(page, "sequences-07-interview-refused", () => refusal.waitFor());

  // With the weekly reflection chosen, it saves.
  await flow.selectOption({ label: "Weekly reflection" });
  await refusal.waitFor({ state: "detached" });
  await second.getByText("Day 0 · Guided interview · Weekly reflection").waitFor();
  await form.getByRole("button", { name: "Create sequence" }).click();
  await page.waitForURL(/\/sequences\/[0-9a-f-]{36}$/);
  const id = page.url().split("/").pop();
  const saved = await api.call("GET", `/orgs/${org.id}/sequences/${id}`);
  assert.deepEqual(
    saved.steps.map((s) => [s.key, s.kind, s.text, s.flow_id ?? null]),
    [
      ["s1", "message", welcome, null],
      ["s2", "interview", "Time for your weekly reflection, {name}.", reflection.id],
    ],
  );

  // Reopened, the editor shows the flow chosen, by name.
  await page.reload();
  const again = page.getByRole("form", { name: "Sequence" });
  const reopened = stepGroup(again, 2);
  const when = reopened.getByText("Day 0 · Guided interview · Weekly reflection");
  await when.waitFor();
  assert.equal(await reopened.getByLabel("Kind").evaluate((s) => s.selectedOptions[0].textContent), "Guided interview");
  const chosen = reopened.getByLabel("Interview flow");
  assert.equal(await chosen.evaluate((s) => s.selectedOptions[0].textContent), "Weekly reflection");
  assert.equal(await chosen.inputValue(), reflection.id);
  await threeScreenshots(page, "sequences-08-interview-step", () => when.waitFor());

  // Lena is enrolled; both steps are due at once: the welcome, then her interview starts with its link.
  const panel = page.getByRole("region", { name: "Enrolments" });
  await panel.getByRole("option", { name: "Lena Learner" }).waitFor({ state: "attached" });
  await panel.getByLabel("Learner", { exact: true }).selectOption({ label: "Lena Learner" });
  await panel.getByRole("button", { name: "Enrol", exact: true }).click();
  const row = panel.getByRole("table", { name: "Enrolments" }).getByRole("row").filter({ hasText: "Lena Learner" });
  await row.getByText("s1 · Message").waitFor();
  const run = await api.call("POST", `/orgs/${org.id}/sequences/advance`);
  assert.equal(run.sent, 2, JSON.stringify(run));
  const [interview] = await lena.client.call("GET", `/orgs/${org.id}/interviews`);
  assert.equal(interview.flow_id, reflection.id);
  const isInvitation = ({ body: { text } }) =>
    text.startsWith("Time for your weekly reflection, Lena.") && text.endsWith(`/interviews/${interview.id}`);
  await eventually(() => botApi.sentTo(CHAT_ID).find(isInvitation), "the interview's link to reach the chat");

  await page.reload();
  const taken = row.getByRole("list", { name: "Steps taken by Lena Learner" });
  await taken
    .getByRole("listitem")
    .filter({ hasText: "s2 · Guided interview · Weekly reflection" })
    .filter({ hasText: "Sent" })
    .waitFor();
  await row.getByText("Completed", { exact: true }).waitFor();
  await panel.screenshot({ path: join(SCREENSHOTS, "sequences-09-interview-taken.png") });
  await page.context().close();
});
