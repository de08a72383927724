// A real OpenID provider (node-oidc-provider, OpenID Certified) for the single sign-on tests.
//
//   node web/tests/support/oidc-provider.mjs <config.json>
//
// The config names the relying parties and the accounts:
//   { "clients":  [{ "client_id", "client_secret", "redirect_uris": [...] }],
//     "accounts": { "<sub>": { "email", "email_verified", "name", "hd", "user_type", "district", "groups" } } }
// Once listening it prints one line on stdout: {"issuer":"http://127.0.0.1:<port>"}.
//
// Signing in: the authorization endpoint sends the browser to /interaction/<uid>, a page with one
// button per account; posting `account=<sub>` to /interaction/<uid>/login signs that account in
// and grants the requested scopes. The claims of the granted scopes go into the ID token, as
// Google's and Clever's do.
//
// For the tests of a relying party's checks, POST /test/next-id-token {"mode": …} changes the ID
// token of the next token response on its way out: "forged" (signed by another key under the
// provider's key id), "tampered" (a claim changed, the signature kept), "expired" (expired an hour
// ago, properly signed), "wrong_nonce" (properly signed, another nonce), "wrong_audience".
import http from 'node:http';
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';
import { generateKeyPair, exportJWK, SignJWT, decodeJwt, importJWK } from 'jose';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const accounts = config.accounts ?? {};

const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const signingJwk = { ...(await exportJWK(privateKey)), kid: 'wayfinder-test-key', alg: 'RS256', use: 'sig' };
const signingKey = await importJWK(signingJwk, 'RS256');

let nextMode = null;

const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: config.clients.map((c) => ({
    client_id: c.client_id,
    client_secret: c.client_secret,
    redirect_uris: c.redirect_uris,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  })),
  jwks: { keys: [signingJwk] },
  cookies: { keys: ['wayfinder-test-cookie-key'] },
  claims: {
    openid: ['sub', 'hd', 'groups', 'user_type', 'district'],
    email: ['email', 'email_verified'],
    profile: ['name'],
  },
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, sub) {
    const claims = accounts[sub];
    if (!claims) return undefined;
    return { accountId: sub, claims: async () => ({ sub, ...claims }) };
  },
});

// The token response's ID token, changed on its way out when a test asked for it.
provider.use(async (ctx, next) => {
  await next();
  if (ctx.method !== 'POST' || ctx.path !== '/token' || !nextMode || !ctx.body?.id_token) return;
  const mode = nextMode;
  nextMode = null;
  const original = ctx.body.id_token;
  const claims = decodeJwt(original);
  const now = Math.floor(Date.now() / 1000);
  const sign = (payload, key) =>
    new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: signingJwk.kid, typ: 'JWT' }).sign(key);
  if (mode === 'forged') {
    const other = await generateKeyPair('RS256');
    ctx.body = { ...ctx.body, id_token: await sign(claims, other.privateKey) };
  } else if (mode === 'tampered') {
    const [header, , signature] = original.split('.');
    const payload = Buffer.from(JSON.stringify({ ...claims, email: 'someone.else@example.org' })).toString('base64url');
    ctx.body = { ...ctx.body, id_token: `${header}.${payload}.${signature}` };
  } else if (mode === 'expired') {
    ctx.body = { ...ctx.body, id_token: await sign({ ...claims, iat: now - 7200, exp: now - 3600 }, signingKey) };
  } else if (mode === 'wrong_nonce') {
    ctx.body = { ...ctx.body, id_token: await sign({ ...claims, nonce: 'not-the-nonce-that-was-sent' }, signingKey) };
  } else if (mode === 'wrong_audience') {
    ctx.body = { ...ctx.body, id_token: await sign({ ...claims, aud: 'another-client' }, signingKey) };
  }
});

const readBody = (req) =>
  new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const providerCallback = provider.callback();
server.on('request', async (req, res) => {
  try {
    const url = new URL(req.url, issuer);
    if (req.method === 'POST' && url.pathname === '/test/next-id-token') {
      nextMode = JSON.parse(await readBody(req)).mode;
      res.writeHead(204).end();
      return;
    }
    const page = url.pathname.match(/^\/interaction\/([^/]+)$/);
    if (req.method === 'GET' && page) {
      await provider.interactionDetails(req, res);
      const buttons = Object.entries(accounts)
        .map(([sub, a]) => `<button type="submit" name="account" value="${escape(sub)}">${escape(a.name ?? sub)} (${escape(a.email ?? sub)})</button>`)
        .join('\n');
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><title>Test identity provider</title><h1>Choose an account</h1>
<form method="post" action="/interaction/${escape(page[1])}/login">${buttons}</form>`);
      return;
    }
    const login = url.pathname.match(/^\/interaction\/([^/]+)\/login$/);
    if (req.method === 'POST' && login) {
      const details = await provider.interactionDetails(req, res);
      const accountId = new URLSearchParams(await readBody(req)).get('account');
      if (!accounts[accountId]) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end('unknown account');
        return;
      }
      const grant = new provider.Grant({ accountId, clientId: details.params.client_id });
      grant.addOIDCScope(details.params.scope);
      const grantId = await grant.save();
      await provider.interactionFinished(req, res, { login: { accountId }, consent: { grantId } }, { mergeWithLastSubmission: false });
      return;
    }
    providerCallback(req, res);
  } catch (error) {
    res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error?.stack ?? error));
  }
});

process.stdout.write(`${JSON.stringify({ issuer })}\n`);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
