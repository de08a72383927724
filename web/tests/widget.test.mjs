// Browser tests of the website widget against the real server, with a school's
// own site stood in by a small HTTP server in this file (its own heading and a
// loud red button style, and the widget's tag). Two collections: study skills
// (a note-taking guide) and HR (confidential pay policy). The administrator
// opens the study-skills collection to website visitors under Knowledge base,
// then creates the widget under Organisation → Widgets (a site written without
// its scheme is refused on its line) and copies the tag. On the allowed site
// (http://127.0.0.1:<port>) the launcher appears untouched by the page's
// styles, opens the chat, and a visitor's question is answered from the
// public guide with its source, while a question about pay cites nothing
// from HR. The same page under another origin (http://localhost:<port>) shows
// no launcher, warns in the console, and a frame embedding the chat directly
// is refused by the browser. The config endpoint answers cross-origin only to
// the allowed site, and the widget's own files stay small. Screenshots at
// desktop width, 375 px and in dark mode. Run with `npm run test:e2e`
// (WAYFINDER_BIN names the binary).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { gzipSync } from "node:zlib";
import {
  closeAndCheckProblems,
  eventually,
  openPage,
  screenshot,
  setUpOrganisation,
  startStack,
  threeScreenshots,
} from "./lib/harness.mjs";

const TIMEOUT = 30_000;
const OPERATOR = { email: "ola@example.org", password: "correct horse battery staple 42", name: "Ola Operator" };
const ORG_NAME = "Northfield School";
const COACH_NAME = "Wren";
const WIDGET_NAME = "School website";
const GREETING = "Hello! Ask me about study skills.";
const DAILY_ANSWERS = 50;
const SIZE_BUDGET = 50 * 1024;

const PUBLIC_DOC = {
  file: "note-taking-guide.md",
  title: "Note-taking guide",
  text: [
    "# Note-taking guide",
    "",
    "## The Cornell method",
    "",
    "The Cornell method divides the page into three parts: a narrow cue column on the left, a wide notes column on the right, and a summary section across the bottom.",
    "After the lesson, write questions in the cue column and a two-sentence summary at the bottom.",
    "",
    "## Mind maps",
    "",
    "A mind map starts with the topic in the middle of the page and branches out into subtopics.",
    "",
  ].join("\n"),
};
const PRIVATE_DOC = {
  file: "pay-policy.md",
  title: "Pay policy",
  text: [
    "# Pay policy",
    "",
    "## Salary bands (confidential)",
    "",
    "Salary bands are confidential to the staff office: band C runs from 41,000 to 48,000 a year.",
    "",
  ].join("\n"),
};
const CORNELL_QUESTION = "How does the Cornell method divide the page?";
const SALARY_QUESTION = "What are the salary bands? Are they confidential?";

let stack;
let api; // the operator, an administrator of the organisation
let org;
let site; // the school's own website
let studySkills; // the collection opened to visitors through the UI
let hr; // the collection that stays closed
let widget; // { id, snippet } as the admin screen shows them
const problems = [];

const signedInPage = (viewport) => openPage(stack, { person: OPERATOR, problems, viewport, timeout: TIMEOUT });
const nav = (p) => p.getByRole("navigation", { name: "Main" });
const allowedOrigin = () => `http://127.0.0.1:${site.port}`;
const refusedOrigin = () => `http://localhost:${site.port}`;

/**
 * The school's website: its own content and styles (a big heading, every button red) and the
 * widget's tag as the admin screen showed it; `/direct.html` embeds the chat frame itself.
 */
async function startSite() {
  const page = (body) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>Northfield School</title>
<style>
  body { margin: 0; padding: 2rem; font: 18px/1.5 Georgia, serif; background: #fdf6e3; color: #3b2f1e; }
  h1 { font-size: 4rem; margin: 0 0 1rem; color: #7a1f1f; }
  button { background: red !important; color: yellow !important; font: bold 2rem Impact, sans-serif; border: 4px dashed #000; }
  iframe { width: 380px; height: 300px; border: 2px solid #7a1f1f; }
</style>
</head>
<body>
<h1>Northfield School</h1>
<p>Open days every Saturday in March. Come and see the library, the labs and the new sports hall.</p>
<p><button type="button">Enrol now</button></p>
${body}
</body>
</html>
`;
  const server = createServer((request, response) => {
    const path = new URL(request.url, "http://site").pathname;
    let html = null;
    if (path === "/index.html") html = page(widget?.snippet ?? "");
    if (path === "/direct.html") {
      html = page(`<iframe id="direct" title="Chat embedded directly" src="${stack.base}/widget/${widget?.id}"></iframe>`);
    }
    if (html === null) {
      response.writeHead(404, { "content-type": "text/plain" });
      response.end("not found");
      return;
    }
    response.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
    response.end(html);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: server.address().port, close: () => new Promise((resolve) => server.close(resolve)) };
}

/**
 * A page of the school's site in a context of its own. Console lines are kept; script errors,
 * and content-security-policy refusals other than `allowRefusedFraming`'s, go to `problems`.
 */
async function openSite(origin, path, { allowRefusedFraming = false } = {}) {
  const context = await stack.browser.newContext({ viewport: { width: 1280, height: 800 } });
  context.setDefaultTimeout(TIMEOUT);
  const page = await context.newPage();
  const consoleLines = [];
  page.on("console", (message) => {
    const text = message.text();
    consoleLines.push({ type: message.type(), text });
    const framing = /frame-ancestors/.test(text);
    if (message.type() === "error" && /Content Security Policy|Refused to|status of 5\d\d/.test(text)) {
      if (!(framing && allowRefusedFraming)) problems.push(`${page.url()}: ${text}`);
    }
  });
  page.on("pageerror", (error) => problems.push(`${page.url()}: ${error.message}`));
  await page.goto(`${origin}${path}`);
  return { page, consoleLines };
}

async function openAdminWidgets(page) {
  await nav(page).getByRole("link", { name: "Organisation" }).click();
  await page.getByRole("navigation", { name: "Organisation sections" }).getByRole("link", { name: "Widgets" }).click();
  await page.waitForURL(/\/admin\/widgets$/);
  await page.getByRole("heading", { name: "Widgets", level: 2 }).waitFor();
}

/**
 * Asks in the widget's chat and answers the coach's reply (the `n`-th after the greeting),
 * failing with what the chat said instead when it shows an error.
 */
async function ask(chat, question, n) {
  const input = chat.locator("#question");
  await eventually(async () => !(await input.isDisabled()), "the chat to be ready for a question");
  await input.fill(question);
  await chat.getByRole("button", { name: "Send" }).click();
  const answer = chat.locator("#log li.msg.coach").nth(n);
  const error = chat.locator("#status.error");
  await answer.or(error).first().waitFor();
  if (await error.count()) assert.fail(`the chat showed an error instead of the answer: “${await error.textContent()}”`);
  return answer;
}

before(async () => {
  stack = await startStack();
  site = await startSite();
  ({ api, org } = await setUpOrganisation(stack, OPERATOR, { name: ORG_NAME, slug: "northfield" }));
  // Both collections start closed; the study skills are opened through the knowledge base screen.
  studySkills = await api.call("POST", `/orgs/${org.id}/collections`, { name: "Study skills", description: "Guides for pupils." });
  await api.upload(org.id, studySkills.id, PUBLIC_DOC.file, PUBLIC_DOC.text);
  hr = await api.call("POST", `/orgs/${org.id}/collections`, { name: "HR", description: "For the staff office only." });
  await api.upload(org.id, hr.id, PRIVATE_DOC.file, PRIVATE_DOC.text);
  assert.equal(studySkills.public, false, "collections are closed to visitors unless opened");
  // A coach that lists no collections answers from all of them (visitors: the open ones).
  const coach = await api.call("POST", `/orgs/${org.id}/coaches`, { name: COACH_NAME });
  assert.deepEqual(coach.collections, []);
});

after(() => closeAndCheckProblems(problems, [stack, site], "the pages ran without script errors or blocked resources"));

test("the administrator opens a collection to website visitors, and the knowledge base marks it Public", async () => {
  const page = await signedInPage();
  await nav(page).getByRole("link", { name: "Knowledge base" }).click();
  const list = page.getByRole("list", { name: "Collections" });
  await list.getByRole("link", { name: "Study skills" }).click();
  await page.getByRole("heading", { name: "Study skills", level: 1 }).waitFor();
  await page.getByRole("button", { name: "Edit", exact: true }).click();

  const form = page.getByRole("form", { name: "Edit collection" });
  const open = form.getByRole("checkbox", { name: "Open to website visitors" });
  assert.equal(await open.isChecked(), false);
  await form.getByText("Anonymous visitors of your website widgets are answered only from open collections").waitFor();
  await open.check();
  await screenshot(page, "widget-00-collection-open-to-visitors");
  await form.getByRole("button", { name: "Save" }).click();
  await page.getByRole("heading", { name: "Study skills", level: 1 }).getByText("Public", { exact: true }).waitFor();

  assert.equal((await api.call("GET", `/orgs/${org.id}/collections/${studySkills.id}`)).public, true);
  assert.equal((await api.call("GET", `/orgs/${org.id}/collections/${hr.id}`)).public, false, "the other stays closed");

  await page.getByRole("navigation", { name: "Breadcrumb" }).getByRole("link", { name: "Knowledge base" }).click();
  const cards = list.getByRole("listitem").filter({ has: page.getByRole("heading", { level: 2 }) });
  const studyCard = cards.filter({ has: page.getByRole("link", { name: "Study skills" }) });
  const hrCard = cards.filter({ has: page.getByRole("link", { name: "HR" }) });
  await studyCard.getByText("Public", { exact: true }).waitFor();
  assert.equal(await hrCard.getByText("Public", { exact: true }).count(), 0);
  await threeScreenshots(page, "widget-01-knowledge-public", () => studyCard.waitFor());
  await page.context().close();
});

test("the administrator creates the widget: a site without its scheme is refused on its line, then the tag is shown to copy", async () => {
  const page = await signedInPage();
  await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: stack.base });
  await openAdminWidgets(page);
  await page.getByText("No widgets yet.").waitFor();
  await page.getByRole("button", { name: "New widget" }).click();

  const form = page.getByRole("form", { name: "Widget" });
  await form.getByLabel("Name").fill(WIDGET_NAME);
  await form.getByLabel("Coach").selectOption({ label: COACH_NAME });
  const sites = form.getByLabel("Sites it may appear on");
  await sites.fill(`${allowedOrigin()}\n\nschool.example`);
  assert.equal(await form.getByRole("radio", { name: "Anonymous visitors" }).isChecked(), true, "visitors by default");
  await form.getByLabel("Answers a day").fill(String(DAILY_ANSWERS));
  await form.getByLabel("Greeting (optional)").fill(GREETING);
  assert.equal(await form.getByRole("checkbox", { name: "Active" }).isChecked(), true);
  await form.getByRole("button", { name: "Create widget" }).click();

  // The second site (on the third line) has no scheme: said beside the box, which takes the focus.
  await form
    .locator(".field-error")
    .filter({ hasText: "Line 3 (school.example): must be an origin such as https://school.example (no path)." })
    .waitFor();
  assert.equal(await sites.getAttribute("aria-invalid"), "true");
  await page.waitForFunction(() => document.activeElement?.getAttribute("aria-invalid") === "true");
  assert.deepEqual(await api.call("GET", `/orgs/${org.id}/widgets`), [], "nothing was saved");
  await screenshot(page, "widget-02-admin-origin-refused");

  await sites.fill(allowedOrigin());
  await form.getByRole("button", { name: "Create widget" }).click();
  const embed = page.getByRole("region", { name: `Embed code for “${WIDGET_NAME}”` });
  await embed.waitFor();
  await page.getByRole("status").filter({ hasText: `Created “${WIDGET_NAME}”.` }).waitFor();
  assert.equal(await form.count(), 0, "the form closes once saved");

  // The tag to paste, read-only, with a copy button, and what anonymous visitors are answered from.
  const code = embed.getByLabel("Embed code");
  assert.equal(await code.getAttribute("readonly"), "");
  const snippet = await code.inputValue();
  const match = snippet.match(/^<script src="([^"]+)\/widget\.js" data-widget="([^"]+)" async><\/script>$/);
  assert.ok(match, `the tag as sites embed it: ${snippet}`);
  assert.equal(match[1], stack.base, "the script comes from this server");
  widget = { id: match[2], snippet };
  await embed.getByText("Anonymous visitors are answered only from collections marked “Open to website visitors”").waitFor();
  await embed.getByRole("button", { name: "Copy" }).click();
  await embed.getByRole("button", { name: /Copied/ }).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), snippet);

  // The list: who answers, where, for whom, and today's answers against the budget.
  const row = page.getByRole("table", { name: "Widgets" }).getByRole("row").filter({ hasText: WIDGET_NAME });
  const cells = (await row.locator("th, td").allInnerTexts()).map((t) => t.trim());
  assert.deepEqual(cells.slice(0, 6), [WIDGET_NAME, COACH_NAME, allowedOrigin(), "Visitors", `0 of ${DAILY_ANSWERS}`, "Active"]);

  const saved = await api.call("GET", `/orgs/${org.id}/widgets/${widget.id}`);
  assert.deepEqual(saved.allowed_origins, [allowedOrigin()]);
  assert.equal(saved.audience, "visitors");
  assert.equal(saved.daily_answers, DAILY_ANSWERS);
  assert.equal(saved.greeting, GREETING);
  assert.equal(saved.snippet, snippet);

  await threeScreenshots(page, "widget-03-admin-embed-code", () => embed.waitFor());
  await page.context().close();
});

test("the widget's settings are answered cross-origin only to the allowed site", async () => {
  const config = `${stack.base}/api/v1/widgets/${widget.id}/config`;
  const refused = await fetch(config, { headers: { origin: refusedOrigin() } });
  assert.equal(refused.status, 403);
  assert.equal(refused.headers.get("access-control-allow-origin"), null, "no CORS grant for a site not listed");
  assert.equal((await refused.json()).error.code, "origin_not_allowed");

  const allowed = await fetch(config, { headers: { origin: allowedOrigin() } });
  assert.equal(allowed.status, 200);
  assert.equal(allowed.headers.get("access-control-allow-origin"), allowedOrigin());
  const body = await allowed.json();
  assert.equal(body.coach_name, COACH_NAME);
  assert.equal(body.greeting, GREETING);
});

test("the widget's own files stay within 50 KB gzipped", async () => {
  const files = ["/widget.js", "/widget/assets/frame.js", "/widget/assets/frame.css", `/widget/${widget.id}`];
  let total = 0;
  const figures = [];
  for (const path of files) {
    const response = await fetch(`${stack.base}${path}`);
    assert.equal(response.status, 200, path);
    const bytes = gzipSync(Buffer.from(await response.arrayBuffer())).length;
    total += bytes;
    figures.push(`${path.replace(widget.id, "{id}")} ${bytes} B`);
  }
  console.log(`widget size: ${(total / 1024).toFixed(1)} KB gzipped (${figures.join(", ")}); budget 50 KB`);
  assert.ok(total <= SIZE_BUDGET, `the widget weighs ${total} bytes gzipped`);
});

test("on the allowed site the launcher opens the chat, answered from public material only", async () => {
  const { page } = await openSite(allowedOrigin(), "/index.html");
  const host = page.locator(`div[data-wayfinder-widget="${widget.id}"]`);
  const launcher = host.getByRole("button", { name: `Ask ${COACH_NAME}` });
  await launcher.waitFor();
  // The page's own button is red; the launcher, in its shadow root, keeps its own look.
  assert.equal(
    await page.getByRole("button", { name: "Enrol now" }).evaluate((b) => getComputedStyle(b).backgroundColor),
    "rgb(255, 0, 0)",
  );
  assert.equal(await launcher.evaluate((b) => getComputedStyle(b).backgroundColor), "rgb(31, 95, 191)");
  assert.equal(await launcher.evaluate((b) => getComputedStyle(b).fontFamily).then((f) => /Impact/.test(f)), false);

  assert.equal(await launcher.getAttribute("aria-expanded"), "false");
  await launcher.click();
  assert.equal(await host.getByRole("button", { name: "Close chat" }).getAttribute("aria-expanded"), "true");
  const chat = page.frameLocator(`iframe[title="Chat with ${COACH_NAME}"]`);
  await chat.getByRole("heading", { name: COACH_NAME, level: 1 }).waitFor();
  await chat.locator("#log li.msg.coach").first().filter({ hasText: GREETING }).waitFor();

  const answer = await ask(chat, CORNELL_QUESTION, 1);
  await chat.locator("#log li.msg.user").filter({ hasText: CORNELL_QUESTION }).waitFor();
  assert.match(await answer.locator("p").textContent(), /cue column/);
  const sources = answer.getByRole("list", { name: "Sources" });
  assert.match(await sources.textContent(), new RegExp(PUBLIC_DOC.title));
  await screenshot(page, "widget-04-site-answer");

  // Pay policy is in a closed collection: whatever the answer, it does not come from there.
  const refusal = await ask(chat, SALARY_QUESTION, 2);
  await chat.locator("#log li.msg.user").filter({ hasText: SALARY_QUESTION }).waitFor();
  const text = await refusal.textContent();
  assert.doesNotMatch(text, new RegExp(PRIVATE_DOC.title));
  assert.doesNotMatch(text, /41,000|48,000/);
  assert.equal(await chat.locator("#status.error").count(), 0);
  await screenshot(page, "widget-05-site-closed-material");

  const admin = await api.call("GET", `/orgs/${org.id}/widgets/${widget.id}`);
  assert.equal(admin.answers_today, 2, "both answers count against the day's budget");
  await page.context().close();
});

test("on a site not listed there is no launcher, and the chat frame embedded directly does not load", async () => {
  const { page, consoleLines } = await openSite(refusedOrigin(), "/index.html");
  await page.getByRole("heading", { name: "Northfield School" }).waitFor();
  const warning = await eventually(
    () => consoleLines.find((l) => l.type === "warning" && l.text.startsWith("Wayfinder widget: not shown on")),
    "the widget's console warning",
  );
  assert.match(warning.text, new RegExp(`^Wayfinder widget: not shown on ${refusedOrigin()}`));
  // The script has given up; wait a little longer all the same before looking for the launcher.
  await page.waitForTimeout(1000);
  assert.equal(await page.locator("[data-wayfinder-widget]").count(), 0, "no launcher");
  assert.equal(await page.getByRole("button", { name: `Ask ${COACH_NAME}` }).count(), 0);
  await screenshot(page, "widget-06-other-site-nothing-shown");
  await page.context().close();

  const direct = await openSite(refusedOrigin(), "/direct.html", { allowRefusedFraming: true });
  await direct.page.waitForLoadState("load");
  const frame = await (await direct.page.locator("iframe#direct").elementHandle()).contentFrame();
  assert.ok(frame, "the iframe is there");
  await eventually(
    () => direct.consoleLines.some((l) => l.type === "error" && /frame-ancestors/.test(l.text)),
    "the browser to refuse the frame",
  );
  assert.equal(await frame.locator("#log").count(), 0, "the chat did not load in the frame");
  await screenshot(direct.page, "widget-07-other-site-frame-refused");
  await direct.page.context().close();
});

test("the administrator sees the day's answers and deletes the widget after confirming; its tag stops working", async () => {
  const page = await signedInPage();
  await openAdminWidgets(page);
  const table = page.getByRole("table", { name: "Widgets" });
  const row = table.getByRole("row").filter({ hasText: WIDGET_NAME });
  const { answers_today } = await api.call("GET", `/orgs/${org.id}/widgets/${widget.id}`);
  assert.ok(answers_today > 0, "the visitor's questions were counted");
  await row.getByText(`${answers_today} of ${DAILY_ANSWERS}`).waitFor();

  await row.getByRole("button", { name: `Delete ${WIDGET_NAME}` }).click();
  const confirm = page.getByRole("dialog", { name: `Delete “${WIDGET_NAME}”?` });
  await confirm.getByText("The widget disappears from every site its tag is on").waitFor();
  await confirm.getByRole("button", { name: "Cancel" }).click();
  await confirm.waitFor({ state: "hidden" });
  await row.waitFor();

  await row.getByRole("button", { name: `Delete ${WIDGET_NAME}` }).click();
  await confirm.getByRole("button", { name: "Delete widget" }).click();
  await confirm.waitFor({ state: "hidden" });
  await page.getByText("No widgets yet.").waitFor();
  await page.getByRole("status").filter({ hasText: `Deleted “${WIDGET_NAME}”.` }).waitFor();
  assert.deepEqual(await api.call("GET", `/orgs/${org.id}/widgets`), []);

  const config = await fetch(`${stack.base}/api/v1/widgets/${widget.id}/config`, { headers: { origin: allowedOrigin() } });
  assert.equal(config.status, 404, "the tag no longer finds the widget");
  await page.context().close();
});
