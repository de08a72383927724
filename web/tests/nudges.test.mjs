// Browser tests of nudges against the real server, with a stand-in for the
// Telegram Bot API (a small HTTP server in this file that answers as Telegram
// does) so learners can be reached. The administrator writes an "inactive"
// rule through the form under Organisation → Nudges and sees it in the list;
// its effect view shows empty groups as "—"; an audience that alerts coaches
// and parents without an alert message, and a holdout over 90 %, are refused
// beside their fields; "Evaluate now" says what it decided. Then a rule on
// goal deadlines, written through the form, reaches ten learners with linked
// Telegram chats: some are nudged, some held out, a few come back by asking
// the coach from their chat, and the effect view shows the same figures as the
// API with the difference's interval drawn. Deleting a rule asks first. A
// learner sets their reach settings on the profile (kept across a reload; a
// time zone that does not exist and half-given quiet hours are refused beside
// their fields) and sets a goal with a deadline, shown as "due …". Run with
// `npm run test:e2e` (WAYFINDER_BIN names the binary).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  WEB_ROOT,
  closeAndCheckProblems,
  eventually,
  focusedIsInvalid,
  noSideways,
  openPage,
  screenshot,
  setUpOrganisation,
  startStack,
} from "./lib/harness.mjs";
import { linkTelegramChat, sendFromTelegram, setUpTelegramBot, startFakeBotApi } from "./lib/telegram.mjs";

const TIMEOUT = 30_000;
const FIXTURE = join(WEB_ROOT, "tests", "fixtures", "learning-to-learn.md");
const OPERATOR = { email: "ola@example.org", password: "correct horse battery staple 42", name: "Ola Operator" };
const LEARNER = { email: "lena@example.org", password: "a sturdy learner passphrase 7", name: "Lena Learner" };
const ORG_NAME = "Northfield School";
const PROGRAM = "Study skills";
const INACTIVE_RULE = "Quiet for a week";
const DEADLINE_RULE = "Goal due soon";
/** Learners with a linked Telegram chat and a goal due tomorrow: the deadline rule finds them all. */
const REACHABLE = 10;
/** Of them, those who ask the coach something after the rule has decided. */
const RETURNING = 4;

let botApi;
let stack;
let api; // the operator, an administrator of the organisation
let org;
let lena;
let programId;
const reachable = []; // { client, id, chat }
const problems = [];

const signedInPage = (person, viewport) => openPage(stack, { person, problems, viewport, timeout: TIMEOUT });
const nav = (p) => p.getByRole("navigation", { name: "Main" });
const fromTelegram = (chatId, text) => sendFromTelegram(stack.base, org.id, { chatId, firstName: "Sam" }, text);

const rules = () => api.call("GET", `/orgs/${org.id}/nudge-rules`);
const ruleNamed = async (name) => (await rules()).find((r) => r.name === name);

async function openNudges(page) {
  await nav(page).getByRole("link", { name: "Organisation" }).click();
  await page.getByRole("navigation", { name: "Organisation sections" }).getByRole("link", { name: "Nudges" }).click();
  await page.waitForURL(/\/admin\/nudges$/);
  await page.getByRole("heading", { name: "Nudges", level: 2 }).waitFor();
}

/** The cells of a rule's row in the list, after its name. */
async function rowCells(page, name) {
  const row = page.getByRole("table", { name: "Nudge rules" }).getByRole("row").filter({
    has: page.getByRole("rowheader", { name, exact: true }),
  });
  await row.waitFor();
  return (await row.getByRole("cell").allTextContents()).map((t) => t.trim());
}

/** A group's row in the effect view: [people, came back, return rate]. */
async function armCells(effect, group) {
  const row = effect.getByRole("table", { name: "Coming back within 48 hours" }).getByRole("row").filter({
    has: effect.page().getByRole("rowheader", { name: group, exact: true }),
  });
  await row.waitFor();
  return (await row.getByRole("cell").allTextContents()).map((t) => t.trim());
}

/** The decision counts in the effect view, by label. */
async function decisionCounts(effect) {
  const items = effect.locator(".nudge-decisions > div");
  const counts = {};
  for (let i = 0; i < (await items.count()); i += 1) {
    counts[(await items.nth(i).locator("dt").textContent()).trim()] = Number(await items.nth(i).locator("dd").textContent());
  }
  return counts;
}

const DECISION_LABELS = {
  queued: "Nudges queued",
  held_out: "Held out",
  opted_out: "Opted out (sent STOP)",
  cap_reached: "Weekly cap reached",
  no_channel: "No linked account",
  alerts: "Alerts to coaches and parents",
};
const labelled = (decisions) =>
  Object.fromEntries(Object.entries(DECISION_LABELS).map(([key, label]) => [label, decisions[key]]));

before(async () => {
  botApi = await startFakeBotApi();
  stack = await startStack({ env: { WAYFINDER_TELEGRAM_API_URL: botApi.url } });
  ({ api, org } = await setUpOrganisation(stack, OPERATOR, { name: ORG_NAME, slug: "northfield" }));
  lena = await api.inviteAndAccept(org.id, LEARNER, "learner");
  await setUpTelegramBot(api, org.id);

  // A published program to set goals in.
  const collection = await api.call("POST", `/orgs/${org.id}/collections`, { name: PROGRAM });
  await api.upload(org.id, collection.id, "learning-to-learn.md", await readFile(FIXTURE, "utf8"));
  const draft = await api.call("POST", `/orgs/${org.id}/programs/draft`, { collection_id: collection.id, title: PROGRAM });
  programId = draft.program.id;
  await api.call("POST", `/orgs/${org.id}/programs/${programId}/publish`);
  await api.call("POST", `/orgs/${org.id}/programs/${programId}/enrolments`, { person_id: lena.id });

  // Learners the deadline rule will find: enrolled, a goal due tomorrow, a Telegram chat linked.
  const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
  for (let i = 1; i <= REACHABLE; i += 1) {
    const person = { email: `learner${i}@example.org`, name: `Sam Learner ${i}`, password: `a sturdy learner passphrase ${i}` };
    const learner = await api.inviteAndAccept(org.id, person, "learner");
    learner.chat = 500_000 + i;
    await api.call("POST", `/orgs/${org.id}/programs/${programId}/enrolments`, { person_id: learner.id });
    await learner.client.call("POST", `/orgs/${org.id}/learners/${learner.id}/goals`, {
      kind: "program",
      program_id: programId,
      deadline: tomorrow,
    });
    await linkTelegramChat(stack.base, org.id, learner.client, { chatId: learner.chat, firstName: "Sam" });
    reachable.push(learner);
  }
});

after(() => closeAndCheckProblems(problems, [stack, botApi]));

test("the administrator writes an inactive rule through the form and sees it in the list", async () => {
  const page = await signedInPage(OPERATOR);
  await openNudges(page);
  await page.getByText("No nudge rules yet.").waitFor();

  await page.getByRole("button", { name: "New rule" }).click();
  const form = page.getByRole("form", { name: "Nudge rule" });
  await form.getByLabel("Name", { exact: true }).fill(INACTIVE_RULE);
  const trigger = form.getByLabel("Trigger");
  assert.deepEqual(
    (await trigger.locator("option").allTextContents()).map((t) => t.trim()),
    [
      "Inactive for N days",
      "Rated an answer down in the last N days",
      "A review overdue by N days",
      "Mastery falling over the last N days",
      "A goal due within N days",
      "A check-in unanswered for N days",
    ],
  );
  // What the days mean follows the trigger.
  await trigger.selectOption({ label: "A goal due within N days" });
  await form.getByText("Finds learners with a goal due within this many days.").waitFor();
  await trigger.selectOption("inactive");
  await form.getByText("Finds learners who have not asked, answered or practised for this many days.").waitFor();
  await form.getByLabel("Days").fill("7");
  await form.getByText("Inactive for 7 days", { exact: true }).waitFor();
  await form.getByLabel("Message", { exact: true }).fill("Hi {name}, it has been {days} days. Ten minutes of practice today?");
  await form.getByText("{name} becomes their first name, {days} the rule's days.", { exact: false }).waitFor();
  assert.equal(await form.getByLabel("The learner", { exact: true }).isChecked(), true, "the learner is the default audience");
  assert.equal(await form.getByLabel("Alert message").count(), 0, "no alert message for a rule that only reaches the learner");
  assert.equal(await form.getByLabel("Holdout (%)").inputValue(), "10", "a 10 % holdout by default");
  assert.equal(await form.getByLabel("Active", { exact: true }).isChecked(), true);
  await form.getByRole("button", { name: "Create rule" }).click();

  await form.waitFor({ state: "detached" });
  await page.getByRole("status").filter({ hasText: `Created “${INACTIVE_RULE}”.` }).waitFor();
  assert.deepEqual((await rowCells(page, INACTIVE_RULE)).slice(0, 5), ["Inactive", "7", "The learner", "10 %", "Active"]);

  const saved = await ruleNamed(INACTIVE_RULE);
  assert.equal(saved.trigger, "inactive");
  assert.equal(saved.days, 7);
  assert.equal(saved.audience, "learner");
  assert.equal(saved.alert_message, null);
  assert.equal(saved.holdout_share, 0.1);
  assert.equal(saved.active, true);
  assert.equal(saved.message, "Hi {name}, it has been {days} days. Ten minutes of practice today?");

  // Kept across a reload.
  await page.reload();
  await rowCells(page, INACTIVE_RULE);
  await screenshot(page, "nudges-01-rules");
  await page.setViewportSize({ width: 375, height: 740 });
  await noSideways(page);
  await screenshot(page, "nudges-01-rules-375");
  await page.context().close();
});

test("a rule's effect view shows empty groups as a dash before it has decided anything", async () => {
  const page = await signedInPage(OPERATOR);
  await openNudges(page);
  await page.getByRole("link", { name: `See the effect of ${INACTIVE_RULE}` }).click();
  const rule = await ruleNamed(INACTIVE_RULE);
  await page.waitForURL(new RegExp(`/admin/nudges/${rule.id}$`));
  const effect = page.getByRole("region", { name: `Effect of ${INACTIVE_RULE}` });
  await effect.waitFor();
  await effect.getByText("Inactive for 7 days · to the learner · 10 % held out · active").waitFor();
  await effect.getByRole("table", { name: "Coming back within 48 hours" }).waitFor();
  assert.deepEqual(await armCells(effect, "Nudged"), ["0", "—", "—"]);
  assert.deepEqual(await armCells(effect, "Held out"), ["0", "—", "—"]);
  assert.equal((await effect.locator(".nudge-effect-points").textContent()).trim(), "—", "no difference without people");
  assert.equal(await effect.getByRole("img").count(), 0, "no interval to draw");
  const answer = await api.call("GET", `/orgs/${org.id}/nudge-rules/${rule.id}/effect`);
  await effect.getByText(answer.returns.statement, { exact: true }).waitFor();
  assert.deepEqual(await decisionCounts(effect), labelled(answer.decisions));
  assert.ok(Object.values(answer.decisions).every((n) => n === 0));
  await screenshot(page, "nudges-02-effect-empty");

  await effect.getByRole("link", { name: "← Nudge rules" }).click();
  await page.waitForURL(/\/admin\/nudges$/);
  await page.getByRole("table", { name: "Nudge rules" }).waitFor();
  await page.context().close();
});

test("an alert to coaches and parents needs its message, and the holdout stays within 90 %, each said beside its field", async () => {
  const page = await signedInPage(OPERATOR);
  await openNudges(page);
  await page.getByRole("button", { name: `Edit ${INACTIVE_RULE}` }).click();
  const form = page.getByRole("form", { name: "Nudge rule" });
  assert.equal(await form.getByLabel("Name", { exact: true }).inputValue(), INACTIVE_RULE, "the form holds the rule");
  assert.equal(await form.getByLabel("Days").inputValue(), "7");

  await form.getByLabel("Both", { exact: true }).check();
  const alert = form.getByLabel("Alert message");
  await alert.waitFor();
  await form.getByText("{learner} becomes the learner's name, {days} the rule's days.", { exact: false }).waitFor();
  await form.getByRole("button", { name: "Save rule" }).click();
  await form.locator(".field-error").filter({ hasText: "Is needed when the rule alerts coaches and parents." }).waitFor();
  assert.equal(await alert.getAttribute("aria-invalid"), "true");
  await focusedIsInvalid(page);
  assert.equal((await ruleNamed(INACTIVE_RULE)).audience, "learner", "nothing was saved");
  await screenshot(page, "nudges-03-alert-refused");

  await alert.fill("{learner} has not been active for {days} days.");
  const holdout = form.getByLabel("Holdout (%)");
  await holdout.fill("95");
  await form.getByRole("button", { name: "Save rule" }).click();
  await form.locator(".field-error").filter({ hasText: "Must be between 0 and 90 %." }).waitFor();
  assert.equal(await holdout.getAttribute("aria-invalid"), "true");
  assert.equal(await alert.getAttribute("aria-invalid"), null, "the alert message is no longer refused");
  await focusedIsInvalid(page);

  await holdout.fill("20");
  await form.getByRole("button", { name: "Save rule" }).click();
  await form.waitFor({ state: "detached" });
  await page.getByRole("status").filter({ hasText: `Saved “${INACTIVE_RULE}”.` }).waitFor();
  const cells = await rowCells(page, INACTIVE_RULE);
  assert.deepEqual(cells.slice(0, 5), ["Inactive", "7", "Learner, coaches and parents", "20 %", "Active"]);
  const saved = await ruleNamed(INACTIVE_RULE);
  assert.equal(saved.audience, "both");
  assert.equal(saved.alert_message, "{learner} has not been active for {days} days.");
  assert.equal(saved.holdout_share, 0.2);
  await page.context().close();
});

test("Evaluate now says what it decided", async () => {
  const page = await signedInPage(OPERATOR);
  await openNudges(page);
  await page.getByRole("button", { name: "Evaluate now" }).click();
  const summary = page.getByRole("status", { name: "Last evaluation" });
  // Everyone joined today, so nobody has been inactive for a week.
  await summary
    .getByText(
      /^Evaluated at .+: 0 nudges queued, 0 held out, 0 opted out, 0 at their weekly cap, 0 with no linked account, 0 alerts to coaches and parents\.$/,
    )
    .waitFor();
  await screenshot(page, "nudges-04-evaluated");
  await page.context().close();
});

test("a goal-deadline rule nudges some learners and holds out others; the effect view shows the server's figures with the interval drawn", async () => {
  const page = await signedInPage(OPERATOR);
  await openNudges(page);
  await page.getByRole("button", { name: "New rule" }).click();
  const form = page.getByRole("form", { name: "Nudge rule" });
  await form.getByLabel("Name", { exact: true }).fill(DEADLINE_RULE);
  await form.getByLabel("Trigger").selectOption("goal_deadline");
  await form.getByLabel("Days").fill("3");
  await form.getByText("A goal due within 3 days", { exact: true }).waitFor();
  await form.getByLabel("Message", { exact: true }).fill("Hi {name}, your goal is due within {days} days.");
  await form.getByLabel("Holdout (%)").fill("50");
  await form.getByRole("button", { name: "Create rule" }).click();
  await form.waitFor({ state: "detached" });
  assert.deepEqual((await rowCells(page, DEADLINE_RULE)).slice(0, 5), ["Goal deadline near", "3", "The learner", "50 %", "Active"]);
  const rule = await ruleNamed(DEADLINE_RULE);
  assert.equal(rule.holdout_share, 0.5);

  // Every reachable learner is decided about once: nudged or held out.
  await page.getByRole("button", { name: "Evaluate now" }).click();
  const summary = page.getByRole("status", { name: "Last evaluation" });
  const text = await eventually(async () => (await summary.textContent()).trim(), "the evaluation's summary");
  const [, queued, heldOut] = text.match(/: (\d+) nudges? queued, (\d+) held out, 0 opted out, 0 at their weekly cap, 0 with no linked account/);
  assert.equal(Number(queued) + Number(heldOut), REACHABLE, text);

  // Some come back by asking the coach from their chat.
  for (const learner of reachable.slice(0, RETURNING)) await fromTelegram(learner.chat, "How should I space my reviews?");
  const answer = await eventually(async () => {
    const effect = await api.call("GET", `/orgs/${org.id}/nudge-rules/${rule.id}/effect`);
    const { nudged, holdout } = effect.returns;
    return nudged.returned + holdout.returned === RETURNING ? effect : null;
  }, "the returning learners to count");
  const { nudged, holdout } = answer.returns;
  assert.equal(nudged.people, Number(queued));
  assert.equal(holdout.people, Number(heldOut));
  assert.ok(nudged.people > 0 && holdout.people > 0, "both groups have people (a 50 % holdout of ten)");

  await page.getByRole("link", { name: `See the effect of ${DEADLINE_RULE}` }).click();
  const effect = page.getByRole("region", { name: `Effect of ${DEADLINE_RULE}` });
  await effect.waitFor();
  const percent = (rate) =>
    page.evaluate((r) => new Intl.NumberFormat(undefined, { style: "percent", maximumFractionDigits: 1 }).format(r), rate);
  assert.deepEqual(await armCells(effect, "Nudged"), [String(nudged.people), String(nudged.returned), await percent(nudged.return_rate)]);
  assert.deepEqual(await armCells(effect, "Held out"), [String(holdout.people), String(holdout.returned), await percent(holdout.return_rate)]);
  const points = (await effect.locator(".nudge-effect-points").textContent()).trim();
  assert.match(points, /^([+−]\d+(\.\d)?|0) points$/);
  const expected = Math.round(answer.returns.difference * 1000) / 10;
  assert.equal(Number(points.replace(" points", "").replace("−", "-").replace("+", "")), expected);
  const bar = effect.getByRole("img", { name: /^Difference .* points, 95 % interval from .* to .* points; zero lies (inside|outside) the interval\.$/ });
  await bar.waitFor();
  const [low, high] = answer.returns.interval;
  const zero = low > 0 || high < 0 ? "outside" : "inside";
  assert.match(await bar.getAttribute("aria-label"), new RegExp(`zero lies ${zero} the interval`));
  await effect.getByText(answer.returns.statement, { exact: true }).waitFor();
  assert.deepEqual(await decisionCounts(effect), labelled(answer.decisions));
  await screenshot(page, "nudges-05-effect");
  await page.setViewportSize({ width: 375, height: 740 });
  await noSideways(page);
  await screenshot(page, "nudges-05-effect-375");
  await page.emulateMedia({ colorScheme: "dark" });
  await page.setViewportSize({ width: 1280, height: 800 });
  await screenshot(page, "nudges-05-effect-dark");
  await page.context().close();
});

test("deleting a rule asks first", async () => {
  const page = await signedInPage(OPERATOR);
  await openNudges(page);
  await page.getByRole("button", { name: `Delete ${INACTIVE_RULE}` }).click();
  const confirm = page.getByRole("dialog", { name: `Delete “${INACTIVE_RULE}”?` });
  await confirm.getByText("its record of whom it nudged and held out goes with it", { exact: false }).waitFor();
  await confirm.getByRole("button", { name: "Cancel" }).click();
  await confirm.waitFor({ state: "hidden" });
  assert.ok(await ruleNamed(INACTIVE_RULE), "cancelled, the rule stays");

  await page.getByRole("button", { name: `Delete ${INACTIVE_RULE}` }).click();
  await confirm.getByRole("button", { name: "Delete rule" }).click();
  await confirm.waitFor({ state: "hidden" });
  await page.getByRole("status").filter({ hasText: `Deleted “${INACTIVE_RULE}”.` }).waitFor();
  assert.equal(await page.getByRole("rowheader", { name: INACTIVE_RULE, exact: true }).count(), 0);
  await page.getByRole("rowheader", { name: DEADLINE_RULE, exact: true }).waitFor();
  assert.deepEqual((await rules()).map((r) => r.name), [DEADLINE_RULE]);
  await page.context().close();
});

test("a learner sets their reach settings on the profile; they are kept, and refused fields are explained beside them", async () => {
  const page = await signedInPage(LEARNER);
  await nav(page).getByRole("link", { name: "Profile" }).click();
  await page.getByRole("heading", { name: "Your profile", level: 1 }).waitFor();
  const form = page.getByRole("form", { name: "Reach settings" });
  const timeZone = form.getByLabel("Time zone");
  const quietFrom = form.getByLabel("Quiet from");
  const quietUntil = form.getByLabel("Quiet until");
  const cap = form.getByLabel("Reminders a week at most");
  await timeZone.waitFor();
  // Empty: the organisation's defaults, each named.
  assert.equal(await timeZone.inputValue(), "");
  assert.equal(await cap.inputValue(), "");
  await form.getByText("Empty: the organisation's time zone.", { exact: false }).waitFor();
  await form.getByText("Empty: 21:00 to 08:00.", { exact: false }).waitFor();
  await form.getByText("Empty: 3 a week.", { exact: false }).waitFor();
  assert.ok((await form.locator("datalist option").count()) > 100, "the time zones the browser knows are offered");

  // A time zone that does not exist.
  await timeZone.fill("Mars/Olympus_Mons");
  await form.getByRole("button", { name: "Save" }).click();
  await form.locator(".field-error").filter({ hasText: "Must be an IANA time zone such as Europe/Berlin." }).waitFor();
  assert.equal(await timeZone.getAttribute("aria-invalid"), "true");
  await focusedIsInvalid(page);

  // Quiet hours need both ends.
  await timeZone.fill("Europe/Berlin");
  await quietFrom.fill("22:00");
  await form.getByRole("button", { name: "Save" }).click();
  await form.locator(".field-error").filter({ hasText: "Quiet hours need both their start and their end." }).waitFor();
  assert.equal(await quietUntil.getAttribute("aria-invalid"), "true");
  assert.equal(await timeZone.getAttribute("aria-invalid"), null);

  await quietUntil.fill("07:00");
  await cap.fill("2");
  await form.getByLabel("Preferred channel").selectOption({ label: "Telegram" });
  await form.getByRole("button", { name: "Save" }).click();
  await form.getByRole("status").filter({ hasText: "Saved." }).waitFor();
  assert.equal(await form.locator(".field-error").count(), 0);
  assert.deepEqual(await lena.client.call("GET", `/orgs/${org.id}/reach-settings`), {
    time_zone: "Europe/Berlin",
    quiet_start: "22:00",
    quiet_end: "07:00",
    weekly_cap: 2,
    preferred_channel: "telegram",
  });

  await page.reload();
  await timeZone.waitFor();
  await eventually(async () => (await timeZone.inputValue()) === "Europe/Berlin", "the saved settings to load");
  assert.equal(await quietFrom.inputValue(), "22:00");
  assert.equal(await quietUntil.inputValue(), "07:00");
  assert.equal(await cap.inputValue(), "2");
  assert.equal(await form.getByLabel("Preferred channel").inputValue(), "telegram");
  await screenshot(page, "nudges-06-reach-settings");

  // Emptied, a field goes back to the organisation's default.
  await form.getByLabel("Preferred channel").selectOption({ label: "No preference" });
  await cap.fill("");
  await form.getByRole("button", { name: "Save" }).click();
  await form.getByRole("status").filter({ hasText: "Saved." }).waitFor();
  const kept = await lena.client.call("GET", `/orgs/${org.id}/reach-settings`);
  assert.equal(kept.weekly_cap, null);
  assert.equal(kept.preferred_channel, null);
  assert.equal(kept.quiet_start, "22:00");
  await page.setViewportSize({ width: 375, height: 740 });
  await noSideways(page);
  await page.context().close();
});

test("a learner sets a goal with a deadline and sees when it is due", async () => {
  const page = await signedInPage(LEARNER);
  await nav(page).getByRole("link", { name: "My learning" }).click();
  await page.getByRole("heading", { name: "My learning" }).waitFor();
  const goalForm = page.getByRole("form", { name: "Set a goal" });
  await goalForm.getByLabel("A whole program").check();
  await goalForm.getByLabel("Deadline").fill("2031-06-30");
  await goalForm.getByRole("button", { name: "Set goal" }).click();
  const goal = page.getByRole("list", { name: "Goals" }).getByRole("listitem").filter({ hasText: PROGRAM }).first();
  const due = goal.locator(".learner-goal-deadline");
  await due.waitFor();
  assert.match((await due.textContent()).trim(), /^due .*2031/);
  assert.equal(await due.locator("time").getAttribute("datetime"), "2031-06-30");
  assert.equal(await goalForm.getByLabel("Deadline").inputValue(), "", "the form is ready for the next goal");
  const goals = await lena.client.call("GET", `/orgs/${org.id}/learners/${lena.id}/goals`);
  assert.deepEqual(
    goals.map((g) => ({ kind: g.kind, deadline: g.deadline })),
    [{ kind: "program", deadline: "2031-06-30" }],
  );
  await screenshot(page, "nudges-07-goal-deadline");
  await page.context().close();
});
