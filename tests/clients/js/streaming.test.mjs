// End-to-end: the masto client library's streaming client (WebSocket) against a freshly
// started Kith, at the URL Kith advertises in /api/v2/instance (configuration.urls.streaming).
// ana follows bob; ana's `user` stream receives an `update` for bob's post and a
// `notification` for bob's mention of her.
//
// Environment: KITH_BIN (required), KITH_TEST_DATABASE_URL (empty = SQLite in a temp dir; a
// PostgreSQL database must be empty). Run: KITH_BIN=/path/to/kith node --test

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { createRestAPIClient, createStreamingAPIClient } from 'masto';

const KITH_BIN = process.env.KITH_BIN ?? '';
const DATABASE_URL = process.env.KITH_TEST_DATABASE_URL ?? '';
const STEP_MS = 60_000;

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function run(args, env, cwd) {
  return new Promise((resolve, reject) => {
    execFile(KITH_BIN, args, { env, cwd, timeout: STEP_MS }, (err, stdout, stderr) => {
      if (err) {
        err.message += `\nstdout:\n${stdout}\nstderr:\n${stderr}`;
        reject(err);
      } else {
        resolve(stdout.trim());
      }
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const ctx = { tmp: '', base: '', server: null, log: [] };

async function waitForHealth() {
  const deadline = Date.now() + STEP_MS;
  while (Date.now() < deadline) {
    if (ctx.server.exitCode !== null) throw new Error(`kith exited:\n${ctx.log.join('')}`);
    try {
      if ((await fetch(`${ctx.base}/health`)).status === 200) return;
    } catch {
      // not up yet
    }
    await sleep(200);
  }
  throw new Error(`kith did not become healthy:\n${ctx.log.join('')}`);
}

describe('Kith + masto: streaming over WebSocket', { timeout: 5 * STEP_MS }, () => {
  before(async () => {
    assert.ok(KITH_BIN, 'set KITH_BIN to the kith binary');
    ctx.tmp = await mkdtemp(join(tmpdir(), 'kith-js-stream-'));
    const port = await freePort();
    ctx.base = `http://127.0.0.1:${port}`;
    ctx.env = {
      ...process.env,
      KITH_DEV_MODE: 'true',
      KITH_BIND: `127.0.0.1:${port}`,
      KITH_DOMAIN: `localhost:${port}`,
      KITH_DATA_DIR: join(ctx.tmp, 'data'),
      KITH_DATABASE_URL: DATABASE_URL,
      NO_COLOR: '1',
    };
    for (const name of ['ana', 'bob']) {
      await run(['admin', 'create-user', name, '--password', 'correct horse battery'], ctx.env, ctx.tmp);
    }
    ctx.anaToken = await run(['admin', 'token', 'ana', '--scopes', 'read write follow'], ctx.env, ctx.tmp);
    ctx.bobToken = await run(['admin', 'token', 'bob', '--scopes', 'read write follow'], ctx.env, ctx.tmp);
    ctx.server = spawn(KITH_BIN, ['serve'], { cwd: ctx.tmp, env: ctx.env, stdio: ['ignore', 'pipe', 'pipe'] });
    ctx.server.stdout.on('data', (d) => ctx.log.push(d.toString()));
    ctx.server.stderr.on('data', (d) => ctx.log.push(d.toString()));
    await waitForHealth();
  });

  after(async () => {
    if (ctx.server && ctx.server.exitCode === null) {
      const exited = once(ctx.server, 'exit');
      ctx.server.kill('SIGTERM');
      await exited;
    }
    if (ctx.tmp) await rm(ctx.tmp, { recursive: true, force: true }).catch(() => {});
  });

  test('the user stream gets an update for a followed account and a mention notification', { timeout: 4 * STEP_MS }, async () => {
    const ana = createRestAPIClient({ url: ctx.base, accessToken: ctx.anaToken, timeout: STEP_MS });
    const bob = createRestAPIClient({ url: ctx.base, accessToken: ctx.bobToken, timeout: STEP_MS });
    const instance = await ana.v2.instance.fetch();
    const streamingApiUrl = instance.configuration.urls.streaming;
    assert.match(streamingApiUrl, /^ws:\/\/localhost:\d+$/);
    const bobAccount = await bob.v1.accounts.verifyCredentials();
    await ana.v1.accounts.$select(bobAccount.id).follow();

    const streaming = createStreamingAPIClient({ streamingApiUrl, accessToken: ctx.anaToken, retry: 3 });
    const subscription = streaming.user.subscribe();
    const events = subscription[Symbol.asyncIterator]();
    // The subscription is live once an update for one of bob's posts arrives: bob posts until
    // one does (masto sends no acknowledgement of a subscribe to wait for).
    const posted = new Set();
    let first;
    const pending = events.next();
    for (let n = 0; !first; n++) {
      assert.ok(n < 60, 'no update arrived');
      const s = await bob.v1.statuses.create({ status: `ping ${n}` });
      posted.add(s.id);
      first = await Promise.race([pending, sleep(1_000).then(() => undefined)]);
    }
    assert.equal(first.value.event, 'update');
    assert.ok(posted.has(first.value.payload.id), `an update for bob's post, got ${first.value.payload.id}`);

    const mention = await bob.v1.statuses.create({ status: 'hello @ana' });
    let notification;
    while (!notification) {
      const { value } = await events.next();
      if (value.event === 'notification') notification = value;
    }
    assert.equal(notification.payload.type, 'mention');
    assert.equal(notification.payload.status.id, mention.id);
    assert.equal(notification.payload.account.id, bobAccount.id);
    subscription.unsubscribe();
    streaming.close();
  });
});
