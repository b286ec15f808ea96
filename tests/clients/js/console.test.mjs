// End-to-end: the moderators' web console (/admin) in a real browser (Debian's
// headless Chromium, driven by playwright-core) with JavaScript switched off, as
// the console needs none. A moderator signs in, reads the report queue, resolves a
// report and suspends a domain through the forms; the admin API confirms both.
// Screenshots of every page are kept as test artifacts.
//
// Environment:
//   KITH_BIN                 path to the kith binary (required)
//   KITH_TEST_DATABASE_URL   database for the server; empty/unset = SQLite in a temp dir.
//                            A PostgreSQL database must be empty.
//   KITH_TEST_ARTIFACTS      where artifacts go (screenshots in its console/ folder);
//                            default: target/test-artifacts at the top of the repository
//   CHROMIUM_PATH            browser to drive (default /usr/bin/chromium)
//
// Run: KITH_BIN=/path/to/kith node --test console.test.mjs

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BACKEND, Kith, KITH_BIN, PASSWORD, STEP_MS, launchChromium } from './harness.mjs';

const ARTIFACTS = join(
  process.env.KITH_TEST_ARTIFACTS || fileURLToPath(new URL('../../../target/test-artifacts', import.meta.url)),
  'console',
);

const TEST_MS = 240_000;

// ---------------------------------------------------------------- helpers

const ctx = {
  tmp: '',
  base: '',
  kith: null,
  browser: null,
  page: null,
  tokens: {},
  reportId: '',
};

// The client API, as an app would call it.
async function api(method, path, token, body) {
  const res = await fetch(`${ctx.base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(STEP_MS),
  });
  const text = await res.text();
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text);
}

async function screenshot(name) {
  await mkdir(ARTIFACTS, { recursive: true });
  await ctx.page.screenshot({ path: join(ARTIFACTS, `${BACKEND}-${name}.png`), fullPage: true });
}

// Loads a console page and checks what every console page must be.
async function open(path, heading) {
  const res = await ctx.page.goto(`${ctx.base}${path}`, { waitUntil: 'load' });
  assert.equal(res.status(), 200, `GET ${path} answered ${res.status()}`);
  const headers = res.headers();
  assert.match(headers['content-security-policy'] ?? '', /default-src 'none'/);
  assert.doesNotMatch(headers['content-security-policy'] ?? '', /unsafe-inline|script-src/);
  assert.equal(headers['x-frame-options'], 'DENY');
  assert.equal(await ctx.page.locator('script').count(), 0, `${path} carries a script`);
  await ctx.page.getByRole('heading', { level: 1, name: heading }).waitFor({ state: 'visible' });
}

async function notice() {
  const n = ctx.page.locator('#notice');
  await n.waitFor({ state: 'visible' });
  return (await n.innerText()).trim();
}

// ------------------------------------------------------------------ tests

describe('Kith moderators\' console in headless Chromium, JavaScript off', { timeout: 6 * TEST_MS }, () => {
  before(async () => {
    assert.ok(KITH_BIN, 'set KITH_BIN to the kith binary');
    ctx.tmp = await mkdtemp(join(tmpdir(), 'kith-console-'));
    ctx.kith = await new Kith().init(ctx.tmp);
    ctx.base = ctx.kith.base;
    await ctx.kith.createUser('mia', ['--role', 'moderator']);
    await ctx.kith.createUser('bob');
    await ctx.kith.createUser('carl');
    for (const [name, scopes] of [['mia', 'admin:read'], ['bob', 'read write'], ['carl', 'read write']]) {
      ctx.tokens[name] = await ctx.kith.token(name, scopes);
    }

    await ctx.kith.serve();

    // carl reports one of bob's posts.
    const bob = await api('GET', '/api/v1/accounts/verify_credentials', ctx.tokens.bob);
    const post = await api('POST', '/api/v1/statuses', ctx.tokens.bob, { status: 'buy <b>cheap</b> pills' });
    const report = await api('POST', '/api/v1/reports', ctx.tokens.carl, {
      account_id: bob.id,
      status_ids: [post.id],
      comment: 'spam, again',
      category: 'spam',
    });
    ctx.reportId = report.id;

    ctx.browser = await launchChromium(['--disable-component-update', '--disable-sync']);
    const context = await ctx.browser.newContext({ viewport: { width: 1200, height: 900 }, javaScriptEnabled: false });
    context.setDefaultTimeout(STEP_MS);
    ctx.page = await context.newPage();
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

  test('a signed-out visitor is sent to the login page, and a moderator signs in', { timeout: TEST_MS }, async () => {
    await ctx.page.goto(`${ctx.base}/admin/reports`, { waitUntil: 'load' });
    assert.equal(new URL(ctx.page.url()).pathname, '/admin/login');
    await ctx.page.locator('#username').waitFor({ state: 'visible' });
    await screenshot('login');

    await ctx.page.fill('#username', 'mia');
    await ctx.page.fill('#password', 'not the password');
    await ctx.page.click('#sign-in');
    await ctx.page.locator('[role=alert]').waitFor({ state: 'visible' });
    await screenshot('login-error');

    await ctx.page.fill('#username', 'mia');
    await ctx.page.fill('#password', PASSWORD);
    await ctx.page.click('#sign-in');
    await ctx.page.waitForURL((u) => u.pathname === '/admin/reports');
    const cookies = await ctx.page.context().cookies();
    const session = cookies.find((c) => c.name === 'kith_console');
    assert.ok(session, 'no session cookie');
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Lax');
  });

  test('every page loads', { timeout: TEST_MS }, async () => {
    await open('/admin/reports', 'Reports');
    assert.equal(await ctx.page.locator(`a[href="/admin/reports/${ctx.reportId}"]`).count(), 1);
    await screenshot('reports');
    await open('/admin/accounts', 'Accounts');
    await screenshot('accounts');
    await open('/admin/domains', 'Domain policies');
    await screenshot('domains');
    await open('/admin/registrations', 'Registrations');
    await screenshot('registrations');
    await open('/admin/audit', 'Audit log');
    await screenshot('audit-empty');
  });

  test('the moderator resolves the report through its page', { timeout: TEST_MS }, async () => {
    await open('/admin/reports', 'Reports');
    await ctx.page.click(`a[href="/admin/reports/${ctx.reportId}"]`);
    await ctx.page.getByRole('heading', { level: 1, name: `Report #${ctx.reportId}` }).waitFor();
    // bob's post, escaped as it was typed.
    await ctx.page.getByText('buy <b>cheap</b> pills').waitFor({ state: 'visible' });
    await screenshot('report');

    await ctx.page.fill('#note-content', 'Checked: the same spam as last week.');
    await ctx.page.click('#add-note button[type=submit]');
    assert.equal(await notice(), 'Note added.');

    await ctx.page.click('button[name=step][value=resolve]');
    assert.equal(await notice(), 'Report resolved.');
    await ctx.page.locator('button[name=step][value=reopen]').waitFor({ state: 'visible' });
    await screenshot('report-resolved');

    const seen = await api('GET', `/api/v1/admin/reports/${ctx.reportId}`, ctx.tokens.mia);
    assert.equal(seen.action_taken, true);
    await open('/admin/reports', 'Reports');
    await ctx.page.getByText('No open reports.').waitFor({ state: 'visible' });
  });

  test('the moderator suspends a domain through the form', { timeout: TEST_MS }, async () => {
    await open('/admin/domains', 'Domain policies');
    await ctx.page.fill('#domain', 'spam.example');
    await ctx.page.selectOption('#severity', 'suspend');
    await ctx.page.fill('#public_comment', 'Spam waves');
    await ctx.page.fill('#private_comment', 'See report ' + ctx.reportId);
    await ctx.page.click('#save-domain');
    assert.equal(await notice(), 'spam.example is suspended.');
    await ctx.page.locator('#domains').getByText('spam.example').waitFor({ state: 'visible' });
    await screenshot('domain-suspended');

    const blocks = await api('GET', '/api/v1/admin/domain_blocks', ctx.tokens.mia);
    const block = blocks.find((b) => b.domain === 'spam.example');
    assert.ok(block, `not in the admin API: ${JSON.stringify(blocks)}`);
    assert.equal(block.severity, 'suspend');
    assert.equal(block.public_comment, 'Spam waves');
  });

  test('both actions are in the audit log, and signing out ends the session', { timeout: TEST_MS }, async () => {
    await open('/admin/audit', 'Audit log');
    const log = await ctx.page.locator('#audit').innerText();
    for (const action of ['create_note', 'resolve', 'create_domain_block']) {
      assert.ok(log.includes(action), `${action} missing from the audit log:\n${log}`);
    }
    assert.ok(log.includes('mia'));
    await screenshot('audit');

    await ctx.page.click('#sign-out');
    await ctx.page.waitForURL((u) => u.pathname === '/admin/login');
    await ctx.page.goto(`${ctx.base}/admin/domains`, { waitUntil: 'load' });
    assert.equal(new URL(ctx.page.url()).pathname, '/admin/login');
  });
});
