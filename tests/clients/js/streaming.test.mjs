// End-to-end: the masto client library's streaming client (WebSocket) against a freshly
// started Kith, at the URL Kith advertises in /api/v2/instance (configuration.urls.streaming).
// ana follows bob; ana's `user` stream receives an `update` for bob's post and a
// `notification` for bob's mention of her.
//
// Environment: KITH_BIN (required), KITH_TEST_DATABASE_URL (empty = SQLite in a temp dir; a
// PostgreSQL database must be empty). Run: KITH_BIN=/path/to/kith node --test

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRestAPIClient, createStreamingAPIClient } from 'masto';
import { Kith, KITH_BIN, STEP_MS, sleep } from './harness.mjs';

const ctx = { tmp: '', kith: null, base: '' };

describe('Kith + masto: streaming over WebSocket', { timeout: 5 * STEP_MS }, () => {
  before(async () => {
    assert.ok(KITH_BIN, 'set KITH_BIN to the kith binary');
    ctx.tmp = await mkdtemp(join(tmpdir(), 'kith-js-stream-'));
    ctx.kith = await new Kith().init(ctx.tmp);
    ctx.base = ctx.kith.base;
    for (const name of ['ana', 'bob']) await ctx.kith.createUser(name);
    ctx.anaToken = await ctx.kith.token('ana', 'read write follow');
    ctx.bobToken = await ctx.kith.token('bob', 'read write follow');
    await ctx.kith.serve();
  });

  after(async () => {
    await ctx.kith?.stop();
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
