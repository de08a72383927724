// Browser tests of guided interviews against the real server. A coach finds
// Interviews in the navigation (a learner does not: theirs are on My
// learning), saves the interest-discovery template as a flow, makes one of its
// steps lead back to an earlier one and sees the server's refusal at the step
// it names, which takes the focus; puts it right and saves a second version;
// exports the flow, and imports a broken copy (refused, naming the step) and a
// good one. The coach sends the interview to their learner, who runs it typed
// from My learning: a short answer gets a follow-up, a mention of building
// takes the branch to the making step, pausing stops the answer box until
// resumed, and the last answer brings the summary, each field citing the
// answers it came from (a press shows that answer in the transcript); the
// learner corrects a field. The coach reads the interview from the learner's
// page with the correction marked, and cannot delete a flow interviews ran on.
// The chat model is the fake, whose replies are not the judgement JSON an
// interview asks for, so the flow's rules decide: probes for answers under the
// fewest words, branches on mentions, a scripted summary.
//
// A coach intake then says where its learner starts: run typed from My
// learning with a self-rating of 2, its summary shows "Where to start" with the
// learner's program at the beginning (its concepts that require nothing); the
// learner corrects the rating to 4 and the program moves to its placement,
// linked to My learning. Her coach reads the same in her name; a learner in no
// program is told so; no other kind of interview asks where to start.
//
// Then, with the fake speech service and Chromium's fake microphone playing a
// recording made with espeak-ng, a learner answers one question by voice:
// hears the question read by the speech service; a first recording is refused
// by the service, which the learner is told; then they record again, stop,
// see what was heard, fix a word and send it; the speech service got a WebM
// (or Ogg) recording of a plausible length. The organisation keeps interview
// audio (turned on through the API first), so the interview then shows its
// Recordings: one player whose audio the page can fetch, with what was heard;
// an administrator may list it too. Run with
// `npm run test:e2e` (WAYFINDER_BIN names the binary).

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  ApiClient,
  closeAndCheckProblems,
  eventually,
  openPage,
  screenshot,
  setUpOrganisation,
  startStack,
  threeScreenshots,
  twoScreenshots,
} from "./lib/harness.mjs";

const TIMEOUT = 30_000;
const OPERATOR = { email: "ola@example.org", password: "correct horse battery staple 42", name: "Ola Operator" };
const COACH = { email: "cora@example.org", password: "a patient coach passphrase 3", name: "Cora Coach" };
const LEARNER = { email: "lena@example.org", password: "a sturdy learner passphrase 7", name: "Lena Learner" };
const OTHER = { email: "max@example.org", password: "another learner passphrase 9", name: "Max Learner" };

const FIRST_QUESTION = "What do you enjoy doing when nobody is telling you what to do?";
const FIRST_PROBE = "Could you tell me a bit more? What do you like about it?";
const MAKING_QUESTION = "You mentioned making things work. What is something you built or fixed that you were proud of?";
const STRENGTHS_QUESTION = "What do friends or teachers say you are good at?";
const HOPES_QUESTION = "If you could get much better at one thing this year, what would it be?";

const nav = (p) => p.getByRole("navigation", { name: "Main" });

/** Selects the option of `select` whose text starts with `prefix` (options name steps by key and question). */
async function chooseOption(select, prefix) {
  const value = await select.evaluate(
    (s, start) => [...s.options].find((o) => o.textContent.startsWith(start))?.value ?? null,
    prefix,
  );
  assert.ok(value !== null, `an option starting with ${prefix}`);
  await select.selectOption(value);
}

/** The steps of the flow editor, one group each. */
const stepGroup = (form, legend) =>
  form.getByRole("list", { name: "Steps" }).getByRole("group", { name: legend, exact: true });

/** The interview's transcript, as [who, text] pairs. */
async function transcriptShown(page) {
  const items = page.getByRole("list", { name: "Transcript" }).getByRole("listitem");
  const shown = [];
  for (let i = 0; i < (await items.count()); i++) {
    const item = items.nth(i);
    shown.push([
      (await item.locator(".interview-turn-who > span").first().textContent()).trim(),
      (await item.locator(".interview-bubble").textContent()).trim(),
    ]);
  }
  return shown;
}

describe("guided interviews, typed", () => {
  let stack;
  let api; // the operator, an administrator of the organisation
  let org;
  let lena;
  let flowId;
  let interviewId;
  const programs = {};
  const problems = [];
  const signedInPage = (person, viewport) => openPage(stack, { person, problems, viewport, timeout: TIMEOUT });

  before(async () => {
    stack = await startStack();
    ({ api, org } = await setUpOrganisation(stack, OPERATOR, { name: "Northfield School", slug: "northfield" }));
    lena = await api.inviteAndAccept(org.id, LEARNER, "learner");
    await api.inviteAndAccept(org.id, OTHER, "learner");
    const cora = await api.inviteAndAccept(org.id, COACH, "coach");
    await api.call("POST", `/orgs/${org.id}/relationships`, { kind: "coach_learner", from_person: cora.id, to_person: lena.id });
    // Published programs for the summary to point to (the first takes self-enrolment).
    for (const [title, description, concepts, selfEnrolment] of [
      ["Robotics club", "Build and program robots", ["Robot arms", "Sensors"], true],
      ["Comic drawing", "Sketching characters", ["Panels and speech bubbles"], false],
      ["Spanish for beginners", "Greetings and numbers", ["Hola"], true],
    ]) {
      const document = { title, description, concepts: concepts.map((name, i) => ({ key: `c${i}`, name, estimated_minutes: 10 })) };
      const imported = await api.call("POST", `/orgs/${org.id}/programs/import`, document);
      await api.call("POST", `/orgs/${org.id}/programs/${imported.program.id}/publish`, {});
      await api.call("PATCH", `/orgs/${org.id}/programs/${imported.program.id}`, { self_enrolment: selfEnrolment });
      programs[title] = imported.program.id;
    }
  });

  after(() => closeAndCheckProblems(problems, [stack]));

  test("a coach saves a flow from a template; a loop is refused at the step it names", async () => {
    const learner = await signedInPage(LEARNER);
    await nav(learner).getByRole("link", { name: "My learning" }).waitFor();
    assert.equal(await nav(learner).getByRole("link", { name: "Interviews" }).count(), 0, "learners find theirs on My learning");
    await learner.goto(`${stack.base}/interviews/flows/new`);
    await learner.waitForURL(/\/chat$/);
    await learner.context().close();

    const page = await signedInPage(COACH);
    await nav(page).getByRole("link", { name: "Interviews" }).click();
    await page.getByRole("heading", { name: "Interviews", level: 1 }).waitFor();
    await page.getByText("No flows yet.").waitFor();

    await page.getByRole("button", { name: "New from template" }).click();
    const templates = page.getByRole("dialog", { name: "New from a template" });
    const names = await templates.getByRole("list", { name: "Templates" }).getByRole("heading").allTextContents();
    assert.deepEqual(names, ["Interest discovery", "Mock job interview", "Weekly reflection", "Coach intake", "Program check-in"]);
    await templates.getByRole("button", { name: "Use Interest discovery" }).click();
    await page.waitForURL(/\/interviews\/flows\/[0-9a-f-]{36}$/);
    flowId = page.url().split("/").pop();
    await page.getByRole("status").filter({ hasText: "Flow saved." }).waitFor();
    await page.getByRole("heading", { name: "Interest discovery", level: 1 }).waitFor();
    await page.getByText("Version 1").waitFor();

    // The template's steps, in order, with where each leads.
    const form = page.getByRole("form", { name: "Interview flow" });
    const legends = await form.getByRole("list", { name: "Steps" }).locator("legend").allTextContents();
    assert.deepEqual(legends, [
      "Step 1 · enjoy",
      "Step 2 · topics",
      "Step 3 · making",
      "Step 4 · people",
      "Step 5 · strengths",
      "Step 6 · hopes",
    ]);
    const enjoy = stepGroup(form, "Step 1 · enjoy");
    assert.equal(await enjoy.getByLabel("Question", { exact: true }).inputValue(), FIRST_QUESTION);
    assert.equal(await enjoy.getByLabel("Fewest words").inputValue(), "6");
    assert.equal(await enjoy.getByLabel("Follow-up 1 of step 1", { exact: true }).inputValue(), FIRST_PROBE);
    assert.equal(await enjoy.getByLabel("Branch 1: if the answer mentions").inputValue(), "build, code, program, fix, engineer, computer");
    assert.match(await enjoy.getByLabel("Go to step").first().evaluate((s) => s.selectedOptions[0].textContent), /^making: You mentioned/);
    await enjoy
      .getByText("Mentions of build, code, program… go to making; mentions of people, friends, help… go to people; otherwise on to topics.")
      .waitFor();
    const hopes = stepGroup(form, "Step 6 · hopes");
    assert.equal(await hopes.getByLabel("Ends the interview").isChecked(), true);
    assert.equal(await hopes.getByLabel("Then", { exact: true }).isDisabled(), true);
    assert.equal(await hopes.getByLabel("Fills summary field").evaluate((s) => s.selectedOptions[0].textContent), "next_steps");
    const fieldLegends = await form.getByRole("list", { name: "Summary fields" }).locator("legend").allTextContents();
    assert.deepEqual(fieldLegends, ["Field 1", "Field 2", "Field 3"]);
    await threeScreenshots(page, "interviews-01-editor", () => form.waitFor());

    // Strengths leads back to topics, which leads to strengths: a loop, refused at the step the server names.
    const strengths = stepGroup(form, "Step 5 · strengths");
    await chooseOption(strengths.getByLabel("Then", { exact: true }), "topics:");
    await form.getByRole("button", { name: "Save as a new version" }).click();
    const topics = stepGroup(form, "Step 2 · topics");
    const refusal = topics.locator(".flow-step-error");
    await refusal.waitFor();
    assert.equal(
      await refusal.textContent(),
      "Step “topics” leads back to step “strengths”, so the interview could go round for ever: strengths → topics → strengths.",
    );
    await page.waitForFunction(
      () => document.activeElement?.tagName === "FIELDSET" && document.activeElement.querySelector("legend")?.textContent === "Step 2 · topics",
    );
    assert.equal(await form.locator(".flow-step-error").count(), 1, "the refusal shows at one step only");
    await page.getByRole("alert").filter({ hasText: "Not saved: Step “topics” leads back" }).waitFor({ state: "attached" });
    assert.equal((await api.call("GET", `/orgs/${org.id}/interview-flows/${flowId}`)).current_version, 1, "nothing was saved");
    await threeScreenshots(page, "interviews-02-editor-loop", () => refusal.waitFor());

    // Put right, it saves as version 2.
    await chooseOption(strengths.getByLabel("Then", { exact: true }), "The next step in order (hopes)");
    await refusal.waitFor({ state: "detached" }); // a change clears the refusal
    await strengths.getByRole("button", { name: "Add a follow-up to step 5" }).click();
    const added = strengths.getByLabel("Follow-up 2 of step 5", { exact: true });
    assert.equal(await page.evaluate(() => document.activeElement?.id), await added.getAttribute("id"), "the new follow-up takes the focus");
    await added.fill("Which of those would your best friend mention first?");
    await form.getByRole("button", { name: "Save as a new version" }).click();
    await form.getByRole("status").filter({ hasText: "Saved as version 2." }).waitFor();
    const saved = await api.call("GET", `/orgs/${org.id}/interview-flows/${flowId}`);
    assert.equal(saved.current_version, 2);
    const savedStrengths = saved.spec.steps.find((s) => s.key === "strengths");
    assert.equal(savedStrengths.next, null);
    assert.deepEqual(savedStrengths.probes, [
      "If you had to pick one thing you do better than most, what would it be?",
      "Which of those would your best friend mention first?",
    ]);
    const first = await api.call("GET", `/orgs/${org.id}/interview-flows/${flowId}?version=1`);
    assert.equal(first.spec.steps.find((s) => s.key === "strengths").probes.length, 1, "version 1 is kept as it was");
    await page.context().close();
  });

  test("the coach exports the flow and imports copies: a broken one is refused naming the step", async () => {
    const page = await signedInPage(COACH);
    await page.goto(`${stack.base}/interviews`);
    const flows = page.getByRole("list", { name: "Flows" });
    const card = flows.getByRole("listitem").filter({ hasText: "Interest discovery" });
    await card.getByText("version 2 · 0 interviews").waitFor();

    const [download] = await Promise.all([
      page.waitForEvent("download"),
      card.getByRole("button", { name: "Export Interest discovery" }).click(),
    ]);
    assert.equal(download.suggestedFilename(), "interest-discovery.json");
    const exported = JSON.parse(await readFile(await download.path(), "utf8"));
    const saved = await api.call("GET", `/orgs/${org.id}/interview-flows/${flowId}`);
    assert.deepEqual(exported, saved.spec, "the export is the flow's spec");

    // A copy whose last step nothing leads to.
    const broken = structuredClone(exported);
    broken.name = "Interests, shorter";
    broken.steps.find((s) => s.key === "strengths").end = true;
    await page.getByRole("button", { name: "Import JSON" }).click();
    const dialog = page.getByRole("dialog", { name: "Import a flow" });
    await dialog.getByLabel("Flow JSON").fill(JSON.stringify(broken));
    await dialog.getByRole("button", { name: "Import", exact: true }).click();
    await dialog
      .getByRole("alert")
      .filter({ hasText: "Step 6 (“hopes”): Step “hopes” can never be reached: no step before it leads there" })
      .waitFor();
    assert.equal(await dialog.getByLabel("Flow JSON").getAttribute("aria-invalid"), "true");
    await screenshot(page, "interviews-03-import-refused");

    await dialog.getByLabel("Flow JSON").fill("{ not json");
    await dialog.getByRole("button", { name: "Import", exact: true }).click();
    await dialog.getByRole("alert").filter({ hasText: "That is not JSON." }).waitFor();

    broken.steps.find((s) => s.key === "strengths").end = false;
    await dialog.getByLabel("Flow JSON").fill(JSON.stringify(broken));
    await dialog.getByRole("button", { name: "Import", exact: true }).click();
    await page.waitForURL(/\/interviews\/flows\/[0-9a-f-]{36}$/);
    await page.getByRole("heading", { name: "Interests, shorter", level: 1 }).waitFor();
    assert.notEqual(page.url().split("/").pop(), flowId);

    // Unused, the copy can be deleted (after being asked).
    await page.getByRole("navigation", { name: "Breadcrumb" }).getByRole("link", { name: "Interviews" }).click();
    await flows.getByRole("listitem").filter({ hasText: "Interests, shorter" }).getByRole("button", { name: "Delete Interests, shorter" }).click();
    const confirm = page.getByRole("dialog", { name: "Delete this flow?" });
    await confirm.getByRole("button", { name: "Delete flow" }).click();
    await page.getByRole("status").filter({ hasText: "Deleted “Interests, shorter”." }).waitFor();
    // The list re-renders after the notice: wait for the copy to leave it before counting.
    await flows.getByRole("listitem").filter({ hasText: "Interests, shorter" }).waitFor({ state: "detached" });
    assert.equal(await flows.getByRole("listitem").count(), 1);
    await page.context().close();
  });

  test("the coach sends the interview to their learner only", async () => {
    const page = await signedInPage(COACH);
    await page.goto(`${stack.base}/interviews`);
    await page.getByRole("button", { name: "Send Interest discovery to a learner" }).click();
    const dialog = page.getByRole("dialog", { name: "Send “Interest discovery” to a learner" });
    const learner = dialog.getByLabel("Learner", { exact: true });
    await dialog.getByRole("option", { name: "Lena Learner" }).waitFor({ state: "attached" });
    assert.deepEqual(await learner.evaluate((s) => [...s.options].map((o) => o.textContent)), ["Choose a learner", "Lena Learner"]);
    await learner.selectOption({ label: "Lena Learner" });
    await dialog.getByRole("button", { name: "Send", exact: true }).click();
    await page.getByRole("status").filter({ hasText: "Sent “Interest discovery” to Lena Learner." }).waitFor();
    const followed = page.getByRole("list", { name: "Your learners' interviews" });
    await followed.getByRole("listitem").filter({ hasText: "Interest discovery — Lena Learner" }).getByText("In progress").waitFor();
    const [sent] = await lena.client.call("GET", `/orgs/${org.id}/interviews`);
    interviewId = sent.id;
    assert.equal(sent.status, "active");
    await screenshot(page, "interviews-04-flows");
    await page.context().close();
  });

  test("the learner runs it typed: a short answer is probed, a mention takes a branch, the summary cites and is corrected", async () => {
    const page = await signedInPage(LEARNER);
    await nav(page).getByRole("link", { name: "My learning" }).click();
    const section = page.getByRole("region", { name: "Interviews" });
    await section.getByRole("list", { name: "Your interviews" }).getByText("Interest discovery").waitFor();
    await section.getByRole("button", { name: "Start Interest discovery" }).waitFor();
    await section.getByRole("link", { name: "Continue: Interest discovery" }).click();
    await page.waitForURL(new RegExp(`/interviews/${interviewId}$`));
    await page.getByRole("heading", { name: "Interest discovery", level: 1 }).waitFor();
    assert.deepEqual(await transcriptShown(page), [["Interviewer", FIRST_QUESTION]]);
    await page.getByText("0 of at most 20 answers").waitFor();
    const answerBox = page.getByLabel("Your answer");
    // The answer box is described by the question it answers.
    const describedBy = (await answerBox.getAttribute("aria-describedby")).split(" ");
    assert.equal((await page.locator(`[id="${describedBy[0]}"]`).textContent()).trim(), FIRST_QUESTION);
    // No speech-to-text service here: typing only, and the microphone says why.
    await page.getByText("Speaking needs a speech-to-text service; ask your administrator.").waitFor();
    assert.equal(await page.getByRole("button", { name: "Speak your answer" }).isDisabled(), true);

    const send = async (text) => {
      const before = (await transcriptShown(page)).length;
      await answerBox.fill(text);
      await page.getByRole("button", { name: "Send", exact: true }).click();
      await eventually(async () => (await transcriptShown(page)).length >= before + 2, `the reply to “${text}”`);
    };

    // Too short: the step's first follow-up.
    await send("Not sure");
    await page.getByText("1 of at most 20 answers").waitFor();
    assert.deepEqual((await transcriptShown(page)).slice(-2), [
      ["You", "Not sure"],
      ["Interviewer", FIRST_PROBE],
    ]);
    assert.equal(await answerBox.inputValue(), "", "the box is emptied once the answer is taken");
    await page.getByRole("status").filter({ hasText: `Interviewer: ${FIRST_PROBE}` }).waitFor({ state: "attached" });

    // Building: the branch to the making step.
    await send("I like to build robots and draw comics with my friends");
    assert.deepEqual((await transcriptShown(page)).at(-1), ["Interviewer", MAKING_QUESTION]);
    await threeScreenshots(page, "interviews-05-running", () => page.getByRole("list", { name: "Transcript" }).waitFor());

    // Paused, the answer box waits.
    await page.getByRole("button", { name: "Pause" }).click();
    await page.getByText("Paused. Resume when you are ready").waitFor();
    assert.equal(await answerBox.isDisabled(), true);
    assert.equal((await lena.client.call("GET", `/orgs/${org.id}/interviews/${interviewId}`)).status, "paused");
    await page.getByRole("button", { name: "Resume" }).click();
    await page.getByRole("button", { name: "Pause" }).waitFor();
    assert.equal(await answerBox.isDisabled(), false);

    await send("I built a small robot arm that sorts coloured blocks by itself");
    assert.deepEqual((await transcriptShown(page)).at(-1), ["Interviewer", STRENGTHS_QUESTION]);
    await send("Drawing, patience and explaining things to people");
    assert.deepEqual((await transcriptShown(page)).at(-1), ["Interviewer", HOPES_QUESTION]);
    await answerBox.fill("Get better at programming");
    await page.getByRole("button", { name: "Send", exact: true }).click();

    // The end: the summary takes the focus; each field cites the answers it came from.
    const summary = page.getByRole("region", { name: "Summary" });
    await summary.waitFor();
    await page.waitForFunction(() => document.activeElement?.id === "summary-heading");
    await page.getByText("The interview ended: every question was answered.").waitFor();
    assert.equal(await answerBox.count(), 0, "nothing more to answer");
    // "Not sure" fell short and was followed up: the fuller answer replaces it.
    assert.deepEqual(await summary.getByRole("list", { name: "Interests" }).getByRole("listitem").allTextContents(), [
      "I like to build robots",
      "draw comics with my friends",
      "I built a small robot arm that sorts coloured blocks by itself",
    ]);
    assert.deepEqual(await summary.getByRole("list", { name: "Strengths" }).getByRole("listitem").allTextContents(), [
      "Drawing",
      "patience",
      "explaining things to people",
    ]);
    assert.deepEqual(await summary.getByRole("list", { name: "Next steps" }).getByRole("listitem").allTextContents(), [
      "Get better at programming",
    ]);
    const interests = summary.locator('.summary-field[data-key="interests"]');
    assert.deepEqual(await interests.locator(".summary-citations button").allTextContents(), ["answer 2", "answer 3"]);
    await summary.getByText("Put together from the answers by the interview's script.").waitFor();
    // The programs that speak of what she said, best first, with the words that matched; she enrols in one.
    const suggested = page.getByRole("region", { name: "Programs that match what you said" });
    await suggested.getByRole("listitem").nth(1).waitFor();
    const items = (await suggested.getByRole("listitem").allTextContents()).map((t) => t.replace(/\s+/g, " ").trim());
    assert.equal(items.length, 2, JSON.stringify(items));
    assert.match(items[0], /^Robotics club — Build and program robots ?Matches: build, robots, robot, programming/);
    assert.match(items[1], /^Comic drawing — Sketching characters ?Matches: draw, comics, drawing$/);
    assert.equal(await suggested.getByRole("button", { name: "Enrol in Comic drawing" }).count(), 0, "not open to self-enrolment");
    await suggested.getByRole("button", { name: "Enrol in Robotics club" }).click();
    await suggested.getByRole("button", { name: "Enrolled" }).waitFor();
    const enrolments = await api.call("GET", `/orgs/${org.id}/learners/${lena.id}/enrolments`);
    assert.deepEqual(enrolments.map((e) => e.program_id), [programs["Robotics club"]]);

    // A citation shows its answer in the transcript.
    await interests.getByRole("button", { name: "Show answer 2 in the transcript" }).click();
    const cited = page.locator(".interview-turn-highlighted");
    await cited.waitFor();
    assert.equal(await cited.locator(".interview-bubble").textContent(), "I like to build robots and draw comics with my friends");
    await page.waitForFunction(() => document.activeElement?.classList.contains("interview-turn-highlighted"));
    const done = await lena.client.call("GET", `/orgs/${org.id}/interviews/${interviewId}`);
    assert.equal(await cited.getAttribute("data-seq"), String(done.summary.find((f) => f.key === "interests").turns[0]));
    await threeScreenshots(page, "interviews-06-summary", () => summary.waitFor());

    // Corrected: one strength removed, one put in the learner's words.
    await summary.getByRole("button", { name: "Edit" }).click();
    const correct = summary.getByRole("form", { name: "Correct the summary" });
    const strengths = correct.getByLabel("Strengths");
    assert.equal(await strengths.inputValue(), "Drawing\npatience\nexplaining things to people");
    await strengths.fill("Patience\nExplaining things clearly");
    await correct.getByRole("button", { name: "Save corrections" }).click();
    await summary.getByRole("status").filter({ hasText: "Your corrections are saved." }).waitFor();
    assert.deepEqual(await summary.getByRole("list", { name: "Strengths" }).getByRole("listitem").allTextContents(), [
      "Patience",
      "Explaining things clearly",
    ]);
    const strengthsField = summary.locator('.summary-field[data-key="strengths"]');
    await strengthsField.getByText("Corrected by you").waitFor();
    assert.equal(await summary.locator('.summary-field[data-key="interests"]').getByText("Corrected by you").count(), 0);
    const corrected = await lena.client.call("GET", `/orgs/${org.id}/interviews/${interviewId}`);
    const value = corrected.summary.find((f) => f.key === "strengths");
    assert.deepEqual([value.value, value.corrected], [["Patience", "Explaining things clearly"], true]);
    await twoScreenshots(page, "interviews-07-corrected", () => summary.waitFor());

    // On My learning, it is finished with its summary.
    await nav(page).getByRole("link", { name: "My learning" }).click();
    await page.getByRole("region", { name: "Interviews" }).getByRole("link", { name: "See summary: Interest discovery" }).waitFor();
    await page.context().close();
  });

  test("the coach reads the interview on the learner's page, the correction marked; the flow it ran on stays", async () => {
    const page = await signedInPage(COACH);
    await page.goto(`${stack.base}/learners/${lena.id}`);
    const section = page.getByRole("region", { name: "Interviews" });
    const item = section.getByRole("list", { name: "Lena Learner's interviews" }).getByRole("listitem");
    await item.getByText("Finished").waitFor();
    await item.getByText("5 answers").waitFor();
    await item.getByRole("link", { name: "Read: Interest discovery" }).click();
    await page.waitForURL(new RegExp(`/learners/${lena.id}/interviews/${interviewId}$`));
    const crumbs = page.getByRole("navigation", { name: "Breadcrumb" });
    await crumbs.getByRole("link", { name: "Lena Learner" }).waitFor();
    await page.getByText("You are reading Lena Learner's interview; only they answer it.").waitFor();
    assert.equal(await page.getByLabel("Your answer").count(), 0);
    const shown = await transcriptShown(page);
    assert.deepEqual(shown[1], ["Lena Learner", "Not sure"]);
    const summary = page.getByRole("region", { name: "Summary" });
    await summary.locator('.summary-field[data-key="strengths"]').getByText("Corrected by the learner").waitFor();
    assert.equal(await summary.getByRole("button", { name: "Edit" }).count(), 0, "only the learner corrects");
    await threeScreenshots(page, "interviews-08-coach-reads", () => summary.waitFor());

    // The flow an interview ran on is kept: deleting it is refused with the server's reason.
    await page.goto(`${stack.base}/interviews`);
    await page.getByRole("button", { name: "Delete Interest discovery" }).click();
    const confirm = page.getByRole("dialog", { name: "Delete this flow?" });
    await confirm.getByRole("button", { name: "Delete flow" }).click();
    await confirm.getByRole("alert").filter({ hasText: "Interviews have run on this flow; it stays so their summaries keep it." }).waitFor();
    await confirm.getByRole("button", { name: "Cancel" }).click();
    await page.getByRole("list", { name: "Flows" }).getByText("version 2 · 1 interview").waitFor();
    await page.context().close();
  });

  test("a finished coach intake says where the learner starts; correcting the self-rating moves it to the placement", async () => {
    // A program with prerequisites: starting at the beginning means its concepts that require nothing.
    const DRAWING = {
      title: "Drawing",
      concepts: [
        { key: "basics", name: "Basics", requires: [] },
        { key: "shading", name: "Shading", requires: ["basics"] },
        { key: "colour", name: "Colour", requires: [] },
      ],
    };
    const firstConcepts = DRAWING.concepts.filter((c) => c.requires.length === 0).map((c) => c.name);
    assert.deepEqual(firstConcepts, ["Basics", "Colour"]);
    const drawing = (await api.call("POST", `/orgs/${org.id}/programs/import`, DRAWING)).program;
    await api.call("POST", `/orgs/${org.id}/programs/${drawing.id}/publish`, {});
    await api.call("POST", `/orgs/${org.id}/programs/${drawing.id}/enrolments`, { person_id: lena.id });
    const templates = await api.call("GET", `/orgs/${org.id}/interview-templates`);
    const template = templates.find((t) => t.purpose === "coach_intake");
    assert.ok(template, "a coach intake template");
    await api.call("POST", `/orgs/${org.id}/interview-flows`, template);
    const question = (key) => template.steps.find((s) => s.key === key).question;

    const page = await signedInPage(LEARNER);
    // Another kind of interview never asks where to start (the server would refuse it).
    const asked = [];
    page.on("request", (request) => {
      if (request.url().includes("/starting-path")) asked.push(request.url());
    });
    await page.goto(`${stack.base}/interviews/${interviewId}`);
    await page.getByRole("region", { name: "Summary" }).waitFor();
    await page.getByRole("region", { name: "Programs that match what you said" }).waitFor();
    assert.equal(await page.getByRole("region", { name: "Where to start" }).count(), 0);
    assert.deepEqual(asked, [], "no starting path asked for an interest discovery");

    // The learner starts the coach intake from My learning and answers it typed.
    await nav(page).getByRole("link", { name: "My learning" }).click();
    await page.getByRole("button", { name: `Start ${template.name}` }).click();
    await page.waitForURL(/\/interviews\/[0-9a-f-]{36}$/);
    const intakeId = page.url().split("/").pop();
    await page.getByRole("heading", { name: template.name, level: 1 }).waitFor();
    assert.deepEqual(await transcriptShown(page), [["Interviewer", question("goal")]]);
    const answerBox = page.getByLabel("Your answer");
    for (const [text, next] of [
      ["I want to teach young artists to draw with confidence", question("experience")],
      ["2", question("time")],
      ["About three hours a week", question("style")],
      ["Doing exercises and talking it through", question("worries")],
      ["Not having enough time", null],
    ]) {
      await answerBox.fill(text);
      await page.getByRole("button", { name: "Send", exact: true }).click();
      if (next) await eventually(async () => (await transcriptShown(page)).at(-1)?.[1] === next, `the question after “${text}”`);
    }
    const summary = page.getByRole("region", { name: "Summary" });
    await summary.waitFor();
    assert.equal(await summary.locator('.summary-field[data-key="experience"] .summary-scale').textContent(), "2 of 5");

    // Where to start: at the beginning of each program she is enrolled in, with its first concepts.
    const where = summary.getByRole("region", { name: "Where to start" });
    await where.getByText("You rated yourself 2 of 5.").waitFor();
    const lines = where.getByRole("list", { name: "Where each program starts" }).getByRole("listitem");
    const drawingLine = lines.filter({ hasText: /^Drawing:/ });
    await drawingLine.waitFor();
    assert.equal((await drawingLine.textContent()).trim(), `Drawing: start at the beginning — ${firstConcepts.join(", ")}`);
    const enrolled = (await api.call("GET", `/orgs/${org.id}/learners/${lena.id}/enrolments`)).filter((e) => e.status === "active");
    assert.equal(await lines.count(), enrolled.length, "one line per program she is enrolled in");
    assert.equal(await where.getByRole("link").count(), 0, "no placement to take");
    const path = await lena.client.call("GET", `/orgs/${org.id}/interviews/${intakeId}/starting-path`);
    assert.equal(path.starting_point, "beginning");
    assert.deepEqual(
      path.programs.find((p) => p.program_id === drawing.id).start_with.map((c) => c.name),
      firstConcepts,
    );
    assert.ok(asked.length >= 1 && asked.every((url) => url.includes(intakeId)), `asked for the intake only: ${asked.join(", ")}`);
    await threeScreenshots(page, "interviews-13-starting-path", () => where.getByText("You rated yourself 2 of 5.").waitFor());

    // She rates herself 4 after all: the placement finds where she starts, taken on My learning.
    await summary.getByRole("button", { name: "Edit" }).click();
    const correct = summary.getByRole("form", { name: "Correct the summary" });
    await correct.getByRole("group", { name: "Experience" }).getByLabel("4", { exact: true }).check();
    await correct.getByRole("button", { name: "Save corrections" }).click();
    await summary.getByRole("status").filter({ hasText: "Your corrections are saved." }).waitFor();
    await summary.locator('.summary-field[data-key="experience"]').getByText("Corrected by you").waitFor();
    await where.getByText("You rated yourself 4 of 5.").waitFor();
    await eventually(
      async () => ((await drawingLine.textContent()) ?? "").startsWith("Drawing: take the placement to find where to start"),
      "the Drawing line to say take the placement",
    );
    assert.equal(await where.getByText("start at the beginning").count(), 0);
    const placement = drawingLine.getByRole("link", { name: "Take the Drawing placement on My learning" });
    assert.equal(await placement.getAttribute("href"), "/learning");
    assert.equal(
      (await lena.client.call("GET", `/orgs/${org.id}/interviews/${intakeId}/starting-path`)).starting_point,
      "placement",
    );
    await threeScreenshots(page, "interviews-14-starting-path-placement", () => where.getByText("You rated yourself 4 of 5.").waitFor());
    await placement.click();
    await page.waitForURL(/\/learning$/);
    await page.getByRole("button", { name: "Placement for Drawing" }).waitFor();
    await page.context().close();

    // Her coach reads it with her name; no link to a placement that is hers to take.
    const coach = await signedInPage(COACH);
    await coach.goto(`${stack.base}/learners/${lena.id}/interviews/${intakeId}`);
    const coachWhere = coach.getByRole("region", { name: "Where to start" });
    await coachWhere.getByText("Lena Learner rated themself 4 of 5.").waitFor();
    const coachLine = coachWhere.getByRole("listitem").filter({ hasText: /^Drawing:/ });
    assert.equal((await coachLine.textContent()).trim(), "Drawing: take the placement to find where to start");
    assert.equal(await coachWhere.getByRole("link").count(), 0);
    await twoScreenshots(coach, "interviews-15-starting-path-coach", () => coachWhere.waitFor());
    await coach.context().close();

    // A learner in no program is told so.
    const max = new ApiClient(stack.base);
    await max.signIn(OTHER.email, OTHER.password);
    const flow = (await max.call("GET", `/orgs/${org.id}/interview-flows`)).find((f) => f.spec.purpose === "coach_intake");
    const intake = await max.call("POST", `/orgs/${org.id}/interviews`, { flow_id: flow.id });
    for (const text of ["I would like to learn to draw people and animals", "1", "An hour a week", "Watching videos", "Nothing"]) {
      await max.call("POST", `/orgs/${org.id}/interviews/${intake.id}/answers`, { content: text });
    }
    const other = await signedInPage(OTHER);
    await other.goto(`${stack.base}/interviews/${intake.id}`);
    const otherWhere = other.getByRole("region", { name: "Where to start" });
    await otherWhere.getByText("You rated yourself 1 of 5.").waitFor();
    await otherWhere.getByText("Not enrolled in a program yet: once you are, you start at its beginning.").waitFor();
    assert.equal(await otherWhere.getByRole("listitem").count(), 0);
    await other.context().close();
  });
});

describe("guided interviews, spoken", () => {
  const SAID = "I love drawing and building robots with my friends";
  const HEARD = "I love drawing and bilding robots with my friends";
  let stack;
  let dir;
  let learner;
  let org;
  let interviewId;
  let admin; // the operator, an administrator of the organisation
  const problems = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "wayfinder-voice-"));
    const wav = join(dir, "answer.wav");
    await promisify(execFile)("espeak-ng", ["-w", wav, SAID]);
    stack = await startStack({ speech: true, fakeAudioCapture: wav });
    let api;
    ({ api, org } = await setUpOrganisation(stack, OPERATOR, { name: "Northfield School", slug: "northfield" }));
    admin = api;
    learner = await api.inviteAndAccept(org.id, LEARNER, "learner");
    // Spoken answers' audio is kept with the interview (off by default).
    const retention = await api.call("PUT", `/orgs/${org.id}/retention`, { keep_interview_audio: true });
    assert.equal(retention.keep_interview_audio, true);
    const [template] = await api.call("GET", `/orgs/${org.id}/interview-templates`);
    const flow = await api.call("POST", `/orgs/${org.id}/interview-flows`, template);
    interviewId = (await learner.client.call("POST", `/orgs/${org.id}/interviews`, { flow_id: flow.id })).id;
  });

  after(async () => {
    await closeAndCheckProblems(problems, [stack]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test("the learner records an answer, fixes a word of what was heard and sends it", async () => {
    const page = await openPage(stack, { person: LEARNER, problems, timeout: TIMEOUT });
    await page.goto(`${stack.base}/interviews/${interviewId}`);
    await page.getByRole("heading", { name: "Interest discovery", level: 1 }).waitFor();
    const mic = page.getByRole("button", { name: "Speak your answer" });
    await eventually(async () => !(await mic.isDisabled()), "the microphone to be ready");

    // The question read aloud by the server's speech endpoint.
    await page.getByRole("button", { name: "Read aloud" }).click();
    await eventually(async () => (await stack.speech.requests()).speech >= 1, "the question to be read by the speech service");

    // A recording the speech service refuses: the learner is told so, and nothing is sent.
    const recording = page.getByRole("group", { name: "Recording" });
    await stack.speech.fail(400);
    await mic.click();
    await recording.getByRole("timer").filter({ hasText: "0:01" }).waitFor();
    await recording.getByRole("button", { name: "Stop" }).click();
    await page
      .getByRole("alert")
      .filter({ hasText: "The speech service could not handle this recording. Please record your answer again, or type it." })
      .waitFor();
    await page.waitForFunction(() => document.activeElement?.textContent?.includes("Speak your answer"));
    assert.equal(await page.getByRole("form", { name: "Check what you said" }).count(), 0);

    await stack.speech.queue(HEARD);
    await mic.click();
    await recording.getByRole("timer").filter({ hasText: "0:02" }).waitFor();
    await page.waitForFunction(() => document.activeElement?.textContent === "Stop");
    await screenshot(page, "interviews-09-recording");
    await recording.getByRole("button", { name: "Stop" }).click();

    const heard = page.getByRole("form", { name: "Check what you said" });
    const box = heard.getByLabel("What we heard");
    await box.waitFor();
    assert.equal(await box.inputValue(), HEARD);
    await page.waitForFunction(() => document.activeElement?.tagName === "TEXTAREA" && document.activeElement.value.includes("bilding"));
    // Nothing is sent before the learner says so.
    const before = await learner.client.call("GET", `/orgs/${org.id}/interviews/${interviewId}`);
    assert.equal(before.answers, 0);
    await box.fill(HEARD.replace("bilding", "building"));
    await twoScreenshots(page, "interviews-10-voice-heard", () => heard.waitFor());
    await heard.getByRole("button", { name: "Send this answer" }).click();

    const transcript = page.getByRole("list", { name: "Transcript" });
    await transcript.getByText(SAID, { exact: true }).waitFor();
    await transcript.getByText(MAKING_QUESTION).waitFor(); // "building" took the branch
    await heard.waitFor({ state: "detached" });
    const after = await learner.client.call("GET", `/orgs/${org.id}/interviews/${interviewId}`);
    assert.deepEqual(
      after.transcript.filter((turn) => turn.role === "user").map((turn) => turn.content),
      [SAID],
    );

    // What the speech service got: one well-formed recording of about the length recorded.
    const seen = await stack.speech.requests();
    assert.equal(seen.recordings.length, 2, JSON.stringify(seen));
    const recorded = seen.recordings[1];
    assert.ok(["webm", "ogg"].includes(recorded.format), `a WebM or Ogg recording, not ${recorded.format}`);
    assert.equal(recorded.model, "fake-whisper");
    assert.ok(recorded.duration_ms >= 1500 && recorded.duration_ms <= 20_000, `a plausible length: ${recorded.duration_ms} ms`);
    assert.ok(recorded.bytes > 1000, `some audio: ${recorded.bytes} bytes`);
    await screenshot(page, "interviews-11-voice-sent");

    // The recording was kept: the interview shows it, with a player the page can load and what was heard.
    const kept = await learner.client.call("GET", `/orgs/${org.id}/interviews/${interviewId}/recordings`);
    assert.equal(kept.length, 1, `only the recording that was transcribed is kept: ${JSON.stringify(kept)}`);
    assert.equal(kept[0].transcript, HEARD, "what the speech service heard, before the learner's fix");
    assert.match(kept[0].content_type, /^audio\//);
    const recordings = page.getByRole("region", { name: "Recordings" });
    await recordings.waitFor();
    const items = recordings.getByRole("list", { name: "Recordings" }).getByRole("listitem");
    assert.equal(await items.count(), 1);
    const players = recordings.locator("audio");
    assert.equal(await players.count(), 1, "one player");
    assert.equal(await players.getAttribute("controls"), "", "with its controls");
    const seconds = Math.round(kept[0].duration_ms / 1000);
    const length = `${seconds} second${seconds === 1 ? "" : "s"}`;
    assert.equal(await players.getAttribute("aria-label"), `Recording 1, ${length}`);
    await items.first().getByText(length, { exact: false }).waitFor();
    assert.equal(await items.first().locator("time").getAttribute("datetime"), kept[0].created_at);
    assert.equal(await items.first().locator("q").textContent(), HEARD);
    const src = await players.getAttribute("src");
    assert.equal(src, `/api/v1/orgs/${org.id}/interviews/${interviewId}/recordings/${kept[0].id}/audio`);
    // Loaded by the page as the player would: a plain GET with the session cookie.
    const audio = await page.evaluate(async (url) => {
      const response = await fetch(url);
      return { status: response.status, type: response.headers.get("content-type"), bytes: (await response.arrayBuffer()).byteLength };
    }, src);
    assert.equal(audio.status, 200);
    assert.match(audio.type ?? "", /^audio\//, `an audio content type: ${audio.type}`);
    assert.equal(audio.bytes, kept[0].bytes, "the whole recording");
    // An administrator may read the interview, so its recordings too.
    assert.deepEqual(
      (await admin.call("GET", `/orgs/${org.id}/interviews/${interviewId}/recordings`)).map((r) => r.id),
      [kept[0].id],
    );
    await threeScreenshots(page, "interviews-11b-voice-recordings", () => recordings.waitFor());

    // Typed to the end: the summary holds the spoken answer too, citing it.
    const answerBox = page.getByLabel("Your answer");
    for (const [text, next] of [
      ["I built a robot that follows a black line on the floor", "What do friends or teachers say you are good at?"],
      ["Patience and explaining things clearly", "If you could get much better at one thing this year, what would it be?"],
      ["Soldering circuits properly", null],
    ]) {
      await answerBox.fill(text);
      await page.getByRole("button", { name: "Send", exact: true }).click();
      if (next) await transcript.getByText(next).waitFor();
    }
    const summary = page.getByRole("region", { name: "Summary" });
    await summary.waitFor();
    const interests = await summary.getByRole("list", { name: "Interests" }).getByRole("listitem").allTextContents();
    assert.deepEqual(interests.slice(0, 2), ["I love drawing", "building robots with my friends"]);
    assert.deepEqual(
      await summary.locator('.summary-field[data-key="interests"] .summary-citations button').allTextContents(),
      ["answer 1", "answer 2"],
    );
    await screenshot(page, "interviews-12-voice-summary");
    await page.context().close();
  });
});
