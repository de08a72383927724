// Browser tests of single sign-on against the real server and a real OpenID
// provider (tests/support/oidc-provider.mjs, node-oidc-provider), its client
// registered with the server's redirect URI. An administrator adds a Google
// Workspace provider in Organisation → Single sign-on (issuer: the test
// provider; domain northfield.example): without a domain the server's refusal
// shows beside the domains field; once added, the screen shows the redirect
// URI to register (the one the test provider has), and the provider in the
// table; saved again with the secret field left empty, the stored secret is
// kept (the sign-ins below prove it). Clever's preset shows its district field
// and role table. A new person, sent to the sign-in page on their way to their
// profile, types their e-mail, clicks "Sign in with …", picks their account on
// the provider's page and lands signed in on their profile, a learner of the
// organisation. An account of another domain, starting from the
// organisation's sign-in link (`?org=`), comes back to the sign-in page with
// the refusal in words and no session. SSO-only is refused beside its switch
// while no provider is enabled, then turned on; a member's password is then
// refused and the page offers their organisation's sign-in. Finally the
// provider is deleted (asked first) and the sign-in page offers it no more.
// Run with `npm run test:e2e` (WAYFINDER_BIN names the binary).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  ApiClient,
  closeAndCheckProblems,
  focusedIsInvalid,
  openPage,
  setUpOrganisation,
  startStack,
  threeScreenshots,
  twoScreenshots,
} from "./lib/harness.mjs";

const TIMEOUT = 30_000;
const OPERATOR = { email: "ola@example.org", password: "correct horse battery staple 42", name: "Ola Operator" };
// A member with a password, in the organisation's domain.
const PAT = { email: "pat@northfield.example", password: "a sturdy member passphrase 9", name: "Pat Password" };
const CLIENT = { client_id: "wayfinder-northfield", client_secret: "a-long-random-test-client-secret-0042" };
const DOMAIN = "northfield.example";
const PROVIDER_NAME = "Northfield Google";
// Accounts at the identity provider: one of the organisation's Workspace domain, one of another.
const SAM = { sub: "google-sam-1", email: "sam@northfield.example", name: "Sam Shore", hd: DOMAIN };
const OTTO = { sub: "google-otto-2", email: "otto@elsewhere.example", name: "Otto Outsider", hd: "elsewhere.example" };

let stack;
let api; // the operator, an administrator of the organisation
let org;
let idp; // the OpenID provider: { issuer, close }
let providerId;
const problems = [];

/** Starts the OpenID provider with `config`; answers its issuer once it says it listens. */
async function startIdentityProvider(config) {
  const dir = await mkdtemp(join(tmpdir(), "wayfinder-oidc-"));
  const file = join(dir, "config.json");
  await writeFile(file, JSON.stringify(config));
  const script = fileURLToPath(new URL("./support/oidc-provider.mjs", import.meta.url));
  const child = spawn(process.execPath, [script, file], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const issuer = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the OpenID provider did not start:\n${output}`)), 30_000);
      child.stderr.on("data", (d) => (output += d));
      child.on("exit", (code) => reject(new Error(`the OpenID provider exited (${code}):\n${output}`)));
      let pending = "";
      // Keeps reading: the issuer line may come after others.
      child.stdout.on("data", (d) => {
        output += d;
        pending += d;
        const lines = pending.split("\n");
        pending = lines.pop();
        for (const line of lines) {
          try {
            const said = JSON.parse(line);
            if (said?.issuer) {
              clearTimeout(timer);
              resolve(said.issuer);
            }
          } catch {
            // not the issuer line
          }
        }
      });
    });
    return { issuer, close, output: () => output };
  } catch (err) {
    await close();
    throw err;
  }
}

const account = ({ email, name, hd }) => ({ email, email_verified: true, name, hd });

before(async () => {
  stack = await startStack();
  ({ api, org } = await setUpOrganisation(stack, OPERATOR, { name: "Northfield School", slug: "northfield" }));
  await api.inviteAndAccept(org.id, PAT, "learner");
  idp = await startIdentityProvider({
    clients: [{ ...CLIENT, redirect_uris: [`${stack.base}/api/v1/auth/sso/callback`] }],
    accounts: { [SAM.sub]: account(SAM), [OTTO.sub]: account(OTTO) },
  });
});

after(() => closeAndCheckProblems(problems, [stack, idp]));

const nav = (p) => p.getByRole("navigation", { name: "Main" });
const members = () => api.call("GET", `/orgs/${org.id}/members`);

/** The operator's page on Organisation → Single sign-on. */
async function ssoSettings() {
  const page = await openPage(stack, { person: OPERATOR, problems, timeout: TIMEOUT });
  await nav(page).getByRole("link", { name: "Organisation" }).click();
  await page.getByRole("navigation", { name: "Organisation sections" }).getByRole("link", { name: "Single sign-on" }).click();
  await page.waitForURL(/\/admin\/sso$/);
  return { page, section: page.getByRole("region", { name: "Single sign-on" }) };
}

/** Picks `person`'s account on the test provider's page (the browser is there). */
async function pickAccount(page, person) {
  await page.waitForURL((url) => url.href.startsWith(`${idp.issuer}/interaction/`));
  await page.getByRole("button", { name: new RegExp(person.name) }).click();
}

test("an administrator adds a Google Workspace provider and sees the redirect URI to register", async () => {
  const { page, section } = await ssoSettings();
  await section.getByText("No identity providers yet.").waitFor();

  await section.getByRole("button", { name: "Add identity provider" }).click();
  const form = section.getByRole("form", { name: "Identity provider" });
  await form.getByLabel("Kind").selectOption("google");
  await form.getByLabel("Name").fill(PROVIDER_NAME);
  await form.getByLabel("Issuer URL (optional)").fill(idp.issuer);
  await form.getByLabel("Client ID").fill(CLIENT.client_id);
  await form.getByLabel("Client secret").fill(CLIENT.client_secret);

  // Google without its Workspace domains: refused beside that field, which takes the focus.
  await form.getByRole("button", { name: "Add provider" }).click();
  await focusedIsInvalid(page);
  const domains = form.getByLabel("Workspace domains");
  assert.equal(await domains.evaluate((el) => el === document.activeElement), true, "the domains field has the focus");
  const refusal = page.locator(`[id="${(await domains.getAttribute("aria-describedby")).split(" ")[0]}"]`);
  assert.match(await refusal.textContent(), /Workspace domains/);
  assert.deepEqual(await api.call("GET", `/orgs/${org.id}/identity-providers`), [], "nothing was added");

  await domains.fill(DOMAIN);
  await form.getByRole("button", { name: "Add provider" }).click();
  await section.getByRole("status").filter({ hasText: `Added “${PROVIDER_NAME}”.` }).waitFor();

  // The redirect URI to register: the server's own address, the one the test provider has.
  const redirectUri = `${stack.base}/api/v1/auth/sso/callback`;
  const shown = section.getByLabel("Redirect URI", { exact: true });
  assert.equal(await shown.inputValue(), redirectUri);
  const [saved] = await api.call("GET", `/orgs/${org.id}/identity-providers`);
  providerId = saved.id;
  assert.equal(saved.redirect_uri, redirectUri, "the server's redirect URI is the one registered at the provider");
  assert.equal(saved.kind, "google");
  assert.equal(saved.issuer_url, idp.issuer);
  assert.deepEqual(saved.allowed_domains, [DOMAIN]);
  assert.equal(saved.enabled, true);
  assert.equal(saved.default_role, "learner");
  assert.equal("client_secret" in saved, false, "the secret never comes back");

  const row = section.getByRole("table", { name: "Identity providers" }).getByRole("row", { name: new RegExp(PROVIDER_NAME) });
  for (const text of ["Google Workspace", idp.issuer, DOMAIN, "Enabled"]) await row.getByText(text).waitFor();
  await threeScreenshots(page, "sso-01-settings", () => section.scrollIntoViewIfNeeded());

  // Saved again with the secret left empty: the stored one is kept (the sign-ins below use it).
  await row.getByRole("button", { name: `Edit ${PROVIDER_NAME}` }).click();
  const secret = form.getByLabel("Client secret (leave empty to keep)");
  assert.equal(await secret.inputValue(), "");
  assert.equal(await form.getByLabel("Workspace domains").inputValue(), DOMAIN);
  await form.getByRole("button", { name: "Save provider" }).click();
  await section.getByRole("status").filter({ hasText: `Saved “${PROVIDER_NAME}”.` }).waitFor();

  // Clever's preset: its district, and its user types mapped to roles, to change.
  await section.getByRole("button", { name: "Add identity provider" }).click();
  await form.getByLabel("Kind").selectOption("clever");
  await form.getByLabel("District ID").waitFor();
  assert.equal(await form.getByLabel("Role claim").inputValue(), "user_type");
  assert.equal(await form.getByLabel("Role for student").inputValue(), "learner");
  assert.equal(await form.getByLabel("Role for teacher").inputValue(), "coach");
  assert.equal(await form.getByLabel("Role for district_admin").inputValue(), "admin");
  await twoScreenshots(page, "sso-02-clever-preset", () => form.scrollIntoViewIfNeeded());
  await form.getByRole("button", { name: "Cancel" }).click();
  await form.waitFor({ state: "detached" });
  assert.equal((await api.call("GET", `/orgs/${org.id}/identity-providers`)).length, 1);
  await page.context().close();
});

test("a new person of the organisation's domain signs in through its provider and joins as a learner", async () => {
  assert.ok(providerId, "the provider was added");
  const page = await openPage(stack, { problems, timeout: TIMEOUT });
  // On their way to their profile, sent to sign in first.
  await page.goto(`${stack.base}/profile`);
  await page.waitForURL(/\/signin\?next=%2Fprofile$/);
  await page.getByLabel("Email").fill(SAM.email);
  const choices = page.getByRole("list", { name: "Organisation sign-in" });
  const link = choices.getByRole("link", { name: `Sign in with ${PROVIDER_NAME}` });
  await link.waitFor();
  assert.equal(await choices.getByRole("link").count(), 1);
  assert.match(await link.textContent(), /Northfield School/, "the link names the organisation");
  const href = new URL(await link.getAttribute("href"), stack.base);
  assert.equal(href.pathname, `/api/v1/auth/sso/${providerId}/start`);
  assert.equal(href.searchParams.get("return_to"), "/profile");
  await threeScreenshots(page, "sso-03-sign-in-with-providers", () => link.scrollIntoViewIfNeeded());

  await link.click();
  await pickAccount(page, SAM);
  await page.waitForURL(`${stack.base}/profile`);
  await page.getByRole("heading", { name: "Your profile", level: 1 }).waitFor();
  await page.locator(".who").getByText(SAM.name).waitFor();

  const sam = (await members()).find((m) => m.person.email === SAM.email);
  assert.ok(sam, "the new person is a member");
  assert.equal(sam.role, "learner");
  assert.equal(sam.person.display_name, SAM.name);
  // The browser's session is theirs.
  const me = await page.evaluate(async () => (await fetch("/api/v1/me")).json());
  assert.equal(me.person.email, SAM.email);
  await page.context().close();
});

test("an account of another domain comes back to the sign-in page, refused, without a session", async () => {
  const page = await openPage(stack, { problems, timeout: TIMEOUT });
  // The organisation's own sign-in link lists its providers straight away.
  await page.goto(`${stack.base}/signin?org=northfield`);
  const link = page.getByRole("list", { name: "Organisation sign-in" }).getByRole("link", { name: `Sign in with ${PROVIDER_NAME}` });
  await link.waitFor();
  assert.equal(new URL(await link.getAttribute("href"), stack.base).searchParams.get("return_to"), null);
  await link.click();
  await pickAccount(page, OTTO);
  await page.waitForURL(`${stack.base}/signin?sso_error=sso_refused`);
  const alert = page.getByRole("alert");
  await alert.filter({ hasText: "Your organisation does not let this account sign in." }).waitFor();
  assert.equal(await page.getByLabel("Password").count(), 1, "the sign-in form is still there");
  const status = await page.evaluate(async () => (await fetch("/api/v1/me")).status);
  assert.equal(status, 401, "not signed in");
  assert.equal((await members()).some((m) => m.person.email === OTTO.email), false, "no member was made");
  await page.context().close();
});

test("with SSO-only sign-in, a member's password is refused and their organisation's sign-in offered", async () => {
  const { page, section } = await ssoSettings();
  const table = section.getByRole("table", { name: "Identity providers" });
  const ssoOnly = section.getByLabel("SSO-only sign-in");
  assert.equal(await ssoOnly.isChecked(), false);

  // No enabled provider: SSO-only is refused, beside its switch.
  await table.getByRole("button", { name: `Disable ${PROVIDER_NAME}` }).click();
  await table.getByText("Disabled", { exact: true }).waitFor();
  assert.equal((await api.call("GET", `/orgs/${org.id}/identity-providers`))[0].enabled, false);
  // Refused, the box stays unticked (`check()` would insist it changed).
  await ssoOnly.click();
  await page.waitForFunction(() => document.querySelector('input[aria-invalid="true"][type="checkbox"]'));
  const refusal = page.locator(`[id="${(await ssoOnly.getAttribute("aria-describedby")).split(" ")[0]}"]`);
  assert.match(await refusal.textContent(), /enable an identity provider/i);
  assert.equal(await ssoOnly.isChecked(), false);
  assert.deepEqual(await api.call("GET", `/orgs/${org.id}/sign-in-settings`), { sso_only: false, mfa_required_for_admins: false });

  await table.getByRole("button", { name: `Enable ${PROVIDER_NAME}` }).click();
  await table.getByText("Enabled", { exact: true }).waitFor();
  await ssoOnly.check();
  await section.getByRole("status").filter({ hasText: "members now sign in only through your identity providers" }).waitFor();
  assert.equal(await ssoOnly.getAttribute("aria-invalid"), null);
  assert.deepEqual(await api.call("GET", `/orgs/${org.id}/sign-in-settings`), { sso_only: true, mfa_required_for_admins: false });
  await page.context().close();

  // Pat's right password is refused: the page says to use the organisation's sign-in and offers it.
  const signIn = await openPage(stack, { problems, timeout: TIMEOUT });
  await signIn.goto(`${stack.base}/signin`);
  await signIn.getByLabel("Email").fill(PAT.email);
  await signIn.getByLabel("Password").fill(PAT.password);
  await signIn.getByRole("button", { name: "Sign in", exact: true }).click();
  await signIn.getByRole("alert").filter({ hasText: "use your organisation's sign-in" }).waitFor();
  const link = signIn.getByRole("list", { name: "Organisation sign-in" }).getByRole("link", { name: `Sign in with ${PROVIDER_NAME}` });
  await link.waitFor();
  await signIn.waitForFunction(() => document.activeElement?.textContent?.includes("Sign in with"));
  assert.match(signIn.url(), /\/signin$/, "still on the sign-in page");
  await twoScreenshots(signIn, "sso-04-password-refused", () => link.scrollIntoViewIfNeeded());
  await assert.rejects(
    () => new ApiClient(stack.base).signIn(PAT.email, PAT.password),
    (err) => err.status === 403 && err.body?.error?.code === "sso_required",
  );
  await signIn.context().close();
});

test("an administrator turns SSO-only off and deletes the provider, asked first", async () => {
  const { page, section } = await ssoSettings();
  await section.getByLabel("SSO-only sign-in").uncheck();
  await section.getByRole("status").filter({ hasText: "may sign in with their passwords again" }).waitFor();
  assert.deepEqual(await api.call("GET", `/orgs/${org.id}/sign-in-settings`), { sso_only: false, mfa_required_for_admins: false });

  await section.getByRole("button", { name: `Delete ${PROVIDER_NAME}` }).click();
  const dialog = page.getByRole("dialog", { name: `Delete “${PROVIDER_NAME}”?` });
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await dialog.waitFor({ state: "hidden" });
  assert.equal((await api.call("GET", `/orgs/${org.id}/identity-providers`)).length, 1, "cancelled: still there");

  await section.getByRole("button", { name: `Delete ${PROVIDER_NAME}` }).click();
  await dialog.getByRole("button", { name: "Delete provider" }).click();
  await dialog.waitFor({ state: "hidden" });
  await section.getByText("No identity providers yet.").waitFor();
  assert.deepEqual(await api.call("GET", `/orgs/${org.id}/identity-providers`), []);
  await page.context().close();

  const signIn = await openPage(stack, { problems, timeout: TIMEOUT });
  await signIn.goto(`${stack.base}/signin?org=northfield`);
  await signIn.getByRole("status").filter({ hasText: "No sign-in of its own was found for this organisation." }).waitFor();
  assert.equal(await signIn.getByRole("link", { name: /^Sign in with/ }).count(), 0);
  await signIn.context().close();
});
