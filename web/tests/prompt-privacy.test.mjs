// Browser tests of what chat models see of an organisation's people (Organisation
// → Chat model privacy), against the real server and what it really sends the
// chat model. The fake chat model only counts the requests it gets, so the
// server is pointed at a wiretap that passes everything through to it unchanged
// and keeps each request's body.
//
// By default the model is sent a learner's e-mail address, phone number and
// learning record (their program goal). An administrator finds both settings
// off, turns on "Hide personal data", saves, and finds it kept after a reload,
// through the API and in the audit log. Then a learner asks the coach in the
// chat screen a question with their e-mail address and a phone number: the
// model is sent placeholders instead (and, that setting being off, still the
// learner's record), while the answer the learner reads has the real values
// back. Turning on "Keep learner records … away" is kept the same way, and the
// learner's next question reaches the model without their record, still
// redacted. Run with `npm run test:e2e` (WAYFINDER_BIN names the binary).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, request as forward } from "node:http";
import { closeAndCheckProblems, openPage, setUpOrganisation, startStack, threeScreenshots } from "./lib/harness.mjs";

const TIMEOUT = 30_000;
const OPERATOR = { email: "ola@example.org", password: "correct horse battery staple 42", name: "Ola Operator" };
const LEARNER = { email: "lena@example.org", password: "a sturdy learner passphrase 7", name: "Lena Learner" };
const PHONE = "+44 7700 900456";
const PROGRAM = "Exam technique";
const QUESTION = `Could you send my revision plan to ${LEARNER.email}, or text it to ${PHONE}?`;
/** What must never reach the model with redaction on: the e-mail address, the phone number, the learner's name. */
const PERSONAL = [LEARNER.email, "7700 900456", "900456", "Lena"];
const REDACT = "Hide personal data from chat models";
const NO_LEARNER_DATA = "Keep learner records and practice answers away from chat models";

let stack;
let wiretap;
let api; // the operator, an administrator of the organisation
let org;
let lena;
const problems = [];

/**
 * Stands between the server and the stack's fake chat model: passes every request and answer
 * through unchanged (streams included) and keeps the body of each chat request as sent.
 */
async function startWiretap() {
  const chatRequests = [];
  let target = null;
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      if (req.url.endsWith("/chat/completions")) chatRequests.push(JSON.parse(body.toString("utf8")));
      if (!target) {
        res.writeHead(503).end();
        return;
      }
      const upstream = forward(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
        (answer) => {
          res.writeHead(answer.statusCode, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on("error", (err) => res.destroy(err));
      upstream.end(body);
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    apiRoot: `http://127.0.0.1:${server.address().port}/v1`,
    chatRequests,
    forwardTo: (apiRoot) => (target = new URL(apiRoot)),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(resolve);
      }),
  };
}

/** Every chat request the model got while `turn` ran, each as the JSON text of its messages. */
async function sentDuring(turn) {
  const from = wiretap.chatRequests.length;
  await turn();
  const sent = wiretap.chatRequests.slice(from).map((r) => JSON.stringify(r.messages));
  assert.ok(sent.length > 0, "the coach asked the model");
  return sent;
}

const signedInPage = (person) => openPage(stack, { person, problems, timeout: TIMEOUT });
const nav = (p) => p.getByRole("navigation", { name: "Main" });
const settingsUrl = () => `/orgs/${org.id}/prompt-privacy`;
const changes = async () =>
  (await api.call("GET", `/orgs/${org.id}/audit`)).filter((entry) => entry.action === "prompt_privacy.changed");

before(async () => {
  wiretap = await startWiretap();
  stack = await startStack({ env: { WAYFINDER_CHAT_BASE_URL: wiretap.apiRoot } });
  wiretap.forwardTo(stack.fake.apiRoot);
  ({ api, org } = await setUpOrganisation(stack, OPERATOR, { name: "Northfield School", slug: "northfield" }));
  lena = await api.inviteAndAccept(org.id, LEARNER, "learner");
  // The coach may answer beyond its sources, so there is no knowledge base to set up: every question goes to the model.
  const { coaches } = await api.call("GET", `/orgs/${org.id}/coaches`);
  await api.call("PATCH", `/orgs/${org.id}/coaches/${coaches[0].id}`, { answer_mode: "open" });
  // Lena's learning record: a program she is enrolled in and has as her goal.
  const { program } = await api.call("POST", `/orgs/${org.id}/programs/import`, {
    title: PROGRAM,
    concepts: [{ key: "timing", name: "Timing your answers" }],
  });
  await api.call("POST", `/orgs/${org.id}/programs/${program.id}/publish`);
  await api.call("POST", `/orgs/${org.id}/programs/${program.id}/enrolments`, { person_id: lena.id });
  await lena.client.call("POST", `/orgs/${org.id}/learners/${lena.id}/goals`, { kind: "program", program_id: program.id });
});

after(() => closeAndCheckProblems(problems, [stack, wiretap]));

test("with personal data hidden, a learner's e-mail and phone number reach the model as placeholders and come back in the answer", async () => {
  // By default the model sees the question as written, and Lena's record.
  const conversation = await lena.client.call("POST", `/orgs/${org.id}/conversations`, {});
  const unredacted = await sentDuring(() =>
    lena.client.call("POST", `/conversations/${conversation.id}/messages`, { content: QUESTION }),
  );
  assert.ok(unredacted.some((s) => s.includes(LEARNER.email) && s.includes(PHONE)), unredacted.join("\n"));
  assert.ok(unredacted.some((s) => s.includes("About the learner") && s.includes(PROGRAM)), unredacted.join("\n"));

  const page = await signedInPage(OPERATOR);
  await nav(page).getByRole("link", { name: "Organisation" }).click();
  await page.getByRole("navigation", { name: "Organisation sections" }).getByRole("link", { name: "Chat model privacy" }).click();
  await page.waitForURL(/\/admin\/prompt-privacy$/);
  const section = page.getByRole("region", { name: "What chat models see" });
  const form = section.getByRole("form", { name: "Chat model privacy" });
  const redact = form.getByRole("switch", { name: REDACT });
  const noLearnerData = form.getByRole("switch", { name: NO_LEARNER_DATA });
  const save = form.getByRole("button", { name: "Save" });

  // Both off, here and on the server; nothing to save yet.
  await redact.waitFor();
  assert.equal(await redact.isChecked(), false);
  assert.equal(await noLearnerData.isChecked(), false);
  assert.deepEqual(await api.call("GET", settingsUrl()), { redact_personal_data: false, no_learner_data: false });
  assert.equal(await save.isDisabled(), true, "nothing changed, nothing to save");
  // Each switch says what it does, read with it.
  const explained = async (control) =>
    page.locator(`[id="${await control.getAttribute("aria-describedby")}"]`).textContent();
  assert.match(await explained(redact), /e-mail addresses, phone numbers and the names/i);
  assert.match(await explained(redact), /put back .*learners still see the real/i);
  assert.match(await explained(noLearnerData), /answers from the knowledge base alone/);
  assert.match(await explained(noLearnerData), /graded by rules/);

  // Redaction on, saved, kept after a reload and on the server, and audited.
  await redact.check();
  await save.click();
  await form.getByRole("status").filter({ hasText: "Saved." }).waitFor();
  assert.match(await form.getByRole("status").textContent(), /placeholders instead of e-mail addresses/);
  assert.equal(await save.isDisabled(), true, "saved: nothing left to save");
  assert.deepEqual(await api.call("GET", settingsUrl()), { redact_personal_data: true, no_learner_data: false });
  assert.equal((await changes()).length, 1, "the change is in the audit log");
  await threeScreenshots(page, "prompt-privacy-01-settings", () => section.scrollIntoViewIfNeeded());
  await page.reload();
  await redact.waitFor();
  assert.equal(await redact.isChecked(), true, "kept after a reload");
  assert.equal(await noLearnerData.isChecked(), false);
  await page.context().close();

  // Lena asks in the chat screen. The model answers with the placeholders it was given.
  await stack.fake.queue({ reply: "I can't send anything myself, but put [EMAIL_1] and [PHONE_1] at the top of your plan." });
  const chat = await signedInPage(LEARNER);
  const sent = await sentDuring(async () => {
    await chat.getByLabel("Your question").fill(QUESTION);
    await chat.getByRole("button", { name: "Send" }).click();
    await chat.getByRole("article", { name: "Coach answered" }).waitFor();
  });
  for (const request of sent) {
    for (const personal of PERSONAL) assert.ok(!request.includes(personal), `${personal} reached the model: ${request}`);
  }
  assert.ok(sent.some((s) => s.includes("[EMAIL_1]") && s.includes("[PHONE_1]")), `placeholders instead: ${sent.join("\n")}`);
  assert.ok(sent.some((s) => s.includes("About the learner") && s.includes(PROGRAM)), "her record still goes (that setting is off)");

  // What Lena reads has the real values: her question as she wrote it, and the answer put back together.
  assert.equal(await chat.getByRole("article", { name: "You said" }).textContent(), QUESTION);
  const answer = chat.getByRole("article", { name: "Coach answered" }).locator(".bubble");
  await answer.getByText(`put ${LEARNER.email} and ${PHONE} at the top of your plan`).waitFor();
  assert.doesNotMatch(await answer.textContent(), /\[(EMAIL|PHONE|PERSON)_/);
  // And so does the stored conversation.
  const [conversationId] = chat.url().split("/").slice(-1);
  const stored = await lena.client.call("GET", `/conversations/${conversationId}`);
  const kept = stored.messages.at(-1).content;
  assert.ok(kept.includes(`put ${LEARNER.email} and ${PHONE} at the top of your plan`), kept);
  await chat.context().close();
});

test("with no learner data, the coach's prompt carries no learner record (personal data still hidden)", async () => {
  const page = await signedInPage(OPERATOR);
  await page.goto(`${stack.base}/admin/prompt-privacy`);
  const form = page.getByRole("region", { name: "What chat models see" }).getByRole("form", { name: "Chat model privacy" });
  const redact = form.getByRole("switch", { name: REDACT });
  const noLearnerData = form.getByRole("switch", { name: NO_LEARNER_DATA });
  await redact.waitFor();
  assert.equal(await redact.isChecked(), true, "redaction is still on");

  await noLearnerData.check();
  await form.getByRole("button", { name: "Save" }).click();
  await form.getByRole("status").filter({ hasText: "Saved." }).waitFor();
  assert.match(await form.getByRole("status").textContent(), /no learner records and practice answers are graded by rules/);
  assert.deepEqual(await api.call("GET", settingsUrl()), { redact_personal_data: true, no_learner_data: true });
  assert.equal((await changes()).length, 2, "each change is audited");
  await page.reload();
  await noLearnerData.waitFor();
  assert.equal(await noLearnerData.isChecked(), true, "kept after a reload");
  assert.equal(await redact.isChecked(), true);
  await page.context().close();

  // Lena's next question reaches the model without her record, and still without her e-mail address.
  const conversation = await lena.client.call("POST", `/orgs/${org.id}/conversations`, {});
  const sent = await sentDuring(() =>
    lena.client.call("POST", `/conversations/${conversation.id}/messages`, { content: QUESTION }),
  );
  for (const request of sent) {
    assert.ok(!request.includes("About the learner") && !request.includes(PROGRAM), `no learner record: ${request}`);
    for (const personal of PERSONAL) assert.ok(!request.includes(personal), `${personal} reached the model: ${request}`);
  }
});
