// Browser tests of coach provisioning against the real server: set up over
// the API (an organisation, a published training program of three tagged
// domains with one hand-written question per concept, a manager), then in the
// browser the admin provisions a coach with the manager and reads the
// invitation link; the coach accepts it, completes the profile (a refused
// field first), takes the intake on the practice screen answering by a rule
// (one domain known, half of another, nothing of the third) and sees the
// score per domain and the training path; the manager sees the same result;
// and both screens fit a phone. Then the admin provisions a second coach with
// an intake interview (a flow saved from the coach-intake template; one that
// stopped being a coach intake meanwhile is refused beside its field): the
// coach accepts, completes the profile, is not offered the placement while
// the interview runs, answers it on the interview screen (leaving and
// continuing from the onboarding) with a self-rating of 2, and then sees
// their training start at the beginning with the program's first concepts,
// the placement not needed; the admin sees the same. Run with `npm run
// test:e2e` (WAYFINDER_BIN names the binary).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import {
  ApiClient,
  closeAndCheckProblems,
  focusedIsInvalid,
  openPage,
  screenshot,
  setUpOrganisation,
  startStack,
  threeScreenshots,
} from "./lib/harness.mjs";

const TIMEOUT = 30_000;
const OPERATOR = { email: "ola@example.org", password: "correct horse battery staple 42", name: "Ola Operator" };
const MANAGER = { email: "mo@example.org", password: "a steady manager passphrase 3", name: "Mo Manager" };
const COACH = { email: "nia@example.org", password: "a brand new coach passphrase 5", name: "Nia Newcoach" };
const INTAKE_COACH = { email: "ian@example.org", password: "an intake coach passphrase 8", name: "Ian Intake" };
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

// ---- a coach brought in with an intake interview ----

// The intake interview's answers, one a step of the coach-intake template: a goal of at least six
// words, a self-rating of 2 (so the training starts at the beginning), then time, style and worries
// (the last step ends it).
const INTAKE_ANSWERS = [
  "I want to run calm and useful sessions for my learners",
  "2",
  "About three hours a week",
  "Doing exercises and talking it through",
  "Not knowing enough about the subject yet",
];
// Where a training from the beginning starts: the concepts that require nothing, in the program's order.
const FIRST_CONCEPTS = CONCEPTS.filter((c) => c.step === 0).map((c) => c.name);
let intakeTemplate; // the coach-intake template's spec
let intakeFlow;
let intakeInvitationLink;
let intakeCoachPage;

test("the admin provisions a coach with an intake interview; a flow no longer a coach intake is refused beside its field", async () => {
  const templates = await api.call("GET", `/orgs/${org.id}/interview-templates`);
  intakeTemplate = templates.find((t) => t.purpose === "coach_intake");
  assert.ok(intakeTemplate, "a coach-intake template");
  intakeFlow = await api.call("POST", `/orgs/${org.id}/interview-flows`, intakeTemplate);
  // Another coach intake, and a flow of another purpose (not offered).
  const other = await api.call("POST", `/orgs/${org.id}/interview-flows`, { ...intakeTemplate, name: "Short coach intake" });
  await api.call("POST", `/orgs/${org.id}/interview-flows`, templates.find((t) => t.purpose === "interest_discovery"));

  const page = adminPage;
  await page.setViewportSize({ width: 1280, height: 800 }); // left at a phone's width above
  await page.goto(`${stack.base}/team`);
  const form = page.getByRole("form", { name: "Provision a coach" });
  const intake = form.getByLabel("Intake interview (optional)");
  await intake.locator("option", { hasText: "Short coach intake" }).waitFor({ state: "attached" });
  assert.deepEqual(
    (await intake.locator("option").allTextContents()).sort(),
    ["Coach intake", "None", "Short coach intake"],
    "only the coach-intake flows, and None",
  );
  assert.equal(await intake.inputValue(), "", "None by default");
  const hintId = (await intake.getAttribute("aria-describedby")).split(" ").at(-1);
  assert.equal(
    await page.locator(`[id="${hintId}"]`).textContent(),
    "The coach answers it first; a self-rating of 2 or less starts their training at the beginning, without a placement.",
  );

  // Meanwhile the other flow becomes a custom one: chosen, the server refuses it beside the field.
  await api.call("PUT", `/orgs/${org.id}/interview-flows/${other.id}`, { ...other.spec, purpose: "custom" });
  await form.getByLabel("Coach's email").fill(INTAKE_COACH.email);
  await form.getByLabel("Training program").selectOption({ label: PROGRAM });
  await intake.selectOption({ label: "Short coach intake" });
  await form.getByRole("button", { name: "Provision coach" }).click();
  await focusedIsInvalid(page);
  assert.equal(await intake.evaluate((el) => el === document.activeElement), true, "the refused field has the focus");
  const errorId = (await intake.getAttribute("aria-describedby")).split(" ")[0];
  assert.equal(await page.locator(`[id="${errorId}"]`).textContent(), "Must be a coach intake flow.");
  assert.equal((await api.call("GET", `/orgs/${org.id}/coach-provisions`)).length, 1, "nothing was provisioned");
  await screenshot(page, "provisioning-08-intake-flow-refused");

  await intake.selectOption({ label: "Coach intake" });
  await form.getByRole("button", { name: "Provision coach" }).click();
  const linkBox = page.getByRole("region", { name: `Invitation link for ${INTAKE_COACH.email}` });
  intakeInvitationLink = await linkBox.getByRole("textbox").inputValue();
  await linkBox.getByText("starts their intake interview").waitFor();
  assert.equal(await intake.getAttribute("aria-invalid"), null, "the refusal is gone");

  const provision = (await api.call("GET", `/orgs/${org.id}/coach-provisions`)).find((p) => p.email === INTAKE_COACH.email);
  assert.equal(provision.stage, "invited");
  assert.equal(provision.intake_interview, null, "the interview starts when the coach accepts");
  const row = page.getByRole("table", { name: "Provisioned coaches" }).getByRole("row").filter({ hasText: INTAKE_COACH.email });
  await row.getByRole("cell").last().getByText("Not started").waitFor();
});

test("the coach accepts, completes the profile and answers the intake interview, the placement not offered meanwhile", async () => {
  intakeCoachPage = await newPage();
  const page = intakeCoachPage;
  await page.goto(intakeInvitationLink);
  await page.getByLabel("Your name").fill(INTAKE_COACH.name);
  await page.getByLabel("Choose a password").fill(INTAKE_COACH.password);
  await page.getByRole("button", { name: "Accept invitation" }).click();
  await page.waitForURL(/\/chat/);
  const session = (await page.context().cookies()).find((c) => c.name === "wayfinder_session");
  const ianApi = new ApiClient(stack.base);
  ianApi.cookie = `${session.name}=${session.value}`;
  let [provision] = await ianApi.call("GET", `/orgs/${org.id}/coach-provisions`);
  assert.equal(provision.intake_interview.flow_id, intakeFlow.id);
  assert.equal(provision.intake_interview.status, "active", "accepting started the interview");
  const interviewId = provision.intake_interview.interview_id;

  await nav(page).getByRole("link", { name: "Onboarding" }).click();
  await page.getByRole("heading", { name: "Your onboarding", level: 1 }).waitFor();
  const steps = page.locator(".onboarding-steps > li");
  await steps.nth(1).getByText("Complete your profile first").waitFor();
  assert.deepEqual(
    (await steps.locator(".onboarding-step-title").allTextContents()).map((t) => t.trim()),
    ["Complete your profile", "Answer your intake interview", "Take the placement", "See your results"],
  );
  await steps.nth(1).getByText("Coach intake").waitFor();

  const profile = page.getByRole("form", { name: "Your coach profile" });
  await profile.getByLabel("Years of coaching or teaching experience").fill("1");
  await profile.getByLabel("Subjects you coach").fill("Maths");
  await profile.getByRole("button", { name: "Save profile" }).click();
  await steps.nth(0).getByText("Done", { exact: true }).waitFor();
  assert.equal(await steps.nth(1).getAttribute("aria-current"), "step", "the intake interview is next");
  await page.waitForFunction((heading) => heading === document.activeElement, await steps.nth(1).getByRole("heading").elementHandle());
  const start = steps.nth(1).getByRole("link", { name: "Start your intake interview" });
  assert.equal(await start.getAttribute("href"), `/interviews/${interviewId}`);
  await steps.nth(1).getByText("In progress", { exact: true }).waitFor();
  // While it runs, the placement is not offered.
  await steps.nth(2).getByText("Once you finish your intake interview").waitFor();
  assert.equal(await page.getByRole("button", { name: /^Start the (placement|intake)$/ }).count(), 0, "no placement yet");
  assert.equal(await steps.nth(2).getAttribute("aria-current"), null);
  [provision] = await ianApi.call("GET", `/orgs/${org.id}/coach-provisions`);
  assert.equal(provision.stage, "intake");
  await threeScreenshots(page, "provisioning-09-intake-interview-to-do", () => start.waitFor());

  // The interview, typed. Left after the first answer, it is continued from the onboarding.
  await start.click();
  await page.waitForURL(new RegExp(`/interviews/${interviewId}$`));
  await page.getByRole("heading", { name: "Coach intake", level: 1 }).waitFor();
  const transcript = page.getByRole("list", { name: "Transcript" });
  const answerBox = page.getByLabel("Your answer");
  for (const [i, answer] of INTAKE_ANSWERS.entries()) {
    await transcript.getByText(intakeTemplate.steps[i].question, { exact: true }).waitFor();
    await answerBox.fill(answer);
    await page.getByRole("button", { name: "Send", exact: true }).click();
    if (i === 0) {
      await transcript.getByText(intakeTemplate.steps[1].question, { exact: true }).waitFor();
      await nav(page).getByRole("link", { name: "Onboarding" }).click();
      await steps.nth(1).getByText("You have answered 1 question so far.").waitFor();
      assert.equal(await page.getByRole("button", { name: /^Start the (placement|intake)$/ }).count(), 0, "still no placement");
      await steps.nth(1).getByRole("link", { name: "Continue your intake interview" }).click();
      await page.waitForURL(new RegExp(`/interviews/${interviewId}$`));
    }
  }
  await page.getByRole("region", { name: "Summary" }).waitFor();
  await page.getByText("The interview ended: every question was answered.").waitFor();

  [provision] = await ianApi.call("GET", `/orgs/${org.id}/coach-provisions`);
  assert.equal(provision.intake_interview.status, "completed");
  assert.equal(provision.intake_interview.self_rating, 2);
  assert.equal(provision.intake_interview.starting_point, "beginning");
  assert.deepEqual(provision.intake_interview.start_with.map((c) => c.name), FIRST_CONCEPTS, "the program's first concepts");
  assert.equal(provision.stage, "training", "no placement needed");
  assert.equal(provision.intake, null, "no placement taken");
});

test("the coach's training starts at the beginning with the first concepts, and the placement is not asked for", async () => {
  const page = intakeCoachPage;
  await nav(page).getByRole("link", { name: "Onboarding" }).click();
  const steps = page.locator(".onboarding-steps > li");
  const interview = steps.nth(1);
  await interview.getByText("Done", { exact: true }).waitFor();
  await interview.getByText("2 of 5", { exact: true }).waitFor();
  await interview.getByText(`Starts at the beginning: ${FIRST_CONCEPTS.join(", ")}.`, { exact: true }).waitFor();
  assert.equal(await interview.getByRole("link", { name: /^(Start|Continue) your intake interview$/ }).count(), 0, "nothing more to answer");
  await steps.nth(2).getByText("Not needed", { exact: true }).waitFor();
  await steps.nth(2).getByText("Not needed: you rated yourself 2 of 5, so your training starts at the beginning.").waitFor();
  assert.equal(await page.getByRole("button", { name: /^Start the (placement|intake)$/ }).count(), 0, "never asked for the placement");
  assert.equal(await page.getByRole("link", { name: /^Resume the (placement|intake)$/ }).count(), 0);

  const results = steps.nth(3);
  await results.getByText("Ready", { exact: true }).waitFor();
  assert.equal(await results.getAttribute("aria-current"), "step");
  await results.getByText(`Your training starts at the beginning, with ${FIRST_CONCEPTS.join(", ")}.`).waitFor();
  const provision = (await api.call("GET", `/orgs/${org.id}/coach-provisions`)).find((p) => p.email === INTAKE_COACH.email);
  const stepsList = results.getByRole("list", { name: "Training path" });
  await stepsList.getByRole("listitem").first().waitFor();
  const path = await api.call("GET", `/orgs/${org.id}/learners/${provision.coach_id}/goals/${provision.training.goal_id}/path`);
  const shown = await stepsList.locator(".training-step-name").allTextContents();
  assert.deepEqual(shown, path.steps.map((s) => s.concept.name), "the path on screen is the server's");
  assert.equal(shown.length, CONCEPTS.length, "from the beginning: every concept is on the path");
  await threeScreenshots(page, "provisioning-10-intake-beginning", () => stepsList.waitFor());
});

test("the admin sees the intake interview: self-rating 2, the training starting at the beginning", async () => {
  const page = adminPage;
  await page.goto(`${stack.base}/team`);
  const card = page.getByRole("article", { name: INTAKE_COACH.name });
  await card.waitFor();
  assert.equal((await card.locator(".provision-stage").textContent()).trim(), "Training");
  const section = card.getByRole("region", { name: "Intake interview" });
  await section.getByText("Coach intake", { exact: true }).waitFor();
  await section.getByText("Finished", { exact: true }).waitFor();
  await section.getByText("2 of 5", { exact: true }).waitFor();
  await section.getByText(`Starts at the beginning: ${FIRST_CONCEPTS.join(", ")}.`, { exact: true }).waitFor();
  await card.getByRole("region", { name: "Placement" }).getByText("Not needed: the training starts at the beginning.").waitFor();
  const row = page.getByRole("table", { name: "Provisioned coaches" }).getByRole("row").filter({ hasText: INTAKE_COACH.name });
  const cell = row.getByRole("cell").last();
  await cell.getByText("Coach intake", { exact: true }).waitFor();
  await cell.getByText("Finished · self-rating 2 of 5", { exact: true }).waitFor();
  // The first coach, brought in without one, keeps the intake as before.
  const first = page.getByRole("article", { name: COACH.name });
  assert.equal(await first.getByRole("region", { name: "Intake interview" }).count(), 0);
  await first.getByRole("region", { name: "Intake", exact: true }).getByText(/^Completed on .* after \d+ questions\.$/).waitFor();
  await card.scrollIntoViewIfNeeded();
  await threeScreenshots(page, "provisioning-11-admin-intake-interview", () => section.waitFor());
});
