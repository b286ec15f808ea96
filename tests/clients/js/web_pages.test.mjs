// End-to-end: a real browser (Debian's headless Chromium, driven by playwright-core) with
// JavaScript turned off reads Kith's public pages as someone without an account would:
// the home page, a profile, a post with its thread and a tag, following the links between
// them; then signs up on the sign-up page linked from the home page and signs in with the
// new account through the OAuth page. Each page must render without script, carry no
// <script> at all, send a CSP that allows none, and show only public posts. Screenshots are
// kept as test artifacts.
//
// Environment:
//   KITH_BIN                 path to the kith binary (required)
//   KITH_TEST_DATABASE_URL   database for the server; empty/unset = SQLite in a temp dir.
//                            A PostgreSQL database must be empty.
//   KITH_TEST_ARTIFACTS      where screenshots and the server log go
//                            (default: target/test-artifacts/web under the repository)
//   CHROMIUM_PATH            browser to drive (default /usr/bin/chromium)
//
// Run: KITH_BIN=/path/to/kith node --test web_pages.test.mjs

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BACKEND, Kith, KITH_BIN, STEP_MS, launchChromium } from './harness.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ARTIFACTS = process.env.KITH_TEST_ARTIFACTS || resolve(HERE, '../../../target/test-artifacts/web');

const TEST_MS = 180_000;

// ---------------------------------------------------------------- helpers

const ctx = { tmp: '', base: '', api: '', kith: null, browser: null, tokens: {}, posts: {} };

async function createUser(name) {
  await ctx.kith.createUser(name);
  ctx.tokens[name] = await ctx.kith.token(name, 'read write');
}

async function api(name, method, path, body) {
  const res = await fetch(`${ctx.api}${path}`, {
    method,
    headers: { authorization: `Bearer ${ctx.tokens[name]}`, 'content-type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text);
}

const postAs = (name, status, visibility = 'public', inReplyToId) =>
  api(name, 'POST', '/api/v1/statuses', { status, visibility, in_reply_to_id: inReplyToId });

async function screenshot(page, name) {
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${BACKEND}-${name}.png`), fullPage: true });
}

// Opens `url` in `page` (JavaScript off) and checks what every public page must be.
async function visit(page, url, name) {
  const response = await page.goto(url, { waitUntil: 'load' });
  await checkPage(page, response, name);
}

async function checkPage(page, response, name) {
  assert.equal(response.status(), 200, `${name}: ${page.url()} answered ${response.status()}`);
  const headers = response.headers();
  assert.match(headers['content-type'], /^text\/html/, name);
  const csp = headers['content-security-policy'] ?? '';
  assert.match(csp, /default-src 'none'/, `${name}: ${csp}`);
  assert.doesNotMatch(csp, /script-src|unsafe-inline/, `${name}: ${csp}`);
  assert.equal(await page.locator('script').count(), 0, `${name}: a <script> element`);
  const html = await page.content();
  assert.doesNotMatch(html, /<[^>]+\son[a-z]+\s*=/i, `${name}: an event handler attribute`);
  assert.equal(await page.locator('html').getAttribute('lang'), 'en', name);
  assert.equal(await page.locator('h1').count(), 1, `${name}: one h1`);
  assert.equal(await page.locator('main').count(), 1, `${name}: one main landmark`);
  // Every picture says what it is, or that it is decoration (alt="").
  for (const img of await page.locator('img').all()) {
    assert.notEqual(await img.getAttribute('alt'), null, `${name}: an img without alt`);
  }
  // The stylesheet served from the binary applies: the page is laid out, not bare.
  const maxWidth = await page.locator('main').evaluate((el) => getComputedStyle(el).maxWidth);
  assert.notEqual(maxWidth, 'none', `${name}: the stylesheet did not apply`);
  await screenshot(page, name);
}

// ------------------------------------------------------------------ tests

describe('Kith public web pages in headless Chromium, without JavaScript', { timeout: 10 * TEST_MS }, () => {
  before(async () => {
    assert.ok(KITH_BIN, 'set KITH_BIN to the kith binary');
    ctx.tmp = await mkdtemp(join(tmpdir(), 'kith-web-'));
    ctx.kith = await new Kith({ env: { KITH_INSTANCE_TITLE: 'Kith web test' } }).init(ctx.tmp);
    // The API is called at the bound address; the browser uses the instance's own name,
    // `localhost:PORT`, which the pages' links carry.
    ctx.api = ctx.kith.base;
    ctx.base = `http://${ctx.kith.domain}`;
    await createUser('ana');
    await createUser('bo');
    // Registrations open, so the home page links to the sign-up page.
    await ctx.kith.createUser('root', ['--role', 'admin']);
    await ctx.kith.admin(['registrations', 'open', '--as', 'root']);

    await ctx.kith.serve();

    await api('ana', 'PATCH', '/api/v1/accounts/update_credentials', {
      display_name: 'Ana <b>Reads</b>',
      note: 'I write about tea.',
    });
    ctx.posts.hello = await postAs('ana', 'Good morning from the browser test #WebTest');
    ctx.posts.reply = await postAs('bo', 'A public reply to Ana', 'public', ctx.posts.hello.id);
    await postAs('bo', 'A followers-only reply', 'private', ctx.posts.hello.id);
    await postAs('ana', 'An unlisted note', 'unlisted');
    await postAs('ana', 'A direct note', 'direct');
    await api('bo', 'POST', `/api/v1/statuses/${ctx.posts.hello.id}/reblog`);

    ctx.browser = await launchChromium();
  });

  after(async () => {
    await ctx.browser?.close().catch(() => {});
    await ctx.kith?.stop().catch(() => {});
    if (ctx.kith?.servers.length) {
      await mkdir(ARTIFACTS, { recursive: true }).catch(() => {});
      await writeFile(join(ARTIFACTS, `${BACKEND}-kith.log`), ctx.kith.logText()).catch(() => {});
    }
    if (ctx.tmp) await rm(ctx.tmp, { recursive: true, force: true }).catch(() => {});
  });

  test('home → profile → post with its thread → tag, by following links', { timeout: TEST_MS }, async () => {
    const context = await ctx.browser.newContext({ javaScriptEnabled: false, viewport: { width: 1000, height: 900 } });
    context.setDefaultTimeout(STEP_MS);
    const page = await context.newPage();
    try {
      await visit(page, `${ctx.base}/`, 'home');
      const main = page.locator('main');
      await assert.doesNotReject(main.getByText('Good morning from the browser test').first().waitFor());
      assert.equal(await main.getByText('A followers-only reply').count(), 0);
      assert.equal(await main.getByText('An unlisted note').count(), 0);
      assert.equal(await main.getByText('A direct note').count(), 0);
      // The display name is text: its markup shows, escaped, and makes no element.
      assert.ok((await main.innerText()).includes('Ana <b>Reads</b>'));
      assert.equal(await main.locator('b').count(), 0);

      // To Ana's profile through her name on the post.
      let nav = page.waitForNavigation();
      await main.locator('article.post', { hasText: 'Good morning' }).locator('header.author a').click();
      await checkPage(page, await nav, 'profile');
      assert.equal(new URL(page.url()).pathname, '/@ana');
      assert.equal(await page.locator('h1').innerText(), 'Ana <b>Reads</b>');
      assert.ok((await main.innerText()).includes('I write about tea.'));
      assert.ok((await main.innerText()).includes('An unlisted note'), 'unlisted posts show on the profile');
      assert.equal(await main.getByText('A direct note').count(), 0);
      const alternate = await page.locator('link[rel=alternate][type="application/activity+json"]').getAttribute('href');
      assert.equal(alternate, `${ctx.base}/users/ana`);
      assert.equal(await page.locator('meta[property="og:type"]').getAttribute('content'), 'profile');

      // To the post's page through its date: the thread, with the public reply only.
      nav = page.waitForNavigation();
      await main.locator('article.post', { hasText: 'Good morning' }).locator('footer.meta a').first().click();
      await checkPage(page, await nav, 'thread');
      assert.equal(new URL(page.url()).pathname, `/@ana/${ctx.posts.hello.id}`);
      assert.equal(await page.locator('article.post.focus').count(), 1);
      assert.ok((await main.innerText()).includes('A public reply to Ana'));
      assert.equal(await main.getByText('A followers-only reply').count(), 0);
      assert.equal(await page.locator('meta[property="og:type"]').getAttribute('content'), 'article');
      const ogTitle = await page.locator('meta[property="og:title"]').getAttribute('content');
      assert.match(ogTitle, /Good morning/);

      // To the tag's page through the hashtag link in the post.
      nav = page.waitForNavigation();
      await page.locator('article.post.focus .content a', { hasText: 'WebTest' }).click();
      await checkPage(page, await nav, 'tag');
      assert.equal(new URL(page.url()).pathname, '/tags/webtest');
      assert.ok((await main.innerText()).includes('Good morning from the browser test'));

      // And back to Bo's profile, where his boost of Ana's post shows.
      await visit(page, `${ctx.base}/@bo`, 'profile-boost');
      assert.ok((await main.innerText()).includes('boosted'));
      assert.ok((await main.innerText()).includes('Good morning from the browser test'));

      // A phone-sized screen gets the same page, readable without sideways scrolling.
      await page.setViewportSize({ width: 390, height: 844 });
      await visit(page, `${ctx.base}/@ana/${ctx.posts.hello.id}`, 'thread-phone');
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 1, `the page scrolls sideways by ${overflow}px on a phone`);
    } finally {
      await context.close();
    }
  });

  test('sign up on a phone without JavaScript, then sign in through the OAuth page', { timeout: TEST_MS }, async () => {
    const context = await ctx.browser.newContext({ javaScriptEnabled: false, viewport: { width: 390, height: 844 } });
    context.setDefaultTimeout(STEP_MS);
    const page = await context.newPage();
    const PASSWORD = 'a password for wren';
    try {
      await visit(page, `${ctx.base}/`, 'home-open');
      let nav = page.waitForNavigation();
      await page.locator('main a.sign-up').click();
      await checkPage(page, await nav, 'sign-up');
      assert.equal(new URL(page.url()).pathname, '/auth/sign_up');
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 1, `the sign-up page scrolls sideways by ${overflow}px on a phone`);

      // Every field is found by its label. First the passwords disagree: the form comes back
      // (422) with the message beside the field, what was typed kept, the passwords not.
      await page.getByLabel('Username').fill('wren');
      await page.getByLabel('Email address').fill('wren@mail.example');
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await page.getByLabel('Password again').fill('something else entirely');
      await page.getByLabel(/I agree to/).check();
      nav = page.waitForNavigation();
      await page.getByRole('button', { name: 'Sign up' }).click();
      let response = await nav;
      assert.equal(response.status(), 422);
      assert.equal(await page.locator('#confirmation-error').innerText(), 'The two passwords are not the same.');
      assert.equal(await page.getByLabel('Password again').getAttribute('aria-invalid'), 'true');
      assert.equal(await page.getByLabel('Username').inputValue(), 'wren');
      assert.equal(await page.getByLabel('Email address').inputValue(), 'wren@mail.example');
      assert.equal(await page.getByLabel('Password', { exact: true }).inputValue(), '');
      assert.ok(!(await page.content()).includes(PASSWORD), 'the password came back in the page');
      assert.equal(await page.locator('script').count(), 0);
      await screenshot(page, 'sign-up-error');

      // Then right: the account exists.
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await page.getByLabel('Password again').fill(PASSWORD);
      assert.ok(await page.getByLabel(/I agree to/).isChecked(), 'the agreement was kept');
      nav = page.waitForNavigation();
      await page.getByRole('button', { name: 'Sign up' }).click();
      await checkPage(page, await nav, 'signed-up');
      assert.equal(await page.locator('h1').innerText(), 'Your account exists');
      assert.ok((await page.locator('main').innerText()).includes('@wren@'));

      // Signing in through the OAuth page, as an app sends people there.
      const app = await (await fetch(`${ctx.api}/api/v1/apps`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ client_name: 'Web test app', redirect_uris: 'http://127.0.0.1:9/callback', scopes: 'read' }),
      })).json();
      await page.route('http://127.0.0.1:9/**', (route) => route.fulfill({ status: 200, contentType: 'text/plain', body: 'signed in' }));
      const authorize = new URL('/oauth/authorize', ctx.base);
      authorize.search = new URLSearchParams({
        response_type: 'code', client_id: app.client_id, redirect_uri: 'http://127.0.0.1:9/callback', scope: 'read', state: 'web',
      }).toString();
      await visit(page, authorize.href, 'sign-in');
      assert.equal(await page.locator('input[name=csrf]').count(), 1, 'the sign-in form carries its token');
      await page.getByLabel('Username or email').fill('wren');
      await page.getByLabel('Password').fill(PASSWORD);
      const posted = page.waitForResponse(
        (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/oauth/authorize',
      );
      await page.getByRole('button', { name: 'Authorize' }).click();
      response = await posted;
      assert.equal(response.status(), 302, `POST /oauth/authorize answered ${response.status()}`);
      const back = new URL(response.headers().location);
      assert.equal(back.searchParams.get('state'), 'web');
      const token = await (await fetch(`${ctx.api}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          grant_type: 'authorization_code', code: back.searchParams.get('code'), client_id: app.client_id,
          client_secret: app.client_secret, redirect_uri: 'http://127.0.0.1:9/callback',
        }),
      })).json();
      const me = await (await fetch(`${ctx.api}/api/v1/accounts/verify_credentials`, {
        headers: { authorization: `Bearer ${token.access_token}` },
      })).json();
      assert.equal(me.username, 'wren');
    } finally {
      await context.close();
    }
  });

  test('a followers-only post and an unknown person are the 404 page', { timeout: TEST_MS }, async () => {
    const hidden = await postAs('ana', 'Only for followers', 'private');
    const context = await ctx.browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    try {
      for (const path of [`/@ana/${hidden.id}`, '/@nobody', '/@nobody@elsewhere.example']) {
        const response = await page.goto(`${ctx.base}${path}`, { waitUntil: 'load' });
        assert.equal(response.status(), 404, path);
        assert.equal(await page.locator('h1').innerText(), 'Not found', path);
        assert.equal(await page.getByText('Only for followers').count(), 0, path);
      }
      await screenshot(page, 'not-found');
    } finally {
      await context.close();
    }
  });
});
