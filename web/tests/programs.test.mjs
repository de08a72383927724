// Browser tests of the program builder and the question review queue against
// the real server. The operator's organisation gets a collection with a
// four-section handbook through the API; then, in the browser, the admin
// drafts a program from it, sees its concepts as graph nodes, adds a concept
// and a prerequisite with the keyboard form, connects and disconnects two
// concepts on the graph, is refused an edge that closes a cycle, publishes,
// sees a broken import's row errors, and reviews questions generated from a
// concept's material (no chat model is involved: they are made from the text)
// and one written by hand; the builder and the queue are checked at phone
// width. The API confirms what the screens showed. Run with
// `node --test tests/programs.test.mjs` (WAYFINDER_BIN names the binary).

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
  watchConsole,
} from "./lib/harness.mjs";

const FIXTURE = join(WEB_ROOT, "tests", "fixtures", "study-strategies.md");
const TIMEOUT = 30_000;
const OPERATOR = { email: "olga@example.org", password: "a long operator passphrase 9", name: "Olga Operator" };
// The handbook's sections, in order: the draft makes a concept of each, each requiring the one before.
const SECTIONS = ["Elaboration", "Concrete examples", "Dual coding", "Self-testing"];
const NEW_CONCEPT = "Spaced review";

let stack;
let api; // the operator over the API, to set up and to check what the screens did
let org;
let collection;
let page;
let programId;
const problems = [];

const nav = (p) => p.getByRole("navigation", { name: "Main" });
const conceptItem = (name) =>
  page.getByRole("list", { name: "Concepts" }).getByRole("listitem").filter({ has: page.getByRole("heading", { name, exact: true }) });

before(async () => {
  stack = await startStack();
  ({ api, org } = await setUpOrganisation(stack, OPERATOR, { name: "Riverside Academy", slug: "riverside" }));
  assert.ok(org?.id, "the organisation was created");
  collection = await api.call("POST", `/orgs/${org.id}/collections`, { name: "Study strategies" });
  const job = await api.upload(org.id, collection.id, "study-strategies.md", await readFile(FIXTURE, "utf8"));
  assert.equal(job.files[0].state, "ingested", JSON.stringify(job.files));

  page = await openPage(stack, { problems, timeout: TIMEOUT });
});

after(() => closeAndCheckProblems(problems, [stack]));

test("admin signs in and drafts a program from the collection", async () => {
  await page.goto(`${stack.base}/signin`);
  await page.getByLabel("Email").fill(OPERATOR.email);
  await page.getByLabel("Password").fill(OPERATOR.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/chat/);

  await nav(page).getByRole("link", { name: "Programs" }).click();
  await page.getByRole("heading", { name: "Programs", level: 1 }).waitFor();
  await page.getByText("No programs yet.").waitFor();
  await page.getByRole("button", { name: "Draft from a collection" }).click();
  const form = page.getByRole("form", { name: "Draft from a collection" });
  assert.equal(await form.getByLabel("Collection").inputValue(), collection.id);
  await screenshot(page, "programs-01-draft-form");
  await form.getByRole("button", { name: "Draft program" }).click();
  await page.waitForURL(/\/programs\/[^/]+$/);
  programId = page.url().split("/").pop();
  await page.getByRole("heading", { name: "Study strategies", level: 1 }).waitFor();
  await page.getByText(/never published/).waitFor();
});

test("the builder shows the drafted concepts as graph nodes and their prerequisites as edges", async () => {
  const nodes = page.locator(".react-flow__node");
  await nodes.nth(SECTIONS.length - 1).waitFor();
  assert.deepEqual((await nodes.locator(".concept-node-name").allTextContents()).sort(), [...SECTIONS].sort());
  // Each section requires the one before it.
  // "attached": a straight vertical arrow has no width, which Playwright counts as invisible.
  await page.locator(".react-flow__edge").nth(SECTIONS.length - 2).waitFor({ state: "attached" });
  assert.equal(await page.locator(".react-flow__edge").count(), SECTIONS.length - 1);
  for (const [i, name] of SECTIONS.entries()) {
    const prerequisites = conceptItem(name).getByRole("list", { name: `Prerequisites of ${name}` });
    if (i === 0) assert.equal(await prerequisites.count(), 0);
    else assert.equal(await prerequisites.textContent(), `${SECTIONS[i - 1]}×`);
  }

  // The list's Edit opens the concept in the side panel, with its cited section.
  await conceptItem("Dual coding").getByRole("button", { name: "Edit Dual coding" }).click();
  const panel = page.getByRole("complementary", { name: "Selected concept" });
  await panel.getByRole("heading", { name: "Dual coding" }).waitFor();
  await panel.getByText("Study Strategies Handbook › Dual coding").waitFor();
  await screenshot(page, "programs-02-builder-graph");
});

test("admin adds a concept, then a prerequisite with the keyboard form", async () => {
  const addForm = page.getByRole("form", { name: "Add a concept" });
  await addForm.getByLabel("New concept").fill(NEW_CONCEPT);
  await addForm.getByRole("button", { name: "Add concept" }).click();
  await page.locator(".react-flow__node").nth(SECTIONS.length).waitFor();
  await page.getByRole("complementary", { name: "Selected concept" }).getByRole("heading", { name: NEW_CONCEPT }).waitFor();

  // Keyboard only: choose in the select, Tab to the button, Enter.
  const requires = page.getByLabel(`${NEW_CONCEPT} requires`, { exact: true });
  await requires.focus();
  await requires.selectOption({ label: "Self-testing" });
  await page.keyboard.press("Tab");
  await page.keyboard.press("Enter");
  await conceptItem(NEW_CONCEPT).getByRole("list", { name: `Prerequisites of ${NEW_CONCEPT}` }).getByText("Self-testing").waitFor();
  await page.locator(`.react-flow__edge[aria-label="${NEW_CONCEPT} requires Self-testing"]`).waitFor({ state: "attached" });
  assert.equal(await page.locator(".react-flow__edge").count(), SECTIONS.length);
});

test("on the graph, dragging between two concepts adds a prerequisite and Delete removes an arrow", async () => {
  const edges = page.locator(".react-flow__edge");
  const before = await edges.count();
  const handle = async (name, kind) => {
    const box = await page.locator(".react-flow__node", { hasText: name }).locator(`.react-flow__handle.${kind}`).boundingBox();
    return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  };
  await page.getByRole("group", { name: "Concept map" }).scrollIntoViewIfNeeded();
  const from = await handle("Elaboration", "source");
  const to = await handle("Dual coding", "target");
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move(to.x, to.y, { steps: 10 });
  await page.mouse.up();
  const arrow = page.locator('.react-flow__edge[aria-label="Dual coding requires Elaboration"]');
  await arrow.waitFor({ state: "attached" });
  assert.equal(await edges.count(), before + 1);
  const stored = async () =>
    (await api.call("GET", `/orgs/${org.id}/programs/${programId}`)).concepts.find((c) => c.name === "Dual coding").prerequisites.length;
  assert.equal(await stored(), 2, "the dragged edge is stored");

  // Arrows take focus: Enter selects one, Delete removes it.
  await arrow.focus();
  await page.keyboard.press("Enter");
  await page.keyboard.press("Delete");
  await arrow.waitFor({ state: "detached" });
  await conceptItem("Dual coding").getByRole("list", { name: "Prerequisites of Dual coding" }).getByText("Elaboration").waitFor({ state: "detached" });
  assert.equal(await stored(), 1, "the removed edge is gone from the server too");
  assert.equal(await edges.count(), before);
});

test("an edge that closes a cycle is refused, naming the cycle, and not added", async () => {
  const first = conceptItem("Elaboration");
  await first.getByLabel("Elaboration requires", { exact: true }).selectOption({ label: NEW_CONCEPT });
  await first.getByRole("button", { name: "Add prerequisite" }).click();
  const refusal = first.getByRole("alert");
  await refusal.waitFor();
  const text = (await refusal.textContent()) ?? "";
  assert.match(text, /cycle/);
  // The cycle runs through every concept, back to where it started.
  assert.match(text, /Elaboration → .*Spaced review.* → Elaboration|Spaced review → .*Elaboration.* → Spaced review/);
  for (const name of [...SECTIONS, NEW_CONCEPT]) assert.ok(text.includes(name), `the cycle names ${name}: ${text}`);
  await screenshot(page, "programs-03-cycle-refused");
  const detail = await api.call("GET", `/orgs/${org.id}/programs/${programId}`);
  const elaboration = detail.concepts.find((c) => c.name === "Elaboration");
  assert.deepEqual(elaboration.prerequisites, [], "the refused edge was not stored");
  assert.equal(await page.locator(".react-flow__edge").count(), SECTIONS.length);
});

test("publishing makes the version on screen the one learners get", async () => {
  const shownNodes = await page.locator(".react-flow__node").count();
  const shownEdges = await page.locator(".react-flow__edge").count();
  await page.getByRole("button", { name: "Publish", exact: true }).click();
  await page.getByRole("status").getByText("Published version 1.").waitFor();
  await page.getByText("Published version 1", { exact: true }).waitFor();
  await screenshot(page, "programs-04-published");
  await page.emulateMedia({ colorScheme: "dark" });
  await screenshot(page, "programs-04-published-dark");
  await page.emulateMedia({ colorScheme: "light" });

  const published = await api.call("GET", `/orgs/${org.id}/programs/${programId}?version=published`);
  assert.equal(published.program.status, "published");
  assert.equal(published.version, 1);
  assert.equal(published.concepts.length, shownNodes);
  assert.equal(published.concepts.reduce((n, c) => n + c.prerequisites.length, 0), shownEdges);
  const byName = new Map(published.concepts.map((c) => [c.name, c]));
  assert.deepEqual(byName.get(NEW_CONCEPT)?.prerequisites, [byName.get("Self-testing").id], "the new edge is published");
});

test("a broken import is refused with each row's errors", async () => {
  await nav(page).getByRole("link", { name: "Programs" }).click();
  await page.getByRole("link", { name: "Study strategies" }).waitFor();
  await page.getByRole("button", { name: "Import" }).click();
  const broken = {
    title: "Broken program",
    concepts: [
      { key: "a", name: "First", requires: ["missing"] },
      { key: "a", name: "Second" },
    ],
  };
  const form = page.getByRole("form", { name: "Import a program file" });
  await form.getByLabel("Program file").setInputFiles({
    name: "broken.json",
    mimeType: "application/json",
    buffer: Buffer.from(JSON.stringify(broken)),
  });
  await form.getByRole("button", { name: "Import file" }).click();
  const refusal = form.getByRole("alert");
  await refusal.getByRole("table").waitFor();
  const rows = await refusal.getByRole("row").count();
  assert.ok(rows >= 3, `a header and a row per error: ${await refusal.textContent()}`);
  assert.match((await refusal.textContent()) ?? "", /nothing was imported/);
  await screenshot(page, "programs-05-import-errors");
  const { programs } = await api.call("GET", `/orgs/${org.id}/programs`);
  assert.deepEqual(programs.map((p) => p.title), ["Study strategies"], "nothing was imported");
});

test("questions generated for a concept are approved and rejected in the review queue", async () => {
  await page.goto(`${stack.base}/programs/${programId}`);
  await conceptItem("Dual coding").getByRole("button", { name: "Edit Dual coding" }).click();
  const panel = page.getByRole("complementary", { name: "Selected concept" });
  // The harness's chat model is a fake with nothing scripted: these are made from the text.
  await panel.getByLabel("Make them from the text's sentences, without the chat model").check();
  await panel.getByRole("button", { name: "Generate questions" }).click();
  const made = panel.getByRole("status").filter({ hasText: /new questions? waits? for review/ });
  await made.waitFor();
  await panel.getByRole("link", { name: "Review them" }).click();
  await page.waitForURL(/\/questions\?/);
  await page.getByRole("heading", { name: "Question review" }).waitFor();

  const cards = page.getByRole("list", { name: "Questions" }).getByRole("article");
  await cards.first().waitFor();
  const drafts = await cards.count();
  assert.ok(drafts >= 2, `at least two drafts to review, got ${drafts}`);
  const first = cards.first();
  // Each item shows its cited passage and the automatic check's result.
  await first.getByText(/^Cited: Study Strategies Handbook › Dual coding/).waitFor();
  await first.getByText(/^Check passed/).waitFor();
  await screenshot(page, "programs-06-review-queue");

  const approvedPrompt = (await first.locator(".question-prompt").textContent()).trim();
  await first.getByRole("button", { name: "Approve" }).click();
  await page.getByRole("status").getByText(/approved\.$/).waitFor();
  await page.getByText(approvedPrompt, { exact: true }).waitFor({ state: "detached" });
  const next = cards.first();
  const rejectedPrompt = (await next.locator(".question-prompt").textContent()).trim();
  await next.getByRole("button", { name: "Reject" }).click();
  await page.getByRole("status").getByText(/rejected\.$/).waitFor();
  await page.getByText(rejectedPrompt, { exact: true }).waitFor({ state: "detached" });
  assert.equal(await cards.count(), drafts - 2);

  const dualCoding = (await api.call("GET", `/orgs/${org.id}/programs/${programId}`)).concepts.find(
    (c) => c.name === "Dual coding",
  );
  const bank = await api.call("GET", `/orgs/${org.id}/questions?concept_id=${dualCoding.id}&limit=200`);
  const prompt = (q) => q.body.stem ?? q.body.statement ?? q.body.text ?? q.body.prompt;
  const statusOf = (text) => bank.questions.find((q) => prompt(q) === text)?.status;
  assert.equal(statusOf(approvedPrompt), "approved");
  assert.equal(statusOf(rejectedPrompt), "rejected");
  assert.equal(bank.questions.filter((q) => q.status === "draft").length, drafts - 2);

  // The organisation's choice to approve generated questions that pass their check at once.
  const autoApprove = page.getByLabel("Approve generated questions that pass the check against their passage without review");
  assert.equal(await autoApprove.isChecked(), false);
  await autoApprove.check();
  await page.waitForFunction(
    async (url) => (await (await fetch(url)).json()).auto_approve_generated === true,
    `${stack.base}/api/v1/orgs/${org.id}/practice-settings`,
  );
  assert.deepEqual(await api.call("GET", `/orgs/${org.id}/practice-settings`), { auto_approve_generated: true });
  await autoApprove.uncheck();
  await page.waitForFunction(
    async (url) => (await (await fetch(url)).json()).auto_approve_generated === false,
    `${stack.base}/api/v1/orgs/${org.id}/practice-settings`,
  );
});

test("a question written by hand is saved approved", async () => {
  await page.getByRole("button", { name: "Write a question" }).click();
  const dialog = page.getByRole("dialog", { name: "Write a question" });
  const form = dialog.getByRole("form", { name: "Write a question" });
  assert.equal(await form.getByLabel("Concept it practises").inputValue(), new URL(page.url()).searchParams.get("concept"));
  await form.getByLabel("Kind").selectOption("true_false");
  const statement = "Dual coding combines words with visuals such as diagrams and timelines.";
  await form.getByLabel("Statement").fill(statement);
  await form.getByLabel("Explanation").fill("Words and pictures give memory two routes to one idea.");
  await form.getByRole("searchbox", { name: "Find a passage to cite" }).fill("timeline diagram water cycle");
  await form.getByRole("button", { name: "Search" }).click();
  await form.getByRole("button", { name: "Cite this passage" }).first().click();
  await form.getByRole("button", { name: "Save question" }).click();
  await dialog.waitFor({ state: "hidden" });
  await page.getByRole("status").getByText(/saved and approved/).waitFor();

  const { questions } = await api.call("GET", `/orgs/${org.id}/questions?status=approved&limit=200`);
  const written = questions.find((q) => q.body.statement === statement);
  assert.ok(written, "the written question is in the bank");
  assert.equal(written.origin, "authored");
  assert.equal(written.citations.length, 1);
});

test("at phone width the builder and the queue fit the screen, with the list alternative", async () => {
  const phone = await stack.browser.newContext({ viewport: { width: 375, height: 740 } });
  phone.setDefaultTimeout(TIMEOUT);
  await phone.addCookies(await page.context().cookies());
  const small = await phone.newPage();
  watchConsole(small, problems);
  const overflow = () => small.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

  await small.goto(`${stack.base}/programs/${programId}`);
  await small.getByRole("heading", { name: "Study strategies", level: 1 }).waitFor();
  await small.locator(".react-flow__node").first().waitFor();
  const list = small.getByRole("list", { name: "Concepts" });
  await list.scrollIntoViewIfNeeded();
  assert.ok(await list.isVisible(), "the concept list is there");
  assert.equal(await list.getByRole("listitem").filter({ has: small.getByRole("heading") }).count(), SECTIONS.length + 1);
  assert.ok(await small.getByLabel("Dual coding requires", { exact: true }).isVisible(), "the keyboard form fits");
  assert.equal(await overflow(), 0, "the builder page does not scroll sideways");
  await screenshot(small, "programs-07-builder-375");

  await small.goto(`${stack.base}/questions?status=approved`);
  await small.getByRole("list", { name: "Questions" }).getByRole("article").first().waitFor();
  assert.equal(await overflow(), 0, "the review queue does not scroll sideways");
  await screenshot(small, "programs-08-questions-375");
  await phone.close();
});
