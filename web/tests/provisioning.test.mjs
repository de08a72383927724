// Browser tests of coach provisioning against the real server: set up over
// the API (an organisation, a published training program of three tagged
// domains with one hand-written question per concept, a manager), then in the
// browser the admin provisions a coach with the manager and reads the
// invitation link; the coach accepts it, completes the profile (a refused
// field first), takes the intake on the practice screen answering by a rule
// (one domain known, half of another, nothing of the third) and sees the
// score per domain and the training path; the manager sees the same result;
// and both screens fit a phone. Run with `npm run test:e2e` (WAYFINDER_BIN
// names the binary).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import {
  ApiClient,
  closeAndCheckProblems,
  openPage,
  screenshot,
  setUpOrganisation,
  startStack,
} from "./lib/harness.mjs";

const TIMEOUT = 30_000;
const OPERATOR = { email: "ola@example.org", password: "correct horse battery staple 42", name: "Ola Operator" };
const MANAGER = { email: "mo@example.org", password: "a steady manager passphrase 3", name: "Mo Manager" };
const COACH = { email: "nia@example.org", password: "a brand new coach passphrase 5", name: "Nia Newcoach" };
const ORG_NAME = "Harbour Tutors";
const PROGRAM = "Coach training";
const DRAFT_PROGRAM = "Advanced coaching (draft)";

// The training program: three domains (the concepts' tags), each a chain in which every concept
// requires the one before it. One multiple-choice question per concept: its right option and
// three wrong ones.
const DOMAINS = [
  {
    tag: "Listening",
    concepts: [
      ["Attending", "What does attending to a learner mean?", "Giving them your full attention", ["Planning your reply while they talk", "Writing down every word", "Finishing their sentences"]],
      ["Paraphrasing", "Why paraphrase what a learner said?", "To check you understood it", ["To correct their grammar", "To fill a silence", "To change the subject"]],
      ["Reflecting feelings", "What does reflecting feelings mean?", "Naming the emotion behind the words", ["Saying how you would feel", "Ignoring emotions", "Asking them to calm down"]],
      ["Summarising", "What does a good end-of-session summary do?", "Pulls together the main points and actions", ["Repeats the whole session", "Starts a new topic", "Lists the learner's mistakes"]],
    ],
  },
  {
    tag: "Questioning",
    concepts: [
      ["Open questions", "Which of these is an open question?", "What did you try first?", ["Did you try it?", "Was it hard?", "Is that right?"]],
      ["Probing questions", "What does a probing question do?", "Asks for more detail on something said", ["Changes the topic", "Suggests the answer", "Tests memory"]],
      ["Avoiding leading questions", "Which of these questions is leading?", "Don't you think starting earlier would help?", ["How did you prepare?", "What would you change?", "What got in the way?"]],
      ["Scaling questions", "What does a scaling question ask for?", "A rating on a scale such as 1 to 10", ["A measurement of the desk", "A comparison with classmates", "A list of pros and cons"]],
    ],
  },
  {
    tag: "Feedback",
    concepts: [
      ["Specific praise", "Which praise is specific?", "Your plan splits the topic into three clear steps", ["Great job!", "Nice work as always", "You're a natural"]],
      ["Timely feedback", "When does feedback help most?", "Soon after the work, while it is fresh", ["At the end of the year", "Once it is forgotten", "In front of the class"]],
      ["Feed-forward", "What does feed-forward focus on?", "What to do differently next time", ["Everything that went wrong", "The final grade", "Other learners' work"]],
      ["Checking feedback was understood", "After feedback, what should the learner do?", "Say in their own words what they will do next", ["Sign a form", "Thank the coach", "Repeat it word for word"]],
    ],
  },
].map((d) => ({
  tag: d.tag,
  concepts: d.concepts.map(([name, stem, right, wrong]) => ({ name, stem, right, wrong })),
}));
const CONCEPTS = DOMAINS.flatMap((d, di) => d.concepts.map((c, step) => ({ ...c, domain: d.tag, step, index: di * 4 + step })));

// The rule the coach answers by: how many of each domain's chain they know, from its start
// (knowing a concept, they know what it requires). All of listening, half of questioning,
// nothing of feedback.
const KNOWN_STEPS = { Listening: 4, Questioning: 2, Feedback: 0 };
const knows = (concept) => concept.step < KNOWN_STEPS[concept.domain];
/** The domains (as the server names them: tags are stored in lower case), best known first by the rule. */
const RANKED = DOMAINS.map((d) => ({ domain: d.tag.toLowerCase(), share: KNOWN_STEPS[d.tag] / d.concepts.length }))
  .sort((a, b) => b.share - a.share)
  .map((d) => d.domain);

let stack;
let api; // the operator
let org;
let program; // the published training program's detail
let manager; // { client, id }
let invitationLink;
let adminPage;
let coachPage;
let coachApi; // the coach's browser session, over the API
let managerPage;
const problems = [];

const nav = (p) => p.getByRole("navigation", { name: "Main" });

const newPage = () => openPage(stack, { problems, timeout: TIMEOUT });
/** A browser page signed in through the sign-in form. */
const signedInPage = (person) => openPage(stack, { person, problems, timeout: TIMEOUT });

/** The score per domain as a chart on screen shows it: domain → { score, known }. */
async function shownScores(scope) {
  const rows = scope.getByRole("figure", { name: /Score per domain/ }).getByRole("listitem");
  await rows.first().waitFor();
  const shown = {};
  for (const row of await rows.all()) {
    const domain = (await row.locator(".domain-chart-name").textContent()).trim().toLowerCase();
    const score = Number.parseInt(await row.locator(".domain-chart-score").textContent(), 10);
    const known = (await row.locator(".domain-chart-known").textContent()).trim();
    shown[domain] = { score, known };
  }
  return shown;
}

/** Checks the scores on screen are the server's and ranked as the rule implies. */
function checkScores(shown, provision) {
  assert.deepEqual(
    shown,
    Object.fromEntries(
      provision.domain_scores.map((d) => [
        d.domain.toLowerCase(),
        { score: Math.round(d.score), known: `${d.known} of ${d.concepts} concepts known` },
      ]),
    ),
    "the chart shows the server's scores",
  );
  assert.deepEqual(Object.keys(shown).sort(), [...RANKED].sort(), "one bar per domain");
  for (let i = 1; i < RANKED.length; i++) {
    const [better, worse] = [RANKED[i - 1], RANKED[i]];
    assert.ok(
      shown[better].score > shown[worse].score,
      `${better} (${shown[better].score}) scores above ${worse} (${shown[worse].score}), as the answers imply`,
    );
  }
}

/** Checks a training path's steps on screen against the server's path and the rule. */
function checkPath(shownSteps, path) {
  assert.deepEqual(shownSteps, path.steps.map((s) => s.concept.name), "the path on screen is the server's");
  // Everything the coach does not know is still to learn, each domain's chain in order.
  for (const concept of CONCEPTS.filter((c) => !knows(c))) {
    assert.ok(shownSteps.includes(concept.name), `${concept.name} is on the path: ${shownSteps}`);
  }
  for (const domain of DOMAINS) {
    const positions = domain.concepts.map((c) => shownSteps.indexOf(c.name)).filter((i) => i >= 0);
    assert.deepEqual(positions, [...positions].sort((a, b) => a - b), `${domain.tag} is learned in prerequisite order`);
  }
}

before(async () => {
  stack = await startStack();
  ({ api, org } = await setUpOrganisation(stack, OPERATOR, { name: ORG_NAME, slug: "harbour" }));

  const document = {
    title: PROGRAM,
    concepts: CONCEPTS.map((c) => ({
      key: `c${c.index}`,
      name: c.name,
      tags: [c.domain],
      estimated_minutes: 15,
      requires: c.step > 0 ? [`c${c.index - 1}`] : [],
    })),
  };
  const imported = await api.call("POST", `/orgs/${org.id}/programs/import`, document);
  await api.call("POST", `/orgs/${org.id}/programs/${imported.program.id}/publish`);
  program = await api.call("GET", `/orgs/${org.id}/programs/${imported.program.id}`);
  assert.equal(program.concepts.length, CONCEPTS.length);
  // A program never published trains nobody: the form does not offer it.
  await api.call("POST", `/orgs/${org.id}/programs/import`, { title: DRAFT_PROGRAM, concepts: [{ key: "x", name: "Mentoring" }] });

  // One question per concept, written by hand; the right option moves around.
  const ids = Object.fromEntries(program.concepts.map((c) => [c.name, c.id]));
  for (const c of CONCEPTS) {
    const options = [...c.wrong];
    const correct = c.index % 4;
    options.splice(correct, 0, c.right);
    await api.call("POST", `/orgs/${org.id}/questions`, {
      concepts: [ids[c.name]],
      body: { kind: "multiple_choice", stem: c.stem, options, correct: [correct] },
    });
  }

  manager = await api.inviteAndAccept(org.id, MANAGER, "manager");
});

after(() => closeAndCheckProblems(problems, [stack]));

test("the admin provisions a coach with a training program and a manager, and gets the invitation link", async () => {
  adminPage = await signedInPage(OPERATOR);
  const page = adminPage;
  await nav(page).getByRole("link", { name: "Team" }).click();
  await page.getByRole("heading", { name: "Team", level: 1 }).waitFor();
  await page.getByText("No coaches provisioned yet.").waitFor();

  const form = page.getByRole("form", { name: "Provision a coach" });
  const programs = form.getByLabel("Training program");
  await programs.locator("option", { hasText: PROGRAM }).waitFor({ state: "attached" });
  assert.deepEqual(await programs.locator("option").allTextContents(), ["Choose…", PROGRAM], "only published programs");
  assert.deepEqual(await form.getByLabel("Manager (optional)").locator("option").allTextContents(), ["No manager", MANAGER.name]);

  // Someone already a member is refused, and the reason shows by the email field.
  await form.getByLabel("Coach's email").fill(MANAGER.email);
  await programs.selectOption({ label: PROGRAM });
  await form.getByLabel("Manager (optional)").selectOption({ label: MANAGER.name });
  await form.getByRole("button", { name: "Provision coach" }).click();
  const email = form.getByLabel("Coach's email");
  await page.waitForFunction(() => document.activeElement?.getAttribute("aria-invalid") === "true");
  assert.equal(await email.getAttribute("aria-invalid"), "true");
  const describedBy = await email.getAttribute("aria-describedby");
  const reason = await page.locator(`[id="${describedBy.split(" ")[0]}"]`).textContent();
  assert.match(reason, /already a member/);

  await email.fill(COACH.email);
  await form.getByRole("button", { name: "Provision coach" }).click();
  const linkBox = page.getByRole("region", { name: `Invitation link for ${COACH.email}` });
  invitationLink = await linkBox.getByRole("textbox").inputValue();
  assert.ok(invitationLink.startsWith(`${stack.base}/invite/`), invitationLink);
  assert.equal(await email.getAttribute("aria-invalid"), null, "the refusal is gone");

  const row = page.getByRole("table", { name: "Provisioned coaches" }).getByRole("row").filter({ hasText: COACH.email });
  await row.waitFor();
  const cells = (await row.locator("th, td").allTextContents()).map((t) => t.trim());
  assert.deepEqual(cells.slice(0, 4), [COACH.email, PROGRAM, MANAGER.name, "Invited"]);
  await page.getByRole("article", { name: COACH.email }).getByText("The invitation waits to be accepted.").waitFor();
  await screenshot(page, "provisioning-01-admin-provisioned");
});

test("the coach accepts, completes the profile after a refused field, and starts the intake", async () => {
  coachPage = await newPage();
  const page = coachPage;
  await page.goto(invitationLink);
  await page.getByRole("heading", { name: `Join ${ORG_NAME}` }).waitFor();
  await page.getByLabel("Your name").fill(COACH.name);
  await page.getByLabel("Choose a password").fill(COACH.password);
  await page.getByRole("button", { name: "Accept invitation" }).click();
  await page.waitForURL(/\/chat/);
  const session = (await page.context().cookies()).find((c) => c.name === "wayfinder_session");
  coachApi = new ApiClient(stack.base);
  coachApi.cookie = `${session.name}=${session.value}`;
  const me = await coachApi.call("GET", "/me");

  await nav(page).getByRole("link", { name: "Onboarding" }).click();
  await page.getByRole("heading", { name: "Your onboarding", level: 1 }).waitFor();
  await page.getByText(`${MANAGER.name}`).first().waitFor();
  const steps = page.locator(".onboarding-steps > li");
  assert.equal(await steps.count(), 3);
  assert.equal(await steps.nth(0).getAttribute("aria-current"), "step", "the profile comes first");
  await steps.nth(1).getByText("Complete your profile first").waitFor();

  // No subjects: the server refuses, and says so by the field, which takes the focus.
  const profile = page.getByRole("form", { name: "Your coach profile" });
  await profile.getByLabel("Years of coaching or teaching experience").fill("6");
  await profile.getByRole("button", { name: "Save profile" }).click();
  const subjects = profile.getByLabel("Subjects you coach");
  await page.waitForFunction(() => document.activeElement?.getAttribute("aria-invalid") === "true");
  assert.equal(await subjects.evaluate((el) => el === document.activeElement), true, "the refused field has the focus");
  const errorId = (await subjects.getAttribute("aria-describedby")).split(" ")[0];
  assert.match(await page.locator(`[id="${errorId}"]`).textContent(), /subjects/i);
  await screenshot(page, "provisioning-02-profile-refused");

  // Corrected by keyboard: Enter in the subjects field saves.
  await subjects.fill("Study skills, Exam preparation");
  await profile.getByLabel("What you want from the training (optional)").fill("Run my first cohort with confidence.");
  await subjects.press("Enter");
  await steps.nth(0).getByText("Done", { exact: true }).waitFor();
  assert.equal(await profile.count(), 0, "the saved profile replaces the form");
  await steps.nth(0).getByRole("list", { name: "Subjects" }).getByText("Exam preparation").waitFor();
  assert.equal(await steps.nth(1).getAttribute("aria-current"), "step", "the intake is next");
  // Focus moves to the intake step, the one to do next.
  await page.waitForFunction((heading) => heading === document.activeElement, await steps.nth(1).getByRole("heading").elementHandle());
  const [provision] = await coachApi.call("GET", `/orgs/${org.id}/coach-provisions`);
  assert.equal(provision.stage, "intake");
  assert.equal(provision.coach_id, me.person.id);
  assert.deepEqual(provision.profile, {
    experience_years: 6,
    subjects: ["Study skills", "Exam preparation"],
    goals: "Run my first cohort with confidence.",
  });

  await steps.nth(1).getByRole("button", { name: "Start the intake" }).click();
  await page.waitForURL(/\/learning\/practice\/[0-9a-f-]{36}$/);
  await page.getByRole("heading", { name: `Placement: ${PROGRAM}` }).waitFor();
});

test("the coach answers the intake by the rule, then sees the score per domain and the training path", async () => {
  const page = coachPage;
  const form = page.getByRole("form", { name: "Your answer" });
  const asked = [];
  for (;;) {
    await page.getByRole("heading", { name: new RegExp(`^Question ${asked.length + 1}`) }).waitFor();
    const text = await form.textContent();
    const concept = CONCEPTS.find((c) => text.includes(c.stem));
    assert.ok(concept, `a question written for the test is asked: ${text}`);
    asked.push(concept.name);
    await form.getByRole("radio", { name: knows(concept) ? concept.right : concept.wrong[0], exact: true }).check();
    if (asked.length === 1) await screenshot(page, "provisioning-03-intake-question");
    await form.getByRole("button", { name: "Check answer" }).click();
    await page.getByRole("region", { name: knows(concept) ? /Correct$/ : /Not quite$/ }).waitFor();
    const next = page.getByRole("button", { name: /^(Next question|See your results)$/ });
    const finished = (await next.textContent()) === "See your results";
    await next.click();
    if (finished) break;
    if (asked.length === 1) {
      // Left after one answer, the intake is resumed from the onboarding.
      const session = page.url();
      await page.getByRole("heading", { name: /^Question 2/ }).waitFor();
      await nav(page).getByRole("link", { name: "Onboarding" }).click();
      const intake = page.locator(".onboarding-steps > li").nth(1);
      await intake.getByText("You have answered 1 question so far.").waitFor();
      await intake.getByRole("link", { name: "Resume the intake" }).click();
      await page.waitForURL(session);
    }
  }
  console.log(`intake: ${asked.length} questions (${asked.join(", ")})`);
  await page.getByRole("heading", { name: "Where to start" }).waitFor();

  await nav(page).getByRole("link", { name: "Onboarding" }).click();
  const results = page.locator(".onboarding-steps > li").nth(2);
  await results.getByText("Ready", { exact: true }).waitFor();
  assert.equal(await results.getAttribute("aria-current"), "step");
  const [provision] = await coachApi.call("GET", `/orgs/${org.id}/coach-provisions`);
  assert.equal(provision.stage, "training");
  assert.equal(provision.intake.status, "completed");
  checkScores(await shownScores(results), provision);

  const path = await coachApi.call("GET", `/orgs/${org.id}/learners/${provision.coach_id}/goals/${provision.training.goal_id}/path`);
  const stepsList = results.getByRole("list", { name: "Training path" });
  await stepsList.getByRole("listitem").first().waitFor();
  checkPath(await stepsList.locator(".training-step-name").allTextContents(), path);
  await results.getByText(`${provision.training.remaining} of ${provision.training.concepts} concepts to go`).waitFor();
  assert.equal(await results.getByRole("link", { name: "Go to My learning" }).getAttribute("href"), "/learning");
  await screenshot(page, "provisioning-04-coach-results");
});

test("the manager follows the coach: stage, profile, scores in the rule's order and training progress", async () => {
  managerPage = await signedInPage(MANAGER);
  const page = managerPage;
  await nav(page).getByRole("link", { name: "Team" }).click();
  await page.getByRole("heading", { name: "Team", level: 1 }).waitFor();
  assert.equal(await page.getByRole("form", { name: "Provision a coach" }).count(), 0, "only admins provision");
  const card = page.getByRole("article", { name: COACH.name });
  await card.waitFor();
  assert.equal((await card.locator(".provision-stage").textContent()).trim(), "Training");
  await card.getByText("Study skills").waitFor();
  await card.getByText("6 years").waitFor();
  await card.getByText(/^Completed on .* after \d+ questions\.$/).waitFor();

  const [provision] = await manager.client.call("GET", `/orgs/${org.id}/coach-provisions`);
  assert.equal(provision.stage, "training");
  assert.equal(provision.manager_id, manager.id);
  checkScores(await shownScores(card), provision);
  const { remaining, concepts } = provision.training;
  assert.equal(concepts, CONCEPTS.length, "the goal is the whole program");
  assert.ok(remaining >= CONCEPTS.filter((c) => !knows(c)).length, `what the coach does not know remains: ${remaining}`);
  await card.getByText(`${remaining} of ${concepts} concepts to go`).waitFor();

  // The path's steps, loaded once opened (by keyboard).
  await card.getByText("Training path", { exact: true }).focus();
  await page.keyboard.press("Enter");
  const stepsList = card.getByRole("list", { name: "Training path" });
  await stepsList.getByRole("listitem").first().waitFor();
  const path = await manager.client.call(
    "GET",
    `/orgs/${org.id}/learners/${provision.coach_id}/goals/${provision.training.goal_id}/path`,
  );
  checkPath(await stepsList.locator(".training-step-name").allTextContents(), path);
  assert.equal(path.steps.length, remaining, "the path's steps are what remains");
  await screenshot(page, "provisioning-05-manager-team");
});

test("the onboarding and the Team screen fit a phone", async () => {
  for (const [page, name, ready] of [
    [coachPage, "provisioning-06-coach-results-375", (p) => p.getByRole("list", { name: "Training path" })],
    [adminPage, "provisioning-07-admin-team-375", (p) => p.getByRole("article", { name: COACH.name }).locator(".domain-chart")],
  ]) {
    await page.setViewportSize({ width: 375, height: 740 });
    await page.goto(`${stack.base}/team`);
    await ready(page).waitFor();
    const { scrollWidth, innerWidth } = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      innerWidth: window.innerWidth,
    }));
    assert.ok(scrollWidth <= innerWidth, `${name}: no horizontal scrolling (page ${scrollWidth}px wide in ${innerWidth}px)`);
    await screenshot(page, name);
  }
});
