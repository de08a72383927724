// Browser tests of the learning screens against the real server: set up over
// the API (an organisation, a handbook drafted into a published program,
// hand-written questions, a learner and their coach), then in the browser the
// learner enrols, sets a goal and sees its path, practises (one answer right,
// one wrong, each with the cited passage quoted), sees the mastery map move
// and starts a placement; My learning is checked at phone width; and the coach
// finds the learner's new evidence and the question they got wrong, assigns a
// goal and enrols them in another program. Run with `npm run test:e2e`
// (WAYFINDER_BIN names the binary).

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

const FIXTURE = join(WEB_ROOT, "tests", "fixtures", "learning-to-learn.md");
const TIMEOUT = 30_000;
const OPERATOR = { email: "olu@example.org", password: "correct horse battery staple 42", name: "Olu Operator" };
const LEARNER = { email: "lena@example.org", password: "a sturdy learner passphrase 7", name: "Lena Learner" };
const COACH = { email: "cole@example.org", password: "a patient coach passphrase 9", name: "Cole Coach" };
const PROGRAM = "Study skills";
const OTHER_PROGRAM = "Exam technique";

// The handbook's sections become these concepts, each requiring the one before.
const RETRIEVAL = "Retrieval practice";
const SPACING = "Spacing your reviews";
const INTERLEAVING = "Interleaving topics";
const PLANNING = "Planning a study week"; // no question is written for it

// Questions on Retrieval practice, with how to answer each right and wrong by keyboard (focus starts
// on the first option: Space checks it, an arrow moves to the next, Enter submits), and by pointer.
const RETRIEVAL_QUESTIONS = [
  {
    text: "Retrieval practice means _____ information from memory without looking at your notes.",
    body: {
      kind: "multiple_choice",
      stem: "Retrieval practice means _____ information from memory without looking at your notes.",
      options: ["recalling", "copying", "highlighting"],
      correct: [0],
    },
    right: { keys: ["Space"], said: "recalling" },
    wrong: { keys: ["ArrowDown"], said: "copying" },
    correctAnswer: "recalling",
    answerRight: (page) => page.getByLabel("recalling").check(),
  },
  {
    text: "Rereading a page is the same as recalling it.",
    body: { kind: "true_false", statement: "Rereading a page is the same as recalling it.", answer: false },
    right: { keys: ["ArrowDown"], said: "False" },
    wrong: { keys: ["Space"], said: "True" },
    correctAnswer: "false",
    answerRight: (page) => page.getByLabel("False", { exact: true }).check(),
  },
];
// Questions on the other concepts (none on Planning a study week), each with how to answer it right.
const OTHER_QUESTIONS = [
  {
    concept: SPACING,
    text: "Spacing means reviewing material at _____ intervals instead of cramming it into one evening.",
    body: {
      kind: "cloze",
      text: "Spacing means reviewing material at _____ intervals instead of cramming it into one evening.",
      answers: ["increasing"],
    },
    answerRight: (page) => page.getByLabel("Fill in the blank").fill("increasing"),
  },
  {
    concept: INTERLEAVING,
    text: "Which of these describe interleaving?",
    body: {
      kind: "multiple_choice",
      stem: "Which of these describe interleaving?",
      options: ["mixing different kinds of problems", "feels harder than blocked practice", "studying one subject per day"],
      correct: [0, 1],
    },
    answerRight: async (page) => {
      await page.getByLabel("mixing different kinds of problems").check();
      await page.getByLabel("feels harder than blocked practice").check();
    },
  },
  {
    concept: INTERLEAVING,
    text: "What does interleaving mean?",
    body: {
      kind: "short_answer",
      prompt: "What does interleaving mean?",
      reference: "mixing different kinds of problems in one study session",
    },
    answerRight: (page) =>
      page.getByLabel("What does interleaving mean?").fill("mixing different kinds of problems in one study session"),
  },
];

let stack;
let api; // the operator
let org;
let program; // the published program's detail
let concepts; // name → id
let lena; // { client, id }
let cole;
let learnerPage;
let coachPage;
let answeredWrong; // the Retrieval practice question answered wrong, and how
let masteryAfterPractice; // the percentage the feedback reported after the last answer
const problems = [];

const nav = (p) => p.getByRole("navigation", { name: "Main" });

async function draftAndPublish(collectionId, title, selfEnrolment) {
  const draft = await api.call("POST", `/orgs/${org.id}/programs/draft`, { collection_id: collectionId, title });
  await api.call("PATCH", `/orgs/${org.id}/programs/${draft.program.id}`, { self_enrolment: selfEnrolment });
  await api.call("POST", `/orgs/${org.id}/programs/${draft.program.id}/publish`);
  return api.call("GET", `/orgs/${org.id}/programs/${draft.program.id}`);
}

/** A browser page signed in through the sign-in form. */
const signedInPage = (person, viewport) => openPage(stack, { person, problems, viewport, timeout: TIMEOUT });

const mapNode = (page, name) => page.locator(`.mastery-node[data-concept-id="${concepts[name]}"]`);
const masteryRow = (page, name) => page.getByRole("table", { name: /Mastery by concept/ }).getByRole("row", { name: new RegExp(name) });

async function learnerMastery(name) {
  const all = await lena.client.call("GET", `/orgs/${org.id}/learners/${lena.id}/mastery`);
  return all.concepts.find((c) => c.concept_id === concepts[name]);
}

before(async () => {
  stack = await startStack();
  ({ api, org } = await setUpOrganisation(stack, OPERATOR, { name: "Riverside College", slug: "riverside" }));

  const collection = await api.call("POST", `/orgs/${org.id}/collections`, { name: PROGRAM });
  const job = await api.upload(org.id, collection.id, "learning-to-learn.md", await readFile(FIXTURE, "utf8"));
  const documentId = job.files[0].document_id;
  program = await draftAndPublish(collection.id, PROGRAM, true);
  await draftAndPublish(collection.id, OTHER_PROGRAM, false);
  concepts = Object.fromEntries(program.concepts.map((c) => [c.name, c.id]));
  assert.deepEqual(Object.keys(concepts), [RETRIEVAL, SPACING, INTERLEAVING, PLANNING], "one concept per section");

  // Questions written by hand (approved as written), each citing its section's passage.
  const chunks = await api.call("GET", `/orgs/${org.id}/documents/${documentId}/chunks`);
  const chunkOf = (name) => chunks.find((c) => c.section_path.at(-1) === name).id;
  const author = (name, body) =>
    api.call("POST", `/orgs/${org.id}/questions`, {
      concepts: [concepts[name]],
      citations: [chunkOf(name)],
      explanation: `See the section “${name}”.`,
      body,
    });
  for (const q of RETRIEVAL_QUESTIONS) {
    const written = await author(RETRIEVAL, q.body);
    assert.equal(written.defect ?? null, null, `“${q.text}” passes the check against its passage`);
  }
  for (const q of OTHER_QUESTIONS) await author(q.concept, q.body);

  lena = await api.inviteAndAccept(org.id, LEARNER, "learner");
  cole = await api.inviteAndAccept(org.id, COACH, "coach");
  await api.call("POST", `/orgs/${org.id}/relationships`, { kind: "coach_learner", from_person: cole.id, to_person: lena.id });
  learnerPage = await signedInPage(LEARNER);
});

after(() => closeAndCheckProblems(problems, [stack]));

test("a learner enrols in an open program, sets a goal and sees the path and an empty mastery map", async () => {
  const page = learnerPage;
  await nav(page).getByRole("link", { name: "My learning" }).click();
  await page.getByRole("heading", { name: "My learning" }).waitFor();
  await page.getByText("You're not enrolled in a program yet.").waitFor();
  const open = page.getByRole("list", { name: "Programs open for enrolment" });
  await open.getByRole("heading", { name: PROGRAM }).waitFor();
  assert.equal(await open.getByText(OTHER_PROGRAM).count(), 0, "a program closed to self-enrolment is not offered");
  await open.getByRole("button", { name: `Enrol in ${PROGRAM}` }).click();

  await page.getByRole("list", { name: "Your programs" }).getByRole("heading", { name: PROGRAM }).waitFor();
  const upNext = page.getByRole("region", { name: "Up next" });
  await upNext.getByText(RETRIEVAL).waitFor();
  await upNext.getByText("No reviews due today.").waitFor();

  const goalForm = page.getByRole("form", { name: "Set a goal" });
  await goalForm.getByLabel("Concept", { exact: true }).selectOption({ label: INTERLEAVING });
  await goalForm.getByRole("button", { name: "Set goal" }).click();
  const goal = page.getByRole("list", { name: "Goals" }).getByRole("listitem").filter({ hasText: INTERLEAVING }).first();
  await goal.getByText("0 of 3 concepts mastered").waitFor();
  const steps = await goal.locator(".learning-path-step .path-step-name").allTextContents();
  assert.deepEqual(steps, [RETRIEVAL, SPACING, INTERLEAVING], "the path follows the prerequisites to the goal");
  const goals = await lena.client.call("GET", `/orgs/${org.id}/learners/${lena.id}/goals`);
  assert.deepEqual(
    goals.map((g) => ({ kind: g.kind, targets: g.targets.map((t) => t.id) })),
    [{ kind: "concept", targets: [concepts[INTERLEAVING]] }],
  );

  // The map draws every concept and prerequisite edge; with no evidence everything is at 0%.
  await mapNode(page, RETRIEVAL).waitFor();
  assert.equal(await page.locator(".mastery-node").count(), 4);
  assert.equal(await page.locator(".mastery-map-canvas .react-flow__edge").count(), 3);
  for (const name of Object.keys(concepts)) {
    assert.equal(await mapNode(page, name).getAttribute("data-mastery"), "0", name);
    assert.equal(await mapNode(page, name).getAttribute("data-band"), "none", name);
    assert.match((await masteryRow(page, name).textContent()) ?? "", /0%\s*Not started/, name);
  }
  await screenshot(page, "learning-01-my-learning");
});

test("practising a concept with no questions says so", async () => {
  const page = learnerPage;
  // Keyboard path: the table's concept buttons open the same explanation as the map.
  await masteryRow(page, PLANNING).getByRole("button", { name: PLANNING }).press("Enter");
  const panel = page.getByRole("region", { name: PLANNING });
  await panel.getByText(/no evidence yet/i).waitFor();
  await panel.getByRole("button", { name: "Practise this concept" }).click();
  await panel.getByRole("alert").filter({ hasText: "There are no practice questions for this yet" }).waitFor();
  assert.match(page.url(), /\/learning$/, "no session was opened");
  await screenshot(page, "learning-02-no-questions");
  await panel.getByRole("button", { name: "Close concept details" }).click();
});

test("practice: one answer right and one wrong, each with feedback quoting the material", async () => {
  const page = learnerPage;
  await mapNode(page, RETRIEVAL).click();
  const panel = page.getByRole("region", { name: RETRIEVAL });
  await panel.getByRole("button", { name: "Practise this concept" }).click();
  await page.waitForURL(/\/learning\/practice\/[0-9a-f-]{36}$/);
  const sessionId = page.url().split("/").pop();
  await page.getByRole("heading", { name: `Practice: ${RETRIEVAL}` }).waitFor();

  const seen = [];
  for (const outcome of ["right", "wrong"]) {
    await page.getByRole("heading", { name: new RegExp(`^Question ${seen.length + 1}`) }).waitFor();
    const text = (await page.locator(".practice-question-text").textContent())?.trim();
    const question = RETRIEVAL_QUESTIONS.find((q) => q.text === text);
    assert.ok(question, `a question written for the test is asked: ${text}`);
    seen.push(question);
    // Answered by keyboard only: focus starts on the first option.
    for (const key of question[outcome].keys) await page.keyboard.press(key);
    await page.keyboard.press("Enter");

    const feedback = page.getByRole("region", { name: outcome === "right" ? "Correct" : "Not quite" });
    await feedback.waitFor();
    assert.match((await feedback.textContent()) ?? "", new RegExp(`Your answer${question[outcome].said}`));
    if (outcome === "wrong") {
      assert.match((await feedback.textContent()) ?? "", new RegExp(`Correct answer${question.correctAnswer}`));
      answeredWrong = { question, said: question.wrong.said };
    }
    // The passage the question cites, quoted, with its source and section.
    const quote = feedback.locator(".cited-passage");
    assert.match((await quote.locator("blockquote").textContent()) ?? "", /Rereading a page is not the same as recalling it\./);
    assert.equal((await quote.locator("figcaption").textContent())?.trim(), `— Learning to Learn, ${RETRIEVAL}`);
    masteryAfterPractice = Number(await feedback.locator(".mastery-after").getAttribute("data-mastery"));
    await screenshot(page, `learning-03-feedback-${outcome}`);
    await page.getByRole("button", { name: outcome === "right" ? "Next question" : "See your results" }).click();
  }

  await page.getByRole("status").filter({ hasText: "You answered 1 of 2 questions right." }).waitFor();
  const answers = page.getByRole("region", { name: "Your answers" }).getByRole("listitem");
  assert.equal(await answers.count(), 2);
  await screenshot(page, "learning-04-results");

  // The server recorded both answers as the learner gave them.
  const session = await lena.client.call("GET", `/orgs/${org.id}/practice-sessions/${sessionId}`);
  assert.deepEqual(
    { status: session.status, answered: session.answered, correct: session.correct },
    { status: "completed", answered: 2, correct: 1 },
  );
  const standing = await learnerMastery(RETRIEVAL);
  assert.equal(standing.evidence_count, 2);
  assert.ok(Math.abs(Math.round(standing.mastery * 100) - masteryAfterPractice) <= 1, "the feedback showed the new mastery");
  await page.getByRole("link", { name: "Back to My learning" }).click();
  await page.getByRole("heading", { name: "My learning" }).waitFor();
});

test("the mastery map and the path show what was just answered", async () => {
  const page = learnerPage;
  const standing = await learnerMastery(RETRIEVAL);
  const expected = Math.round(standing.mastery * 100);
  const band = standing.mastered ? "mastered" : standing.mastery >= 0.5 ? "nearly" : "learning";
  assert.ok(expected > 0, "one right answer of two leaves some mastery");
  assert.ok(Math.abs(expected - masteryAfterPractice) <= 1, "the map agrees with the feedback after the last answer");

  const node = mapNode(page, RETRIEVAL);
  await page.waitForFunction(
    ([selector, value]) => document.querySelector(selector)?.getAttribute("data-mastery") === value,
    [`.mastery-node[data-concept-id="${concepts[RETRIEVAL]}"]`, String(expected)],
  );
  assert.equal(await node.getAttribute("data-band"), band);
  assert.match((await node.textContent()) ?? "", new RegExp(`${expected}%`));
  assert.match((await masteryRow(page, RETRIEVAL).textContent()) ?? "", new RegExp(`${expected}%.*2$`));
  assert.equal(await mapNode(page, SPACING).getAttribute("data-mastery"), "0", "nothing else was practised");

  // On the path to the goal, Retrieval practice is the first step: done, or at its new mastery.
  const goal = page.getByRole("list", { name: "Goals" }).getByRole("listitem").filter({ hasText: INTERLEAVING }).first();
  const first = goal.locator(".learning-path-step").first();
  await first.getByText(standing.mastered ? "Mastered" : `${expected}%`).waitFor();
  assert.equal(await first.locator(".path-step-name").textContent(), RETRIEVAL);

  await node.click();
  const panel = page.getByRole("region", { name: RETRIEVAL });
  await panel.locator(".concept-mastery-panel-standing").getByText(`${expected}%`).waitFor();
  assert.match((await panel.locator(".concept-evidence-list").textContent()) ?? "", /Right.*Wrong|Wrong.*Right/s);
  await screenshot(page, "learning-05-mastery-map");
  await page.emulateMedia({ colorScheme: "dark" });
  await screenshot(page, "learning-05-mastery-map-dark");
  await page.emulateMedia({ colorScheme: "light" });
  await panel.getByRole("button", { name: "Close concept details" }).click();
});

test("a placement starts from the program, and an unfinished session can be resumed", async () => {
  const page = learnerPage;
  await page.getByRole("button", { name: `Placement for ${PROGRAM}` }).click();
  await page.waitForURL(/\/learning\/practice\//);
  const url = page.url();
  await page.getByRole("heading", { name: `Placement: ${PROGRAM}` }).waitFor();
  await page.getByRole("heading", { name: /^Question 1/ }).waitFor();
  await page.getByText(/stops once it knows enough/).waitFor();
  await screenshot(page, "learning-06-placement");
  await page.getByRole("link", { name: /Leave for now/ }).click();
  const unfinished = page.getByRole("list", { name: "Unfinished practice" });
  await unfinished.getByText(`Placement: ${PROGRAM}`).waitFor();
  await unfinished.getByRole("link", { name: "Continue" }).click();
  await page.waitForURL(url);
  await page.getByRole("heading", { name: /^Question 1/ }).waitFor();
});

test("a placement taken to the end proposes where to start", async () => {
  const PAT = { email: "pat@example.org", password: "another learner passphrase 3", name: "Pat Placed" };
  const pat = await api.inviteAndAccept(org.id, PAT, "learner");
  const page = await signedInPage(PAT);
  await page.goto(`${stack.base}/learning`);
  await page.getByRole("button", { name: `Enrol in ${PROGRAM}` }).click();
  await page.getByRole("button", { name: `Placement for ${PROGRAM}` }).click();
  await page.waitForURL(/\/learning\/practice\//);
  const sessionId = page.url().split("/").pop();

  // Every question answered right, whichever the placement picks, until it knows enough.
  const all = [...RETRIEVAL_QUESTIONS, ...OTHER_QUESTIONS];
  for (let asked = 1; ; asked++) {
    await page.getByRole("heading", { name: new RegExp(`^Question ${asked}`) }).waitFor();
    const text = (await page.locator(".practice-question-text").textContent())?.trim();
    const question = all.find((q) => q.text === text);
    assert.ok(question, `a question written for the test is asked: ${text}`);
    await question.answerRight(page);
    await page.getByRole("button", { name: "Check answer" }).click();
    await page.getByRole("region", { name: "Correct" }).waitFor();
    const next = page.getByRole("button", { name: /^(Next question|See your results)$/ });
    const done = (await next.textContent()) === "See your results";
    await next.click();
    if (done) break;
    assert.ok(asked < 15, "a placement asks at most 15 questions");
  }

  // What the page proposes is what the server's placement found.
  const session = await pat.client.call("GET", `/orgs/${org.id}/practice-sessions/${sessionId}`);
  assert.equal(session.status, "completed");
  assert.equal(session.correct, session.answered);
  const where = page.getByRole("region", { name: "Where to start" });
  await where.waitFor();
  const proposed = session.placement.start_with.map((c) => c.name);
  if (proposed.length) {
    assert.deepEqual(await where.getByRole("listitem").allTextContents(), proposed);
  } else {
    await where.getByText("You seem to know this whole program already.").waitFor();
  }
  const found = where.getByRole("table").getByRole("row");
  assert.equal(await found.count(), 1 + program.concepts.length, "every concept of the program, with a header row");
  await screenshot(page, "learning-07-placement-results");
  await page.context().close();
});

test("My learning is usable at phone width", async () => {
  const page = learnerPage;
  await page.setViewportSize({ width: 375, height: 740 });
  await page.goto(`${stack.base}/learning`);
  await mapNode(page, RETRIEVAL).waitFor();
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
  }));
  assert.ok(scrollWidth <= innerWidth, `no horizontal scrolling: page ${scrollWidth}px wide in ${innerWidth}px`);
  const practise = page.getByRole("region", { name: "Up next" }).getByRole("button", { name: "Practise" });
  const box = await practise.boundingBox();
  assert.ok(box && box.x >= 0 && box.x + box.width <= 375, "the next step's Practise button is on screen");
  await screenshot(page, "learning-08-my-learning-375");
  await page.setViewportSize({ width: 1280, height: 800 });
});

test("the coach sees the learner's new evidence and the question they got wrong, assigns a goal and enrols them", async () => {
  coachPage = await signedInPage(COACH);
  const page = coachPage;
  await nav(page).getByRole("link", { name: "Learners" }).click();
  await page.getByRole("heading", { name: "Learners" }).waitFor();
  const card = page.getByRole("list", { name: "Learners" }).getByRole("listitem").filter({ hasText: LEARNER.name });
  const mastered = (await lena.client.call("GET", `/orgs/${org.id}/learners/${lena.id}/mastery`)).concepts.filter((c) => c.mastered).length;
  await card.getByText(`${mastered} of 4 concepts mastered`).waitFor();
  await card.getByText(INTERLEAVING).waitFor();
  await screenshot(page, "learning-09-learners");

  await card.getByRole("link", { name: LEARNER.name }).click();
  await page.waitForURL(new RegExp(`/learners/${lena.id}$`));
  await page.getByRole("heading", { name: LEARNER.name, level: 1 }).waitFor();

  // The two practice answers, as evidence on Retrieval practice: one right, one wrong.
  const evidence = page.getByRole("table", { name: "Recent evidence" }).getByRole("row").filter({ hasText: RETRIEVAL });
  await evidence.first().waitFor();
  const outcomes = (await evidence.allTextContents()).map((row) => (/Right/.test(row) ? "Right" : /Wrong/.test(row) ? "Wrong" : row));
  assert.deepEqual(outcomes.sort(), ["Right", "Wrong"]);

  // The question answered wrong, with what the learner said and the right answer.
  const struggled = page.getByRole("list", { name: "Questions they struggled with" }).getByRole("listitem");
  await struggled.first().waitFor();
  assert.equal(await struggled.count(), 1);
  const item = (await struggled.textContent()) ?? "";
  assert.ok(item.includes(answeredWrong.question.text), item);
  assert.match(item, new RegExp(`Their answer${answeredWrong.said}Correct answer${answeredWrong.question.correctAnswer}`));

  // The same mastery map the learner sees.
  const expected = String(Math.round((await learnerMastery(RETRIEVAL)).mastery * 100));
  assert.equal(await mapNode(page, RETRIEVAL).getAttribute("data-mastery"), expected);
  await screenshot(page, "learning-10-learner-detail");

  // Assigning a goal: the whole program.
  const assign = page.getByRole("form", { name: "Assign a goal" });
  await assign.getByLabel("A whole program").check();
  await assign.getByRole("button", { name: "Assign goal" }).click();
  await page.getByRole("list", { name: "Goals" }).getByRole("heading", { name: PROGRAM }).waitFor();
  const goals = await cole.client.call("GET", `/orgs/${org.id}/learners/${lena.id}/goals`);
  const assigned = goals.find((g) => g.kind === "program");
  assert.equal(assigned?.set_by, cole.id, "the coach set the program goal");

  // Enrolling them in the program they could not enrol in themselves.
  const enrol = page.getByRole("form", { name: "Enrol in a program" });
  await enrol.getByLabel("Enrol in a program").selectOption({ label: OTHER_PROGRAM });
  await enrol.getByRole("button", { name: "Enrol" }).click();
  await page.getByRole("list", { name: "Enrolments" }).getByText(OTHER_PROGRAM).waitFor();
  const enrolments = await lena.client.call("GET", `/orgs/${org.id}/learners/${lena.id}/enrolments`);
  assert.deepEqual(enrolments.map((e) => e.program_title).sort(), [OTHER_PROGRAM, PROGRAM]);
  assert.equal(enrolments.find((e) => e.program_title === OTHER_PROGRAM).enrolled_by, cole.id);
});

test("an answer the rules cannot grade waits for the coach, whose grade and comment the learner reads", async () => {
  const SHORT = OTHER_QUESTIONS.find((q) => q.body.kind === "short_answer");
  const COMMENT = "Yes: mixing kinds of problems is the heart of it.";
  const started = await lena.client.call("POST", `/orgs/${org.id}/learners/${lena.id}/practice-sessions`, {
    target: { kind: "concept", concept_id: concepts[INTERLEAVING] },
  });
  const page = learnerPage;
  await page.goto(`${stack.base}/learning/practice/${started.id}`);
  for (let asked = 1; ; asked++) {
    await page.getByRole("heading", { name: new RegExp(`^Question ${asked}`) }).waitFor();
    const text = (await page.locator(".practice-question-text").textContent())?.trim();
    const question = OTHER_QUESTIONS.find((q) => q.text === text);
    assert.ok(question, `a question written for the test is asked: ${text}`);
    if (question === SHORT) {
      // Two of the reference's content words: neither clearly right nor clearly wrong.
      await page.getByLabel(SHORT.text).fill("mixing problems");
      await page.getByRole("button", { name: "Check answer" }).click();
      await page.getByRole("region", { name: "Your coach will grade this one" }).waitFor();
    } else {
      await question.answerRight(page);
      await page.getByRole("button", { name: "Check answer" }).click();
      await page.getByRole("region", { name: "Correct" }).waitFor();
    }
    const next = page.getByRole("button", { name: /^(Next question|See your results)$/ });
    const done = (await next.textContent()) === "See your results";
    await next.click();
    if (done) break;
  }
  await page.getByRole("status").filter({ hasText: "1 answer waits for your coach to grade." }).waitFor();

  // The coach finds it on the learner's page, and grades it right with a comment.
  const coach = coachPage;
  await coach.goto(`${stack.base}/learners/${lena.id}`);
  const waiting = coach.getByRole("region", { name: "Answers waiting for you" });
  const item = waiting.getByRole("listitem").filter({ hasText: SHORT.text });
  await item.waitFor();
  assert.match((await item.textContent()) ?? "", new RegExp(`Their answermixing problemsReference answer${SHORT.body.reference}`));
  await screenshot(coach, "learning-11-answer-to-grade");
  await item.getByLabel("Comment for the learner (optional)").fill(COMMENT);
  await item.getByRole("button", { name: "Right" }).click();
  await waiting.waitFor({ state: "detached" });

  // The server holds the coach's grade, and it counts as evidence recorded by the coach.
  const session = await lena.client.call("GET", `/orgs/${org.id}/practice-sessions/${started.id}`);
  const graded = session.attempts.find((a) => a.review);
  assert.deepEqual(
    { outcome: graded?.grade.outcome, correct: graded?.grade.correct, comment: graded?.review?.comment, by: graded?.review?.reviewer_id },
    { outcome: "graded", correct: true, comment: COMMENT, by: cole.id },
  );
  assert.equal(session.correct, session.answered, "both answers now count as right");
  const evidence = await lena.client.call("GET", `/orgs/${org.id}/learners/${lena.id}/evidence`);
  assert.ok(evidence.some((e) => e.recorded_by === cole.id && e.kind === "graded_answer" && e.concept_id === concepts[INTERLEAVING]));

  // The learner reads the grade and the comment on the session's page.
  await page.goto(`${stack.base}/learning/practice/${started.id}`);
  await page.getByText(`Graded by your coach: “${COMMENT}”`).waitFor();
  await page.getByRole("status").filter({ hasText: `You answered ${session.answered} of ${session.answered} questions right.` }).waitFor();
  await screenshot(page, "learning-12-graded-by-coach");
});

test("an answer that taught a concept of the learner's program offers to practise it", async () => {
  const page = learnerPage;
  await page.goto(`${stack.base}/chat`);
  await page.getByLabel("Your question").fill("What is retrieval practice?");
  await page.getByRole("button", { name: "Send" }).click();
  const answer = page.getByRole("article", { name: "Coach answered" }).last();
  const offerButton = answer.getByRole("button", { name: /^Practise / });
  await offerButton.waitFor();
  // The offer the server stored with the answer: a concept its sources teach, with questions.
  const { conversations } = await lena.client.call("GET", `/orgs/${org.id}/conversations`);
  const detail = await lena.client.call("GET", `/conversations/${conversations[0].id}`);
  const offer = detail.messages.at(-1).practice;
  assert.ok(offer && Object.values(concepts).includes(offer.concept_id), JSON.stringify(detail.messages.at(-1)));
  assert.equal((await offerButton.textContent())?.trim(), `Practise ${offer.concept_name}`);
  await screenshot(page, "learning-13-practice-offer");
  await offerButton.click();
  await page.waitForURL(/\/learning\/practice\/[0-9a-f-]{36}$/);
  await page.getByRole("heading", { name: `Practice: ${offer.concept_name}` }).waitFor();
});

test("a Socratic coach checks understanding with a question from the bank and grades the reply", async () => {
  const socrates = await api.call("POST", `/orgs/${org.id}/coaches`, { name: "Socrates", style: "socratic" });
  const conversation = await lena.client.call("POST", `/orgs/${org.id}/conversations`, { coach_id: socrates.id });
  const page = learnerPage;
  await page.goto(`${stack.base}/chat/${conversation.id}`);
  await page.getByLabel("Your question").fill("What is retrieval practice?");
  await page.getByRole("button", { name: "Send" }).click();
  const answers = page.getByRole("article", { name: "Coach answered" });
  await answers.last().getByText("Check your understanding:").waitFor();

  // The question the coach posed, and its right answer as a chat reply, from the bank.
  const posed = (await lena.client.call("GET", `/conversations/${conversation.id}`)).messages.at(-1).check;
  assert.ok(posed, "the answer carries its check question");
  const { body } = await api.call("GET", `/orgs/${org.id}/questions/${posed.question_id}`);
  const rightReply = {
    true_false: () => String(body.answer),
    multiple_choice: () => body.correct.map((i) => String.fromCharCode(97 + i)).join(", "),
    cloze: () => body.answers[0],
    short_answer: () => body.reference,
  }[body.kind]();
  assert.ok((await answers.last().textContent()).includes(posed.text.split("\n")[0]));
  // Graded answers only: the answer's own exposure evidence may land at any time.
  const gradedAnswers = async () =>
    (await lena.client.call("GET", `/orgs/${org.id}/learners/${lena.id}/evidence`)).filter((e) => e.kind === "graded_answer");
  const before = (await gradedAnswers()).length;

  await page.getByLabel("Your question").fill(rightReply);
  await page.getByRole("button", { name: "Send" }).click();
  const verdict = answers.last();
  await verdict.getByText("Your answer, checked").waitFor();
  await verdict.getByText(/^Right, well done\./).waitFor();
  await screenshot(page, "learning-14-check-question");
  const graded = await gradedAnswers();
  assert.equal(graded.length, before + 1, "the reply is evidence");
  assert.deepEqual({ concept: graded[0].concept_id, outcome: graded[0].outcome }, { concept: posed.concept_id, outcome: 1 });
});
