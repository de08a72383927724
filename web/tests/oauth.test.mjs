// Browser tests of apps signed in through OAuth 2.1 against the real server,
// with the test playing the native app itself: a loopback HTTP server on
// 127.0.0.1 (a port of its own) receives the redirect, and the PKCE verifier
// and its S256 challenge are made here with node:crypto (checked against RFC
// 7636's example). The operator registers the app in Organisation → Apps: an
// address the server refuses says why beside the field; a public client gets
// no secret, a confidential one shows its secret once and is removed, asked
// first; rotating the signing key shows the new key's id, which the JWKS then
// publishes (an admin who is not an operator sees no Apps tab). A learner
// opening the app's authorization request signed out is sent to sign in and
// brought back to the same request; the consent page names the app, what
// allowing it means and where the browser goes; Allow sends the code and the
// same state to the app, which redeems it at the token endpoint: the access
// token is an RS256 JWT signed with the rotated key (verified against the
// JWKS), and /api/v1/me with it names the learner, authenticated by the access
// token. Refreshing gives a new refresh token; presenting the old one again is
// `invalid_grant` and ends the family, so the newer one is refused too. Deny
// sends `access_denied` with the state; a request without PKCE goes back to
// the app with `invalid_request`. Signing the app out from the profile ends
// its tokens. An unknown client, or an address the client did not register,
// is explained on the page and the browser goes nowhere. Run with
// `npm run test:e2e` (WAYFINDER_BIN names the binary).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createHash, createPublicKey, randomBytes, randomUUID, verify } from "node:crypto";
import { createServer } from "node:http";
import {
  closeAndCheckProblems,
  focusedIsInvalid,
  openPage,
  screenshot,
  setUpOrganisation,
  startStack,
  threeScreenshots,
  twoScreenshots,
} from "./lib/harness.mjs";

const TIMEOUT = 30_000;
const OPERATOR = { email: "ola@example.org", password: "correct horse battery staple 42", name: "Ola Operator" };
const ADMIN = { email: "ada@example.org", password: "an admin's long passphrase 8", name: "Ada Admin" };
const LEARNER = { email: "lee@example.org", password: "a learner's long passphrase 4", name: "Lee Learner" };
const APP_NAME = "Northfield Notes";
const INTEGRATION_NAME = "Northfield Reports";

// ---- PKCE (RFC 7636), independent of the server's code ----

const UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
/** A code verifier: 64 random characters of the unreserved set (RFC 7636 §4.1). */
const newVerifier = () => Array.from(randomBytes(64), (b) => UNRESERVED[b % UNRESERVED.length]).join("");
/** S256: base64url of the SHA-256 of the verifier, without padding (RFC 7636 §4.2). */
const challengeOf = (verifier) => createHash("sha256").update(verifier, "ascii").digest("base64url");
// RFC 7636 appendix B.
assert.equal(challengeOf("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");

/**
 * The native app's side of the redirect: an HTTP server on 127.0.0.1 with a port of its own. Every
 * request to /callback is kept; `next()` answers the next one's URL.
 */
class LoopbackApp {
  constructor() {
    this.received = [];
    this.waiting = [];
  }
  async start() {
    this.server = createServer((request, response) => {
      const url = new URL(request.url, `http://${request.headers.host}`);
      if (url.pathname !== "/callback") {
        response.writeHead(404).end();
        return;
      }
      this.received.push(url);
      const waiter = this.waiting.shift();
      if (waiter) waiter(url);
      response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      response.end(`<!doctype html><title>${APP_NAME}</title><p>You can close this window and return to ${APP_NAME}.</p>`);
    });
    await new Promise((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.redirectUri = `http://127.0.0.1:${this.server.address().port}/callback`;
    return this;
  }
  /** The next request to /callback, from now on. */
  next() {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("the app's loopback server received no redirect")), TIMEOUT);
      this.waiting.push((url) => {
        clearTimeout(timer);
        resolve(url);
      });
    });
  }
  async close() {
    this.server?.closeAllConnections();
    await new Promise((resolve) => (this.server ? this.server.close(resolve) : resolve()));
  }
}

let stack;
let api; // the operator's API session
let org;
let loopback;
let clientId; // the public client the operator registers
let rotatedKid; // the signing key the operator rotated to
let learnerId;
const problems = [];

before(async () => {
  stack = await startStack();
  ({ api, org } = await setUpOrganisation(stack, OPERATOR, { name: "Northfield School", slug: "northfield" }));
  learnerId = (await api.inviteAndAccept(org.id, LEARNER, "learner")).id;
  await api.inviteAndAccept(org.id, ADMIN, "admin");
  loopback = await new LoopbackApp().start();
});

after(() => closeAndCheckProblems(problems, [stack, loopback]));

const nav = (p) => p.getByRole("navigation", { name: "Main" });
const tabs = (p) => p.getByRole("navigation", { name: "Organisation sections" });

/** An authorization request as the app builds it, with a new verifier and state; `change` edits the parameters. */
function authorizationRequest(change = () => {}) {
  const verifier = newVerifier();
  const state = randomBytes(16).toString("hex");
  const params = new URLSearchParams({
    response_type: "code",
    client_id: clientId,
    redirect_uri: loopback.redirectUri,
    code_challenge: challengeOf(verifier),
    code_challenge_method: "S256",
    scope: "api",
    state,
  });
  change(params);
  return { verifier, state, search: `?${params}`, url: `${stack.base}/oauth/authorize?${params}` };
}

/** The token endpoint, form-encoded as RFC 6749 has it: answers its status and JSON. */
async function tokenEndpoint(fields) {
  const response = await fetch(`${stack.base}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
    body: new URLSearchParams(fields),
  });
  return { status: response.status, body: await response.json() };
}

const redeem = (code, verifier) =>
  tokenEndpoint({ grant_type: "authorization_code", code, redirect_uri: loopback.redirectUri, client_id: clientId, code_verifier: verifier });
const refresh = (refreshToken) => tokenEndpoint({ grant_type: "refresh_token", refresh_token: refreshToken, client_id: clientId });

/** `/api/v1/me` as the app, with its access token. */
async function meWith(accessToken) {
  const response = await fetch(`${stack.base}/api/v1/me`, {
    headers: { authorization: `Bearer ${accessToken}`, accept: "application/json" },
  });
  return { status: response.status, body: await response.json().catch(() => null) };
}

function assertRefused(answer, what) {
  assert.equal(answer.status, 400, `${what}: ${JSON.stringify(answer.body)}`);
  assert.equal(answer.body.error, "invalid_grant", what);
  assert.equal(typeof answer.body.error_description, "string");
}

/** The learner's browser, signed in. */
const learnerPage = () => openPage(stack, { person: LEARNER, problems, timeout: TIMEOUT });

/** Opens the request in `page`, checks the consent page and answers with `button`; answers where the app was sent. */
async function answerRequest(page, request, button) {
  await page.goto(request.url);
  await page.getByRole("heading", { name: `${APP_NAME} wants to use Wayfinder as you`, level: 1 }).waitFor();
  const arrived = loopback.next();
  await page.getByRole("group", { name: `Answer ${APP_NAME}` }).getByRole("button", { name: button, exact: true }).click();
  const callback = await arrived;
  await page.waitForURL((url) => url.href.startsWith(loopback.redirectUri));
  return callback;
}

test("an operator registers a public app and a confidential one, removes one and rotates the signing key", async () => {
  const page = await openPage(stack, { person: OPERATOR, problems, timeout: TIMEOUT });
  await nav(page).getByRole("link", { name: "Organisation" }).click();
  await tabs(page).getByRole("link", { name: "Apps" }).click();
  await page.waitForURL(/\/admin\/apps$/);
  const section = page.getByRole("region", { name: "Apps" });
  await section.getByText("No apps registered yet.").waitFor();

  // Plain http to another host: refused, beside the addresses, which take the focus.
  const form = section.getByRole("form", { name: "Register an app" });
  await form.getByLabel("Name").fill(APP_NAME);
  await form.getByLabel("Kind").selectOption("public");
  const addresses = form.getByLabel("Redirect addresses");
  await addresses.fill("http://notes.example/callback");
  await form.getByRole("button", { name: "Register app" }).click();
  await focusedIsInvalid(page);
  assert.equal(await addresses.evaluate((el) => el === document.activeElement), true, "the addresses have the focus");
  const refusal = page.locator(`[id="${(await addresses.getAttribute("aria-describedby")).split(" ")[0]}"]`);
  assert.match(await refusal.textContent(), /127\.0\.0\.1/, "the refusal says what plain http may go to");
  assert.deepEqual(await api.call("GET", "/oauth/clients"), [], "nothing was registered");

  // A loopback address (any port at use) and an app's own scheme.
  await addresses.fill("http://127.0.0.1/callback\ncom.northfield.notes:/oauth");
  await form.getByRole("button", { name: "Register app" }).click();
  await section.getByRole("status").filter({ hasText: `Registered “${APP_NAME}”.` }).waitFor();
  assert.equal(await section.getByRole("region", { name: /Client secret/ }).count(), 0, "a public client has no secret");
  const [registered] = await api.call("GET", "/oauth/clients");
  clientId = registered.id;
  assert.equal(registered.name, APP_NAME);
  assert.equal(registered.kind, "public");
  assert.deepEqual(registered.redirect_uris, ["http://127.0.0.1/callback", "com.northfield.notes:/oauth"]);
  const table = section.getByRole("table", { name: "Registered apps" });
  const row = table.getByRole("row", { name: new RegExp(APP_NAME) });
  assert.equal(await row.getByLabel(`Client ID of ${APP_NAME}`).inputValue(), clientId, "the client ID is shown to copy");
  await row.getByRole("button", { name: "Copy" }).waitFor();
  await row.getByText("Public", { exact: true }).waitFor();
  const shownAddresses = await row.getByRole("list", { name: `Redirect addresses of ${APP_NAME}` }).getByRole("listitem").allTextContents();
  assert.deepEqual(shownAddresses, registered.redirect_uris);
  assert.equal(await form.getByLabel("Name").inputValue(), "", "the form is ready for the next app");
  await threeScreenshots(page, "oauth-01-apps", () => table.scrollIntoViewIfNeeded());

  // A confidential client: its secret, shown this once.
  await form.getByLabel("Name").fill(INTEGRATION_NAME);
  await form.getByLabel("Kind").selectOption("confidential");
  await addresses.fill("https://reports.northfield.example/oauth/callback");
  await form.getByRole("button", { name: "Register app" }).click();
  const secretBox = section.getByRole("region", { name: `Client secret for “${INTEGRATION_NAME}”` });
  await secretBox.waitFor();
  const secret = await secretBox.getByRole("textbox").inputValue();
  assert.ok(secret.length >= 32, "a long secret");
  const integration = (await api.call("GET", "/oauth/clients")).find((c) => c.name === INTEGRATION_NAME);
  assert.equal(integration.kind, "confidential");
  assert.equal("client_secret" in integration, false, "the secret never comes back");
  await table.getByRole("row", { name: new RegExp(INTEGRATION_NAME) }).getByText("Confidential", { exact: true }).waitFor();
  await twoScreenshots(page, "oauth-02-client-secret", () => secretBox.scrollIntoViewIfNeeded());

  // Removed, asked first: cancelled, it stays; confirmed, it goes (and its secret with it).
  await table.getByRole("button", { name: `Remove ${INTEGRATION_NAME}` }).click();
  const dialog = page.getByRole("dialog", { name: `Remove “${INTEGRATION_NAME}”?` });
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await dialog.waitFor({ state: "hidden" });
  assert.equal((await api.call("GET", "/oauth/clients")).length, 2, "cancelled: still there");
  await table.getByRole("button", { name: `Remove ${INTEGRATION_NAME}` }).click();
  await dialog.getByRole("button", { name: "Remove app" }).click();
  await dialog.waitFor({ state: "hidden" });
  await section.getByRole("status").filter({ hasText: `Removed “${INTEGRATION_NAME}”.` }).waitFor();
  assert.equal(await table.getByRole("row", { name: new RegExp(INTEGRATION_NAME) }).count(), 0);
  assert.equal(await secretBox.count(), 0, "the secret is gone with it");
  assert.deepEqual((await api.call("GET", "/oauth/clients")).map((c) => c.id), [clientId]);

  // Rotating the signing key: the new key's id, which the JWKS publishes beside the previous one.
  const keysBefore = (await (await fetch(`${stack.base}/.well-known/jwks.json`)).json()).keys.map((k) => k.kid);
  await section.getByRole("button", { name: "Rotate signing key" }).click();
  const rotated = section.getByRole("status").filter({ hasText: "New access tokens are signed with key" });
  await rotated.waitFor();
  rotatedKid = (await rotated.locator("code").textContent()).trim();
  assert.ok(rotatedKid, "the new key id is shown");
  assert.equal(keysBefore.includes(rotatedKid), false, "a new key");
  const published = (await (await fetch(`${stack.base}/.well-known/jwks.json`)).json()).keys.map((k) => k.kid);
  assert.ok(published.includes(rotatedKid), "the JWKS publishes the new key");
  await screenshot(page, "oauth-03-key-rotated");
  await page.context().close();

  // An admin who is not an operator has no Apps tab, and the address sends them back to the members.
  const adminPage = await openPage(stack, { person: ADMIN, problems, timeout: TIMEOUT });
  await adminPage.goto(`${stack.base}/admin/members`);
  await tabs(adminPage).getByRole("link", { name: "Members" }).waitFor();
  assert.equal(await tabs(adminPage).getByRole("link", { name: "Apps" }).count(), 0);
  await adminPage.goto(`${stack.base}/admin/apps`);
  await adminPage.waitForURL(/\/admin\/members$/);
  await adminPage.context().close();
});

test("a learner signs in on the way, allows the app, and the app redeems, uses and refreshes its tokens", async () => {
  assert.ok(clientId && rotatedKid, "the app was registered and the key rotated");
  const request = authorizationRequest();
  const page = await openPage(stack, { problems, timeout: TIMEOUT });

  // Signed out: to the sign-in page, which brings the learner back to this very request.
  await page.goto(request.url);
  await page.waitForURL((url) => url.pathname === "/signin");
  assert.equal(new URL(page.url()).searchParams.get("next"), `/oauth/authorize${request.search}`);
  await page.getByText("An app asked to use Wayfinder as you.").waitFor();
  await page.getByLabel("Email").fill(LEARNER.email);
  await page.getByLabel("Password").fill(LEARNER.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.waitForURL((url) => url.pathname === "/oauth/authorize" && url.search === request.search);

  // The consent page: the app, what allowing it means, and where the browser goes.
  await page.getByRole("heading", { name: `${APP_NAME} wants to use Wayfinder as you`, level: 1 }).waitFor();
  await page.getByText("Read and change what you can in Wayfinder, as you").waitFor();
  await page.getByText(`Signed in as ${LEARNER.name} (${LEARNER.email})`).waitFor();
  const port = new URL(loopback.redirectUri).port;
  await page.locator(".oauth-consent-destination").getByText(`127.0.0.1:${port}`, { exact: true }).waitFor();
  await page.getByText("(an app on this device)").waitFor();
  const answer = page.getByRole("group", { name: `Answer ${APP_NAME}` });
  await answer.getByRole("button", { name: "Deny", exact: true }).waitFor();
  await threeScreenshots(page, "oauth-04-consent", () => answer.scrollIntoViewIfNeeded());

  const arrived = loopback.next();
  await answer.getByRole("button", { name: "Allow", exact: true }).click();
  const callback = await arrived;
  await page.waitForURL((url) => url.href.startsWith(loopback.redirectUri));
  const code = callback.searchParams.get("code");
  assert.ok(code, "the app received a code");
  assert.equal(callback.searchParams.get("state"), request.state, "and the state it sent");
  assert.equal(callback.searchParams.get("error"), null);
  await page.getByText(`You can close this window and return to ${APP_NAME}.`).waitFor();

  // The code for tokens, with the verifier only the app knows.
  const issued = await redeem(code, request.verifier);
  assert.equal(issued.status, 200, JSON.stringify(issued.body));
  assert.equal(issued.body.token_type, "Bearer");
  assert.equal(issued.body.expires_in, 900);
  assert.equal(issued.body.scope, "api");
  assert.equal(typeof issued.body.refresh_token, "string");

  // As the learner, authenticated by the access token.
  const me = await meWith(issued.body.access_token);
  assert.equal(me.status, 200, JSON.stringify(me.body));
  assert.equal(me.body.person.email, LEARNER.email);
  assert.equal(me.body.person.id, learnerId);
  assert.equal(me.body.authenticated_by, "access_token");

  // An RS256 JWT signed with the key the operator rotated to, verified with the published JWK.
  const metadata = await (await fetch(`${stack.base}/.well-known/oauth-authorization-server`)).json();
  assert.equal(metadata.issuer, stack.base);
  assert.equal(metadata.authorization_endpoint, `${stack.base}/oauth/authorize`);
  assert.equal(metadata.token_endpoint, `${stack.base}/oauth/token`);
  const jwks = await (await fetch(metadata.jwks_uri)).json();
  const [headerPart, payloadPart, signaturePart] = issued.body.access_token.split(".");
  const header = JSON.parse(Buffer.from(headerPart, "base64url").toString());
  assert.equal(header.alg, "RS256");
  assert.equal(header.kid, rotatedKid, "signed with the rotated key");
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  assert.ok(jwk, "the token's key is published in the JWKS");
  const key = createPublicKey({ key: jwk, format: "jwk" });
  const signature = Buffer.from(signaturePart, "base64url");
  assert.equal(verify("RSA-SHA256", Buffer.from(`${headerPart}.${payloadPart}`), key, signature), true, "the signature verifies");
  const claims = JSON.parse(Buffer.from(payloadPart, "base64url").toString());
  const forged = Buffer.from(JSON.stringify({ ...claims, sub: randomUUID() })).toString("base64url");
  assert.equal(verify("RSA-SHA256", Buffer.from(`${headerPart}.${forged}`), key, signature), false, "a changed token does not");
  assert.equal(claims.sub, learnerId);
  assert.equal(claims.client_id, clientId);
  assert.equal(claims.iss, stack.base);
  assert.equal(claims.aud, `${stack.base}/api/v1`);
  assert.equal(claims.exp - claims.iat, 900);

  // Refreshing once: new tokens, a new refresh token, and the new access token works.
  const refreshed = await refresh(issued.body.refresh_token);
  assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
  assert.notEqual(refreshed.body.refresh_token, issued.body.refresh_token, "a new refresh token");
  assert.notEqual(refreshed.body.access_token, issued.body.access_token);
  assert.equal((await meWith(refreshed.body.access_token)).body.authenticated_by, "access_token");

  // The old refresh token again: refused, and the whole family ends, the newer token with it.
  assertRefused(await refresh(issued.body.refresh_token), "a refresh token used twice");
  assertRefused(await refresh(refreshed.body.refresh_token), "the newer refresh token of a revoked family");
  assert.equal((await meWith(refreshed.body.access_token)).status, 401, "and its access token");
  await page.context().close();
});

test("a learner denies the app, and a request without PKCE goes back to the app with the error", async () => {
  assert.ok(clientId, "the app was registered");
  const page = await learnerPage();
  const denied = authorizationRequest();
  const callback = await answerRequest(page, denied, "Deny");
  assert.equal(callback.searchParams.get("error"), "access_denied");
  assert.equal(callback.searchParams.get("state"), denied.state);
  assert.equal(callback.searchParams.get("code"), null, "no code");

  // Without a code challenge: the page sends the browser straight back, nobody is asked.
  const noPkce = authorizationRequest((params) => {
    params.delete("code_challenge");
    params.delete("code_challenge_method");
  });
  const arrived = loopback.next();
  await page.goto(noPkce.url);
  const refused = await arrived;
  await page.waitForURL((url) => url.href.startsWith(loopback.redirectUri));
  assert.equal(refused.searchParams.get("error"), "invalid_request");
  assert.equal(refused.searchParams.get("state"), noPkce.state);
  await page.context().close();
});

test("the learner signs the app out from their profile, and its tokens stop working", async () => {
  assert.ok(clientId, "the app was registered");
  const page = await learnerPage();
  const request = authorizationRequest();
  const callback = await answerRequest(page, request, "Allow");
  const issued = await redeem(callback.searchParams.get("code"), request.verifier);
  assert.equal(issued.status, 200, JSON.stringify(issued.body));
  assert.equal((await meWith(issued.body.access_token)).status, 200);

  await page.goto(`${stack.base}/profile`);
  const section = page.getByRole("region", { name: "Apps signed in as you" });
  const apps = section.getByRole("list", { name: "Apps" });
  // The revoked family of the first authorization is gone; this one stands.
  await apps.getByText(APP_NAME, { exact: true }).waitFor();
  assert.equal(await apps.getByRole("listitem").count(), 1);
  await apps.getByText(/signed in .+ · last used .+/).waitFor();
  await threeScreenshots(page, "oauth-05-profile-apps", () => section.scrollIntoViewIfNeeded());

  await apps.getByRole("button", { name: `Sign out ${APP_NAME}` }).click();
  await section.getByRole("status").filter({ hasText: `Signed out ${APP_NAME}.` }).waitFor();
  await section.getByText("No apps are signed in as you.").waitFor();
  const listed = await page.evaluate(async () => (await fetch("/api/v1/me/apps")).json());
  assert.deepEqual(listed, []);

  assertRefused(await refresh(issued.body.refresh_token), "the refresh token of an app signed out");
  assert.equal((await meWith(issued.body.access_token)).status, 401, "its access token ends at once");
  await screenshot(page, "oauth-06-profile-no-apps");
  await page.context().close();
});

test("an unknown app, or an address its app did not register, is explained and the browser goes nowhere", async () => {
  assert.ok(clientId, "the app was registered");
  const page = await learnerPage();
  const heard = loopback.received.length;

  for (const [request, why] of [
    [authorizationRequest((params) => params.set("client_id", randomUUID())), /no registered client/],
    [
      authorizationRequest((params) => params.set("redirect_uri", "https://elsewhere.example/callback")),
      new RegExp(`is not registered for ${APP_NAME}`),
    ],
  ]) {
    // Every document the tab loads from here on: this request's page only.
    const loaded = [];
    const record = (req) => {
      if (req.isNavigationRequest() && req.frame() === page.mainFrame()) loaded.push(req.url());
    };
    page.on("request", record);
    await page.goto(request.url);
    await page.getByRole("heading", { name: "This app can't sign in with Wayfinder", level: 1 }).waitFor();
    const alert = page.getByRole("alert");
    assert.match(await alert.textContent(), why);
    assert.equal(await page.getByRole("button", { name: "Allow" }).count(), 0, "nothing to allow");
    await page.waitForTimeout(500);
    page.off("request", record);
    assert.deepEqual(loaded, [request.url], "the browser went nowhere else");
    assert.equal(new URL(page.url()).search, request.search);
  }
  assert.equal(loopback.received.length, heard, "the app heard nothing");
  await twoScreenshots(page, "oauth-07-unknown-app", () => page.getByRole("alert").scrollIntoViewIfNeeded());
  await page.context().close();
});
