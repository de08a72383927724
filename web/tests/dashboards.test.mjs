// Browser tests of the dashboards of the people around a learner, against the
// real server. Set up over the API: an organisation with a handbook, a small
// program the learner is enrolled in, a coach with two learners, a second coach
// with one, a parent and a manager of both coaches. The learner asks the coach
// a question; the coach records answers on two earlier days (three right, then
// three wrong: the learner needs attention). Then in the browser the learner
// reads their streak, activity and mastery (the figures read from the charts'
// tables, checked against what the test did) and agrees to let their parents
// read their conversations; the coach finds them first in the glance with the
// reason; the parent sees them without what they asked until the learner and
// the organisation both allow it; the manager narrows the glance to one coach.
// Screenshots at desktop width, 375 px and in dark mode. Run with
// `npm run test:e2e` (WAYFINDER_BIN names the binary).

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
  threeScreenshots,
} from "./lib/harness.mjs";

const FIXTURE = join(WEB_ROOT, "tests", "fixtures", "learning-to-learn.md");
const TIMEOUT = 30_000;
const DAY = 24 * 60 * 60 * 1000;
const OPERATOR = { email: "ola@example.org", password: "correct horse battery staple 42", name: "Ola Operator" };
const LEARNER = { email: "lena@example.org", password: "a sturdy learner passphrase 7", name: "Lena Learner" };
// Sorts before Lena by name; never at risk, so the glance puts Lena above them.
const CALM_LEARNER = { email: "aaron@example.org", password: "a calm learner passphrase 5", name: "Aaron Able" };
const OTHER_LEARNER = { email: "mina@example.org", password: "another learner passphrase 3", name: "Mina Moss" };
const COACH = { email: "cole@example.org", password: "a patient coach passphrase 9", name: "Cole Coach" };
const OTHER_COACH = { email: "dana@example.org", password: "a second coach passphrase 8", name: "Dana Drew" };
const PARENT = { email: "pat@example.org", password: "a caring parent passphrase 6", name: "Pat Parent" };
const MANAGER = { email: "max@example.org", password: "a steady manager passphrase 4", name: "Max Manager" };
const PROGRAM = "Study habits";
const CONCEPTS = ["Retrieval practice", "Spacing your reviews", "Interleaving topics", "Planning a study week"];
const QUESTION = "What is retrieval practice?";

let stack;
let api; // the operator, an administrator
let org;
let concepts; // name → id
let lena;
let aaron;
let cole;
let parent;
let manager;
let topic; // what Lena's question was about, from the answer's first citation
const problems = [];

// What the coach records, oldest first: three right answers three days ago, three wrong yesterday.
const started = Date.now();
const RECORDS = [
  ...[0, 1, 2].map((i) => ({ concept: CONCEPTS[0], correct: true, at: new Date(started - 3 * DAY + i * 60_000) })),
  ...[0, 1, 2].map((i) => ({ concept: CONCEPTS[1], correct: false, at: new Date(started - 1 * DAY + i * 60_000) })),
];
const dateOf = (at) => at.toISOString().slice(0, 10); // the organisation's days are UTC days (checked below)
const TODAY = dateOf(new Date(started));
const THREE_DAYS_AGO = dateOf(RECORDS[0].at);
const YESTERDAY = dateOf(RECORDS[3].at);
// Filled as the evidence is recorded: the summed mastery and mastered concepts at the end of each day.
const masteryByDay = new Map();

const signedInPage = (person, viewport) => openPage(stack, { person, problems, viewport, timeout: TIMEOUT });
const nav = (p) => p.getByRole("navigation", { name: "Main" });

/** A table's body as rows of cells: a cell holding a <time> gives its datetime, others their text. */
async function tableRows(page, name) {
  const table = page.getByRole("table", { name });
  await table.locator("tbody tr").first().waitFor({ state: "attached" });
  return table.evaluate((t) =>
    [...t.tBodies[0].rows].map((row) =>
      [...row.cells].map((cell) => cell.querySelector("time")?.getAttribute("datetime") ?? cell.textContent.trim()),
    ),
  );
}

/** The rows of a table keyed by their first cell. */
async function rowsByKey(page, name) {
  return new Map((await tableRows(page, name)).map((cells) => [cells[0], cells.slice(1)]));
}

const glanceTable = (page) => page.getByRole("table", { name: /Learners at a glance/ });

/** The glance's rows in order: person id and cells by column heading. */
async function glanceRows(page) {
  const table = glanceTable(page);
  await table.locator("tbody tr").first().waitFor();
  return table.evaluate((t) => {
    const headings = [...t.tHead.rows[0].cells].map((c) => c.textContent.trim());
    return [...t.tBodies[0].rows].map((row) => ({
      id: row.dataset.personId,
      cells: Object.fromEntries([...row.cells].map((c, i) => [headings[i], c.textContent.trim()])),
      lastActive: row.querySelector(".glance-last-active time")?.getAttribute("datetime") ?? null,
    }));
  });
}

before(async () => {
  stack = await startStack();
  ({ api, org } = await setUpOrganisation(stack, OPERATOR, { name: "Northfield School", slug: "northfield" }));
  const settings = await api.call("GET", `/orgs/${org.id}/insight-settings`);
  assert.equal(settings.time_zone, "UTC", "the test counts days in UTC, as the organisation does");
  assert.equal(settings.parents_may_read_conversations, false, "parents read no conversations by default");

  // A handbook for the coach to answer from, and a program of four concepts, each requiring the one before.
  const collection = await api.call("POST", `/orgs/${org.id}/collections`, { name: "Handbook" });
  await api.upload(org.id, collection.id, "learning-to-learn.md", await readFile(FIXTURE, "utf8"));
  const imported = await api.call("POST", `/orgs/${org.id}/programs/import`, {
    title: PROGRAM,
    concepts: CONCEPTS.map((name, i) => ({ key: `c${i}`, name, requires: i ? [`c${i - 1}`] : [] })),
  });
  await api.call("POST", `/orgs/${org.id}/programs/${imported.program.id}/publish`);
  const program = await api.call("GET", `/orgs/${org.id}/programs/${imported.program.id}`);
  concepts = Object.fromEntries(program.concepts.map((c) => [c.name, c.id]));

  lena = await api.inviteAndAccept(org.id, LEARNER, "learner");
  aaron = await api.inviteAndAccept(org.id, CALM_LEARNER, "learner");
  const mina = await api.inviteAndAccept(org.id, OTHER_LEARNER, "learner");
  cole = await api.inviteAndAccept(org.id, COACH, "coach");
  const dana = await api.inviteAndAccept(org.id, OTHER_COACH, "coach");
  parent = await api.inviteAndAccept(org.id, PARENT, "parent");
  manager = await api.inviteAndAccept(org.id, MANAGER, "manager");
  const relate = (kind, from, to) =>
    api.call("POST", `/orgs/${org.id}/relationships`, { kind, from_person: from.id, to_person: to.id });
  await relate("coach_learner", cole, lena);
  await relate("coach_learner", cole, aaron);
  await relate("coach_learner", dana, mina);
  await relate("parent_learner", parent, lena);
  await relate("manager_coach", manager, cole);
  await relate("manager_coach", manager, dana);
  await api.call("POST", `/orgs/${org.id}/programs/${imported.program.id}/enrolments`, { person_id: lena.id });
  // The coach sets the whole program as Lena's goal.
  await cole.client.call("POST", `/orgs/${org.id}/learners/${lena.id}/goals`, { kind: "program", program_id: imported.program.id });

  // The coach records the answers, oldest first; each answer reports the concept's mastery after it.
  const latest = new Map();
  for (const [i, r] of RECORDS.entries()) {
    const standing = await cole.client.call("POST", `/orgs/${org.id}/learners/${lena.id}/evidence`, {
      concept_id: concepts[r.concept],
      kind: "graded_answer",
      correct: r.correct,
      occurred_at: r.at.toISOString(),
      idempotency_key: `dashboard-answer-${i}`,
    });
    latest.set(r.concept, standing);
    const values = [...latest.values()];
    masteryByDay.set(dateOf(r.at), {
      points: Math.round(values.reduce((sum, s) => sum + s.mastery, 0) * 100),
      mastered: values.filter((s) => s.mastered).length,
    });
  }

  // Lena asks the coach; what it was about is the section the answer cites first.
  const conversation = await lena.client.call("POST", `/orgs/${org.id}/conversations`, {});
  const turn = await lena.client.call("POST", `/conversations/${conversation.id}/messages`, { content: QUESTION });
  const cited = turn.assistant_message.citations?.[0];
  assert.ok(cited, `the answer cites the handbook: ${JSON.stringify(turn.assistant_message)}`);
  topic = cited.section ? `${cited.document_title} › ${cited.section}` : cited.document_title;

  // Only the coach's six answers are evidence about Lena (asking is not).
  const evidence = await lena.client.call("GET", `/orgs/${org.id}/learners/${lena.id}/evidence`);
  assert.equal(evidence.length, RECORDS.length, JSON.stringify(evidence));
});

after(() => closeAndCheckProblems(problems, [stack]));

test("the learner sees their streak, activity and mastery, with every chart's figures in a table", async () => {
  const page = await signedInPage(LEARNER);
  await nav(page).getByRole("link", { name: "My progress" }).click();
  await page.getByRole("heading", { name: "My progress", level: 1 }).waitFor();

  // Asking today is the only day Lena was active herself: a streak of one.
  const stat = (label) => page.locator(".progress-stat").filter({ has: page.getByText(label, { exact: true }) });
  await stat("Current streak").getByText("1 day", { exact: true }).waitFor();
  await stat("Longest streak").getByText("1 day", { exact: true }).waitFor();
  await stat("Active days").getByText("1 of 30", { exact: true }).waitFor();
  await stat("Questions asked").getByText("1", { exact: true }).waitFor();
  await stat("Graded answers").getByText(String(RECORDS.length), { exact: true }).waitFor();

  // The activity chart's table (beside the chart, out of sight): the coach's answers on their days, the question today.
  const activity = await rowsByKey(page, "Activity, last 30 days");
  assert.equal(activity.size, 30, "one row per day");
  const answersOn = (day) => RECORDS.filter((r) => dateOf(r.at) === day);
  for (const [day, cells] of activity) {
    const answers = answersOn(day);
    const right = answers.filter((r) => r.correct).length;
    const questions = day === TODAY ? 1 : 0;
    const active = day === TODAY ? "Yes" : "No";
    assert.deepEqual(cells, [active, String(questions), String(answers.length), String(right), String(answers.length)], day);
  }
  assert.deepEqual(activity.get(THREE_DAYS_AGO), ["No", "0", "3", "3", "3"]);
  assert.deepEqual(activity.get(YESTERDAY), ["No", "0", "3", "0", "3"]);
  assert.ok(await page.locator(".chart-canvas .recharts-wrapper > svg").first().isVisible(), "the chart is drawn");

  // The mastery chart shown as a table: each day's summed mastery (points) and concepts mastered.
  const masteryChart = page.getByRole("region", { name: "Mastery, last 90 days" });
  await masteryChart.getByRole("button", { name: "Show as table" }).click();
  await masteryChart.getByRole("table", { name: "Mastery, last 90 days" }).waitFor();
  assert.equal(await masteryChart.locator(".chart-canvas").count(), 0, "the table replaces the chart");
  const timeline = await tableRows(page, "Mastery, last 90 days");
  assert.equal(timeline.length, 90);
  let expected = { points: 0, mastered: 0 };
  for (const [day, points, mastered] of timeline) {
    expected = masteryByDay.get(day) ?? expected;
    assert.deepEqual([Number(points), Number(mastered)], [expected.points, expected.mastered], `mastery on ${day}`);
  }
  assert.ok(masteryByDay.get(YESTERDAY).points > 0, "the answers left some mastery");
  await screenshot(page, "dashboards-02-mastery-as-table");
  await masteryChart.getByRole("button", { name: "Show as chart" }).click();
  await masteryChart.locator(".chart-canvas .recharts-wrapper > svg").waitFor();

  // Progress per program and the reviews of the coming week, as the learner model has them now.
  const standing = await lena.client.call("GET", `/orgs/${org.id}/learners/${lena.id}/mastery`);
  const mastered = standing.concepts.filter((c) => c.mastered).length;
  const mean = Math.round((standing.concepts.reduce((s, c) => s + c.mastery, 0) / standing.concepts.length) * 100);
  const programs = await rowsByKey(page, "Progress per program");
  assert.deepEqual(programs.get(PROGRAM), [
    `${mastered} of ${CONCEPTS.length} (${Math.round((mastered / CONCEPTS.length) * 100)}%)`,
    `${mean}%`,
  ]);
  const weekAhead = started + 7 * DAY;
  const due = standing.concepts.filter((c) => c.review_due && Date.parse(c.review_due) <= weekAhead).map((c) => c.name);
  if (due.length) {
    const reviews = page.getByRole("list", { name: "Upcoming reviews" });
    assert.deepEqual((await reviews.locator(".upcoming-review-name").allTextContents()).sort(), due.sort());
  } else {
    await page.getByText("No reviews due in the coming week.").waitFor();
  }

  await threeScreenshots(page, "dashboards-01-my-progress", () =>
    page.locator(".chart-canvas .recharts-wrapper > svg").first().waitFor(),
  );

  // Lena lets her parents read her conversations; the page says the organisation must allow it too.
  const sharing = page.getByRole("switch", { name: "Let my parents read my conversations" });
  assert.equal(await sharing.isChecked(), false, "off by default");
  await page.getByText(/only while this is on and your organisation allows it too/).waitFor();
  await sharing.check();
  await page.getByRole("status").filter({ hasText: "your organisation does not let parents read conversations" }).waitFor();
  const consent = await lena.client.call("GET", `/orgs/${org.id}/conversation-sharing`);
  assert.deepEqual(consent, { share_with_parents: true });
  await page.context().close();
});

test("the coach finds the learner who needs attention first, with the reason and what they asked about", async () => {
  const page = await signedInPage(COACH);
  await nav(page).getByRole("link", { name: "Learners" }).click();
  await page.getByRole("heading", { name: "Learners", level: 1 }).waitFor();
  const rows = await glanceRows(page);
  assert.deepEqual(
    rows.map((r) => r.id),
    [lena.id, aaron.id],
    "Lena, who needs attention, above Aaron, who sorts first by name",
  );
  assert.equal(rows[1].cells["Needs attention"], "No concerns");

  const row = rows[0];
  const wrong = RECORDS.filter((r) => !r.correct).length;
  const badge = glanceTable(page).getByRole("list", { name: `Why ${LEARNER.name} needs attention` }).getByRole("listitem");
  assert.deepEqual(await badge.allTextContents(), [`Repeated wrong answers${wrong} of ${RECORDS.length} answers wrong in 7 days`]);
  assert.equal(row.lastActive, TODAY, "last active today, when she asked");
  const standing = await cole.client.call("GET", `/orgs/${org.id}/learners/${lena.id}/mastery`);
  assert.equal(row.cells["Concepts mastered"], `${standing.concepts.filter((c) => c.mastered).length} of ${CONCEPTS.length}`);
  const goals = await cole.client.call("GET", `/orgs/${org.id}/learners/progress`);
  const goal = goals.learners.find((l) => l.person_id === lena.id).goals[0];
  assert.equal(row.cells.Goals, `${Math.round(goal.progress * 100)}%`);
  // All six answers fall in the last seven days: the week's mastery gain is everything recorded.
  const gained = masteryByDay.get(YESTERDAY).points;
  assert.match(row.cells["Mastery by week"], new RegExp(`\\+${gained} points in 7 days`));
  assert.equal(row.cells["Last 7 days"], `1 question${RECORDS.length} answers${wrong} wrong`);
  assert.equal(row.cells["Topics asked about"], `${topic} (1)`);

  // The name opens Lena's progress; Details her page of goals, practice and evidence.
  await glanceTable(page).getByRole("link", { name: `Details of ${LEARNER.name}` }).waitFor();
  await threeScreenshots(page, "dashboards-03-coach-glance", () => glanceTable(page).waitFor());
  await glanceTable(page).getByRole("link", { name: LEARNER.name, exact: true }).click();
  await page.waitForURL(new RegExp(`/progress/${lena.id}$`));
  await page.getByRole("heading", { name: `${LEARNER.name}'s progress`, level: 1 }).waitFor();
  const activity = await rowsByKey(page, "Activity, last 30 days");
  assert.deepEqual(activity.get(YESTERDAY), ["No", "0", "3", "0", "3"], "the coach reads the same figures");
  assert.equal(await page.getByRole("switch").count(), 0, "only Lena decides what her parents read");
  await screenshot(page, "dashboards-04-coach-reads-progress");
  await page.context().close();
});

test("the parent sees the learner's progress but not what they asked, until both the learner and the organisation allow it", async () => {
  const page = await signedInPage(PARENT);
  await nav(page).getByRole("link", { name: "Learners" }).click();
  const rows = await glanceRows(page);
  assert.deepEqual(rows.map((r) => r.id), [lena.id], "only the learner linked to them");
  assert.equal(await glanceTable(page).getByRole("columnheader", { name: "Topics asked about" }).count(), 0);
  assert.match(rows[0].cells["Needs attention"], /Repeated wrong answers/);
  assert.equal(rows[0].cells["Last 7 days"], `1 question${RECORDS.length} answers3 wrong`);
  await threeScreenshots(page, "dashboards-05-parent-glance", () => glanceTable(page).waitFor());

  await glanceTable(page).getByRole("link", { name: LEARNER.name, exact: true }).click();
  await page.getByRole("heading", { name: `${LEARNER.name}'s progress`, level: 1 }).waitFor();
  await page.locator(".progress-stat").filter({ hasText: "Current streak" }).getByText("1 day").waitFor();
  assert.equal(await page.getByRole("switch").count(), 0);

  // Lena agreed (in the test above); once the organisation allows it too, her parent sees her topics.
  await api.call("PUT", `/orgs/${org.id}/insight-settings`, { parents_may_read_conversations: true });
  await page.goto(`${stack.base}/learners`);
  await glanceTable(page).getByRole("columnheader", { name: "Topics asked about" }).waitFor();
  const allowed = await glanceRows(page);
  assert.equal(allowed[0].cells["Topics asked about"], `${topic} (1)`);
  await screenshot(page, "dashboards-06-parent-glance-with-topics");
  await page.context().close();
});

test("the manager sees their coaches' learners and narrows the glance to one coach", async () => {
  const page = await signedInPage(MANAGER);
  await nav(page).getByRole("link", { name: "Learners" }).click();
  const all = await glanceRows(page);
  assert.equal(all[0].id, lena.id, "the learner who needs attention first");
  assert.deepEqual(
    all.map((r) => r.cells.Learner.replace(/Details$/, "")),
    [LEARNER.name, CALM_LEARNER.name, OTHER_LEARNER.name],
  );

  const filter = page.getByLabel("Coach", { exact: true });
  // The coaches load apart from the table: wait for them before reading the choices.
  await filter.locator("option").nth(2).waitFor({ state: "attached" });
  assert.deepEqual(await filter.locator("option").allTextContents(), ["All coaches", COACH.name, OTHER_COACH.name]);
  await filter.selectOption({ label: COACH.name });
  await page.waitForURL(new RegExp(`coach=${cole.id}`));
  await page.waitForFunction(() => document.querySelectorAll(".glance-table tbody tr").length === 2);
  const coles = await glanceRows(page);
  assert.deepEqual(coles.map((r) => r.id)[0], lena.id);
  assert.deepEqual(
    coles.map((r) => r.cells.Learner.replace(/Details$/, "")),
    [LEARNER.name, CALM_LEARNER.name],
    "Cole's learners only",
  );
  await threeScreenshots(page, "dashboards-07-manager-glance", () => glanceTable(page).waitFor());

  await filter.selectOption({ label: OTHER_COACH.name });
  await page.waitForFunction(() => document.querySelectorAll(".glance-table tbody tr").length === 1);
  assert.deepEqual((await glanceRows(page)).map((r) => r.cells.Learner.replace(/Details$/, "")), [OTHER_LEARNER.name]);

  // And Lena's progress, through her coach.
  await page.goto(`${stack.base}/progress/${lena.id}`);
  await page.getByRole("heading", { name: `${LEARNER.name}'s progress`, level: 1 }).waitFor();
  const programs = await rowsByKey(page, "Progress per program");
  assert.ok(programs.has(PROGRAM));
  await page.context().close();
});
