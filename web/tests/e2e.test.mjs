// Browser tests of the web app against the real server, which serves the app
// it embedded and answers with a fake chat model: first-run setup from the
// printed link, the admin's path (sign in, knowledge base, streamed chat with
// citations and feedback, history), a learner's (invitation, what they may
// see and do), and how the chat explains refusals, stops, failures and
// budgets. Run with `npm run test:e2e` (WAYFINDER_BIN names the binary).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ApiClient, WEB_ROOT, closeAndCheckProblems, screenshot, startStack, watchConsole } from "./lib/harness.mjs";
import { buildPdf } from "./lib/pdf.mjs";

const FIXTURE = join(WEB_ROOT, "tests", "fixtures", "study-habits.md");
const TIMEOUT = 30_000;
const OPERATOR = { email: "ada@example.org", password: "correct horse battery staple 42", name: "Ada Admin" };

// A three-page guide with bookmarks: citations from it carry a section and a page.
const EXAM_GUIDE = buildPdf({
  title: "Exam Preparation Guide",
  pages: [
    [
      "Planning your revision",
      "",
      "Start revising six weeks ahead and split every subject into short topics.",
      "Put each topic on a calendar so that nothing is left for the final days.",
    ],
    [
      "Practice papers",
      "",
      "Complete at least three timed practice papers in the fortnight before the exam.",
      "Mark each paper against the official scheme and list the questions you missed.",
    ],
    [
      "On the day",
      "",
      "Arrive twenty minutes early with two pens, a watch and a bottle of water.",
      "Read every question once before writing anything.",
    ],
  ],
  outline: [
    { title: "Planning your revision", page: 1 },
    { title: "Practice papers", page: 2 },
    { title: "On the day", page: 3 },
  ],
});

let stack;
let api; // the operator, signed in over the API
let org;
let admin; // the operator's browser context and page
let page;
let conversationId; // the first chat, opened again to time the chat screen
const problems = [];

before(async () => {
  stack = await startStack();
  admin = await stack.browser.newContext({ viewport: { width: 1280, height: 800 } });
  admin.setDefaultTimeout(TIMEOUT);
  page = await admin.newPage();
  watchConsole(page, problems);
});

after(() => closeAndCheckProblems(problems, [stack]));

const nav = (p) => p.getByRole("navigation", { name: "Main" });

test("initial route JS stays within budget", () => {
  const out = execFileSync(process.execPath, [join(WEB_ROOT, "scripts", "size.mjs")], { encoding: "utf8" });
  for (const line of out.trim().split("\n")) console.log(line);
  assert.match(out, /→ within/);
});

test("the app's saved API document is the one the server serves", async () => {
  const served = await fetch(`${stack.base}/api/v1/openapi.json`).then((r) => r.json());
  const saved = JSON.parse(await readFile(join(WEB_ROOT, "openapi.json"), "utf8"));
  assert.deepStrictEqual(
    saved,
    served,
    "web/openapi.json is out of date: run `WAYFINDER_URL=<a running server> npm run check:api` and commit it",
  );
});

test("the setup link printed on first start creates the operator, who creates the organisation", async () => {
  const first = await stack.browser.newContext({ viewport: { width: 1280, height: 800 } });
  first.setDefaultTimeout(TIMEOUT);
  const setup = await first.newPage();
  watchConsole(setup, problems);
  await setup.goto(stack.setupLink);
  await setup.getByRole("heading", { name: "Set up Wayfinder" }).waitFor();
  await setup.getByLabel("Your name").fill(OPERATOR.name);
  await setup.getByLabel("Email").fill(OPERATOR.email);
  await setup.getByLabel("Password").fill(OPERATOR.password);
  await screenshot(setup, "00-setup");
  await setup.getByRole("button", { name: "Create operator" }).click();
  await setup.getByRole("heading", { name: `Welcome, ${OPERATOR.name}` }).waitFor();
  await setup.getByLabel("Organisation name").fill("North High School");
  await setup.getByLabel("Short name").fill("north-high");
  await setup.getByRole("button", { name: "Create organisation" }).click();
  await setup.waitForURL(/\/knowledge$/);
  await setup.getByRole("heading", { name: "Knowledge base" }).waitFor();
  await first.close();

  // The link is single-use: opening it again says setup is done.
  const again = await stack.browser.newPage();
  await again.goto(stack.setupLink);
  await again.getByRole("heading", { name: "Setup is done" }).waitFor();
  await again.close();

  api = new ApiClient(stack.base);
  await api.signIn(OPERATOR.email, OPERATOR.password);
  const orgs = await api.call("GET", "/orgs");
  org = orgs.find((o) => o.organisation.slug === "north-high")?.organisation;
  assert.ok(org, `the organisation exists: ${JSON.stringify(orgs)}`);
});

test("operator signs in and lands on the chat", async () => {
  await page.goto(`${stack.base}/`);
  await page.getByRole("heading", { name: "Sign in to Wayfinder" }).waitFor();
  await screenshot(page, "01-sign-in");
  await page.getByLabel("Email").fill(OPERATOR.email);
  await page.getByLabel("Password").fill("wrong password entirely");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("alert").filter({ hasText: "don't match" }).waitFor();
  await page.getByLabel("Password").fill(OPERATOR.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/chat/);
  await page.getByLabel("Your question").waitFor();
  for (const name of ["Chat", "My learning", "My progress", "Learners", "Team", "Insights", "Programs", "Questions", "Knowledge base", "Coach settings", "Organisation", "Profile"]) {
    assert.ok(await nav(page).getByRole("link", { name }).isVisible(), name);
  }
  await screenshot(page, "02-chat-empty");

  // An administrator's many links fit at common desktop widths: every one shown, no sideways scrolling.
  for (const viewport of [
    { width: 1280, height: 800 },
    { width: 1024, height: 768 },
  ]) {
    await page.setViewportSize(viewport);
    await nav(page).getByRole("link", { name: "Profile" }).waitFor();
    const { scrollWidth, innerWidth } = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      innerWidth: window.innerWidth,
    }));
    assert.ok(scrollWidth <= innerWidth, `${viewport.width}px: page ${scrollWidth}px wide in ${innerWidth}px`);
    // The chat fills the window below the bar, however many rows the bar takes: no page scrolling.
    await page.waitForFunction(() => document.documentElement.scrollHeight <= window.innerHeight, null, { timeout: 5000 }).catch(() => {});
    const { scrollHeight, innerHeight } = await page.evaluate(() => ({
      scrollHeight: document.documentElement.scrollHeight,
      innerHeight: window.innerHeight,
    }));
    assert.ok(scrollHeight <= innerHeight, `${viewport.width}px: chat page ${scrollHeight}px tall in ${innerHeight}px`);
    const links = nav(page).getByRole("link");
    for (let i = 0; i < (await links.count()); i++) {
      const box = await links.nth(i).boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= innerWidth, `${viewport.width}px: ${await links.nth(i).textContent()} in view`);
    }
    assert.equal(await page.getByRole("button", { name: "Menu" }).isVisible(), false, `${viewport.width}px: links shown, no menu button`);
  }
  await screenshot(page, "02-chat-empty-1024");
  // On a phone they fold into the menu button, which says what it opens and whether it is open.
  await page.setViewportSize({ width: 375, height: 740 });
  const menu = page.getByRole("button", { name: "Menu" });
  assert.equal(await menu.getAttribute("aria-controls"), "main-nav");
  assert.equal(await menu.getAttribute("aria-expanded"), "false");
  assert.equal(await nav(page).getByRole("link", { name: "Organisation" }).isVisible(), false);
  await menu.click();
  assert.equal(await menu.getAttribute("aria-expanded"), "true");
  await nav(page).getByRole("link", { name: "Organisation" }).waitFor();
  await menu.click();
  assert.equal(await menu.getAttribute("aria-expanded"), "false");
  await page.setViewportSize({ width: 1280, height: 800 });
});

test("admin creates a collection, uploads documents and sees them ingested", async () => {
  await nav(page).getByRole("link", { name: "Knowledge base" }).click();
  await page.getByRole("heading", { name: "Knowledge base" }).waitFor();
  await page.getByText("No collections yet.").waitFor();
  await page.getByRole("button", { name: "New collection" }).click();
  await page.getByLabel("Name").fill("Study skills");
  await page.getByLabel("Description").fill("How to study well");
  await page.getByLabel("Domain tags", { exact: true }).fill("study-skills, memory");
  await page.getByRole("button", { name: "Create collection" }).click();
  await page.getByRole("heading", { name: "Study skills" }).waitFor();

  // Drop a Markdown handbook, a PDF guide and a file the server cannot read onto the drop zone.
  const markdown = await readFile(FIXTURE, "utf8");
  const dataTransfer = await page.evaluateHandle(
    ([text, pdf]) => {
      const dt = new DataTransfer();
      dt.items.add(new File([text], "study-habits.md", { type: "text/markdown" }));
      const bytes = Uint8Array.from(atob(pdf), (c) => c.charCodeAt(0));
      dt.items.add(new File([bytes], "exam-guide.pdf", { type: "application/pdf" }));
      dt.items.add(new File(["\u0000\u0001binary"], "picture.bmp", { type: "image/bmp" }));
      return dt;
    },
    [markdown, EXAM_GUIDE.toString("base64")],
  );
  await page.locator(".dropzone").dispatchEvent("drop", { dataTransfer });
  const uploads = page.getByRole("list", { name: "Uploads" });
  for (const name of ["study-habits.md", "exam-guide.pdf"]) {
    await uploads.getByRole("listitem").filter({ hasText: name }).getByText(/Ready/).waitFor();
  }
  const rejected = uploads.getByRole("listitem").filter({ hasText: "picture.bmp" }).getByRole("alert");
  await rejected.waitFor();
  assert.match((await rejected.textContent()) ?? "", /can't be read|could not|TXT/i);
  for (const title of ["Study Habits Handbook", "Exam Preparation Guide"]) {
    const row = page.getByRole("row").filter({ hasText: title });
    await row.waitFor();
    assert.match((await row.textContent()) ?? "", /Ready/);
  }
  await screenshot(page, "03-knowledge-collection");
});

test("chat streams an answer, a citation opens the passage, thumbs down is stored, history lists it", async () => {
  const before = await stack.fake.requests();
  await nav(page).getByRole("link", { name: "Chat" }).click();
  // Record how the answer grows while it streams.
  await page.evaluate(() => {
    const seen = [];
    window.__answerLengths = seen;
    new MutationObserver(() => {
      const live = document.querySelector('article[aria-label="Coach is answering"] .markdown');
      const length = live?.textContent?.length ?? 0;
      if (length && length !== seen[seen.length - 1]) seen.push(length);
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  const question = "How many timed practice papers should I complete before the exam?";
  await page.getByLabel("Your question").fill(question);
  await page.getByRole("button", { name: "Send" }).click();
  await page.waitForURL(/\/chat\/[0-9a-f-]{36}/);
  conversationId = page.url().split("/").pop();
  const answer = page.getByRole("article", { name: "Coach answered" }).last();
  await answer.waitFor();
  const lengths = await page.evaluate(() => window.__answerLengths);
  assert.ok(lengths.length >= 3, `the answer arrived in pieces: ${JSON.stringify(lengths)}`);
  assert.ok(await stack.fake.requests() > before, "the coach asked the model");

  const chip = answer.locator(".cite-chip").first();
  await chip.waitFor();
  await screenshot(page, "04-chat-answer");
  await chip.click();
  const dialog = page.getByRole("dialog");
  await dialog.waitFor();
  const passage = (await dialog.textContent()) ?? "";
  assert.match(passage, /Exam Preparation Guide/);
  assert.match(passage, /Practice papers/);
  assert.match(passage, /page 2/);
  assert.match(passage, /three timed practice papers/);
  await screenshot(page, "05-citation");
  await dialog.getByRole("button", { name: "Close" }).click();

  await answer.getByRole("button", { name: "Not helpful" }).click();
  await answer.getByLabel("Missing source").check();
  await answer.getByLabel("Comment (optional)").fill("Please cite the marking scheme too.");
  await answer.getByRole("button", { name: "Send feedback" }).click();
  await answer.getByText("Thanks for the feedback.").waitFor();

  // The server has the answer as the model wrote it, with its citation and the rating.
  const stored = await api.call("GET", `/conversations/${conversationId}`);
  const reply = stored.messages.findLast((m) => m.role === "assistant");
  assert.equal(reply.kind, "generated");
  assert.equal(reply.model, "fake-model");
  assert.match(reply.content, /three timed practice papers.*\[1\]/);
  assert.equal(reply.citations[0].document_title, "Exam Preparation Guide");
  assert.equal(reply.citations[0].page_start, 2);
  assert.deepEqual(
    { rating: reply.feedback?.rating, reasons: reply.feedback?.reasons, comment: reply.feedback?.comment },
    { rating: "down", reasons: ["missing_source"], comment: "Please cite the marking scheme too." },
  );

  // After a reload the rating is still there, and the conversation is in the history.
  await page.reload();
  const reloaded = page.getByRole("article", { name: "Coach answered" }).last();
  await reloaded.waitFor();
  assert.equal(await reloaded.getByRole("button", { name: "Not helpful" }).getAttribute("aria-pressed"), "true");
  const history = page.getByRole("list", { name: "Conversations" });
  await history.getByRole("link", { name: /practice papers/ }).waitFor();
  await screenshot(page, "06-chat-history");
  await page.emulateMedia({ colorScheme: "dark" });
  await screenshot(page, "06-chat-history-dark");
  await page.emulateMedia({ colorScheme: "light" });
  await page.setViewportSize({ width: 375, height: 740 });
  await screenshot(page, "06-chat-history-375");
  await page.setViewportSize({ width: 1280, height: 800 });
});

test("the chat screen's render time is measured", async () => {
  assert.ok(conversationId, "the chat test left a conversation");
  // A new context: nothing cached. Signed in with the API's session.
  const context = await stack.browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.addCookies([api.cookieFor(stack.base)]);
  await context.addInitScript(() => {
    // Navigation start → the first message of the conversation in the page.
    new MutationObserver((_, observer) => {
      if (document.querySelector("article.message")) {
        window.__firstMessageAt = performance.now();
        observer.disconnect();
      }
    }).observe(document, { subtree: true, childList: true });
  });
  const timed = await context.newPage();
  watchConsole(timed, problems);
  const firstMessage = async () => {
    await timed.getByRole("article", { name: "You said" }).first().waitFor();
    return Math.round(await timed.evaluate(() => window.__firstMessageAt));
  };
  await timed.goto(`${stack.base}/chat/${conversationId}`);
  const cold = await firstMessage();
  await timed.reload();
  const warm = await firstMessage();
  // Measured and printed, not asserted: a timing depends on the machine (see docs/ARCHITECTURE.md).
  const verdict = cold < 1000 ? "within" : "OVER";
  console.log(
    `chat screen: first message visible ${cold} ms after navigation start (empty cache), ${warm} ms (reload)` +
      ` → ${verdict} the 1 s target`,
  );
  await context.close();
});

test("admin invites a learner, who accepts in another browser and sees no admin screens", async () => {
  await page.goto(`${stack.base}/admin/invitations`);
  await page.getByLabel("Email").fill("lee@example.org");
  await page.getByLabel("Role").selectOption("learner");
  await page.getByRole("button", { name: "Create invitation" }).click();
  const link = await page.getByRole("region", { name: /Invitation link/ }).getByRole("textbox").inputValue();
  assert.ok(link.startsWith(`${stack.base}/invite/`), link);
  await page.getByRole("cell", { name: "lee@example.org", exact: true }).waitFor();
  await screenshot(page, "07-admin-invitations");

  const learnerContext = await stack.browser.newContext({ viewport: { width: 375, height: 740 } });
  learnerContext.setDefaultTimeout(TIMEOUT);
  const learner = await learnerContext.newPage();
  watchConsole(learner, problems);
  await learner.goto(link);
  await learner.getByRole("heading", { name: "Join North High School" }).waitFor();
  await screenshot(learner, "08-invite-accept-375");
  await learner.getByLabel("Your name").fill("Lee Learner");
  await learner.getByLabel("Choose a password").fill("a sturdy learner passphrase 7");
  await learner.getByRole("button", { name: "Accept invitation" }).click();
  await learner.waitForURL(/\/chat/);
  await learner.getByLabel("Your question").waitFor();

  await learner.getByRole("button", { name: "Menu" }).click();
  await nav(learner).getByRole("link", { name: "Chat" }).waitFor();
  const names = await nav(learner).getByRole("link").allTextContents();
  assert.deepEqual(names.sort(), ["Chat", "My learning", "My progress", "Profile"]);
  await screenshot(learner, "09-learner-chat-375");
  for (const path of ["/admin", "/knowledge", "/coach", "/programs", "/questions"]) {
    await learner.goto(`${stack.base}${path}`);
    await learner.waitForURL(/\/chat/);
  }

  // Hiding screens is a courtesy; the server is what refuses. Same session as the browser's.
  const session = (await learnerContext.cookies()).find((c) => c.name === "wayfinder_session");
  assert.ok(session, "the learner's browser holds a session cookie");
  const lee = new ApiClient(stack.base);
  lee.cookie = `${session.name}=${session.value}`;
  const me = await lee.call("GET", "/me"); // also gives the session's CSRF token
  assert.equal(me.person.email, "lee@example.org");
  assert.ok(lee.csrf, "changes are sent with the session's CSRF token");
  for (const [method, path, body] of [
    ["GET", `/orgs/${org.id}/invitations`],
    ["POST", `/orgs/${org.id}/invitations`, { email: "mallory@example.org", role: "admin" }],
    ["POST", `/orgs/${org.id}/collections`, { name: "Sneaky" }],
    ["PUT", `/orgs/${org.id}/budget`, { org_daily_tokens: null, org_daily_cost: null, person_daily_tokens: null, person_daily_cost: null }],
    ["POST", `/orgs/${org.id}/coaches`, { name: "Sneaky coach" }],
  ]) {
    await assert.rejects(
      lee.call(method, path, body),
      (err) => err.status === 403 && err.body?.error?.code === "forbidden",
      `${method} ${path} is refused for a learner`,
    );
  }
  await learnerContext.close();
});

test("profile shows sessions and creates an API token shown once", async () => {
  await page.goto(`${stack.base}/profile`);
  await page.getByRole("heading", { name: "Where you're signed in" }).waitFor();
  await page.getByText("this device", { exact: true }).waitFor();
  await page.getByLabel("Token name").fill("reporting script");
  await page.getByRole("button", { name: "Create token" }).click();
  const secret = await page.getByRole("region", { name: /Secret for/ }).getByRole("textbox").inputValue();
  assert.match(secret, /^wft_/);
  await page.getByRole("button", { name: "Revoke token reporting script" }).waitFor();
  await screenshot(page, "10-profile");
});

test("coach settings save a coach", async () => {
  await page.goto(`${stack.base}/coach`);
  await page.getByRole("heading", { name: "Coach settings" }).waitFor();
  await page.getByRole("button", { name: "New coach" }).click();
  const form = page.getByRole("form", { name: "New coach" });
  await form.getByLabel("Name").fill("Study buddy");
  await form.getByLabel("Instructions").fill("Help learners study; hint before telling.");
  await form.getByLabel(/Socratic/).check();
  await form.getByLabel("Study skills").check();
  await form.getByRole("button", { name: "Create coach" }).click();
  await page.getByRole("navigation", { name: "Coaches" }).getByRole("button", { name: /Study buddy/ }).waitFor();
  const coaches = (await api.call("GET", `/orgs/${org.id}/coaches`)).coaches;
  const buddy = coaches.find((c) => c.name === "Study buddy");
  assert.equal(buddy?.style, "socratic");
  assert.equal(buddy?.collections.length, 1);
  await screenshot(page, "11-coach-settings");
});

test("conversation sidebar: search, rename, share and revoke, archive, delete", async () => {
  await page.goto(`${stack.base}/chat`);
  await page.getByLabel("Your question").fill("What are Cornell notes?");
  await page.getByLabel("Your question").press("Enter");
  await page.getByRole("article", { name: "Coach answered" }).last().locator(".cite-chip").first().waitFor();
  const history = page.getByRole("list", { name: "Conversations" });

  await page.getByLabel("Search conversations").fill("cornell");
  await history.getByRole("link", { name: /Cornell/ }).waitFor();
  await history.getByRole("link", { name: /practice papers/ }).waitFor({ state: "detached" });
  await page.getByLabel("Search conversations").fill("");
  await history.getByRole("link", { name: /practice papers/ }).waitFor();

  const item = () => history.getByRole("listitem").filter({ hasText: /Cornell/ });
  await item().getByText("⋯").click();
  await item().getByRole("button", { name: "Rename" }).click();
  await page.getByRole("dialog").getByLabel("Title").fill("Note-taking methods");
  await page.getByRole("dialog").getByRole("button", { name: "Save" }).click();
  await history.getByRole("link", { name: /Note-taking methods/ }).waitFor();
  await page.getByRole("heading", { name: "Note-taking methods" }).waitFor();

  const renamed = () => history.getByRole("listitem").filter({ hasText: "Note-taking methods" });
  await renamed().getByText("⋯").click();
  await renamed().getByRole("button", { name: "Share…" }).click();
  const share = page.getByRole("dialog");
  await share.getByRole("button", { name: "Create link" }).click();
  const link = await share.getByRole("region", { name: "Share link" }).getByRole("textbox").inputValue();
  assert.ok(link.startsWith(`${stack.base}/shared/`), link);
  const reader = await stack.browser.newContext();
  const readerPage = await reader.newPage();
  watchConsole(readerPage, problems);
  await readerPage.goto(link);
  await readerPage.getByRole("heading", { name: "Note-taking methods" }).waitFor();
  await readerPage.getByText("Shared conversation (read-only)").waitFor();
  assert.equal(await readerPage.getByLabel("Your question").count(), 0);
  await screenshot(readerPage, "12-shared-conversation");
  await share.getByRole("button", { name: "Stop sharing" }).click();
  await share.waitFor({ state: "hidden" });
  await readerPage.reload();
  await readerPage.getByRole("heading", { name: "This link does not work" }).waitFor();
  await reader.close();

  await renamed().getByText("⋯").click();
  await renamed().getByRole("button", { name: "Archive" }).click();
  await renamed().waitFor({ state: "detached" });
  await page.getByLabel("Show archived").check();
  await renamed().waitFor();
  await renamed().getByText("⋯").click();
  await renamed().getByRole("button", { name: "Delete" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Delete" }).click();
  await renamed().waitFor({ state: "detached" });
  await page.getByText("No archived conversations.").waitFor();
  await page.getByLabel("Show archived").uncheck();
});

test("chat explains refusals, stops, model failures and budgets", async () => {
  await page.goto(`${stack.base}/chat`);
  const ask = async (text) => {
    await page.getByLabel("Your question").fill(text);
    await page.getByRole("button", { name: "Send" }).click();
  };
  const answers = page.getByRole("article", { name: "Coach answered" });

  // Nothing in the knowledge base about it: a labelled refusal, without asking the model.
  const before = await stack.fake.requests();
  await ask("zebra quantum xylophone");
  await answers.first().getByText("No answer").waitFor();
  assert.equal(await stack.fake.requests(), before, "a refusal needs no model");

  // A slow answer stopped part-way is kept, marked, and can be retried.
  await stack.fake.queue({ chunk_delay_ms: 400 });
  await ask("How long is a Pomodoro block?");
  await page.locator('article[aria-label="Coach is answering"] .markdown').waitFor();
  await page.getByRole("button", { name: "Stop" }).click();
  await page.getByText("This answer stopped before it finished.").waitFor();
  await page.getByRole("button", { name: "Retry" }).click();
  await page.getByRole("button", { name: "Stop" }).waitFor();
  await page.getByRole("button", { name: "Send" }).waitFor({ timeout: 20_000 });
  await answers.nth(2).locator(".cite-chip").first().waitFor();
  assert.equal(await answers.count(), 3);

  // The model breaks off mid-answer: what arrived is kept, marked, and the reason is given.
  await stack.fake.queue({ break_after: ["Spaced repetition means ", "reviewing at growing "] });
  await ask("What does spaced repetition mean?");
  await page.getByText("The AI model stopped part-way through the answer. Try again.").waitFor();
  await answers.nth(3).getByText("This answer stopped before it finished.").waitFor();
  assert.match((await answers.nth(3).textContent()) ?? "", /reviewing at growing/);

  // The model refuses the request outright: an error answer with Retry, which then works.
  await stack.fake.queue({ status: 400 });
  await ask("How should I lay out Cornell notes?");
  await answers.nth(4).getByText("Something went wrong").waitFor();
  await answers.nth(4).getByText(/The AI service could not handle this request/).waitFor();
  await screenshot(page, "13-chat-error");
  await answers.nth(4).getByRole("button", { name: "Retry" }).click();
  await answers.nth(5).locator(".cite-chip").first().waitFor();

  // Over the daily budget: refused before any answer, in words, and nothing is stored.
  const unlimited = { org_daily_tokens: null, org_daily_cost: null, person_daily_tokens: null, person_daily_cost: null };
  await api.call("PUT", `/orgs/${org.id}/budget`, { ...unlimited, org_daily_tokens: 1 });
  try {
    await ask("What should I bring on the day of the exam?");
    await page.getByRole("alert").filter({ hasText: /budget/i }).waitFor();
    await screenshot(page, "14-chat-budget");
    assert.equal(await answers.count(), 6);
  } finally {
    await api.call("PUT", `/orgs/${org.id}/budget`, unlimited);
  }
});

test("what is typed while an answer streams stays for the next question", async () => {
  await page.goto(`${stack.base}/chat`);
  const box = page.getByLabel("Your question");
  await stack.fake.queue({ chunk_delay_ms: 300 });
  await box.fill("How long is a Pomodoro block?");
  await page.getByRole("button", { name: "Send" }).click();
  await page.getByRole("button", { name: "Stop" }).waitFor();
  await box.fill("And how long is the break after it?");
  // The answer finishes: the box keeps the next question, ready to send.
  await page.getByRole("button", { name: "Send" }).waitFor({ timeout: 20_000 });
  await page.getByRole("article", { name: "Coach answered" }).last().locator(".cite-chip").first().waitFor();
  assert.equal(await box.inputValue(), "And how long is the break after it?");
  assert.equal(await page.getByRole("button", { name: "Send" }).isEnabled(), true);
});
