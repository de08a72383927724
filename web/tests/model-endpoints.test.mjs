// Browser tests of an organisation's own AI models (Organisation → AI models)
// against the real server, with the organisation's "own account" played by a
// small OpenAI-compatible server in this file: it answers chat completions
// (streamed and not) and embeddings, and keeps, for every request, the
// Authorization header and the model asked for. The stack's fake chat model
// stays the instance's model.
//
// Both cards start on the instance's model. The administrator points the chat
// model at the organisation's endpoint with an API key: the card then shows
// the address, the model and the key's last four characters, and the key is
// nowhere in the page, not even after a reload. A learner asks the coach in
// the chat screen: every request goes to the organisation's endpoint with
// `Bearer <key>` and the chosen model, none to the instance's model, and the
// learner reads its answer. The administrator replaces the key, and the next
// question carries the new one; "Remove stored key" has the next one sent with
// no key at all. An address that is not http(s) is refused beside its field.
// "Stop using this endpoint" (asked first) returns the card to the instance's
// model, and the coach's next answer comes from it. Saving an embedding
// endpoint asks first (every collection is embedded again): cancelled, nothing
// changes; confirmed, the collection is embedded at the organisation's
// endpoint with its key; a new key for the same model is saved without asking. A coach sees no Organisation area, and the API refuses
// them. Run with `npm run test:e2e` (WAYFINDER_BIN names the binary).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  ApiClient,
  WEB_ROOT,
  closeAndCheckProblems,
  eventually,
  focusedIsInvalid,
  openPage,
  screenshot,
  setUpOrganisation,
  startStack,
  threeScreenshots,
} from "./lib/harness.mjs";

const TIMEOUT = 30_000;
const OPERATOR = { email: "ola@example.org", password: "correct horse battery staple 42", name: "Ola Operator" };
const LEARNER = { email: "lena@example.org", password: "a sturdy learner passphrase 7", name: "Lena Learner" };
const COACH = { email: "cora@example.org", password: "a patient coach passphrase 3", name: "Cora Coach" };
const FIXTURE = join(WEB_ROOT, "tests", "fixtures", "study-habits.md");
const CHAT_MODEL = "northfield-gpt-4o";
const EMBEDDING_MODEL = "northfield-embed-small";
const KEY = "sk-test-northfield-first-key-1234";
const NEW_KEY = "sk-test-northfield-second-key-9876";
const EMBEDDING_KEY = "sk-test-northfield-embedding-key-5555";
/** What the organisation's own model says, so the learner's page shows where the answer came from. */
const OWN_ANSWER = "Your organisation's own model says: review at increasing intervals, after one day, then three. [1]";
const QUESTION = "How does spaced repetition work?";

let stack;
let own; // the organisation's own OpenAI-compatible service
let api; // the operator, an administrator of the organisation
let org;
let collection;
let lena; // the learner's API client and id
const problems = [];

/** The text of a chat request's system prompt and its last user message. */
function promptOf(body) {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const text = (m) => (typeof m?.content === "string" ? m.content : JSON.stringify(m?.content ?? ""));
  return {
    system: text(messages.find((m) => m.role === "system")),
    user: text(messages.findLast((m) => m.role === "user")),
  };
}

/** What the model answers to a request the coach makes besides the answer itself (as the stack's fake does). */
function helperReply({ system, user }) {
  if (system.startsWith("You rewrite the latest message")) {
    const latest = user.split("Latest message:")[1];
    return latest ? latest.split("\n\n")[0].trim() : user;
  }
  if (system.startsWith("You sort a learner's question")) return "none";
  return OWN_ANSWER;
}

/**
 * An OpenAI-compatible service on a free port: `POST /v1/chat/completions` (streamed as
 * server-sent events, or not) and `POST /v1/embeddings` (small made-up vectors). Every request is
 * kept as `{ path, authorization, model, stream }`.
 */
async function startOwnModel() {
  const requests = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", async () => {
      let body = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
      } catch {
        res.writeHead(400, { "content-type": "application/json" }).end('{"error":{"message":"not JSON"}}');
        return;
      }
      const path = new URL(req.url, "http://localhost").pathname;
      requests.push({ path, authorization: req.headers.authorization ?? null, model: body.model, stream: !!body.stream });
      const created = Math.floor(Date.now() / 1000);
      if (req.method === "POST" && path === "/v1/embeddings") {
        const inputs = Array.isArray(body.input) ? body.input : [body.input];
        const vector = (text) => {
          const v = Array.from({ length: 8 }, (_, i) => 1 + ((String(text).charCodeAt(i % String(text).length || 0) || 7) % 13));
          return v.map((x, i) => x / (i + 1));
        };
        const data = inputs.map((text, index) => ({ object: "embedding", index, embedding: vector(text) }));
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ object: "list", data, model: body.model, usage: { prompt_tokens: 1, total_tokens: 1 } }));
        return;
      }
      if (req.method !== "POST" || path !== "/v1/chat/completions") {
        res.writeHead(404, { "content-type": "application/json" }).end('{"error":{"message":"not found"}}');
        return;
      }
      const reply = helperReply(promptOf(body));
      const id = `chatcmpl-own-${requests.length}`;
      if (!body.stream) {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            id,
            object: "chat.completion",
            created,
            model: body.model,
            choices: [{ index: 0, message: { role: "assistant", content: reply }, finish_reason: "stop" }],
            usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 },
          }),
        );
        return;
      }
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      const chunk = (delta, finish = null, extra = {}) =>
        `data: ${JSON.stringify({
          id,
          object: "chat.completion.chunk",
          created,
          model: body.model,
          choices: delta ? [{ index: 0, delta, finish_reason: finish }] : [],
          ...extra,
        })}\n\n`;
      res.write(chunk({ role: "assistant", content: "" }));
      for (const word of reply.split(/(?<= )/)) {
        res.write(chunk({ content: word }));
        await new Promise((r) => setTimeout(r, 10));
      }
      res.write(chunk({}, "stop"));
      if (body.stream_options?.include_usage) {
        res.write(chunk(null, null, { usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 } }));
      }
      res.end("data: [DONE]\n\n");
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    apiRoot: `http://127.0.0.1:${server.address().port}/v1`,
    requests,
    chatRequests: () => requests.filter((r) => r.path === "/v1/chat/completions"),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(resolve);
      }),
  };
}

const signedInPage = (person) => openPage(stack, { person, problems, timeout: TIMEOUT });
const nav = (p) => p.getByRole("navigation", { name: "Main" });
const endpointsNow = () => api.call("GET", `/orgs/${org.id}/model-endpoints`);

/** The operator's page on Organisation → AI models, with its two cards. */
async function modelSettings() {
  const page = await signedInPage(OPERATOR);
  await nav(page).getByRole("link", { name: "Organisation" }).click();
  await page.getByRole("navigation", { name: "Organisation sections" }).getByRole("link", { name: "AI models" }).click();
  await page.waitForURL(/\/admin\/models$/);
  const section = page.getByRole("region", { name: "AI models" });
  const chat = section.getByRole("region", { name: "Chat model" });
  const embedding = section.getByRole("region", { name: "Embedding model" });
  await chat.waitFor();
  return { page, section, chat, embedding };
}

/** Fails if any key appears anywhere in the page: its markup, or what is typed in its fields. */
async function assertNoKeyIn(page, keys = [KEY, NEW_KEY, EMBEDDING_KEY]) {
  const html = await page.content();
  const typed = await page.evaluate(() => [...document.querySelectorAll("input, textarea")].map((el) => el.value));
  for (const key of keys) {
    assert.ok(!html.includes(key), "the key is not in the page");
    assert.ok(!typed.includes(key), "the key is in no field");
  }
}

/** The learner asks `question` in a new conversation of the chat screen; answers the coach's answer's text. */
async function learnerAsks(question) {
  const chat = await signedInPage(LEARNER);
  await chat.getByLabel("Your question").fill(question);
  await chat.getByRole("button", { name: "Send" }).click();
  const answer = chat.getByRole("article", { name: "Coach answered" }).last();
  await answer.waitFor();
  const text = await answer.locator(".bubble").textContent();
  return { chat, text };
}

/** The chat requests the organisation's endpoint and the instance's model got while `turn` ran. */
async function requestsDuring(turn) {
  const ownBefore = own.chatRequests().length;
  const instanceBefore = await stack.fake.requests();
  const result = await turn();
  return {
    ...result,
    ownRequests: own.chatRequests().slice(ownBefore),
    instanceRequests: (await stack.fake.requests()) - instanceBefore,
  };
}

before(async () => {
  own = await startOwnModel();
  stack = await startStack();
  ({ api, org } = await setUpOrganisation(stack, OPERATOR, { name: "Northfield School", slug: "northfield" }));
  lena = await api.inviteAndAccept(org.id, LEARNER, "learner");
  await api.inviteAndAccept(org.id, COACH, "coach");
  // A document, so the coach has sources to answer from.
  collection = await api.call("POST", `/orgs/${org.id}/collections`, { name: "Study habits" });
  await api.upload(org.id, collection.id, "study-habits.md", await readFile(FIXTURE, "utf8"));
});

after(() => closeAndCheckProblems(problems, [stack, own]));

test("an administrator points the chat model at the organisation's endpoint; the key is never shown", async () => {
  assert.deepEqual(await endpointsNow(), [], "the organisation starts on the instance's models");
  const { page, section, chat, embedding } = await modelSettings();
  for (const card of [chat, embedding]) {
    await card.getByText("Using the instance's model.").waitFor();
    assert.equal(await card.getByRole("button", { name: "Stop using this endpoint" }).count(), 0);
    assert.equal(await card.getByLabel("Remove stored key").count(), 0, "no key to remove yet");
  }
  assert.match(await chat.textContent(), /coach's answers, practice questions and grading go to this endpoint/);
  assert.match(await embedding.textContent(), /embeds every collection again, in the background/);

  const form = chat.getByRole("form", { name: "Chat model endpoint" });
  await form.getByLabel("Base URL").fill(own.apiRoot);
  await form.getByLabel("Model", { exact: true }).fill(CHAT_MODEL);
  const key = form.getByLabel("API key", { exact: true });
  assert.equal(await key.getAttribute("type"), "password", "the key is typed unseen");
  await key.fill(KEY);
  await form.getByRole("button", { name: "Save" }).click();
  await chat.getByRole("status").filter({ hasText: `Saved. The coach uses ${CHAT_MODEL} at ${own.apiRoot}.` }).waitFor();

  // The card shows what is in use: the address, the model and the key's last four characters.
  await chat.getByText("Using your endpoint.").waitFor();
  const facts = chat.locator("dl");
  assert.match(await facts.textContent(), new RegExp(`Address${own.apiRoot.replace(/[./]/g, "\\$&")}`));
  assert.match(await facts.textContent(), new RegExp(`Model${CHAT_MODEL}`));
  await chat.getByText("••••1234", { exact: true }).waitFor();
  assert.match(await facts.textContent(), /Last changed.* by Ola Operator/);
  await chat.getByText("Your endpoint", { exact: true }).waitFor();
  // The key field is empty again and says so; the stored key can be removed.
  assert.equal(await key.inputValue(), "");
  assert.equal(await key.getAttribute("placeholder"), "Leave empty to keep the stored key");
  await form.getByLabel("Remove stored key").waitFor();
  await chat.getByRole("button", { name: "Stop using this endpoint" }).waitFor();
  // Nothing changed since: nothing to save.
  assert.equal(await form.getByRole("button", { name: "Save" }).isDisabled(), true);
  await assertNoKeyIn(page);

  // The server keeps it, and shows only the last four characters.
  const [saved] = await endpointsNow();
  assert.equal(saved.kind, "chat");
  assert.equal(saved.base_url, own.apiRoot);
  assert.equal(saved.model, CHAT_MODEL);
  assert.equal(saved.api_key_set, true);
  assert.equal(saved.api_key_hint, "1234");
  assert.ok(!JSON.stringify(saved).includes(KEY), "the API never answers the key");
  await threeScreenshots(page, "models-01-chat-endpoint", () => section.scrollIntoViewIfNeeded());

  // After a reload, the same: the key's last characters and nothing more.
  await page.reload();
  await chat.getByText("••••1234", { exact: true }).waitFor();
  assert.equal(await form.getByLabel("Base URL").inputValue(), own.apiRoot);
  assert.equal(await form.getByLabel("Model", { exact: true }).inputValue(), CHAT_MODEL);
  assert.equal(await key.inputValue(), "");
  await assertNoKeyIn(page);
  await page.context().close();
});

test("a learner's question goes to the organisation's endpoint, with its key and model", async () => {
  const { chat, text, ownRequests, instanceRequests } = await requestsDuring(() => learnerAsks(QUESTION));
  assert.ok(ownRequests.length > 0, "the coach asked the organisation's model");
  assert.ok(ownRequests.some((r) => r.stream), "the answer was streamed from it");
  for (const request of ownRequests) {
    assert.equal(request.authorization, `Bearer ${KEY}`, "sent with the organisation's key");
    assert.equal(request.model, CHAT_MODEL, "asking for the organisation's model");
  }
  assert.equal(instanceRequests, 0, "nothing went to the instance's model");
  assert.match(text, /Your organisation's own model says: review at increasing intervals/);
  // The stored answer names the model that wrote it.
  const conversationId = chat.url().split("/").pop();
  const stored = await lena.client.call("GET", `/conversations/${conversationId}`);
  assert.equal(stored.messages.findLast((m) => m.role === "assistant").model, CHAT_MODEL);
  await screenshot(chat, "models-02-learner-answer");
  await chat.context().close();
});

test("a replaced key is used from the next question on; a removed one is sent no more", async () => {
  const { page, chat } = await modelSettings();
  const form = chat.getByRole("form", { name: "Chat model endpoint" });
  await chat.getByText("••••1234", { exact: true }).waitFor();
  await form.getByLabel("API key", { exact: true }).fill(NEW_KEY);
  await form.getByRole("button", { name: "Save" }).click();
  await chat.getByRole("status").filter({ hasText: "Saved." }).waitFor();
  await chat.getByText("••••9876", { exact: true }).waitFor();
  assert.equal(await chat.getByText("••••1234").count(), 0, "the old key's hint is gone");
  assert.equal(await form.getByLabel("API key", { exact: true }).inputValue(), "");
  await assertNoKeyIn(page);
  const [rotated] = await endpointsNow();
  assert.equal(rotated.api_key_hint, "9876");
  assert.equal(rotated.base_url, own.apiRoot, "the address is kept");

  const second = await requestsDuring(() => learnerAsks("What is the Pomodoro technique?"));
  assert.ok(second.ownRequests.length > 0, "the coach asked the organisation's model");
  for (const request of second.ownRequests) {
    assert.equal(request.authorization, `Bearer ${NEW_KEY}`, "the new key, not the old one");
    assert.equal(request.model, CHAT_MODEL);
  }
  assert.equal(second.instanceRequests, 0);
  await second.chat.context().close();

  // "Remove stored key": the key field is off while it is ticked, and the endpoint is then used without a key.
  const remove = form.getByLabel("Remove stored key");
  await remove.check();
  assert.equal(await form.getByLabel("API key", { exact: true }).isDisabled(), true);
  await form.getByRole("button", { name: "Save" }).click();
  await chat.getByRole("status").filter({ hasText: "Saved." }).waitFor();
  await chat.locator("dl").getByText("None stored").waitFor();
  assert.equal(await form.getByLabel("Remove stored key").count(), 0, "no key left to remove");
  assert.equal(await form.getByLabel("API key", { exact: true }).getAttribute("placeholder"), null);
  const [keyless] = await endpointsNow();
  assert.equal(keyless.api_key_set, false);
  const third = await requestsDuring(() => learnerAsks("How do Cornell notes work?"));
  assert.ok(third.ownRequests.length > 0);
  for (const request of third.ownRequests) assert.equal(request.authorization, null, "no key sent");
  await third.chat.context().close();

  // The key back, for what follows.
  await form.getByLabel("API key", { exact: true }).fill(NEW_KEY);
  await form.getByRole("button", { name: "Save" }).click();
  await chat.getByText("••••9876", { exact: true }).waitFor();
  await assertNoKeyIn(page);
  await page.context().close();
});

test("an address that is not http(s) is refused beside its field", async () => {
  const { page, chat } = await modelSettings();
  const form = chat.getByRole("form", { name: "Chat model endpoint" });
  const baseUrl = form.getByLabel("Base URL");
  await baseUrl.fill("ftp://x");
  await form.getByRole("button", { name: "Save" }).click();
  await focusedIsInvalid(page);
  assert.equal(await baseUrl.evaluate((el) => el === document.activeElement), true, "the address field has the focus");
  const errorId = (await baseUrl.getAttribute("aria-describedby")).split(" ")[0];
  const refusal = page.locator(`[id="${errorId}"]`);
  assert.match(await refusal.textContent(), /absolute http\(s\) address/);
  // Beside the field: in the same field block, right under the input.
  assert.equal(await refusal.evaluate((el) => el.previousElementSibling?.getAttribute("type")), "url");
  assert.equal(await form.getByRole("alert").count(), 0, "no general error note: the field says it");
  await threeScreenshots(page, "models-03-refused-address", () => chat.scrollIntoViewIfNeeded());
  const [unchanged] = await endpointsNow();
  assert.equal(unchanged.base_url, own.apiRoot, "nothing was saved");

  // Typing again clears the refusal.
  await baseUrl.fill(own.apiRoot);
  await refusal.waitFor({ state: "detached" });
  assert.equal(await baseUrl.getAttribute("aria-invalid"), null);
  await page.context().close();
});

test("Stop using this endpoint returns to the instance's model", async () => {
  const { page, chat } = await modelSettings();
  await chat.getByRole("button", { name: "Stop using this endpoint" }).click();
  const dialog = page.getByRole("dialog", { name: "Stop using your chat model endpoint?" });
  await dialog.getByText(/go to the instance's model/).waitFor();
  await screenshot(page, "models-04-stop-confirm");
  // Cancelled: nothing changes.
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await dialog.waitFor({ state: "hidden" });
  assert.equal((await endpointsNow()).length, 1);

  await chat.getByRole("button", { name: "Stop using this endpoint" }).click();
  await dialog.getByRole("button", { name: "Stop using this endpoint" }).click();
  await dialog.waitFor({ state: "hidden" });
  await chat.getByRole("status").filter({ hasText: "the coach uses the instance's model again" }).waitFor();
  await chat.getByText("Using the instance's model.").waitFor();
  await chat.getByText("Instance's model", { exact: true }).waitFor();
  assert.equal(await chat.getByRole("button", { name: "Stop using this endpoint" }).count(), 0);
  // The form starts afresh, and the focus is on the card.
  const form = chat.getByRole("form", { name: "Chat model endpoint" });
  assert.equal(await form.getByLabel("Base URL").inputValue(), "");
  assert.equal(await form.getByLabel("Remove stored key").count(), 0);
  assert.equal(await chat.getByRole("heading", { name: "Chat model" }).evaluate((el) => el === document.activeElement), true);
  assert.deepEqual(await endpointsNow(), []);
  await screenshot(page, "models-05-stopped");
  await page.context().close();

  // The next question is answered by the instance's model, and the organisation's gets nothing.
  const back = await requestsDuring(() => learnerAsks(QUESTION));
  assert.equal(back.ownRequests.length, 0, "nothing went to the organisation's endpoint");
  assert.ok(back.instanceRequests > 0, "the instance's model answered");
  assert.doesNotMatch(back.text, /organisation's own model/);
  await back.chat.context().close();
});

test("saving an embedding endpoint asks first, then embeds the collections with it", async () => {
  const { page, embedding } = await modelSettings();
  const form = embedding.getByRole("form", { name: "Embedding model endpoint" });
  await form.getByLabel("Base URL").fill(own.apiRoot);
  await form.getByLabel("Model", { exact: true }).fill(EMBEDDING_MODEL);
  await form.getByLabel("API key", { exact: true }).fill(EMBEDDING_KEY);
  await form.getByRole("button", { name: "Save" }).click();
  const dialog = page.getByRole("dialog", { name: "Embed every collection again?" });
  await dialog.getByText(EMBEDDING_MODEL).waitFor();
  assert.match(await dialog.textContent(), /embedded again .* in the background/);
  await threeScreenshots(page, "models-06-embedding-confirm", async () => {});

  // Cancelled: nothing is saved.
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await dialog.waitFor({ state: "hidden" });
  assert.deepEqual(await endpointsNow(), []);

  await form.getByRole("button", { name: "Save" }).click();
  await dialog.getByRole("button", { name: "Save and embed again" }).click();
  await dialog.waitFor({ state: "hidden" });
  await embedding
    .getByRole("status")
    .filter({ hasText: `Your collections are being embedded again with ${EMBEDDING_MODEL}` })
    .waitFor();
  await embedding.getByText("••••5555", { exact: true }).waitFor();
  await assertNoKeyIn(page);
  const [saved] = await endpointsNow();
  assert.equal(saved.kind, "embedding");
  assert.equal(saved.model, EMBEDDING_MODEL);

  // The collection is embedded at the organisation's endpoint, with its key.
  await eventually(
    () => own.requests.some((r) => r.path === "/v1/embeddings"),
    "the collection to be embedded at the organisation's endpoint",
  );
  for (const request of own.requests.filter((r) => r.path === "/v1/embeddings")) {
    assert.equal(request.authorization, `Bearer ${EMBEDDING_KEY}`);
    assert.equal(request.model, EMBEDDING_MODEL);
  }
  const embedded = await eventually(async () => {
    const found = (await api.call("GET", `/orgs/${org.id}/collections`)).find((c) => c.id === collection.id);
    return found?.embedding_model?.includes(EMBEDDING_MODEL) ? found : null;
  }, "the collection to use the organisation's embedding model");
  assert.match(embedded.embedding_model, new RegExp(EMBEDDING_MODEL));

  // A new key for the same model embeds nothing again: it is saved without asking.
  await form.getByLabel("API key", { exact: true }).fill(NEW_KEY);
  await form.getByRole("button", { name: "Save" }).click();
  await embedding.getByRole("status").filter({ hasText: `Your collections are searched with ${EMBEDDING_MODEL}` }).waitFor();
  assert.equal(await dialog.isVisible(), false, "nothing asked");
  await embedding.getByText("••••9876", { exact: true }).waitFor();
  await assertNoKeyIn(page);

  // Stopped (asked first), the card is back on the instance's model.
  await embedding.getByRole("button", { name: "Stop using this endpoint" }).click();
  const stop = page.getByRole("dialog", { name: "Stop using your embedding model endpoint?" });
  await stop.getByRole("button", { name: "Stop using this endpoint" }).click();
  await stop.waitFor({ state: "hidden" });
  await embedding.getByText("Using the instance's model.").waitFor();
  assert.deepEqual(await endpointsNow(), []);
  await page.context().close();
});

test("a coach sees no AI models settings, and the API refuses them", async () => {
  const page = await signedInPage(COACH);
  assert.equal(await nav(page).getByRole("link", { name: "Organisation" }).count(), 0, "no Organisation area");
  await page.goto(`${stack.base}/admin/models`);
  await page.waitForURL(/\/chat/);
  assert.equal(await page.getByRole("link", { name: "AI models" }).count(), 0);
  assert.equal(await page.getByRole("region", { name: "AI models" }).count(), 0);
  await page.context().close();

  const coach = new ApiClient(stack.base);
  await coach.signIn(COACH.email, COACH.password);
  for (const [method, path, body] of [
    ["GET", `/orgs/${org.id}/model-endpoints`],
    ["PUT", `/orgs/${org.id}/model-endpoints/chat`, { base_url: own.apiRoot, model: CHAT_MODEL, api_key: KEY }],
    ["DELETE", `/orgs/${org.id}/model-endpoints/chat`],
  ]) {
    await assert.rejects(coach.call(method, path, body), (err) => err.status === 403 && err.body?.error?.code === "forbidden");
  }
  assert.deepEqual(await endpointsNow(), [], "the coach changed nothing");
});
