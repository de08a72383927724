// Browser tests of personal data against the real server. A learner
// downloads everything Wayfinder holds about them from Profile → Your data
// (a ZIP archive), then erases their account: the button stays disabled while
// the typed e-mail address is not theirs, works once it is (capital letters
// aside), and the app opens the sign-in page, where their old password no
// longer gets them in. The instance's only operator who tries the same is
// refused, in the server's words. As an administrator, the operator downloads
// a member's archive and erases another learner from the member list after
// typing that member's address; the member leaves the list and the API's
// member list too. Run with `npm run test:e2e` (WAYFINDER_BIN names the binary).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import {
  ApiClient,
  closeAndCheckProblems,
  openPage,
  screenshot,
  setUpOrganisation,
  startStack,
  threeScreenshots,
} from "./lib/harness.mjs";

const TIMEOUT = 30_000;
const OPERATOR = { email: "ola@example.org", password: "correct horse battery staple 42", name: "Ola Operator" };
const LEARNER = { email: "lena@example.org", password: "a sturdy learner passphrase 7", name: "Lena Learner" };
const OTHER = { email: "max@example.org", password: "another learner passphrase 9", name: "Max Learner" };

let stack;
let api; // the operator, an administrator of the organisation
let org;
let max;
const problems = [];

const signedInPage = (person) => openPage(stack, { person, problems, timeout: TIMEOUT });
const nav = (p) => p.getByRole("navigation", { name: "Main" });

/** Saves what a click downloads; answers the file's suggested name and bytes. */
async function download(page, link) {
  const [file] = await Promise.all([page.waitForEvent("download"), link.click()]);
  const failure = await file.failure();
  assert.equal(failure, null, `the download finished: ${failure}`);
  return { name: file.suggestedFilename(), bytes: await readFile(await file.path()) };
}

/** Checks `bytes` are a non-empty ZIP archive holding the archive's summary. */
function assertArchive({ name, bytes }) {
  assert.match(name, /^wayfinder-data-\d{8}\.zip$/);
  assert.ok(bytes.length > 0, "the archive is not empty");
  assert.equal(bytes.subarray(0, 2).toString("latin1"), "PK", "the archive is a ZIP file");
  assert.ok(bytes.includes("summary.json"), "the archive holds its summary");
}

async function openProfile(page) {
  await nav(page).getByRole("link", { name: "Profile" }).click();
  await page.getByRole("heading", { name: "Your profile", level: 1 }).waitFor();
}

before(async () => {
  stack = await startStack();
  ({ api, org } = await setUpOrganisation(stack, OPERATOR, { name: "Northfield School", slug: "northfield" }));
  await api.inviteAndAccept(org.id, LEARNER, "learner");
  max = await api.inviteAndAccept(org.id, OTHER, "learner");
});

after(() => closeAndCheckProblems(problems, [stack]));

test("a learner downloads their data from the profile as a ZIP archive", async () => {
  const page = await signedInPage(LEARNER);
  await openProfile(page);
  const section = page.getByRole("region", { name: "Your data" });
  await section.getByText("A ZIP archive of everything Wayfinder holds about you").waitFor();
  const link = section.getByRole("link", { name: "Download my data" });
  assert.equal(await link.getAttribute("href"), "/api/v1/me/export");
  assertArchive(await download(page, link));
  await page.context().close();
});

test("a learner erases their account after typing their e-mail address, and cannot sign in again", async () => {
  const page = await signedInPage(LEARNER);
  await openProfile(page);
  const zone = page.getByRole("region", { name: "Erase my account" });
  const form = zone.getByRole("form", { name: "Erase my account" });
  await form.getByText("This cannot be undone.").waitFor();
  const field = form.getByLabel("Type your e-mail address to confirm");
  const erase = form.getByRole("button", { name: "Erase my account" });
  assert.equal(await erase.isDisabled(), true, "nothing typed: the button is disabled");

  await field.fill("someone.else@example.org");
  assert.equal(await erase.isDisabled(), true, "another address: the button stays disabled");
  await field.press("Enter");
  assert.equal(await form.getByRole("alert").count(), 0, "Enter does not send a wrong address");
  await threeScreenshots(page, "privacy-01-profile-erase-wrong-address", () => zone.scrollIntoViewIfNeeded());

  await field.fill("LENA@Example.org");
  assert.equal(await erase.isDisabled(), false, "their address, in other capitals: the button works");
  await erase.click();
  await page.waitForURL(/\/signin$/);
  await page.getByRole("heading", { name: "Sign in to Wayfinder" }).waitFor();
  await page.getByRole("status").filter({ hasText: "Your account was erased" }).waitFor();
  await screenshot(page, "privacy-02-signed-out-after-erasure");

  // The same e-mail address and password no longer get anyone in.
  await page.getByLabel("Email").fill(LEARNER.email);
  await page.getByLabel("Password").fill(LEARNER.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("alert").filter({ hasText: "don't match" }).waitFor();
  assert.match(page.url(), /\/signin$/);
  await assert.rejects(new ApiClient(stack.base).signIn(LEARNER.email, LEARNER.password), (err) => err.status === 401);
  const members = await api.call("GET", `/orgs/${org.id}/members`);
  assert.ok(!members.some((m) => m.person.email === LEARNER.email), "the learner left the organisation");
  await page.context().close();
});

test("the instance's only operator is told, in the server's words, why they cannot be erased", async () => {
  const page = await signedInPage(OPERATOR);
  await openProfile(page);
  const form = page.getByRole("form", { name: "Erase my account" });
  await form.getByLabel("Type your e-mail address to confirm").fill(OPERATOR.email);
  await form.getByRole("button", { name: "Erase my account" }).click();
  await form.getByRole("alert").filter({ hasText: "The instance's only operator cannot be erased." }).waitFor();
  assert.match(page.url(), /\/profile$/, "still signed in, on the profile");
  await page.context().close();
});

test("an administrator exports a member's data and erases them from the member list", async () => {
  const page = await signedInPage(OPERATOR);
  await nav(page).getByRole("link", { name: "Organisation" }).click();
  await page.getByRole("heading", { name: "Members", level: 2 }).waitFor();
  const row = page.getByRole("row").filter({ hasText: OTHER.email });

  const link = row.getByRole("link", { name: `Export data of ${OTHER.name}` });
  assert.equal(await link.getAttribute("href"), `/api/v1/orgs/${org.id}/members/${max.id}/export`);
  assertArchive(await download(page, link));
  // No one erases themselves from here (the profile is where): the admin's own row has no Erase.
  const own = page.getByRole("row").filter({ hasText: OPERATOR.email });
  assert.equal(await own.getByRole("button", { name: /^Erase/ }).count(), 0);

  await row.getByRole("button", { name: `Erase ${OTHER.name}` }).click();
  const dialog = page.getByRole("dialog", { name: "Erase member?" });
  const field = dialog.getByLabel("Type their e-mail address to confirm");
  const erase = dialog.getByRole("button", { name: `Erase ${OTHER.name}` });
  await field.waitFor();
  assert.equal(await erase.isDisabled(), true, "nothing typed: the button is disabled");
  await field.fill(LEARNER.email);
  assert.equal(await erase.isDisabled(), true, "another member's address: the button stays disabled");
  await field.fill(OTHER.email.toUpperCase());
  await screenshot(page, "privacy-03-admin-erase-member");
  await erase.click();

  await dialog.waitFor({ state: "hidden" });
  await page.getByRole("status").filter({ hasText: `${OTHER.name} was erased.` }).waitFor();
  await row.waitFor({ state: "detached" });
  await page.getByRole("row").filter({ hasText: OPERATOR.email }).waitFor();
  await screenshot(page, "privacy-04-admin-member-erased");

  const members = await api.call("GET", `/orgs/${org.id}/members`);
  assert.ok(!members.some((m) => m.person.id === max.id || m.person.email === OTHER.email), JSON.stringify(members));
  await assert.rejects(new ApiClient(stack.base).signIn(OTHER.email, OTHER.password), (err) => err.status === 401);
  await page.context().close();
});
