// Test harness: starts the real `wayfinder` binary on a free port with a
// fresh data directory, completes first-run setup through the API, puts the
// built app in front of it when the binary does not serve it yet, and
// launches the system Chromium through playwright-core.

import { spawn } from "node:child_process";
import { mkdtemp, mkdir, rm, stat } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const WEB_ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const SCREENSHOTS = join(WEB_ROOT, "test-results", "screenshots");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
// The server settings that point the coach at an OpenAI-compatible model:
// WAYFINDER_FAKE_MODEL_URL (CI's fake model) goes to <prefix>_BASE_URL and
// the fake's model name to <prefix>_MODEL. Adjust the prefix to the real
// setting names once the server has them (or set WAYFINDER_MODEL_SETTING_PREFIX).
const MODEL_SETTING_PREFIX = process.env.WAYFINDER_MODEL_SETTING_PREFIX ?? "WAYFINDER_CHAT";
const FAKE_MODEL_NAME = process.env.WAYFINDER_FAKE_MODEL_NAME ?? "fake-model";

export async function freePort() {
  return new Promise((resolvePort, reject) => {
    const s = createServer();
    s.unref();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolvePort(port));
    });
  });
}

async function waitFor(check, what, timeoutMs = 60_000) {
  const until = Date.now() + timeoutMs;
  let last;
  while (Date.now() < until) {
    try {
      if (await check()) return;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ""}`);
}

/** A process started by the tests, with its output kept for failures. */
function start(command, args, options) {
  const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
  const output = { text: "" };
  child.stdout.on("data", (d) => (output.text += d));
  child.stderr.on("data", (d) => (output.text += d));
  return { child, output };
}

async function stop(child) {
  if (!child || child.exitCode !== null) return;
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

/** A cookie-session API client for setting things up without the UI. */
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
      throw err;
    }
    return json;
  }
}

/**
 * Starts everything. Returns { base, serverUrl, api, operator, org, browser, close }.
 * `base` is where the browser goes: the binary itself once it serves the app,
 * otherwise the dev front (dev/mock-server.mjs --static dist).
 */
export async function startStack() {
  const bin = process.env.WAYFINDER_BIN;
  if (!bin) throw new Error("set WAYFINDER_BIN to the wayfinder binary (e.g. target/debug/wayfinder)");
  await stat(join(WEB_ROOT, "dist", "index.html")).catch(() => {
    throw new Error("dist/ is missing: run `npm run build` first");
  });
  const dir = await mkdtemp(join(tmpdir(), "wayfinder-e2e-"));
  const port = await freePort();
  const serverUrl = `http://127.0.0.1:${port}`;
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith("WAYFINDER_")) delete env[key];
  Object.assign(env, {
    WAYFINDER_LOG_LEVEL: "warn",
    WAYFINDER_EMBEDDING_PROVIDER: "none",
  });
  if (process.env.WAYFINDER_FAKE_MODEL_URL) {
    env[`${MODEL_SETTING_PREFIX}_BASE_URL`] = process.env.WAYFINDER_FAKE_MODEL_URL;
    env[`${MODEL_SETTING_PREFIX}_MODEL`] = FAKE_MODEL_NAME;
  }
  const server = start(bin, ["serve", "--bind", `127.0.0.1:${port}`, "--data-dir", join(dir, "data")], {
    cwd: dir,
    env,
  });
  const processes = [server];
  const close = async () => {
    for (const p of processes.reverse()) await stop(p.child);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(async () => (await fetch(`${serverUrl}/readyz`)).ok, "the server to be ready");
    await waitFor(() => /setup\?token=/.test(server.output.text), "the setup link");
    const token = server.output.text.match(/setup\?token=([A-Za-z0-9_\-.~%]+)/)[1];

    const operator = { email: "ada@example.org", password: "correct horse battery staple 42", name: "Ada Admin" };
    const api = new ApiClient(serverUrl);
    await api.call("POST", "/setup", {
      token: decodeURIComponent(token),
      email: operator.email,
      display_name: operator.name,
      password: operator.password,
    });
    const created = await api.call("POST", "/orgs", { slug: "north-high", name: "North High School" });
    const org = created.organisation;

    // Does the binary serve the app yet? Otherwise put the dev front before it.
    const home = await fetch(`${serverUrl}/chat`).then((r) => r.text()).catch(() => "");
    const servesApp = home.includes('<div id="root">');
    const mock = process.env.WAYFINDER_E2E_MOCK_COACH === "1";
    let base = serverUrl;
    if (!servesApp || mock) {
      const frontPort = await freePort();
      const front = start(
        process.execPath,
        [
          join(WEB_ROOT, "dev", "mock-server.mjs"),
          "--port",
          String(frontPort),
          "--static",
          join(WEB_ROOT, "dist"),
          ...(mock ? ["--mock-coach"] : []),
        ],
        { env: { ...process.env, WAYFINDER_URL: serverUrl } },
      );
      processes.push(front);
      await waitFor(() => /listening on/.test(front.output.text), "the dev front");
      base = `http://127.0.0.1:${frontPort}`;
    }
    console.log(
      `server ${serverUrl}; app at ${base} (${servesApp ? "served by the binary" : "served by dev/mock-server.mjs"}${
        mock ? ", coach endpoints mocked" : ""
      })`,
    );

    await mkdir(SCREENSHOTS, { recursive: true });
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
    const closeAll = async () => {
      await browser.close().catch(() => {});
      await close();
    };
    // The same session, talking to wherever the browser goes (the dev front proxies or mocks).
    const frontApi = Object.assign(new ApiClient(base), { cookie: api.cookie, csrf: api.csrf });
    return { base, serverUrl, api, frontApi, mock, operator, org, browser, close: closeAll, serverLog: () => server.output.text };
  } catch (err) {
    console.error(server.output.text);
    await close();
    throw err;
  }
}

export async function screenshot(page, name) {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}
