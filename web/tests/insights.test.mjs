// Browser tests of the administrators' and managers' insight screens and of
// the notifications bell, against the real server. Set up over the API: an
// organisation with a collection holding a Markdown handbook, a published
// program, a coach, a manager of that coach, and a learner of that coach
// enrolled in the program. The learner asks the coach questions — two the
// handbook answers and two about volcanoes, which it does not cover and the
// coach refuses — and rates one answer unhelpful for a missing source; the
// admin adds a refusal-rate rule (over 30 %, from 2 questions) and evaluates
// it. Then, in the browser, the admin sees the overview's figures equal what
// the test did, the charts' tables, the volcano topic among the knowledge
// gaps with its examples, the outcomes' statement word for word, the fired
// alert, a rule refused then added and deleted, the bell's one unread
// notification marked read, and a time-zone change saved; the manager sees
// their coach's team. Screens are shot at desktop width, at 375 px and in the
// dark scheme. Run with `node --test tests/insights.test.mjs` (WAYFINDER_BIN
// names the binary).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  WEB_ROOT,
  closeAndCheckProblems,
  openPage,
  screenshot,
  setUpOrganisation,
  startStack,
} from "./lib/harness.mjs";

const FIXTURE = join(WEB_ROOT, "tests", "fixtures", "study-habits.md");
const TIMEOUT = 30_000;
const OPERATOR = { email: "ines@example.org", password: "a long operator passphrase 11", name: "Ines Insight" };
const COACH = { email: "cal@example.org", password: "a patient coach passphrase 12", name: "Cal Coach" };
const MANAGER = { email: "mara@example.org", password: "a careful manager passphrase 13", name: "Mara Manager" };
const LEARNER = { email: "lou@example.org", password: "a curious learner passphrase 14", name: "Lou Learner" };
const PROGRAM = "Study habits";
// The handbook covers these…
const ANSWERED = ["What does spaced repetition mean?", "How long is a Pomodoro block?"];
// …and not these: the coach refuses them, and they share their words, so they make one topic.
const VOLCANO = ["Why do volcanoes erupt?", "Which volcanoes erupt most often?"];
const NEW_TIME_ZONE = "Europe/Berlin";

let stack;
let api; // the operator (an admin of the organisation)
let org;
let coach; // { client, id }
let manager;
let learner;
let program;
/** What the test did, counted as it did it: the figures the overview must show. */
const did = { questions: 0, generated: 0, extractive: 0, refused: 0, failed: 0, helpful: 0, unhelpful: 0, conversations: 0 };
let ratedAnswer; // the answer rated unhelpful for a missing source
let adminPage;
let managerPage;
const problems = [];

const nav = (p) => p.getByRole("navigation", { name: "Main" });
const tabs = (p) => p.getByRole("navigation", { name: "Insights sections" });
const stat = (p, key) => p.locator(`[data-stat="${key}"] .insight-stat-value`);
/** The cells of a table row as text, its heading cell first. */
const cells = async (row) => (await row.locator("th, td").allTextContents()).map((t) => t.trim());
const n = (value) => new Intl.NumberFormat("en-US").format(value);

/** Opens a chart's table view and answers the table (named by the chart's title). */
async function chartTable(page, title) {
  const chart = page.getByRole("region", { name: title, exact: true });
  await chart.getByRole("button", { name: "Show as table" }).click();
  await chart.getByRole("button", { name: "Show as chart" }).waitFor();
  return chart.getByRole("table", { name: title, exact: true });
}

/** The page does not scroll sideways. */
async function fitsWidth(page, name) {
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
  }));
  assert.ok(scrollWidth <= innerWidth, `${name}: no horizontal scrolling (page ${scrollWidth}px wide in ${innerWidth}px)`);
}

/** Asks the learner's coach a question and counts what became of it. */
async function ask(conversationId, question) {
  const { assistant_message: answer } = await learner.client.call("POST", `/conversations/${conversationId}/messages`, {
    content: question,
  });
  did.questions += 1;
  if (answer.kind === "generated") did.generated += 1;
  else if (answer.kind === "extractive") did.extractive += 1;
  else if (answer.kind === "refusal") did.refused += 1;
  else if (answer.kind === "error") did.failed += 1;
  return answer;
}

before(async () => {
  stack = await startStack();
  ({ api, org } = await setUpOrganisation(stack, OPERATOR, { name: "Lakeside College", slug: "lakeside" }));
  const collection = await api.call("POST", `/orgs/${org.id}/collections`, { name: "Study habits" });
  const job = await api.upload(org.id, collection.id, "study-habits.md", await readFile(FIXTURE, "utf8"));
  assert.equal(job.files[0].state, "ingested", JSON.stringify(job.files));

  coach = await api.inviteAndAccept(org.id, COACH, "coach");
  manager = await api.inviteAndAccept(org.id, MANAGER, "manager");
  learner = await api.inviteAndAccept(org.id, LEARNER, "learner");
  await api.call("POST", `/orgs/${org.id}/relationships`, { kind: "manager_coach", from_person: manager.id, to_person: coach.id });
  await api.call("POST", `/orgs/${org.id}/relationships`, { kind: "coach_learner", from_person: coach.id, to_person: learner.id });

  const imported = await api.call("POST", `/orgs/${org.id}/programs/import`, {
    title: PROGRAM,
    concepts: [
      { key: "spacing", name: "Spaced repetition" },
      { key: "pomodoro", name: "Pomodoro technique", requires: ["spacing"] },
    ],
  });
  program = imported.program;
  await api.call("POST", `/orgs/${org.id}/programs/${program.id}/publish`);
  await api.call("POST", `/orgs/${org.id}/programs/${program.id}/enrolments`, { person_id: learner.id });

  const conversation = await learner.client.call("POST", `/orgs/${org.id}/conversations`, {});
  did.conversations += 1;
  for (const question of ANSWERED) {
    const answer = await ask(conversation.id, question);
    assert.notEqual(answer.kind, "refusal", `the handbook answers “${question}”`);
    ratedAnswer ??= answer;
  }
  for (const question of VOLCANO) {
    const answer = await ask(conversation.id, question);
    assert.equal(answer.kind, "refusal", `the handbook says nothing of volcanoes: “${question}”`);
  }
  await learner.client.call("PUT", `/messages/${ratedAnswer.id}/feedback`, { rating: "down", reasons: ["missing_source"] });
  did.unhelpful += 1;

  await api.call("POST", `/orgs/${org.id}/alert-rules`, { kind: "refusal_rate", threshold: 0.3, min_count: 2 });
  await api.call("POST", `/orgs/${org.id}/alerts/evaluate`);
  // The server also evaluates every minute, so the alert may have fired before the call above: either way, one.
  const alerts = await api.call("GET", `/orgs/${org.id}/alerts`);
  assert.equal(alerts.length, 1, JSON.stringify(alerts));
  assert.equal(alerts[0].kind, "refusal_rate");
});

after(() => closeAndCheckProblems(problems, [stack]));

test("the overview's figures are what the learner did, and each chart has its table", async () => {
  // The server agrees with what the test counted.
  const overview = await api.call("GET", `/orgs/${org.id}/insights/overview?days=30`);
  const t = overview.totals;
  assert.deepEqual(
    {
      questions: t.questions,
      generated: t.generated,
      extractive: t.extractive,
      refused: t.refused,
      failed: t.failed,
      helpful: t.helpful,
      unhelpful: t.unhelpful,
      conversations: t.conversations,
    },
    did,
  );

  adminPage = await openPage(stack, { person: OPERATOR, problems, timeout: TIMEOUT });
  const page = adminPage;
  await nav(page).getByRole("link", { name: "Insights" }).click();
  await page.waitForURL(/\/insights\/overview$/);
  await page.getByRole("heading", { name: "Insights", level: 1 }).waitFor();
  await stat(page, "questions").waitFor();
  const answered = did.generated + did.extractive;
  assert.equal(await stat(page, "questions").textContent(), n(did.questions));
  assert.equal(await stat(page, "answered").textContent(), n(answered));
  assert.equal(await stat(page, "not-answered").textContent(), n(did.refused + did.failed));
  assert.equal(await stat(page, "conversations").textContent(), n(did.conversations));
  // Only the learner was active: asking and rating.
  assert.equal(await stat(page, "active-this-week").textContent(), "1");
  // One rating, unhelpful: no positive feedback.
  assert.equal(await stat(page, "positive-feedback").textContent(), "0%");
  await page.locator('[data-stat="positive-feedback"]').getByText("0 helpful of 1 rating").waitFor();
  await page.locator('[data-stat="not-answered"]').getByText(`${did.refused} refused, ${did.failed} failed`).waitFor();
  await page.getByText(`days are counted in the ${overview.time_zone} time zone`).waitFor();
  await screenshot(page, "insights-01-overview");

  // The period moves to the address and the figures stay (everything happened today).
  await page.getByRole("group", { name: "Period" }).getByLabel("Last 7 days").check();
  await page.waitForURL(/\/insights\/overview\?days=7$/);
  await page.getByRole("link", { name: "Knowledge gaps" }).waitFor();
  assert.match(await tabs(page).getByRole("link", { name: "Knowledge gaps" }).getAttribute("href"), /days=7$/);
  assert.equal(await stat(page, "questions").textContent(), n(did.questions));

  // Today is the last row of each daily table.
  const byKind = await chartTable(page, "Answers by kind per day");
  assert.deepEqual(await cells(byKind.getByRole("row").first()), [
    "Day",
    "Written by the model",
    "Quoted from the material",
    "Refused",
    "Failed",
    "Questions",
  ]);
  assert.equal(await byKind.getByRole("row").count(), 1 + 7, "a header and a row per day");
  assert.deepEqual((await cells(byKind.getByRole("row").last())).slice(1), [
    n(did.generated),
    n(did.extractive),
    n(did.refused),
    n(did.failed),
    n(did.questions),
  ]);
  const people = await chartTable(page, "Active people by day");
  assert.deepEqual((await cells(people.getByRole("row").last())).slice(1, 4), ["1", n(did.conversations), n(did.questions)]);
  const weeks = await chartTable(page, "Active people by week");
  assert.equal((await cells(weeks.getByRole("row").last()))[1], "1");
  const reasons = await chartTable(page, "Feedback reasons");
  assert.deepEqual(await cells(reasons.getByRole("row").nth(1)), ["Missing source", "Unhelpful", "1"]);
  const top = await chartTable(page, "People whose use cost most");
  const learnerRow = top.getByRole("row").filter({ hasText: LEARNER.name });
  assert.equal((await cells(learnerRow))[1], n(did.questions), "the learner's questions");
  await chartTable(page, "Tokens and cost by day");
  await chartTable(page, "Cost by coach profile");
  await screenshot(page, "insights-02-overview-tables");

  // The knowledge base and the program with its one learner.
  const knowledge = page.getByRole("region", { name: "Knowledge base" });
  assert.equal(await knowledge.locator("dt:text-is('Documents') + dd").textContent(), "1");
  const enrolment = page.getByRole("table", { name: "Programs and enrolment" });
  assert.deepEqual(await cells(enrolment.getByRole("row").filter({ hasText: PROGRAM })), [PROGRAM, "published", "1"]);

  // The CSV downloads answer CSV with the browser's session.
  for (const [name, table] of [
    ["Download activity by day as CSV", "activity"],
    ["Download use by coach profile as CSV", "coaches"],
    ["Download use by person as CSV", "people"],
    ["Download every message of the period as CSV", "messages"],
  ]) {
    const link = page.getByRole("link", { name });
    const href = await link.getAttribute("href");
    assert.equal(href, `/api/v1/orgs/${org.id}/exports/${table}?days=7`);
    assert.equal(await link.getAttribute("download"), "");
    const response = await page.request.get(`${stack.base}${href}`);
    assert.equal(response.status(), 200, `${table}: ${await response.text()}`);
    assert.match(response.headers()["content-type"], /text\/csv/);
  }
  const messages = await (await page.request.get(`${stack.base}/api/v1/orgs/${org.id}/exports/messages?days=7`)).text();
  for (const question of [...ANSWERED, ...VOLCANO]) assert.ok(messages.includes(question), `the messages CSV holds “${question}”`);
});

test("the knowledge gaps show the volcano topic with its examples and weekly trend", async () => {
  const page = adminPage;
  await tabs(page).getByRole("link", { name: "Knowledge gaps" }).click();
  await page.waitForURL(/\/insights\/gaps\?days=7$/);
  const gaps = await api.call("GET", `/orgs/${org.id}/insights/gaps?days=7`);
  const volcano = gaps.topics.find((topic) => VOLCANO.includes(topic.label));
  assert.ok(volcano, `a topic of the volcano questions: ${JSON.stringify(gaps.topics.map((x) => x.label))}`);
  assert.equal(volcano.label, VOLCANO[1], "named after the latest unanswered question");

  const topic = page.getByRole("article", { name: `“${VOLCANO[1]}”` });
  await topic.waitFor();
  const figure = (key) => topic.locator(`[data-figure="${key}"] dd`).textContent();
  assert.equal(await figure("unanswered"), String(VOLCANO.length));
  assert.equal(await figure("refused"), String(VOLCANO.length));
  assert.equal(await figure("answered"), String(volcano.answered));
  assert.equal(await figure("refusal-rate"), `${Math.round(volcano.refusal_rate * 100)}%`);
  const examples = await topic.getByRole("list", { name: "Example questions" }).locator(".gap-example-question").allTextContents();
  assert.deepEqual([...examples].sort(), [...VOLCANO].sort());
  await topic.getByRole("list", { name: "Example questions" }).getByText("Refused ·").first().waitFor();
  assert.deepEqual(await topic.getByRole("list", { name: "Shared words" }).getByRole("listitem").allTextContents(), volcano.keywords);
  // The answer rated “missing source” is a gap too.
  await page.getByRole("article", { name: `“${ANSWERED[0]}”` }).locator('[data-figure="missing-source"] dd').getByText("1").waitFor();

  const trend = await chartTable(topic, "Questions per week");
  assert.deepEqual((await cells(trend.getByRole("row").last())).slice(1), [String(VOLCANO.length), String(volcano.answered)]);
  assert.match(await page.getByRole("link", { name: "Download the knowledge gaps as CSV" }).getAttribute("href"), /\/exports\/gaps\?days=7$/);
  await screenshot(page, "insights-03-gaps");
});

test("the outcomes give each group's size and the server's statement word for word", async () => {
  const page = adminPage;
  await tabs(page).getByRole("link", { name: "Outcomes" }).click();
  await page.waitForURL(/\/insights\/outcomes/);
  const outcomes = await api.call("GET", `/orgs/${org.id}/insights/outcomes?days=7`);
  const outcome = outcomes.programs.find((p) => p.title === PROGRAM);
  assert.ok(outcome, JSON.stringify(outcomes));
  const card = page.getByRole("article", { name: PROGRAM });
  for (const [title, comparison] of [
    ["Mastery gained per learner", outcome.mastery_gained],
    ["Came back in two or more weeks", outcome.return_rate],
  ]) {
    const section = card.getByRole("region", { name: title });
    await section.getByText(comparison.statement, { exact: true }).waitFor();
    const rows = section.getByRole("table").getByRole("row");
    assert.equal((await cells(rows.filter({ hasText: "Used the coach" }).first()))[1], String(comparison.with_coach.learners));
    assert.equal((await cells(rows.filter({ hasText: "Did not use the coach" })))[1], String(comparison.without_coach.learners));
    if (comparison.interval === null) await section.getByText("Not computed: too few learners").waitFor();
  }
  await screenshot(page, "insights-04-outcomes");
});

test("alerts: the fired alert is listed; a rule is refused by its field, then added and deleted", async () => {
  const page = adminPage;
  await tabs(page).getByRole("link", { name: "Alerts" }).click();
  await page.waitForURL(/\/insights\/alerts/);
  const [alert] = await api.call("GET", `/orgs/${org.id}/alerts`);
  const fired = page.getByRole("table", { name: "Fired alerts, newest first" });
  const row = fired.getByRole("row").nth(1);
  await row.waitFor();
  const shown = await cells(row);
  assert.equal(shown[0], "Refused questions in the last hour");
  assert.equal(shown[1], `${alert.message.charAt(0).toUpperCase()}${alert.message.slice(1)}.`);
  assert.match(shown[1], /50 % of the questions in the last hour were refused \(2 of 4\)/);
  assert.equal(shown[2], "50% refused");
  assert.equal(shown[4], "Open");
  const rules = page.getByRole("table", { name: "Alert rules" });
  const rule = await cells(rules.getByRole("row").nth(1));
  assert.deepEqual([...rule.slice(0, 3), rule[4]], ["Refused questions in the last hour", "over 30%", "at least 2 questions", "Delete"]);

  // Evaluating again fires nothing new: the condition already has its open alert.
  await page.getByRole("button", { name: "Evaluate now" }).click();
  await page.getByRole("status").filter({ hasText: "Evaluated: no new alert fired." }).waitFor();

  // A share over 100 % is refused by the server; the reason shows by the field, in the form's units.
  const form = page.getByRole("form", { name: "Add a rule" });
  await form.getByLabel("What to watch").selectOption({ label: "Unhelpful ratings in the last hour" });
  await form.getByText(/rated unhelpful, once at least the minimum number of ratings were given/).waitFor();
  const threshold = form.getByLabel("Unhelpful share over (%)");
  await threshold.fill("150");
  await form.getByLabel("Fewest ratings in the hour").fill("3");
  await form.getByRole("button", { name: "Add rule" }).click();
  await page.waitForFunction(() => document.activeElement?.getAttribute("aria-invalid") === "true");
  assert.equal(await threshold.evaluate((el) => el === document.activeElement), true, "the refused field has the focus");
  const errorId = (await threshold.getAttribute("aria-describedby")).split(" ")[0];
  assert.equal(await page.locator(`[id="${errorId}"]`).textContent(), "Enter a percentage above 0 and below 100.");
  await screenshot(page, "insights-05-alert-rule-refused");

  await threshold.fill("40");
  await form.getByRole("button", { name: "Add rule" }).click();
  await form.getByRole("status").getByText("Rule added: unhelpful ratings in the last hour, over 40%.").waitFor();
  await rules.getByRole("row").nth(2).waitFor();
  const stored = await api.call("GET", `/orgs/${org.id}/alert-rules`);
  const added = stored.find((r) => r.kind === "negative_feedback_share");
  assert.deepEqual({ threshold: added?.threshold, min_count: added?.min_count }, { threshold: 0.4, min_count: 3 });
  await screenshot(page, "insights-06-alerts");

  await page.getByRole("button", { name: "Delete the rule on unhelpful ratings in the last hour" }).click();
  const dialog = page.getByRole("dialog", { name: "Delete this rule?" });
  await dialog.getByRole("button", { name: "Delete rule" }).click();
  await dialog.waitFor({ state: "hidden" });
  await rules.getByRole("row").nth(2).waitFor({ state: "detached" });
  assert.deepEqual((await api.call("GET", `/orgs/${org.id}/alert-rules`)).map((r) => r.kind), ["refusal_rate"]);
});

test("the bell shows the one unread notification, which is marked read", async () => {
  const page = adminPage;
  const bell = page.getByRole("button", { name: "Notifications, 1 unread" });
  await bell.click();
  assert.equal(await bell.getAttribute("aria-expanded"), "true");
  const panel = page.getByRole("region", { name: "Notifications" });
  const items = panel.getByRole("list", { name: "Notifications, newest first" }).getByRole("listitem");
  assert.equal(await items.count(), 1);
  await items.first().getByText(/50 % of the questions in the last hour were refused/).waitFor();
  await screenshot(page, "insights-07-bell-open");
  await items.first().getByRole("button", { name: /^Mark read: / }).click();
  await page.getByRole("button", { name: "Notifications", exact: true }).waitFor();
  await items.first().getByRole("button", { name: /^Mark read: / }).waitFor({ state: "detached" });
  const [notification] = await api.call("GET", `/orgs/${org.id}/notifications`);
  assert.ok(notification.read_at, "the server has it read");
  // Esc closes the list and gives the bell the focus back.
  await page.keyboard.press("Escape");
  await panel.waitFor({ state: "hidden" });
  assert.equal(await page.getByRole("button", { name: "Notifications", exact: true }).evaluate((el) => el === document.activeElement), true);
});

test("settings: a new time zone is saved and the days are counted in it", async () => {
  const page = adminPage;
  await tabs(page).getByRole("link", { name: "Settings" }).click();
  await page.waitForURL(/\/insights\/settings/);
  const form = page.getByRole("form", { name: "Insight settings" });
  await form.getByLabel("Time zone").selectOption(NEW_TIME_ZONE);
  await form.getByRole("switch", { name: "Parents may read conversations" }).waitFor();
  await form.getByText(/the learner has agreed too/).waitFor();
  await form.getByRole("button", { name: "Save settings" }).click();
  await form.getByRole("status").getByText("Settings saved.").waitFor();
  const saved = await api.call("GET", `/orgs/${org.id}/insight-settings`);
  assert.equal(saved.time_zone, NEW_TIME_ZONE);
  assert.equal(saved.parents_may_read_conversations, false, "left as it was");
  await screenshot(page, "insights-08-settings");
  await page.reload();
  assert.equal(await form.getByLabel("Time zone").inputValue(), NEW_TIME_ZONE);
  await tabs(page).getByRole("link", { name: "Overview" }).click();
  await page.getByText(`days are counted in the ${NEW_TIME_ZONE} time zone`).waitFor();
});

test("the manager sees their coach's team", async () => {
  const team = await manager.client.call("GET", `/orgs/${org.id}/insights/team`);
  assert.deepEqual(team.coaches.map((c) => c.name), [COACH.name], "a manager sees the coaches they manage");
  const [expected] = team.coaches;
  assert.equal(expected.learners, 1);
  assert.equal(expected.active_learners_7d, 1, "the learner asked today");

  managerPage = await openPage(stack, { person: MANAGER, problems, timeout: TIMEOUT });
  const page = managerPage;
  await nav(page).getByRole("link", { name: "Team" }).click();
  await page.getByRole("heading", { name: "Team", level: 1 }).waitFor();
  const section = page.getByRole("region", { name: "Coaches' teams" });
  const row = section.getByRole("table", { name: "Coaches' teams" }).getByRole("row").filter({ hasText: COACH.name });
  await row.waitFor();
  const figure = (key) => row.locator(`[data-figure="${key}"]`).textContent();
  assert.equal(await figure("learners"), "1");
  assert.equal(await figure("active"), "1");
  assert.equal(await figure("questions"), n(expected.questions));
  assert.equal(await figure("at-risk"), n(expected.learners_at_risk));
  assert.equal(
    await figure("feedback"),
    expected.helpful + expected.unhelpful === 0
      ? "No ratings"
      : `${expected.helpful} helpful, ${expected.unhelpful} unhelpful (${Math.round((100 * expected.helpful) / (expected.helpful + expected.unhelpful))}% helpful)`,
  );
  assert.equal(await figure("training"), "Not provisioned");
  const compared = await chartTable(page, "Coaches compared");
  assert.deepEqual(await cells(compared.getByRole("row").nth(1)), [COACH.name, "1", "1", n(expected.learners_at_risk)]);
  assert.match(await section.getByRole("link", { name: "Download coaches' teams as CSV" }).getAttribute("href"), /\/exports\/team$/);
  // No alert was delivered to the manager.
  await page.getByRole("button", { name: "Notifications", exact: true }).waitFor();
  await screenshot(page, "insights-09-manager-team");
});

test("the screens fit a phone and read in the dark scheme", async () => {
  const page = adminPage;
  await page.setViewportSize({ width: 375, height: 740 });
  for (const [path, name, ready] of [
    ["/insights/overview", "insights-10-overview-375", (p) => stat(p, "questions")],
    ["/insights/gaps", "insights-11-gaps-375", (p) => p.getByRole("article", { name: `“${VOLCANO[1]}”` })],
    ["/insights/alerts", "insights-12-alerts-375", (p) => p.getByRole("table", { name: "Alert rules" })],
  ]) {
    await page.goto(`${stack.base}${path}`);
    await ready(page).waitFor();
    await fitsWidth(page, name);
    await screenshot(page, name);
  }
  // The bell stays beside the menu button, and the menu still opens.
  const bell = page.getByRole("button", { name: /^Notifications/ });
  assert.ok(await bell.isVisible(), "the bell shows on a phone");
  await page.getByRole("button", { name: "Menu" }).click();
  await nav(page).getByRole("link", { name: "Insights" }).waitFor();
  await bell.click();
  await page.getByRole("region", { name: "Notifications" }).waitFor();
  await fitsWidth(page, "the notifications on a phone");
  await screenshot(page, "insights-13-bell-375");
  await page.keyboard.press("Escape");

  await managerPage.setViewportSize({ width: 375, height: 740 });
  await managerPage.goto(`${stack.base}/team`);
  await managerPage.getByRole("table", { name: "Coaches' teams" }).waitFor();
  await fitsWidth(managerPage, "the manager's team");
  await screenshot(managerPage, "insights-14-manager-team-375");

  await page.setViewportSize({ width: 1280, height: 800 });
  await page.emulateMedia({ colorScheme: "dark" });
  await page.goto(`${stack.base}/insights/overview`);
  await stat(page, "questions").waitFor();
  await screenshot(page, "insights-15-overview-dark");
  await page.goto(`${stack.base}/insights/gaps`);
  await page.getByRole("article", { name: `“${VOLCANO[1]}”` }).waitFor();
  await screenshot(page, "insights-16-gaps-dark");
  await page.goto(`${stack.base}/insights/alerts`);
  await page.getByRole("table", { name: "Fired alerts, newest first" }).waitFor();
  await screenshot(page, "insights-17-alerts-dark");
  await managerPage.setViewportSize({ width: 1280, height: 800 });
  await managerPage.emulateMedia({ colorScheme: "dark" });
  await managerPage.reload();
  await managerPage.getByRole("table", { name: "Coaches' teams" }).waitFor();
  await screenshot(managerPage, "insights-18-manager-team-dark");
});
