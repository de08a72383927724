// Browser tests of two-step sign-in (TOTP, RFC 6238) against the real server,
// started with operators required to use it. The test computes codes itself
// (HMAC-SHA1 over the 30-second step, checked against the RFC's test vector),
// from the setup key the page shows. First-run setup in the browser takes the
// operator to setting it up and nowhere else (the server refuses the rest
// meanwhile): a wrong password and a wrong code are refused in words; then the
// ten recovery codes (downloadable), and the app works. Signing in then asks
// for a code: a wrong one is refused, the right one signs in, the same one
// again is refused; a recovery code signs in once and is refused the second
// time; a second step finished elsewhere sends the page back to the password
// with the reason; "remember this device" skips the step next time in that
// browser. The operator's profile shows it on (and required: no turning off)
// and makes new recovery codes, after which the old ones fail. An
// organisation that requires its admins to use it sends an admin who has none
// to set it up, sign-out still at hand (a learner is not asked). An admin resets a coach's factor from
// the Members tab; the coach then signs in with the password alone, turns it
// on again from the profile and off with a recovery code. Run with
// `npm run test:e2e` (WAYFINDER_BIN names the binary).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { readFile } from "node:fs/promises";
import { ApiClient, closeAndCheckProblems, noSideways, openPage, startStack, threeScreenshots, twoScreenshots } from "./lib/harness.mjs";

const TIMEOUT = 30_000;
const OPERATOR = { email: "ola@example.org", password: "correct horse battery staple 42", name: "Ola Operator" };
const ADMIN = { email: "ada@example.org", password: "an admin's long passphrase 8", name: "Ada Admin" };
const LEARNER = { email: "lee@example.org", password: "a learner's long passphrase 4", name: "Lee Learner" };
const COACH = { email: "cole@example.org", password: "a patient coach passphrase 3", name: "Cole Coach" };
const ORG = { name: "Northfield School", slug: "northfield" };
const RECOVERY_CODE = /^[a-z0-9]{5}-[a-z0-9]{5}$/;

// ---- RFC 6238 (TOTP over RFC 4226 HOTP, HMAC-SHA1), independent of the app's code ----

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** RFC 4648 base32 to bytes (spaces, padding and case ignored). */
function base32Decode(text) {
  const clean = text.replace(/[\s=]/g, "").toUpperCase();
  let bits = 0;
  let value = 0;
  const out = [];
  for (const char of clean) {
    const index = BASE32.indexOf(char);
    if (index < 0) throw new Error(`not base32: ${char}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** The HOTP value of `key` at `counter`, `digits` long (RFC 4226 section 5.3). */
function hotp(key, counter, digits = 6) {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac("sha1", key).update(message).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const binary = ((mac[offset] & 0x7f) << 24) | (mac[offset + 1] << 16) | (mac[offset + 2] << 8) | mac[offset + 3];
  return String(binary % 10 ** digits).padStart(digits, "0");
}

const STEP_SECONDS = 30;
const stepAt = (unixSeconds) => Math.floor(unixSeconds / STEP_SECONDS);
const totpAt = (key, unixSeconds, digits = 6) => hotp(key, stepAt(unixSeconds), digits);

// RFC 6238 appendix B, SHA-1 seed: time 59 gives 94287082 (eight digits; six: 287082); RFC 4648's base32 of "foobar".
assert.equal(totpAt(Buffer.from("12345678901234567890"), 59, 8), "94287082");
assert.equal(totpAt(Buffer.from("12345678901234567890"), 59), "287082");
assert.equal(totpAt(Buffer.from("12345678901234567890"), 1111111109, 8), "07081804");
assert.equal(base32Decode("MZXW6YTBOI======").toString(), "foobar");

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * An authenticator app for one setup key: each code it gives is of a later 30-second step than the
 * last (the server takes each step once), waiting for the next step when needed.
 */
class Authenticator {
  constructor(secret) {
    this.key = base32Decode(secret);
    this.lastStep = -1;
  }
  async code() {
    for (;;) {
      const now = Date.now() / 1000;
      if (stepAt(now) > this.lastStep) {
        this.lastStep = stepAt(now);
        return totpAt(this.key, now);
      }
      await sleep(((this.lastStep + 1) * STEP_SECONDS - now) * 1000 + 250);
    }
  }
  /** Six digits the server refuses now: none of the codes of this step or the steps beside it. */
  wrongCode() {
    const step = stepAt(Date.now() / 1000);
    const valid = new Set([step - 1, step, step + 1, step + 2].map((s) => hotp(this.key, s)));
    let guess = 123456;
    while (valid.has(String(guess))) guess += 1;
    return String(guess);
  }
}

let stack;
let org;
let api; // the operator's API session (signed in with a recovery code)
let operatorApp; // the operator's authenticator
let operatorCodes = [];
let operatorPage; // the operator's browser, which "remembers this device"
const problems = [];

before(async () => {
  stack = await startStack({ env: { WAYFINDER_REQUIRE_MFA_FOR_OPERATORS: "true" } });
});

after(() => closeAndCheckProblems(problems, [stack]));

const newPage = () => openPage(stack, { problems, timeout: TIMEOUT });
const nav = (p) => p.getByRole("navigation", { name: "Main" });
const inPage = (page, path) =>
  page.evaluate(async (p) => {
    const response = await fetch(`/api/v1${p}`);
    return { status: response.status, body: await response.json().catch(() => null) };
  }, path);

/** Signs in over the API; an account with a second factor finishes with `factor` ({code} or {recovery_code}). */
async function apiSignIn(person, factor) {
  const client = new ApiClient(stack.base);
  const first = await client.signIn(person.email, person.password);
  if (first.mfa_required) {
    assert.ok(factor, `${person.email} has a second factor`);
    await client.call("POST", "/auth/login/mfa", { challenge_token: first.challenge_token, ...factor, remember_device: false });
  }
  return client;
}

/** The password step in the browser; answers the /auth/login response. */
async function typePassword(page, person) {
  await page.goto(`${stack.base}/signin`);
  await page.getByLabel("Email").fill(person.email);
  await page.getByLabel("Password").fill(person.password);
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url() === `${stack.base}/api/v1/auth/login` && r.request().method() === "POST"),
    page.getByRole("button", { name: "Sign in", exact: true }).click(),
  ]);
  return response;
}

const codeStep = (page) => page.getByRole("form", { name: "Two-step sign-in" });

/** Types `code` into the sign-in's second step and sends it. */
async function sendCode(page, code) {
  const step = codeStep(page);
  const field = step.getByLabel(/^(Code from your authenticator app|Recovery code)$/);
  await field.fill(code);
  await step.getByRole("button", { name: "Verify" }).click();
}

/** Waits for the second step's refusal; answers its words (the field is marked and focused again). */
async function refusal(page) {
  await page.waitForFunction(() => document.activeElement?.getAttribute("aria-invalid") === "true");
  const field = page.locator("[aria-invalid=true]");
  const id = (await field.getAttribute("aria-describedby")).split(" ")[0];
  return page.locator(`[id="${id}"]`).textContent();
}

/** Signs out from the page's header and waits for the sign-in page. */
async function signOut(page) {
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("heading", { name: "Sign in to Wayfinder" }).waitFor();
  assert.match(new URL(page.url()).pathname, /^\/signin$/);
}

/** On the set-up screen: the password, the key, a code; answers the authenticator and the recovery codes. */
async function setUpTwoStep(page, person, { screenshots } = {}) {
  await page.getByRole("heading", { name: "Set up two-step sign-in", level: 1 }).waitFor();
  await page.getByLabel("Your password").fill(person.password);
  await page.getByRole("button", { name: "Continue" }).click();
  const qr = page.getByRole("img", { name: "QR code to scan with your authenticator app" });
  await qr.waitFor();
  const secret = (await page.getByLabel(/setup key/).inputValue()).replace(/\s/g, "");
  assert.match(secret, /^[A-Z2-7]{16,}$/, "the setup key is base32");
  // The QR code and the link carry the same key, for the account's address.
  const uri = new URL(await page.getByRole("link", { name: "Open in an authenticator app on this device" }).getAttribute("href"));
  assert.equal(uri.protocol, "otpauth:");
  assert.equal(uri.searchParams.get("secret"), secret);
  assert.match(decodeURIComponent(uri.pathname), new RegExp(person.email.replace(".", "\\.")));
  assert.ok((await qr.locator("path").getAttribute("d")).length > 1000, "the QR code is drawn");
  if (screenshots) await threeScreenshots(page, screenshots, () => qr.scrollIntoViewIfNeeded());

  // The organisations answer slowly (a busy server): they are refused until the factor is on and
  // load again afterwards, and the recovery codes, shown once, must stay on screen meanwhile.
  const slowOrgs = async (route) => {
    await sleep(1500);
    await route.continue().catch(() => {});
  };
  const orgsList = (url) => url.pathname === "/api/v1/orgs";
  await page.route(orgsList, slowOrgs);
  const app = new Authenticator(secret);
  await page.getByLabel("Code from your authenticator app").fill(await app.code());
  await page.getByRole("button", { name: "Turn on two-step sign-in" }).click();
  const list = page.getByRole("list", { name: "Recovery codes" });
  await list.waitFor();
  await page.waitForResponse((r) => orgsList(new URL(r.url())) && r.status() === 200);
  await page.unroute(orgsList, slowOrgs);
  const codes = (await list.getByRole("listitem").allTextContents()).map((c) => c.trim());
  assert.equal(codes.length, 10, JSON.stringify(codes));
  assert.equal(new Set(codes).size, 10, "the codes differ");
  for (const code of codes) assert.match(code, RECOVERY_CODE);
  return { app, codes };
}

test("after first-run setup, the operator sets up two-step sign-in before anything else, then the app works", async () => {
  const page = await newPage();
  await page.goto(stack.setupLink);
  await page.getByRole("heading", { name: "Set up Wayfinder" }).waitFor();
  await page.getByLabel("Your name").fill(OPERATOR.name);
  await page.getByLabel("Email").fill(OPERATOR.email);
  await page.getByLabel("Password").fill(OPERATOR.password);
  await page.getByRole("button", { name: "Create operator" }).click();

  // Taken to set it up, and kept there: the server refuses everything else meanwhile.
  await page.waitForURL(/\/security\/setup/);
  await page.getByRole("heading", { name: "Set up two-step sign-in", level: 1 }).waitFor();
  await page.getByText("Your account must use two-step sign-in.").waitFor();
  assert.equal(await page.getByRole("button", { name: "Not now" }).count(), 0, "no way round it");
  assert.ok(await page.getByRole("button", { name: "Sign out" }).isVisible(), "sign-out is at hand");
  const orgs = await inPage(page, "/orgs");
  assert.equal(orgs.status, 403);
  assert.equal(orgs.body.error.code, "mfa_enrollment_required");
  assert.deepEqual((await inPage(page, "/me/mfa")).body, { enabled: false, enrolling: false, required: true, recovery_codes_left: 0 });
  await page.goto(`${stack.base}/admin/members`);
  await page.waitForURL(/\/security\/setup\?next=%2Fadmin%2Fmembers$/);

  // A wrong password is refused beside its field.
  await page.getByLabel("Your password").fill("not my password at all");
  await page.getByRole("button", { name: "Continue" }).click();
  assert.equal(await refusal(page), "That password isn't right.");

  await page.getByLabel("Your password").fill(OPERATOR.password);
  await page.getByRole("button", { name: "Continue" }).click();
  const qr = page.getByRole("img", { name: "QR code to scan with your authenticator app" });
  await qr.waitFor();
  const secret = (await page.getByLabel(/setup key/).inputValue()).replace(/\s/g, "");
  operatorApp = new Authenticator(secret);
  assert.deepEqual((await inPage(page, "/me/mfa")).body.enrolling, true);

  // A wrong code is refused in words, beside the field.
  await page.getByLabel("Code from your authenticator app").fill(operatorApp.wrongCode());
  await page.getByRole("button", { name: "Turn on two-step sign-in" }).click();
  assert.match(await refusal(page), /That code didn't work/);
  await threeScreenshots(page, "mfa-01-set-up", () => qr.scrollIntoViewIfNeeded());

  await page.getByLabel("Code from your authenticator app").fill(await operatorApp.code());
  await page.getByRole("button", { name: "Turn on two-step sign-in" }).click();
  const list = page.getByRole("list", { name: "Recovery codes" });
  await list.waitFor();
  await page.getByRole("status").filter({ hasText: "Two-step sign-in is on." }).waitFor();
  operatorCodes = (await list.getByRole("listitem").allTextContents()).map((c) => c.trim());
  assert.equal(operatorCodes.length, 10);
  assert.equal(new Set(operatorCodes).size, 10);
  for (const code of operatorCodes) assert.match(code, RECOVERY_CODE);
  // The download holds the same codes.
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Download codes" }).click()]);
  const saved = await readFile(await download.path(), "utf8");
  for (const code of operatorCodes) assert.ok(saved.includes(code), `${code} is in the file`);
  await twoScreenshots(page, "mfa-02-recovery-codes", () => list.scrollIntoViewIfNeeded());
  assert.deepEqual((await inPage(page, "/me/mfa")).body, { enabled: true, enrolling: false, required: true, recovery_codes_left: 10 });

  // Back where it was going; then the app works: the operator creates the organisation.
  await page.getByRole("button", { name: "I have saved these" }).click();
  await page.getByRole("heading", { name: `Welcome, ${OPERATOR.name}` }).waitFor();
  await page.getByLabel("Organisation name").fill(ORG.name);
  await page.getByLabel("Short name").fill(ORG.slug);
  await page.getByRole("button", { name: "Create organisation" }).click();
  await page.waitForURL(/\/knowledge$/);
  await page.getByRole("heading", { name: "Knowledge base" }).waitFor();
  const created = await inPage(page, "/orgs");
  assert.equal(created.status, 200);
  org = created.body.find((o) => o.organisation.slug === ORG.slug).organisation;
  assert.ok(org);
  await page.context().close();
});

test("signing in asks for the code: wrong and reused codes are refused, a recovery code works once, a device is remembered", async () => {
  assert.ok(operatorApp, "the operator set up two-step sign-in");
  const page = await newPage();
  operatorPage = page;

  // The password step answers a second step; the page asks for the code.
  const first = await typePassword(page, OPERATOR);
  assert.equal(first.status(), 202);
  const step = codeStep(page);
  await step.waitFor();
  const field = step.getByLabel("Code from your authenticator app");
  assert.equal(await field.getAttribute("autocomplete"), "one-time-code");
  assert.equal(await field.getAttribute("inputmode"), "numeric");
  await page.waitForFunction(() => document.activeElement?.getAttribute("autocomplete") === "one-time-code");
  assert.equal((await inPage(page, "/me")).status, 401, "no session yet");
  await threeScreenshots(page, "mfa-03-code-step", () => step.scrollIntoViewIfNeeded());

  await sendCode(page, operatorApp.wrongCode());
  assert.match(await refusal(page), /That code didn't work\. Type the 6-digit code your authenticator app shows now/);
  assert.match(page.url(), /\/signin$/);

  const code = await operatorApp.code();
  await sendCode(page, code);
  await page.waitForURL(/\/chat/);
  assert.equal((await inPage(page, "/me")).body.person.email, OPERATOR.email);
  await signOut(page);

  // The same code again: refused (each works once), even within its 30 seconds.
  await typePassword(page, OPERATOR);
  await sendCode(page, code);
  assert.match(await refusal(page), /each code works only once/);

  // A recovery code instead.
  await step.getByRole("button", { name: "Use a recovery code instead" }).click();
  await step.getByLabel("Recovery code").waitFor();
  await sendCode(page, operatorCodes[0]);
  await page.waitForURL(/\/chat/);
  assert.equal((await inPage(page, "/me/mfa")).body.recovery_codes_left, 9);
  await signOut(page);

  // A second step that ended elsewhere (here: finished over the API): back to the password, saying why.
  const answer = await typePassword(page, OPERATOR);
  const { challenge_token } = await answer.json();
  const elsewhere = new ApiClient(stack.base);
  await elsewhere.call("POST", "/auth/login/mfa", { challenge_token, recovery_code: operatorCodes[1], remember_device: false });
  await sendCode(page, operatorApp.wrongCode());
  await page.getByRole("alert").filter({ hasText: "That sign-in ran out" }).waitFor();
  await codeStep(page).waitFor({ state: "detached" });
  assert.equal(await page.getByLabel("Password").inputValue(), "", "the password is asked again");
  await page.waitForFunction(() => document.activeElement?.id === "password");

  // The recovery code used before is refused the second time.
  await typePassword(page, OPERATOR);
  await step.getByRole("button", { name: "Use a recovery code instead" }).click();
  await sendCode(page, operatorCodes[0]);
  assert.match(await refusal(page), /That recovery code didn't work/);

  // Back to the app's code (a later one), remembering this browser.
  await step.getByRole("button", { name: "Use a code from your authenticator app instead" }).click();
  await step.getByLabel("Remember this device for 30 days").check();
  await sendCode(page, await operatorApp.code());
  await page.waitForURL(/\/chat/);
  await signOut(page);

  // Remembered: the password alone signs in here.
  const remembered = await typePassword(page, OPERATOR);
  assert.equal(remembered.status(), 200);
  await page.waitForURL(/\/chat/);
  assert.equal(await codeStep(page).count(), 0);
  // Another browser is asked again.
  const other = await newPage();
  assert.equal((await typePassword(other, OPERATOR)).status(), 202);
  await codeStep(other).waitFor();
  await other.context().close();
});

test("the profile shows two-step sign-in on and required, and makes new recovery codes", async () => {
  const page = operatorPage;
  await nav(page).getByRole("link", { name: "Profile" }).click();
  const section = page.getByRole("region", { name: "Two-step sign-in" });
  await section.getByText("Signing in on a new device asks for a code from your authenticator app.").waitFor();
  await section.getByText("8 recovery codes left.", { exact: false }).waitFor();
  await section.getByText("Operators of this Wayfinder must use it, so it can't be turned off.", { exact: false }).waitFor();
  assert.equal(await section.getByRole("button", { name: "Turn off two-step sign-in" }).count(), 0);
  await threeScreenshots(page, "mfa-04-profile", () => section.scrollIntoViewIfNeeded());

  // New codes, confirmed with one of the old ones; the old ones then stop working.
  await section.getByRole("button", { name: "New recovery codes" }).click();
  const form = section.getByRole("form", { name: "New recovery codes" });
  await form.getByRole("button", { name: "Use a recovery code instead" }).click();
  await form.getByLabel("Recovery code").fill(operatorCodes[0]);
  await form.getByRole("button", { name: "Make new codes" }).click();
  assert.match(await refusal(page), /That recovery code didn't work/);
  await form.getByLabel("Recovery code").fill(operatorCodes[2]);
  await form.getByRole("button", { name: "Make new codes" }).click();
  const list = section.getByRole("list", { name: "Recovery codes" });
  await list.waitFor();
  const fresh = (await list.getByRole("listitem").allTextContents()).map((c) => c.trim());
  assert.equal(fresh.length, 10);
  for (const code of fresh) assert.ok(!operatorCodes.includes(code), "new codes");
  await section.getByRole("button", { name: "I have saved these" }).click();
  await section.getByText("10 recovery codes left.", { exact: false }).waitFor();

  const old = new ApiClient(stack.base);
  const challenge = await old.signIn(OPERATOR.email, OPERATOR.password);
  await assert.rejects(
    () => old.call("POST", "/auth/login/mfa", { challenge_token: challenge.challenge_token, recovery_code: operatorCodes[3], remember_device: false }),
    (err) => err.status === 401 && err.body.error.code === "invalid_mfa_code",
  );
  // The operator's API session for the rest: a new recovery code.
  await old.call("POST", "/auth/login/mfa", { challenge_token: challenge.challenge_token, recovery_code: fresh[0], remember_device: false });
  api = old;
  assert.equal((await api.call("GET", "/me/mfa")).recovery_codes_left, 9);
});

test("an organisation requiring its admins to use it sends an admin without it to set it up", async () => {
  assert.ok(api && org, "the operator's session and organisation");
  await api.inviteAndAccept(org.id, ADMIN, "admin");
  await api.inviteAndAccept(org.id, LEARNER, "learner");

  const page = operatorPage;
  await nav(page).getByRole("link", { name: "Organisation" }).click();
  await page.getByRole("navigation", { name: "Organisation sections" }).getByRole("link", { name: "Single sign-on" }).click();
  const box = page.getByLabel("Require admins to use two-step sign-in");
  assert.equal(await box.isChecked(), false);
  await box.check();
  await page.getByRole("status").filter({ hasText: "admins now need two-step sign-in" }).waitFor();
  assert.deepEqual(await api.call("GET", `/orgs/${org.id}/sign-in-settings`), { sso_only: false, mfa_required_for_admins: true });
  await twoScreenshots(page, "mfa-05-require-admins", () => box.scrollIntoViewIfNeeded());
  await page.reload();
  assert.equal(await page.getByLabel("Require admins to use two-step sign-in").isChecked(), true, "kept");

  // The admin, with a password alone so far, is sent to set it up; the server refuses the rest.
  const ada = await newPage();
  assert.equal((await typePassword(ada, ADMIN)).status(), 200);
  await ada.waitForURL(/\/security\/setup/);
  assert.deepEqual((await inPage(ada, "/me/mfa")).body, { enabled: false, enrolling: false, required: true, recovery_codes_left: 0 });
  assert.equal((await inPage(ada, `/orgs/${org.id}/members`)).body.error.code, "mfa_enrollment_required");
  await ada.goto(`${stack.base}/chat`);
  await ada.waitForURL(/\/security\/setup/);
  // Signing out works from there; signing in again comes back to it.
  await signOut(ada);
  assert.equal((await inPage(ada, "/me")).status, 401, "signed out");
  assert.equal((await typePassword(ada, ADMIN)).status(), 200);
  await ada.waitForURL(/\/security\/setup/);
  await setUpTwoStep(ada, ADMIN);
  await ada.getByRole("button", { name: "I have saved these" }).click();
  await ada.waitForURL(/\/chat$/);
  assert.equal((await inPage(ada, `/orgs/${org.id}/members`)).status, 200, "the app works for her now");
  await ada.context().close();

  // A learner is not asked.
  const lee = await newPage();
  assert.equal((await typePassword(lee, LEARNER)).status(), 200);
  await lee.waitForURL(/\/chat$/);
  assert.equal((await inPage(lee, "/me/mfa")).body.required, false);
  await lee.context().close();
});

test("an admin resets a member's two-step sign-in; the member then signs in with the password, and turns it on and off", async () => {
  const cole = await api.inviteAndAccept(org.id, COACH, "coach");
  // Cole turns it on over the API.
  const enrolment = await cole.client.call("POST", "/me/mfa/totp", { password: COACH.password });
  const coleApp = new Authenticator(enrolment.secret);
  await cole.client.call("POST", "/me/mfa/totp/confirm", { code: await coleApp.code() });
  assert.equal((await new ApiClient(stack.base).signIn(COACH.email, COACH.password)).mfa_required, true);

  const page = operatorPage;
  await page.getByRole("navigation", { name: "Organisation sections" }).getByRole("link", { name: "Members" }).click();
  const table = page.getByRole("table");
  await table.getByRole("row", { name: new RegExp(COACH.name) }).waitFor();
  assert.equal(await table.getByRole("button", { name: `Reset two-step sign-in of ${OPERATOR.name}` }).count(), 0, "not one's own");
  const reset = table.getByRole("button", { name: `Reset two-step sign-in of ${COACH.name}` });
  const dialog = page.getByRole("dialog", { name: `Reset ${COACH.name}'s two-step sign-in?` });
  await reset.click();
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await dialog.waitFor({ state: "hidden" });
  assert.equal((await new ApiClient(stack.base).signIn(COACH.email, COACH.password)).mfa_required, true, "cancelled: still on");
  await reset.click();
  await twoScreenshots(page, "mfa-06-reset-member", () => dialog.getByRole("button", { name: "Reset two-step sign-in" }).waitFor());
  await dialog.getByRole("button", { name: "Reset two-step sign-in" }).click();
  await dialog.waitFor({ state: "hidden" });
  await page.getByRole("status").filter({ hasText: `${COACH.name}'s two-step sign-in was reset` }).waitFor();

  // The password alone now signs Cole in.
  const coach = await newPage();
  assert.equal((await typePassword(coach, COACH)).status(), 200);
  await coach.waitForURL(/\/chat$/);
  assert.equal(await codeStep(coach).count(), 0);

  // From the profile, Cole turns it on again (and could have left it for later)…
  await nav(coach).getByRole("link", { name: "Profile" }).click();
  const section = coach.getByRole("region", { name: "Two-step sign-in" });
  await section.getByText("Off", { exact: true }).waitFor();
  await section.getByRole("link", { name: "Turn on two-step sign-in" }).click();
  await coach.waitForURL(/\/security\/setup\?next=\/profile$/);
  await coach.getByRole("button", { name: "Not now" }).waitFor();
  const { codes } = await setUpTwoStep(coach, COACH);
  await coach.getByRole("button", { name: "I have saved these" }).click();
  await coach.waitForURL(/\/profile$/);
  await section.getByText("10 recovery codes left.", { exact: false }).waitFor();
  await noSideways(coach);

  // …and off, with the password and a recovery code (a wrong password refused first).
  await section.getByRole("button", { name: "Turn off two-step sign-in" }).click();
  const form = section.getByRole("form", { name: "Turn off two-step sign-in" });
  await form.getByLabel("Your password").fill("not the coach's password");
  await form.getByRole("button", { name: "Use a recovery code instead" }).click();
  await form.getByLabel("Recovery code").fill(codes[0]);
  await form.getByRole("button", { name: "Turn off" }).click();
  assert.equal(await refusal(coach), "That password isn't right.");
  await form.getByLabel("Your password").fill(COACH.password);
  await form.getByRole("button", { name: "Turn off" }).click();
  await section.getByRole("status").filter({ hasText: "Two-step sign-in is off." }).waitFor();
  await section.getByRole("link", { name: "Turn on two-step sign-in" }).waitFor();
  assert.equal((await new ApiClient(stack.base).signIn(COACH.email, COACH.password)).mfa_required, undefined, "a session straight away");
  await coach.context().close();
});
