// Browser tests of the live chat against the real server: a learner and their
// coach in two browsers. Set up over the API: an organisation with a handbook
// for cited answers, a learner and a coach who coaches them. The learner asks;
// the coach opens the conversation from the learner's page and sees the
// question and the answer; the learner's typing shows for the coach, and the
// coach shows as here for the learner. The coach joins: the learner sees the
// banner without reloading, their next message waits for the coach (no AI
// answer), and the coach's reply reaches them with the coach's name. Handed
// back, the banner goes and the AI answers again, streaming to both; the
// learner sees that the coach read their question. Then the harder cases: a
// coach's view whose connection drops says so and, back, resumes after the
// last message it saw (each message once); an answer the model breaks off
// while the coach watches is kept, marked and explained to the learner; and
// with the learner's live connection down, a question to a coach who holds the
// conversation goes over HTTP, is kept for the coach and gets no AI answer.
// Screenshots of both views at desktop width and 375 px. Run with
// `npm run test:e2e` (WAYFINDER_BIN names the binary).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  WEB_ROOT,
  closeAndCheckProblems,
  openPage,
  setUpOrganisation,
  startStack,
  twoScreenshots,
} from "./lib/harness.mjs";

const FIXTURE = join(WEB_ROOT, "tests", "fixtures", "learning-to-learn.md");
const TIMEOUT = 30_000;
const OPERATOR = { email: "olive@example.org", password: "correct horse battery staple 42", name: "Olive Operator" };
const LEARNER = { email: "lena@example.org", password: "a sturdy learner passphrase 7", name: "Lena Learner" };
const COACH = { email: "cole@example.org", password: "a patient coach passphrase 9", name: "Cole Coach" };
const FIRST_QUESTION = "What is retrieval practice?";
const HELD_QUESTION = "Can you help me plan my study week?";
const COACH_REPLY = "Yes — let's start with your deadlines. Which exams come first?";
const LAST_QUESTION = "How should I space my reviews?";

let stack;
let api; // the operator, an administrator
let org;
let lena;
let cole;
let learner; // Lena's page
let coach; // Cole's page
let conversationId;
const problems = [];

const learnerAnswers = () => learner.getByRole("article", { name: "Coach answered" });
const coachAnswers = () => coach.getByRole("article", { name: "Coach answered" });
const banner = (page) => page.locator(".held-banner");

/** Polls the stored conversation until `check` holds (the server is the judge of what was kept). */
async function storedUntil(check, what) {
  const until = Date.now() + TIMEOUT;
  let detail;
  while (Date.now() < until) {
    detail = await api.call("GET", `/conversations/${conversationId}`);
    if (check(detail)) return detail;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`timed out waiting for ${what}: ${JSON.stringify(detail?.messages.map((m) => [m.seq, m.role, m.kind]))}`);
}

before(async () => {
  stack = await startStack();
  ({ api, org } = await setUpOrganisation(stack, OPERATOR, { name: "Riverside College", slug: "riverside" }));
  const collection = await api.call("POST", `/orgs/${org.id}/collections`, { name: "Handbook" });
  await api.upload(org.id, collection.id, "learning-to-learn.md", await readFile(FIXTURE, "utf8"));
  lena = await api.inviteAndAccept(org.id, LEARNER, "learner");
  cole = await api.inviteAndAccept(org.id, COACH, "coach");
  await api.call("POST", `/orgs/${org.id}/relationships`, { kind: "coach_learner", from_person: cole.id, to_person: lena.id });

  learner = await openPage(stack, { person: LEARNER, problems, timeout: TIMEOUT });
  coach = await openPage(stack, { person: COACH, problems, timeout: TIMEOUT });
});

after(() => closeAndCheckProblems(problems, [stack]));

test("the learner asks; the coach opens the conversation from the learner's page and sees question and answer", async () => {
  await learner.getByLabel("Your question").fill(FIRST_QUESTION);
  await learner.getByRole("button", { name: "Send" }).click();
  await learner.waitForURL(/\/chat\/[0-9a-f-]{36}/);
  conversationId = learner.url().split("/").pop();
  await learnerAnswers().first().locator(".cite-chip").first().waitFor();

  await coach.goto(`${stack.base}/learners/${lena.id}`);
  await coach.getByRole("heading", { name: LEARNER.name, level: 1 }).waitFor();
  const list = coach.getByRole("list", { name: `${LEARNER.name}'s conversations` });
  await list.getByRole("link", { name: FIRST_QUESTION }).click();
  await coach.waitForURL(new RegExp(`/learners/${lena.id}/conversations/${conversationId}$`));
  await coach.getByRole("heading", { name: FIRST_QUESTION, level: 1 }).waitFor();
  const question = coach.getByRole("article", { name: `${LEARNER.name} said` });
  await question.filter({ hasText: FIRST_QUESTION }).waitFor();
  await coachAnswers().first().locator(".cite-chip").first().waitFor();
  await coach.getByText("Live", { exact: true }).waitFor();
  await coach.getByText(`${LEARNER.name} is here`).waitFor();
  // The coach writes nothing until they join.
  assert.equal(await coach.getByLabel(`Your reply to ${LEARNER.name}`).count(), 0);
  await coach.getByRole("button", { name: "Join conversation" }).waitFor();
});

test("the learner sees the coach is here, and the coach sees the learner typing", async () => {
  await learner.getByText(`${COACH.name} is here`).waitFor();
  await learner.getByLabel("Your question").pressSequentially("Can you help", { delay: 20 });
  await coach.getByText(`${LEARNER.name} is typing…`).waitFor();
  await learner.getByLabel("Your question").fill("");
  await twoScreenshots(coach, "live-01-coach-watching", () => coach.getByText(`${LEARNER.name} is here`).waitFor());
});

test("the coach joins: the learner sees the banner at once, and their message waits for the coach", async () => {
  await coach.getByRole("button", { name: "Join conversation" }).click();
  await coach.getByText("You have joined").waitFor();
  await banner(learner).getByText(`${COACH.name} has joined`).waitFor();
  assert.match(
    (await banner(learner).textContent()) ?? "",
    /Cole Coach has joined — your coach replies in person; the AI is paused\./,
  );
  // Announced to screen readers too.
  await learner.getByRole("status").filter({ hasText: `${COACH.name} joined the conversation; the AI is paused.` }).waitFor();
  const held = await api.call("GET", `/conversations/${conversationId}`);
  assert.equal(held.conversation.held_by, cole.id);

  const modelCalls = await stack.fake.requests();
  await learner.getByLabel("Your question").fill(HELD_QUESTION);
  await learner.getByRole("button", { name: "Send" }).click();
  await coach.getByRole("article", { name: `${LEARNER.name} said` }).filter({ hasText: HELD_QUESTION }).waitFor();
  await learner.getByRole("article", { name: "You said" }).filter({ hasText: HELD_QUESTION }).waitFor();
  // Stored, and nobody asked the AI: no answer follows it.
  const stored = await storedUntil((d) => d.messages.some((m) => m.content === HELD_QUESTION), "the held question");
  assert.equal(stored.messages.at(-1).role, "user");
  assert.equal(stored.messages.at(-1).content, HELD_QUESTION);
  assert.equal(await stack.fake.requests(), modelCalls, "no model call while the coach holds the conversation");
  assert.equal(await learnerAnswers().count(), 1);
  assert.equal(await coachAnswers().count(), 1);
  assert.equal(await learner.locator('article[aria-label="Coach is answering"]').count(), 0);
  await twoScreenshots(learner, "live-02-learner-held", () => banner(learner).waitFor());
});

test("the coach's reply reaches the learner with the coach's name", async () => {
  const reply = coach.getByLabel(`Your reply to ${LEARNER.name}`);
  await reply.fill(COACH_REPLY);
  await coach.getByRole("button", { name: "Send reply" }).click();
  await coach.getByRole("article", { name: "You wrote" }).filter({ hasText: COACH_REPLY }).waitFor();
  assert.equal(await reply.inputValue(), "");
  const written = learner.getByRole("article", { name: `${COACH.name} wrote` });
  await written.filter({ hasText: COACH_REPLY }).waitFor();
  assert.match((await written.textContent()) ?? "", /Cole Coach.*wrote in person/);
  // Unlike an AI answer: no sources, no rating.
  assert.equal(await written.getByRole("button", { name: "Helpful" }).count(), 0);
  await learner.getByRole("status").filter({ hasText: `${COACH.name}: ${COACH_REPLY}` }).waitFor();

  const stored = await storedUntil((d) => d.messages.some((m) => m.kind === "human"), "the coach's reply");
  const human = stored.messages.find((m) => m.kind === "human");
  assert.deepEqual(
    { role: human.role, author_id: human.author_id, author_name: human.author_name, content: human.content },
    { role: "assistant", author_id: cole.id, author_name: COACH.name, content: COACH_REPLY },
  );
  await twoScreenshots(coach, "live-03-coach-joined", () => coach.getByText("You have joined").waitFor());
  await twoScreenshots(learner, "live-04-learner-coach-reply", () =>
    written.filter({ hasText: COACH_REPLY }).waitFor(),
  );
});

test("handed back, the banner goes and the AI answers the next question, streaming to both", async () => {
  await coach.getByRole("button", { name: "Hand back to the AI" }).click();
  await coach.getByRole("button", { name: "Join conversation" }).waitFor();
  await banner(learner).waitFor({ state: "detached" });
  await learner.getByRole("status").filter({ hasText: "The conversation is back with the AI." }).waitFor();
  assert.equal((await api.call("GET", `/conversations/${conversationId}`)).conversation.held_by, null);

  // A slower answer, so both can be seen following it as it is written.
  await stack.fake.queue({ chunk_delay_ms: 150 });
  await learner.getByLabel("Your question").fill(LAST_QUESTION);
  await learner.getByRole("button", { name: "Send" }).click();
  await coach.locator('article[aria-label="Coach is answering"] .markdown').waitFor();
  await learner.locator('article[aria-label="Coach is answering"] .markdown').waitFor();
  await learnerAnswers().nth(1).locator(".cite-chip").first().waitFor();
  await coachAnswers().nth(1).locator(".cite-chip").first().waitFor();
  await learner.locator('article[aria-label="Coach is answering"]').waitFor({ state: "detached" });
  await coach.locator('article[aria-label="Coach is answering"]').waitFor({ state: "detached" });
  const stored = await storedUntil(
    (d) => d.messages.at(-1)?.role === "assistant" && d.messages.at(-2)?.content === LAST_QUESTION,
    "the AI's answer",
  );
  assert.equal(stored.messages.at(-1).kind, "generated");
  // One of each on both screens: nothing doubled by the live updates.
  for (const page of [learner, coach]) {
    assert.equal(await page.locator("article.message").filter({ hasText: LAST_QUESTION }).count(), 1);
    assert.equal(await page.locator("article.message").count(), stored.messages.length);
  }
});

test("the learner sees the coach has read their question", async () => {
  const receipt = learner.locator(".read-receipt");
  await receipt.filter({ hasText: `Read by ${COACH.name}` }).waitFor();
  // Under the learner's latest question.
  const follows = await receipt.evaluate((el) => el.previousElementSibling?.textContent ?? "");
  assert.match(follows, new RegExp(LAST_QUESTION.replace(/[?]/g, "\\?")));
  await coach.getByText(`Seen by ${LEARNER.name}`).waitFor();
  await twoScreenshots(learner, "live-05-learner-read", () => receipt.waitFor());
  await twoScreenshots(coach, "live-06-coach-seen", () => coach.getByText(`Seen by ${LEARNER.name}`).waitFor());

  // After a reload, the learner's page shows the same conversation, once each.
  await learner.reload();
  await learnerAnswers().nth(1).waitFor();
  const stored = await api.call("GET", `/conversations/${conversationId}`);
  assert.equal(await learner.locator("article.message").count(), stored.messages.length);
  await receipt.filter({ hasText: `Read by ${COACH.name}` }).waitFor();
});

test("a coach's view whose connection drops shows it, reconnects and catches up, each message once", async () => {
  // A second view of the conversation for the coach, whose live connection the test can cut.
  const page = await openPage(stack, { person: COACH, problems, timeout: TIMEOUT });
  let blocked = false;
  const routes = [];
  const frames = [];
  await page.routeWebSocket(/\/api\/v1\/live$/, (ws) => {
    if (blocked) {
      ws.close({ code: 1011, reason: "the test keeps the connection down" });
      return;
    }
    const server = ws.connectToServer();
    // What the page sends, kept to check how it resumes.
    ws.onMessage((message) => {
      frames.push(JSON.parse(message));
      server.send(message);
    });
    routes.push({ ws, server });
  });
  await page.goto(`${stack.base}/learners/${lena.id}/conversations/${conversationId}`);
  await page.getByText("Live", { exact: true }).waitFor();
  await page.getByText(`${LEARNER.name} is here`).waitFor();
  const before = (await api.call("GET", `/conversations/${conversationId}`)).messages.length;
  assert.equal(await page.locator("article.message").count(), before);

  // Cut: the view says so and keeps what it has.
  blocked = true;
  for (const { ws, server } of routes) {
    ws.close({ code: 1013, reason: "too slow: reconnect and resume" });
    server.close();
  }
  await page.getByText("Reconnecting… showing what was saved").waitFor();

  // Meanwhile the learner asks and is answered (the first coach view still follows live).
  const question = "What does interleaving mean?";
  await learner.getByLabel("Your question").fill(question);
  await learner.getByRole("button", { name: "Send" }).click();
  await coach.getByRole("article", { name: `${LEARNER.name} said` }).filter({ hasText: question }).waitFor();
  const stored = await storedUntil(
    (d) => d.messages.at(-1)?.role === "assistant" && d.messages.at(-2)?.content === question,
    "the answer given while the view was cut off",
  );

  // Back: it resumes after the last message it saw, without gaps or repeats.
  const sentBefore = frames.length;
  blocked = false;
  await page.getByText("Live", { exact: true }).waitFor();
  const resumed = frames.slice(sentBefore).find((f) => f.type === "subscribe");
  assert.deepEqual(resumed, { type: "subscribe", conversation_id: conversationId, after_seq: before });
  await page.getByRole("article", { name: `${LEARNER.name} said` }).filter({ hasText: question }).waitFor();
  await page.getByRole("article", { name: "Coach answered" }).nth(2).locator(".cite-chip").first().waitFor();
  assert.equal(await page.locator("article.message").count(), stored.messages.length);
  assert.equal(await page.locator("article.message").filter({ hasText: question }).count(), 1);
  await page.context().close();
});

test("with the coach watching, an answer the model breaks off is kept, marked and explained to the learner", async () => {
  await stack.fake.queue({ break_after: ["Interleaving means ", "mixing different kinds "] });
  const question = "Why does interleaving feel harder?";
  await learner.getByLabel("Your question").fill(question);
  await learner.getByRole("button", { name: "Send" }).click();
  await learner.getByRole("alert").filter({ hasText: "The AI model stopped part-way through the answer. Try again." }).waitFor();
  const partial = learnerAnswers().last();
  await partial.getByText("This answer stopped before it finished.").waitFor();
  assert.match((await partial.textContent()) ?? "", /mixing different kinds/);
  // The coach sees what the learner sees: the question and what was written of the answer.
  await coach.getByRole("article", { name: `${LEARNER.name} said` }).filter({ hasText: question }).waitFor();
  await coachAnswers().last().getByText("This answer stopped before it finished.").waitFor();
  // Sending again works, and clears the explanation.
  await learner.getByLabel("Your question").fill(question);
  await learner.getByRole("button", { name: "Send" }).click();
  await learner.getByRole("alert").filter({ hasText: "stopped part-way" }).waitFor({ state: "detached" });
  await learnerAnswers().last().locator(".cite-chip").first().waitFor();
});

test("held while the learner's live connection is down: the question goes over HTTP and waits for the coach", async () => {
  await coach.getByRole("button", { name: "Join conversation" }).click();
  await banner(learner).getByText(`${COACH.name} has joined`).waitFor();
  // The coach steps away from the conversation (it stays theirs).
  await coach.getByRole("link", { name: LEARNER.name }).click();
  await coach.getByRole("heading", { name: LEARNER.name, level: 1 }).waitFor();
  await learner.getByText(`${COACH.name} is here`).waitFor({ state: "detached" });

  // The learner's page can no longer open its live connection.
  let refuse = true;
  await learner.routeWebSocket(/\/api\/v1\/live$/, (ws) => {
    if (refuse) ws.close({ code: 1011, reason: "the test keeps the connection down" });
    else ws.connectToServer();
  });
  await learner.reload();
  await banner(learner).getByText(`${COACH.name} has joined`).waitFor();

  const modelCalls = await stack.fake.requests();
  const question = "Are you still there?";
  const posted = learner.waitForResponse(
    (r) => r.request().method() === "POST" && r.url().endsWith(`/api/v1/conversations/${conversationId}/messages`),
  );
  await learner.getByLabel("Your question").fill(question);
  await learner.getByRole("button", { name: "Send" }).click();
  assert.equal((await posted).status(), 200);
  await learner.getByRole("article", { name: "You said" }).filter({ hasText: question }).waitFor();
  await learner.getByRole("button", { name: "Send" }).waitFor();
  assert.equal(await learner.locator('article[aria-label="Coach is answering"]').count(), 0);
  assert.equal(await learner.getByRole("alert").count(), 0, "a held question is no failure");
  const stored = await storedUntil((d) => d.messages.at(-1)?.content === question, "the held question");
  assert.equal(stored.conversation.held_by, cole.id);
  assert.equal(await stack.fake.requests(), modelCalls, "no model call while the coach holds the conversation");

  // The coach comes back to it, finds the question and hands the conversation back.
  await coach
    .getByRole("list", { name: `${LEARNER.name}'s conversations` })
    .getByRole("link", { name: FIRST_QUESTION })
    .click();
  await coach.getByRole("article", { name: `${LEARNER.name} said` }).filter({ hasText: question }).waitFor();
  await coach.getByRole("button", { name: "Hand back to the AI" }).click();
  await coach.getByRole("button", { name: "Join conversation" }).waitFor();

  // Back online, the learner's page reconnects and learns the AI has the conversation again.
  refuse = false;
  await learner.evaluate(() => window.dispatchEvent(new Event("online")));
  await banner(learner).waitFor({ state: "detached" });
  await learner.getByText(`${COACH.name} is here`).waitFor();
});
