#!/usr/bin/env node
// DEVELOPMENT AND TEST ONLY — never shipped (dist/ does not contain it).
//
// A small front for a running `wayfinder serve`:
//   * proxies /api, /healthz and /readyz to the real server (WAYFINDER_URL);
//   * with --static DIR, serves the built app from DIR with the SPA fallback
//     the binary will have (unknown non-API paths → index.html), so the
//     browser tests can run before the binary embeds dist/;
//   * with --mock-coach, answers the coach contract endpoints (coaches,
//     conversations, streamed messages, feedback, sharing) from memory, until
//     the server has them. Answers are extractive: built from the real
//     server's search results for the question, so citations point at real
//     chunks. Questions containing "#error" fail mid-stream, "#budget" is
//     refused with 429, "#slow" streams slowly (to try Stop).
//
// Usage: WAYFINDER_URL=http://127.0.0.1:8099 node dev/mock-server.mjs [--port 8098] [--static dist] [--mock-coach]
// Prints "listening on http://127.0.0.1:PORT" when ready (port 0 picks a free one).

import http from "node:http";
import { randomUUID } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize, resolve } from "node:path";

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};
const upstream = new URL(process.env.WAYFINDER_URL ?? "http://127.0.0.1:8099");
const port = Number(option("--port", process.env.MOCK_PORT ?? "8098"));
const staticDir = flag("--static") ? resolve(option("--static", "dist")) : null;
const mockCoach = flag("--mock-coach");

// ---------- proxy ----------
function proxy(req, res, body) {
  const headers = { ...req.headers, host: upstream.host };
  const out = http.request(
    { hostname: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers },
    (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    },
  );
  out.on("error", () => sendJson(res, 502, { error: { code: "internal", message: "the Wayfinder server is not running" } }));
  if (body !== undefined) out.end(body);
  else req.pipe(out);
}

/** Calls the real API with the caller's credentials. */
async function upstreamJson(req, method, path, body) {
  const headers = { accept: "application/json" };
  for (const h of ["cookie", "authorization", "x-csrf-token", "user-agent"]) if (req.headers[h]) headers[h] = req.headers[h];
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(new URL(`/api/v1${path}`, upstream), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

// ---------- static files ----------
const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".json": "application/json",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
};
async function serveStatic(req, res) {
  const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
  let file = normalize(join(staticDir, path));
  if (!file.startsWith(staticDir)) return sendJson(res, 404, { error: { code: "not_found", message: "page not found" } });
  let found = false;
  try {
    found = (await stat(file)).isFile();
  } catch {
    found = false;
  }
  const isAsset = path.startsWith("/assets/");
  if (!found) {
    if (isAsset) return sendJson(res, 404, { error: { code: "not_found", message: "asset not found" } });
    file = join(staticDir, "index.html");
  }
  const bytes = await readFile(file);
  res.writeHead(200, {
    "content-type": TYPES[extname(file)] ?? "application/octet-stream",
    "cache-control": isAsset ? "public, max-age=31536000, immutable" : "no-cache",
  });
  res.end(bytes);
}

// ---------- the mocked coach contract ----------
const coaches = new Map();
const conversations = new Map();
const messages = new Map(); // conversation id → Message[]
const shares = new Map(); // token → conversation id
const now = () => new Date().toISOString();

function sendJson(res, status, body) {
  if (res.headersSent) return;
  res.writeHead(status, { "content-type": "application/json" });
  res.end(body === undefined ? "" : JSON.stringify(body));
}
const fail = (res, status, code, message, field) => sendJson(res, status, { error: { code, message, ...(field ? { field } : {}) } });

async function readBody(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const text = Buffer.concat(chunks).toString("utf8");
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

async function caller(req, res) {
  const me = await upstreamJson(req, "GET", "/me");
  if (me.status !== 200) {
    sendJson(res, me.status, me.body);
    return null;
  }
  const mutation = !["GET", "HEAD"].includes(req.method);
  if (mutation && me.body.authenticated_by === "session" && req.headers["x-csrf-token"] !== me.body.csrf_token) {
    fail(res, 403, "csrf_failed", "missing or wrong X-CSRF-Token header for a cookie-authenticated change");
    return null;
  }
  return me.body;
}

function roleIn(me, org) {
  const m = me.memberships.find((x) => x.organisation.id === org);
  if (m) return m.role;
  return me.person.is_operator ? "admin" : null;
}

function defaultCoach(org) {
  let found = [...coaches.values()].find((c) => c.org_id === org && c.is_default);
  if (!found) {
    found = {
      id: randomUUID(),
      org_id: org,
      name: "Coach",
      instructions: "Answer from the organisation's material and cite it.",
      style: "direct",
      answer_mode: "grounded",
      collections: [],
      domains: [],
      retrieval_depth: 8,
      model: null,
      temperature: null,
      is_default: true,
      created_at: now(),
      updated_at: now(),
    };
    coaches.set(found.id, found);
  }
  return found;
}

const COACH_FIELDS = ["name", "instructions", "style", "answer_mode", "collections", "domains", "retrieval_depth", "model", "temperature"];
function applyCoach(coach, body, res) {
  for (const key of Object.keys(body)) {
    if (!COACH_FIELDS.includes(key)) return fail(res, 422, "unknown_field", `${key}: is not a known field`, key), false;
  }
  if (body.name !== undefined && !String(body.name).trim()) return fail(res, 422, "invalid_field", "name: must not be empty", "name"), false;
  if (body.style !== undefined && !["direct", "socratic"].includes(body.style)) return fail(res, 422, "invalid_field", "style: must be direct or socratic", "style"), false;
  if (body.answer_mode !== undefined && !["grounded", "open"].includes(body.answer_mode)) return fail(res, 422, "invalid_field", "answer_mode: must be grounded or open", "answer_mode"), false;
  if (body.retrieval_depth !== undefined && !(body.retrieval_depth >= 1 && body.retrieval_depth <= 50)) return fail(res, 422, "invalid_field", "retrieval_depth: must be between 1 and 50", "retrieval_depth"), false;
  Object.assign(coach, body, { updated_at: now() });
  return true;
}

function view(c) {
  return { ...c, shared: [...shares.values()].includes(c.id) };
}

function ownConversation(me, id, res) {
  const c = conversations.get(id);
  if (!c || c.owner_id !== me.person.id) {
    fail(res, 404, "not_found", "conversation not found");
    return null;
  }
  return c;
}

function newMessage(conversation, role, content, extra = {}) {
  return {
    id: randomUUID(),
    conversation_id: conversation.id,
    role,
    content,
    kind: role === "user" ? null : "extractive",
    citations: [],
    domains: [],
    confidence: null,
    confidence_level: null,
    model: null,
    input_tokens: 0,
    output_tokens: 0,
    cost: 0,
    latency_ms: 0,
    complete: true,
    created_at: now(),
    feedback: null,
    ...extra,
  };
}

function firstSentences(text, max = 220) {
  const clean = text.replace(/\s+/g, " ").trim();
  if (clean.length <= max) return clean;
  const cut = clean.slice(0, max);
  const stop = cut.lastIndexOf(". ");
  return stop > 60 ? cut.slice(0, stop + 1) : `${cut}…`;
}

async function answer(req, conversation, question) {
  const coach = coaches.get(conversation.coach_id) ?? defaultCoach(conversation.org_id);
  const search = await upstreamJson(req, "POST", "/search", {
    org_id: conversation.org_id,
    query: question.replace(/#\w+/g, " ").trim() || question,
    k: Math.min(coach.retrieval_depth, 5),
    ...(coach.collections.length ? { collections: coach.collections } : {}),
    ...(coach.domains.length ? { domains: coach.domains } : {}),
  });
  const hits = search.status === 200 ? search.body.results : [];
  const citations = hits.map((h, i) => ({
    number: i + 1,
    chunk_id: h.chunk.id,
    document_id: h.chunk.document_id,
    document_title: h.chunk.document_title,
    section: h.chunk.section || null,
    page_start: h.chunk.page_start,
    page_end: h.chunk.page_end,
    text: h.chunk.text,
  }));
  if (!citations.length) {
    return {
      citations: [],
      kind: "refusal",
      text: "I couldn't find anything about this in your organisation's material, so I won't guess. Try asking in other words, or ask an administrator to add material on it.",
    };
  }
  const used = citations.slice(0, 2);
  const text =
    "Here is what your organisation's material says:\n\n" +
    used.map((c) => `- ${firstSentences(c.text)} [${c.number}]`).join("\n") +
    "\n";
  return { citations, used, kind: "extractive", text };
}

async function postMessage(req, res, me, conversation) {
  const body = await readBody(req);
  if (!body || typeof body.content !== "string" || !body.content.trim()) {
    return fail(res, 422, "invalid_field", "content: must not be empty", "content");
  }
  const question = body.content;
  if (question.includes("#budget")) {
    return fail(res, 429, "budget_exceeded", "the organisation's monthly budget is used up");
  }
  const list = messages.get(conversation.id);
  const user = newMessage(conversation, "user", question);
  list.push(user);
  if (!conversation.title) conversation.title = question.slice(0, 60);
  conversation.updated_at = now();
  const started = Date.now();
  const result = await answer(req, conversation, question);
  const assistant = newMessage(conversation, "assistant", "", {
    kind: result.kind,
    citations: result.used ?? [],
    confidence: result.kind === "refusal" ? 0.1 : 0.72,
    confidence_level: result.kind === "refusal" ? "low" : "medium",
    input_tokens: question.length,
  });

  const streaming = String(req.headers.accept ?? "").includes("text/event-stream");
  if (!streaming) {
    assistant.content = result.text;
    assistant.output_tokens = result.text.split(/\s+/).length;
    assistant.latency_ms = Date.now() - started;
    list.push(assistant);
    return sendJson(res, 200, { user_message: user, assistant_message: assistant });
  }

  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
  const send = (event, data) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  let closed = false;
  res.on("close", () => {
    if (res.writableFinished) return;
    // The client stopped: keep what was written, marked incomplete.
    closed = true;
    assistant.complete = false;
    if (!list.includes(assistant)) list.push(assistant);
  });
  send("user", { message: user });
  send("sources", { citations: result.citations });
  const pieces = result.text.match(/\S+\s*/g) ?? [];
  const delay = question.includes("#slow") ? 120 : 12;
  const failAt = question.includes("#error") ? Math.floor(pieces.length / 2) : -1;
  for (let i = 0; i < pieces.length; i++) {
    if (closed) break;
    if (i === failAt) {
      assistant.complete = false;
      assistant.kind = "error";
      list.push(assistant);
      send("error", { error: { code: "model_failed", message: "the model stopped answering; try again" } });
      return res.end();
    }
    assistant.content += pieces[i];
    send("delta", { text: pieces[i] });
    await new Promise((r) => setTimeout(r, delay));
  }
  assistant.output_tokens = assistant.content.split(/\s+/).length;
  assistant.latency_ms = Date.now() - started;
  if (closed) return;
  list.push(assistant);
  send("done", { message: assistant });
  res.end();
}

async function coachRoutes(req, res, path) {
  let m;
  if ((m = path.match(/^\/api\/v1\/shared\/([^/]+)$/)) && req.method === "GET") {
    const id = shares.get(m[1]);
    const c = id && conversations.get(id);
    if (!c) return fail(res, 404, "not_found", "shared conversation not found"), true;
    sendJson(res, 200, { conversation: view(c), messages: messages.get(c.id) });
    return true;
  }
  const routes = [
    /^\/api\/v1\/orgs\/([^/]+)\/coaches(?:\/([^/]+))?$/,
    /^\/api\/v1\/orgs\/([^/]+)\/conversations$/,
    /^\/api\/v1\/conversations\/([^/]+)(?:\/(messages|share))?$/,
    /^\/api\/v1\/messages\/([^/]+)\/feedback$/,
  ];
  const which = routes.findIndex((r) => r.test(path));
  if (which < 0) return false;
  m = path.match(routes[which]);
  const me = await caller(req, res);
  if (!me) return true;

  if (which === 0) {
    const [, org, id] = m;
    const role = roleIn(me, org);
    if (!role) return fail(res, 404, "not_found", "organisation not found"), true;
    defaultCoach(org);
    if (!id) {
      if (req.method === "GET") return sendJson(res, 200, { coaches: [...coaches.values()].filter((c) => c.org_id === org) }), true;
      if (req.method === "POST") {
        if (role !== "admin") return fail(res, 403, "forbidden", "only admins manage coaches"), true;
        const body = await readBody(req);
        const coach = { ...defaultCoach(org), id: randomUUID(), is_default: false, name: "", created_at: now() };
        if (!applyCoach(coach, body ?? {}, res)) return true;
        if (!coach.name.trim()) return fail(res, 422, "missing_field", "name: is required", "name"), true;
        coaches.set(coach.id, coach);
        return sendJson(res, 201, coach), true;
      }
    } else {
      const coach = coaches.get(id);
      if (!coach || coach.org_id !== org) return fail(res, 404, "not_found", "coach not found"), true;
      if (req.method === "GET") return sendJson(res, 200, coach), true;
      if (role !== "admin") return fail(res, 403, "forbidden", "only admins manage coaches"), true;
      if (req.method === "PATCH") {
        const body = await readBody(req);
        if (!applyCoach(coach, body ?? {}, res)) return true;
        return sendJson(res, 200, coach), true;
      }
      if (req.method === "DELETE") {
        coaches.delete(id);
        return sendJson(res, 204), true;
      }
    }
    return fail(res, 405, "method_not_allowed", "this endpoint does not take that method"), true;
  }

  if (which === 1) {
    const [, org] = m;
    if (!roleIn(me, org)) return fail(res, 404, "not_found", "organisation not found"), true;
    if (req.method === "GET") {
      const url = new URL(req.url, "http://x");
      const limit = Number(url.searchParams.get("limit") ?? 50);
      const before = url.searchParams.get("before");
      const archived = url.searchParams.get("archived") === "true";
      const q = (url.searchParams.get("q") ?? "").toLowerCase();
      const all = [...conversations.values()]
        .filter((c) => c.org_id === org && c.owner_id === me.person.id && c.archived === archived)
        .filter((c) => !q || c.title.toLowerCase().includes(q))
        .filter((c) => !before || c.updated_at < before)
        .sort((a, b) => (a.updated_at < b.updated_at ? 1 : -1));
      const page = all.slice(0, limit);
      const next = all.length > limit ? page[page.length - 1].updated_at : null;
      return sendJson(res, 200, { conversations: page.map(view), next_before: next }), true;
    }
    if (req.method === "POST") {
      const body = (await readBody(req)) ?? {};
      const coach = body.coach_id ? coaches.get(body.coach_id) : defaultCoach(org);
      if (!coach || coach.org_id !== org) return fail(res, 404, "not_found", "coach not found", "coach_id"), true;
      const c = {
        id: randomUUID(),
        org_id: org,
        owner_id: me.person.id,
        owner_name: me.person.display_name,
        coach_id: coach.id,
        coach_name: coach.name,
        title: (body.title ?? "").trim(),
        archived: false,
        created_at: now(),
        updated_at: now(),
      };
      conversations.set(c.id, c);
      messages.set(c.id, []);
      return sendJson(res, 201, view(c)), true;
    }
    return fail(res, 405, "method_not_allowed", "this endpoint does not take that method"), true;
  }

  if (which === 2) {
    const [, id, sub] = m;
    const c = ownConversation(me, id, res);
    if (!c) return true;
    if (sub === "messages" && req.method === "POST") return await postMessage(req, res, me, c), true;
    if (sub === "share") {
      for (const [token, cid] of shares) if (cid === c.id) shares.delete(token);
      if (req.method === "POST") {
        const token = randomUUID().replace(/-/g, "");
        shares.set(token, c.id);
        return sendJson(res, 200, { token, url: `/shared/${token}` }), true;
      }
      if (req.method === "DELETE") return sendJson(res, 204), true;
    }
    if (!sub && req.method === "GET") return sendJson(res, 200, { conversation: view(c), messages: messages.get(c.id) }), true;
    if (!sub && req.method === "PATCH") {
      const body = (await readBody(req)) ?? {};
      if (body.title !== undefined) {
        if (!String(body.title).trim()) return fail(res, 422, "invalid_field", "title: must not be empty", "title"), true;
        c.title = String(body.title).trim();
      }
      if (body.archived !== undefined) c.archived = !!body.archived;
      c.updated_at = now();
      return sendJson(res, 200, view(c)), true;
    }
    if (!sub && req.method === "DELETE") {
      conversations.delete(c.id);
      messages.delete(c.id);
      for (const [token, cid] of shares) if (cid === c.id) shares.delete(token);
      return sendJson(res, 204), true;
    }
    return fail(res, 405, "method_not_allowed", "this endpoint does not take that method"), true;
  }

  if (which === 3 && req.method === "PUT") {
    const [, id] = m;
    for (const [cid, list] of messages) {
      const msg = list.find((x) => x.id === id);
      if (!msg) continue;
      if (conversations.get(cid)?.owner_id !== me.person.id) break;
      const body = (await readBody(req)) ?? {};
      if (!["up", "down"].includes(body.rating)) return fail(res, 422, "invalid_field", "rating: must be up or down", "rating"), true;
      msg.feedback = { rating: body.rating, reasons: body.reasons ?? [], comment: body.comment ?? null, updated_at: now() };
      return sendJson(res, 200, msg.feedback), true;
    }
    return fail(res, 404, "not_found", "message not found"), true;
  }
  return fail(res, 405, "method_not_allowed", "this endpoint does not take that method"), true;
}

const server = http.createServer(async (req, res) => {
  try {
    const path = new URL(req.url, "http://x").pathname;
    if (mockCoach && (await coachRoutes(req, res, path))) return;
    if (path.startsWith("/api/") || path === "/healthz" || path === "/readyz" || !staticDir) return proxy(req, res);
    return await serveStatic(req, res);
  } catch (err) {
    console.error(err);
    fail(res, 500, "internal", "the mock server failed");
  }
});
server.listen(port, "127.0.0.1", () => {
  const { port: actual } = server.address();
  console.log(`listening on http://127.0.0.1:${actual} (upstream ${upstream.origin}${staticDir ? `, static ${staticDir}` : ""}${mockCoach ? ", coach endpoints mocked" : ""})`);
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => server.close(() => process.exit(0)));
