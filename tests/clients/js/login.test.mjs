// End-to-end: a real browser (Debian's headless Chromium, driven by
// playwright-core) and a real third-party Mastodon client library (masto)
// log in to a freshly started Kith over OAuth (authorization code + PKCE S256),
// then the library reads and updates the account.
//
// Environment:
//   KITH_BIN                 path to the kith binary (required)
//   KITH_TEST_DATABASE_URL   database for the server; empty/unset = SQLite in a temp dir.
//                            A PostgreSQL database must be empty (the test creates user "ana").
//   KITH_TEST_ARTIFACTS      if set, screenshots and the server log are written there
//   CHROMIUM_PATH            browser to drive (default /usr/bin/chromium)
//
// Run: KITH_BIN=/path/to/kith node --test

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOAuthAPIClient, createRestAPIClient, MastoHttpError } from 'masto';
import { Kith, KITH_BIN, PASSWORD, STEP_MS, freePort, launchChromium, sleep } from './harness.mjs';

const ARTIFACTS = process.env.KITH_TEST_ARTIFACTS ?? '';

const TEST_MS = 180_000;

const USERNAME = 'ana';
const EMAIL = 'ana@mail.example';
const DISPLAY_NAME = 'Ana from the browser';
const SCOPES = 'read write';

// ---------------------------------------------------------------- helpers

const base64url = (buf) => buf.toString('base64url');

function pkcePair() {
  const verifier = base64url(randomBytes(32)); // 43 chars, RFC 7636 unreserved set
  const challenge = base64url(createHash('sha256').update(verifier).digest());
  return { verifier, challenge };
}

// A tiny HTTP server standing in for the client app's redirect target. It
// records every request to /callback so a test can tell "the browser was redirected" apart
// from "it was not".
async function startCallbackServer(port) {
  const hits = [];
  const waiters = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url, `http://127.0.0.1:${port}`);
    if (url.pathname !== '/callback') {
      // e.g. the browser's own /favicon.ico request
      res.writeHead(404).end();
      return;
    }
    hits.push(url);
    for (const w of waiters.splice(0)) w(url);
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>Signed in</title><p>Signed in. You can close this window.</p>');
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return {
    hits,
    next: (timeout = STEP_MS) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no request reached the callback')), timeout);
        waiters.push((u) => {
          clearTimeout(timer);
          resolve(u);
        });
      }),
    close: () => new Promise((r) => server.close(() => r())),
  };
}

// ------------------------------------------------------------- the fixture

const ctx = {
  tmp: '',
  port: 0,
  base: '',
  kith: null,
  callback: null,
  redirectUri: '',
  browser: null,
  app: null,
  token: null,
};

// Opens the authorization URL in a fresh browser context and waits for the
// sign-in form.
async function openAuthorizePage(authUrl) {
  const context = await ctx.browser.newContext({ viewport: { width: 900, height: 900 } });
  context.setDefaultTimeout(STEP_MS);
  const page = await context.newPage();
  const response = await page.goto(authUrl, { waitUntil: 'load' });
  assert.equal(response.status(), 200, `GET /oauth/authorize answered ${response.status()}`);
  await page.locator('#username').waitFor({ state: 'visible' });
  await page.locator('#password').waitFor({ state: 'visible' });
  return { context, page };
}

function authorizeUrl({ state, challenge }) {
  const u = new URL('/oauth/authorize', ctx.base);
  u.search = new URLSearchParams({
    response_type: 'code',
    client_id: ctx.app.clientId,
    redirect_uri: ctx.redirectUri,
    scope: SCOPES,
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString();
  return u.href;
}

// Fills the form and clicks Authorize; resolves with the response to the POST.
async function submitLogin(page, username, password) {
  await page.fill('#username', username);
  await page.fill('#password', password);
  const posted = page.waitForResponse(
    (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/oauth/authorize',
  );
  await page.click('button[name=decision][value=approve]');
  return posted;
}

// Signs in successfully in the browser and returns the code from the redirect.
async function browserLogin() {
  const { verifier, challenge } = pkcePair();
  const state = base64url(randomBytes(16));
  const { context, page } = await openAuthorizePage(authorizeUrl({ state, challenge }));
  try {
    const arrived = ctx.callback.next();
    const hitsBefore = ctx.callback.hits.length;
    const posted = await submitLogin(page, USERNAME, PASSWORD);
    assert.equal(posted.status(), 302, `POST /oauth/authorize answered ${posted.status()}, not a redirect`);
    const hit = await arrived;
    await page.waitForURL((u) => u.href.startsWith(ctx.redirectUri));
    assert.equal(ctx.callback.hits.length, hitsBefore + 1);
    const seen = new URL(page.url());
    assert.equal(`${hit.origin}${hit.pathname}`, ctx.redirectUri);
    assert.equal(hit.searchParams.get('error'), null, `redirected with error=${hit.searchParams.get('error')}`);
    assert.equal(hit.searchParams.get('state'), state, 'state must come back unchanged');
    const code = hit.searchParams.get('code');
    assert.ok(code && code.length >= 16, `expected an authorization code, got ${JSON.stringify(code)}`);
    assert.equal(seen.searchParams.get('code'), code, 'browser and callback server saw different codes');
    return { code, verifier };
  } finally {
    await context.close();
  }
}

async function saveScreenshot(page, name) {
  if (!ARTIFACTS) return;
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, name), fullPage: true });
}

async function expectHttpError(promise, statusCode, message) {
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof MastoHttpError, `expected MastoHttpError, got ${e?.constructor?.name}: ${e?.message}`);
    assert.equal(e.statusCode, statusCode, `status ${e.statusCode}: ${e.message} ${e.description ?? ''}`);
    if (message) assert.equal(e.message, message);
    return true;
  });
}

// ------------------------------------------------------------------ tests

describe('Kith + headless Chromium + masto: OAuth login', { timeout: 10 * TEST_MS }, () => {
  before(async () => {
    assert.ok(KITH_BIN, 'set KITH_BIN to the kith binary');
    ctx.tmp = await mkdtemp(join(tmpdir(), 'kith-js-'));
    ctx.kith = await new Kith().init(ctx.tmp);
    ctx.port = ctx.kith.port;
    ctx.base = ctx.kith.base;

    const created = await ctx.kith.createUser(USERNAME, ['--email', EMAIL]);
    assert.match(created, new RegExp(`/users/${USERNAME}\\b`), 'create-user should print the actor id');

    await ctx.kith.serve();

    const cbPort = await freePort();
    ctx.redirectUri = `http://127.0.0.1:${cbPort}/callback`;
    ctx.callback = await startCallbackServer(cbPort);

    ctx.browser = await launchChromium(['--disable-quic', '--disable-component-update', '--disable-sync']);
  });

  after(async () => {
    // Each step guarded so one failure does not leave the server running.
    await ctx.browser?.close().catch(() => {});
    await ctx.callback?.close().catch(() => {});
    await ctx.kith?.stop().catch(() => {});
    if (ARTIFACTS && ctx.kith?.servers.length) {
      await mkdir(ARTIFACTS, { recursive: true }).catch(() => {});
      await writeFile(join(ARTIFACTS, 'kith.log'), ctx.kith.logText()).catch(() => {});
    }
    if (ctx.tmp) await rm(ctx.tmp, { recursive: true, force: true }).catch(() => {});
  });

  test('the library registers an app', { timeout: TEST_MS }, async () => {
    const anon = createRestAPIClient({ url: ctx.base, timeout: STEP_MS });
    ctx.app = await anon.v1.apps.create({
      clientName: 'Kith JS e2e (masto)',
      redirectUris: ctx.redirectUri,
      scopes: SCOPES,
      website: 'https://example.invalid/kith-js-e2e',
    });
    assert.equal(typeof ctx.app.clientId, 'string');
    assert.ok(ctx.app.clientId.length > 0, 'client_id is empty');
    assert.equal(typeof ctx.app.clientSecret, 'string');
    assert.ok(ctx.app.clientSecret.length > 0, 'client_secret is empty');
    assert.equal(ctx.app.name, 'Kith JS e2e (masto)');
  });

  test('a wrong password shows the form again with an error and does not redirect', { timeout: TEST_MS }, async () => {
    assert.ok(ctx.app, 'needs the registered app');
    const { challenge } = pkcePair();
    const { context, page } = await openAuthorizePage(authorizeUrl({ state: 'wrong-password', challenge }));
    try {
      assert.equal(await page.locator('[role=alert]').count(), 0, 'a fresh form should show no error');
      await saveScreenshot(page, 'login.png');

      const hitsBefore = ctx.callback.hits.length;
      const posted = await submitLogin(page, USERNAME, 'not the password');
      await page.waitForLoadState('load');

      const status = posted.status();
      assert.ok(status < 300 || status >= 400, `wrong password answered ${status} (a redirect)`);
      const alert = page.locator('[role=alert]');
      await alert.waitFor({ state: 'visible', timeout: STEP_MS });
      assert.ok((await alert.innerText()).trim().length > 0, 'the error message is empty');
      assert.ok(page.url().startsWith(ctx.base), `browser left Kith: ${page.url()}`);
      await page.locator('#username').waitFor({ state: 'visible' });
      await page.locator('#password').waitFor({ state: 'visible' });
      await page.locator('button[name=decision][value=approve]').waitFor({ state: 'visible' });
      await saveScreenshot(page, 'login-error.png');
      await sleep(300); // give a stray redirect a chance to show up
      assert.equal(ctx.callback.hits.length, hitsBefore, 'the callback was reached after a wrong password');
    } finally {
      await context.close();
    }
  });

  test('the right password redirects with a code; the library exchanges it with the PKCE verifier', { timeout: TEST_MS }, async () => {
    assert.ok(ctx.app, 'needs the registered app');
    const { code, verifier } = await browserLogin();

    const oauth = createOAuthAPIClient({ url: ctx.base, timeout: STEP_MS });
    // masto's typings do not list codeVerifier, but it sends every param
    // (snake_cased, as JSON), so code_verifier reaches /oauth/token.
    const params = {
      grantType: 'authorization_code',
      clientId: ctx.app.clientId,
      clientSecret: ctx.app.clientSecret,
      redirectUri: ctx.redirectUri,
      code,
      codeVerifier: verifier,
      scope: SCOPES,
    };
    ctx.token = await oauth.token.create(params);
    assert.equal(typeof ctx.token.accessToken, 'string');
    assert.ok(ctx.token.accessToken.length >= 16, 'access token too short');
    assert.equal(ctx.token.tokenType.toLowerCase(), 'bearer');
    assert.deepEqual(ctx.token.scope.split(/\s+/).sort(), SCOPES.split(' ').sort());

    // The code is single-use, and replaying it revokes the token it gave (RFC 6749 §4.1.2).
    await expectHttpError(oauth.token.create(params), 400, 'invalid_grant');
    const revoked = createRestAPIClient({ url: ctx.base, accessToken: ctx.token.accessToken, timeout: STEP_MS });
    await expectHttpError(revoked.v1.accounts.verifyCredentials(), 401);

    // A fresh login gives the token the next tests use.
    const again = await browserLogin();
    ctx.token = await oauth.token.create({ ...params, code: again.code, codeVerifier: again.verifier });
    assert.equal(typeof ctx.token.accessToken, 'string');
  });

  test('a wrong PKCE verifier is refused', { timeout: TEST_MS }, async () => {
    assert.ok(ctx.app, 'needs the registered app');
    const { code } = await browserLogin();
    const oauth = createOAuthAPIClient({ url: ctx.base, timeout: STEP_MS });
    await expectHttpError(
      oauth.token.create({
        grantType: 'authorization_code',
        clientId: ctx.app.clientId,
        clientSecret: ctx.app.clientSecret,
        redirectUri: ctx.redirectUri,
        code,
        codeVerifier: pkcePair().verifier,
        scope: SCOPES,
      }),
      400,
      'invalid_grant',
    );
  });

  test('the library reads and updates the account with the token', { timeout: TEST_MS }, async () => {
    assert.ok(ctx.token, 'needs the access token');
    const anon = createRestAPIClient({ url: ctx.base, timeout: STEP_MS });
    await expectHttpError(anon.v1.accounts.verifyCredentials(), 401);

    const rest = createRestAPIClient({ url: ctx.base, accessToken: ctx.token.accessToken, timeout: STEP_MS });
    const me = await rest.v1.accounts.verifyCredentials();
    assert.equal(me.username, USERNAME);
    assert.equal(me.acct, USERNAME);
    assert.notEqual(me.displayName, DISPLAY_NAME, 'display name already set before the update');

    // masto always sends this as PATCH with a multipart/form-data body (the
    // endpoint also takes avatar/header uploads), as Mastodon's clients do.
    const updated = await rest.v1.accounts.updateCredentials({ displayName: DISPLAY_NAME });
    assert.equal(updated.username, USERNAME);
    assert.equal(updated.displayName, DISPLAY_NAME);

    const again = await rest.v1.accounts.verifyCredentials();
    assert.equal(again.id, me.id);
    assert.equal(again.displayName, DISPLAY_NAME);

    const byId = await rest.v1.accounts.$select(me.id).fetch();
    assert.equal(byId.displayName, DISPLAY_NAME);
  });

  test('the library reads the instance', { timeout: TEST_MS }, async () => {
    assert.ok(ctx.token, 'needs the access token');
    const rest = createRestAPIClient({ url: ctx.base, accessToken: ctx.token.accessToken, timeout: STEP_MS });
    const v2 = await rest.v2.instance.fetch();
    assert.equal(v2.domain, `localhost:${ctx.port}`);
    assert.equal(typeof v2.title, 'string');
    assert.ok(v2.title.length > 0, 'v2 instance title is empty');
    assert.equal(typeof v2.configuration?.statuses?.maxCharacters, 'number');

    const v1 = await rest.v1.instance.fetch();
    assert.equal(v1.uri, `localhost:${ctx.port}`);
    assert.ok(v1.stats.userCount >= 1, `user_count is ${v1.stats.userCount}`);
  });
});
