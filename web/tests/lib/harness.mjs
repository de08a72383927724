// Test harness: starts the fake chat model (the `fake_openai_server` example
// of the wayfinder-llm crate) and the real `wayfinder` binary pointed at it,
// on free ports with a fresh data directory, and launches the system Chromium
// through playwright-core. The browser talks to the binary directly: it
// serves the app it embedded at build time.

import { spawn } from "node:child_process";
import { access, mkdtemp, mkdir, rm } from "node:fs/promises";
import { constants } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

export const WEB_ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const SCREENSHOTS = join(WEB_ROOT, "test-results", "screenshots");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const FAKE_MODEL_NAME = "fake-model";

async function waitFor(check, what, timeoutMs = 60_000) {
  const until = Date.now() + timeoutMs;
  let last;
  while (Date.now() < until) {
    try {
      if (await check()) return;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ""}`);
}

/** A process started by the tests, with its output kept for failures. */
function start(command, args, options) {
  const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
  const output = { text: "", stdout: "" };
  child.stdout.on("data", (d) => {
    output.text += d;
    output.stdout += d;
  });
  child.stderr.on("data", (d) => (output.text += d));
  child.on("error", (err) => (output.text += `\n${err.message}`));
  return { child, output };
}

async function stop(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  await new Promise((r) => {
    const t = setTimeout(() => {
      child.kill("SIGKILL");
      r();
    }, 5000);
    child.once("exit", () => {
      clearTimeout(t);
      r();
    });
  });
}

async function executable(path, what, hint) {
  try {
    await access(path, constants.X_OK);
  } catch {
    throw new Error(`${what} not found at ${path}: ${hint}`);
  }
}

/** A cookie-session API client for setting things up and checking results without the UI. */
export class ApiClient {
  constructor(base) {
    this.base = base;
    this.cookie = "";
    this.csrf = "";
  }
  async call(method, path, body) {
    const headers = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (this.cookie) headers.cookie = this.cookie;
    if (this.csrf && method !== "GET") headers["x-csrf-token"] = this.csrf;
    const response = await fetch(`${this.base}/api/v1${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const set = response.headers.get("set-cookie");
    if (set) this.cookie = set.split(";")[0];
    const text = await response.text();
    const json = text ? JSON.parse(text) : null;
    if (json?.csrf_token) this.csrf = json.csrf_token;
    if (!response.ok) {
      const err = new Error(`${method} ${path} → ${response.status} ${text}`);
      err.status = response.status;
      err.body = json;
      throw err;
    }
    return json;
  }
  /**
   * Signs in with email and password (keeps the session cookie and CSRF token). An account with a
   * second factor answers its challenge instead (202, `mfa_required`), to finish at `/auth/login/mfa`.
   */
  async signIn(email, password) {
    return this.call("POST", "/auth/login", { email, password });
  }
  /** The session cookie as Playwright wants it, to sign a browser context in as this client. */
  cookieFor(base) {
    const [name, value] = this.cookie.split("=");
    return { name, value, url: base };
  }
  /** Uploads one file into a collection the way the app does (multipart); answers its finished ingestion job. */
  async upload(orgId, collectionId, name, text, type = "text/markdown") {
    const form = new FormData();
    form.append("file", new Blob([text], { type }), name);
    const response = await fetch(`${this.base}/api/v1/orgs/${orgId}/collections/${collectionId}/documents`, {
      method: "POST",
      headers: { accept: "application/json", cookie: this.cookie, "x-csrf-token": this.csrf },
      body: form,
    });
    const body = await response.text();
    if (!response.ok) throw new Error(`upload refused: ${response.status} ${body}`);
    const id = JSON.parse(body).id;
    const until = Date.now() + 60_000;
    for (;;) {
      const job = await this.call("GET", `/jobs/${id}`);
      if (job.state === "succeeded") return job;
      if (job.state === "failed" || Date.now() > until) throw new Error(`ingestion did not succeed: ${JSON.stringify(job)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  /** Invites `person` ({email, name, password}) into the organisation with `role` and accepts as them. Answers their signed-in client and id. */
  async inviteAndAccept(orgId, person, role) {
    const invitation = await this.call("POST", `/orgs/${orgId}/invitations`, { email: person.email, role });
    const client = new ApiClient(this.base);
    const accepted = await client.call("POST", "/invitations/accept", {
      token: invitation.token,
      display_name: person.name,
      password: person.password,
    });
    return { client, id: accepted.person.id };
  }
}

/**
 * Sets the server up with `operator` ({email, name, password}) as its first administrator and
 * has them create the organisation `{ name, slug }`. Answers the operator's client and the organisation.
 */
export async function setUpOrganisation(stack, operator, { name, slug }) {
  const api = new ApiClient(stack.base);
  const token = new URL(stack.setupLink).searchParams.get("token");
  await api.call("POST", "/setup", { token, email: operator.email, display_name: operator.name, password: operator.password });
  const org = (await api.call("POST", "/orgs", { name, slug })).organisation;
  return { api, org };
}

/**
 * Closes what a test file started (the stack and any stand-ins; those never started are skipped),
 * then fails if the browser reported anything that should never happen (see `watchConsole`).
 */
export async function closeAndCheckProblems(problems, closables, what = "the app ran without script errors or blocked resources") {
  if (problems.length) console.log(`browser reported:\n  ${problems.join("\n  ")}`);
  for (const closable of closables) await closable?.close();
  assert.deepEqual(problems, [], what);
}

/** Waits until `check` answers something truthy and answers that (the server works through things in the background). */
export async function eventually(check, what, timeoutMs = 30_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * A new browser page (its own context) whose script errors go to `problems`; signed in through
 * the sign-in form as `person` when given.
 */
export async function openPage(stack, { person, problems, viewport = { width: 1280, height: 800 }, timeout = 30_000 }) {
  const context = await stack.browser.newContext({ viewport });
  context.setDefaultTimeout(timeout);
  const page = await context.newPage();
  watchConsole(page, problems);
  if (person) {
    await page.goto(`${stack.base}/signin`);
    await page.getByLabel("Email").fill(person.email);
    await page.getByLabel("Password").fill(person.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(/\/chat/);
  }
  return page;
}

/** The fake chat model's control endpoint: how its next answers go (see the example's docs). */
export class FakeModel {
  constructor(apiRoot) {
    this.apiRoot = apiRoot;
    this.origin = new URL(apiRoot).origin;
  }
  async queue(...answers) {
    const response = await fetch(`${this.origin}/control/next-answers`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(answers),
    });
    if (!response.ok) throw new Error(`the fake model refused ${JSON.stringify(answers)}: ${await response.text()}`);
  }
  async requests() {
    const response = await fetch(`${this.origin}/control/requests`);
    return (await response.json()).chat_requests;
  }
}

/** The fake speech service's control endpoint: the next transcripts, and the recordings it was sent. */
export class FakeSpeech {
  constructor(apiRoot) {
    this.apiRoot = apiRoot;
    this.origin = new URL(apiRoot).origin;
  }
  /** Queues the transcripts of the next recordings, in order. */
  async queue(...transcripts) {
    const response = await fetch(`${this.origin}/control/next`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(transcripts.map((transcript) => ({ transcript }))),
    });
    if (!response.ok) throw new Error(`the fake speech service refused ${JSON.stringify(transcripts)}: ${await response.text()}`);
  }
  /** Answers the next request (a recording, or reading aloud) with this HTTP error status. */
  async fail(status) {
    const response = await fetch(`${this.origin}/control/next`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify([{ status }]),
    });
    if (!response.ok) throw new Error(`the fake speech service refused to fail with ${status}: ${await response.text()}`);
  }
  /** `{ transcriptions, speech, recordings: [{ format, duration_ms, bytes, model, language }] }`. */
  async requests() {
    const response = await fetch(`${this.origin}/control/requests`);
    return response.json();
  }
}

/**
 * Starts everything. Returns { base, setupLink, fake, speech, browser, close, serverLog }: `base` is
 * the binary's URL, `setupLink` the one-time link it printed on first start. `env` adds settings for
 * the binary (e.g. `WAYFINDER_TELEGRAM_API_URL` pointing at a test's fake Bot API); operators need no
 * second factor unless it sets `WAYFINDER_REQUIRE_MFA_FOR_OPERATORS` to "true". With `speech`, the
 * fake speech service (`fake_speech_server` beside the fake model, or `WAYFINDER_FAKE_SPEECH_BIN`)
 * runs too and the binary transcribes and reads aloud with it (`speech` is its control). With
 * `fakeAudioCapture` (a WAV file), Chromium's microphone plays that file, allowed without asking.
 */
export async function startStack({ env: settings = {}, speech: withSpeech = false, fakeAudioCapture = null } = {}) {
  const bin = process.env.WAYFINDER_BIN && resolve(process.env.WAYFINDER_BIN);
  if (!bin) throw new Error("set WAYFINDER_BIN to the wayfinder binary (e.g. ../target/debug/wayfinder)");
  await executable(bin, "the wayfinder binary", "build it with `cargo build` after `npm run build`");
  // Beside the binary, as `cargo build -p wayfinder-llm --example fake_openai_server --features fake` leaves it.
  const fakeBin = resolve(process.env.WAYFINDER_FAKE_MODEL_BIN ?? join(dirname(bin), "examples", "fake_openai_server"));
  await executable(
    fakeBin,
    "the fake chat model",
    "build it with `cargo build -p wayfinder-llm --example fake_openai_server --features fake` " +
      "(or point WAYFINDER_FAKE_MODEL_BIN at it)",
  );
  await executable(
    CHROMIUM,
    "Chromium",
    "install it (`sudo apt-get install chromium` on Debian/Ubuntu) or point CHROMIUM_PATH at a Chromium or Chrome binary",
  );

  const dir = await mkdtemp(join(tmpdir(), "wayfinder-e2e-"));
  const processes = [];
  const close = async () => {
    for (const p of processes.reverse()) await stop(p.child);
    await rm(dir, { recursive: true, force: true });
  };
  let server;
  try {
    const model = start(fakeBin, ["--chunk-delay-ms", "25"], {});
    processes.push(model);
    await waitFor(() => /^http:\/\/\S+\/v1$/m.test(model.output.stdout), "the fake chat model", 30_000).catch((err) => {
      throw new Error(`${err.message}\n${model.output.text}`);
    });
    const fake = new FakeModel(model.output.stdout.trim().split("\n")[0]);

    let speech = null;
    if (withSpeech) {
      const speechBin = resolve(process.env.WAYFINDER_FAKE_SPEECH_BIN ?? join(dirname(fakeBin), "fake_speech_server"));
      await executable(
        speechBin,
        "the fake speech service",
        "build it with `cargo build -p wayfinder-speech --example fake_speech_server --features fake` " +
          "(or point WAYFINDER_FAKE_SPEECH_BIN at it)",
      );
      const service = start(speechBin, ["--listen", "127.0.0.1:0"], {});
      processes.push(service);
      await waitFor(() => /^http:\/\/\S+\/v1$/m.test(service.output.stdout), "the fake speech service", 30_000).catch((err) => {
        throw new Error(`${err.message}\n${service.output.text}`);
      });
      speech = new FakeSpeech(service.output.stdout.trim().split("\n")[0]);
    }

    const env = { ...process.env };
    for (const key of Object.keys(env)) if (key.startsWith("WAYFINDER_")) delete env[key];
    Object.assign(env, {
      WAYFINDER_LOG_LEVEL: "warn",
      WAYFINDER_EMBEDDING_PROVIDER: "none",
      WAYFINDER_CHAT_BASE_URL: fake.apiRoot,
      WAYFINDER_CHAT_MODEL: FAKE_MODEL_NAME,
      // Operators need two-step sign-in by default; the tests of other things sign them in with a password
      // alone (tests/mfa.test.mjs turns it back on).
      WAYFINDER_REQUIRE_MFA_FOR_OPERATORS: "false",
      ...(speech
        ? {
            WAYFINDER_SPEECH_BASE_URL: speech.apiRoot,
            WAYFINDER_TRANSCRIPTION_MODEL: "fake-whisper",
            WAYFINDER_SPEECH_MODEL: "fake-tts",
          }
        : {}),
      ...settings,
    });
    // A development build of the app (vite build --outDir …) instead of the embedded one.
    if (process.env.WAYFINDER_E2E_WEB_DIR) env.WAYFINDER_WEB_DIR = resolve(process.env.WAYFINDER_E2E_WEB_DIR);
    // Port 0: the server picks a free port and prints it in its setup link.
    server = start(bin, ["serve", "--bind", "127.0.0.1:0", "--data-dir", join(dir, "data")], { cwd: dir, env });
    processes.push(server);
    await waitFor(() => /http:\/\/\S+\/setup\?token=\S+/.test(server.output.stdout), "the setup link");
    const setupLink = server.output.stdout.match(/(http:\/\/\S+\/setup\?token=\S+)/)[1];
    const base = new URL(setupLink).origin;
    await waitFor(async () => (await fetch(`${base}/readyz`)).ok, "the server to be ready");

    const home = await fetch(`${base}/`, { headers: { accept: "text/html" } }).then((r) => r.text());
    if (!home.includes('<div id="root">')) {
      throw new Error(
        "the binary does not serve the web app: run `npm run build` in web/ before building it " +
          "(scripts/test does both in that order)",
      );
    }
    console.log(`server ${base} serving the app it embedded; coach model: fake at ${fake.apiRoot}`);

    await mkdir(SCREENSHOTS, { recursive: true });
    const fakeMicrophone = fakeAudioCapture
      ? [
          "--use-fake-ui-for-media-stream",
          "--use-fake-device-for-media-stream",
          `--use-file-for-fake-audio-capture=${resolve(fakeAudioCapture)}`,
        ]
      : [];
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", ...fakeMicrophone],
    });
    const closeAll = async () => {
      await browser.close().catch(() => {});
      await close();
    };
    return { base, setupLink, fake, speech, browser, close: closeAll, serverLog: () => server.output.text };
  } catch (err) {
    if (server) console.error(server.output.text);
    await close();
    throw err;
  }
}

export async function screenshot(page, name) {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 375, height: 740 };

/** Fails when the page scrolls sideways at its current width. */
export async function noSideways(page) {
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
  }));
  assert.ok(scrollWidth <= innerWidth, `no horizontal scrolling: page ${scrollWidth}px wide in ${innerWidth}px`);
}

/**
 * Screenshots `name` at desktop width and at 375 px (checking it does not scroll sideways there),
 * then with `dark` in dark mode too, leaving the page at desktop width in light mode. `ready`
 * waits for the page to settle after each change.
 */
async function screenshotsAcrossWidths(page, name, ready, { dark }) {
  await screenshot(page, name);
  await page.setViewportSize(PHONE);
  await ready();
  await noSideways(page);
  await screenshot(page, `${name}-375`);
  await page.setViewportSize(DESKTOP);
  if (!dark) {
    await ready();
    return;
  }
  await page.emulateMedia({ colorScheme: "dark" });
  await ready();
  await screenshot(page, `${name}-dark`);
  await page.emulateMedia({ colorScheme: "light" });
}

/** Screenshots at desktop width and at 375 px, leaving the page at desktop width. */
export const twoScreenshots = (page, name, ready) => screenshotsAcrossWidths(page, name, ready, { dark: false });

/** Screenshots at desktop width, at 375 px and in dark mode, leaving the page as it was. */
export const threeScreenshots = (page, name, ready) => screenshotsAcrossWidths(page, name, ready, { dark: true });

/** Waits until the focused element is a field marked invalid (a refused form moves the focus there). */
export const focusedIsInvalid = (page) =>
  page.waitForFunction(() => document.activeElement?.getAttribute("aria-invalid") === "true");

/**
 * Collects what the page reports that should never happen: script errors, resources or
 * requests blocked by the content security policy, and server errors. (Refusals such as
 * the 401 of a signed-out visit are part of normal use.)
 */
export function watchConsole(page, sink) {
  page.on("console", (message) => {
    const text = message.text();
    if (message.type() === "error" && /Content Security Policy|Refused to|status of 5\d\d/.test(text)) {
      sink.push(`${page.url()}: ${text}`);
    }
  });
  page.on("pageerror", (error) => sink.push(`${page.url()}: ${error.message}`));
}
