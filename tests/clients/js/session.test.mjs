// End-to-end: a scripted session with the masto client library against two freshly started Kith
// instances that federate with each other over loopback (dev mode).
//
// Instance A runs on KITH_TEST_DATABASE_URL (empty = SQLite in a temp dir; a PostgreSQL database
// must be empty) and holds ana (who logs in over OAuth), bob and dan. Instance B runs on its own
// SQLite file and holds carl. On PostgreSQL a second Kith process shares A's database, and the
// streaming client connects to that process: the events it receives were written by the first.
//
// Steps run in order and share state; every step goes through masto's API, except the sign-in
// form (a browser's job, posted here as a form) and where masto has no method.
//
// Environment: KITH_BIN (required), KITH_TEST_DATABASE_URL. Run: KITH_BIN=/path/to/kith node --test

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOAuthAPIClient, createRestAPIClient, createStreamingAPIClient } from 'masto';
import { Kith, DATABASE_URL, KITH_BIN, PASSWORD, STEP_MS, sleep } from './harness.mjs';

const SCOPES = 'read write follow';
const REDIRECT_URI = 'http://127.0.0.1:9/callback';
// A 1×1 PNG.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

const ctx = { tmp: '', a: null, b: null };

const client = (kith, accessToken) => createRestAPIClient({ url: kith.base, accessToken, timeout: STEP_MS });

// Retries `probe` until it returns a truthy value (federation is asynchronous).
async function eventually(what, probe) {
  const deadline = Date.now() + STEP_MS;
  for (;;) {
    const value = await probe();
    if (value) return value;
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await sleep(300);
  }
}

const ids = (statuses) => statuses.map((s) => s.id);

describe('Kith + masto: a scripted session across two instances', { timeout: 20 * STEP_MS }, () => {
  before(async () => {
    assert.ok(KITH_BIN, 'set KITH_BIN to the kith binary');
    ctx.tmp = await mkdtemp(join(tmpdir(), 'kith-js-session-'));
    ctx.a = new Kith({ name: 'a', databaseUrl: DATABASE_URL });
    ctx.b = new Kith({ name: 'b', databaseUrl: '' });
    for (const k of [ctx.a, ctx.b]) {
      await mkdir(join(ctx.tmp, k.name));
      await k.init(join(ctx.tmp, k.name));
    }
    for (const name of ['ana', 'bob', 'dan']) await ctx.a.createUser(name);
    await ctx.b.createUser('carl');
    ctx.bob = client(ctx.a, await ctx.a.token('bob', SCOPES));
    ctx.dan = client(ctx.a, await ctx.a.token('dan', SCOPES));
    ctx.carl = client(ctx.b, await ctx.b.token('carl', SCOPES));
    await ctx.a.serve();
    await ctx.b.serve();
    // On PostgreSQL, a second process on A's database serves the streaming client.
    ctx.streamBase = DATABASE_URL ? await ctx.a.serve() : ctx.a.base;
    ctx.bobAccount = await ctx.bob.v1.accounts.verifyCredentials();
    ctx.danAccount = await ctx.dan.v1.accounts.verifyCredentials();
  });

  after(async () => {
    await ctx.a?.stop();
    await ctx.b?.stop();
    if (ctx.tmp) await rm(ctx.tmp, { recursive: true, force: true }).catch(() => {});
  });

  test('log in: register an app, sign in, redeem the code', async () => {
    const anon = createRestAPIClient({ url: ctx.a.base, timeout: STEP_MS });
    const app = await anon.v1.apps.create({ clientName: 'session test', redirectUris: REDIRECT_URI, scopes: SCOPES });
    assert.ok(app.clientId && app.clientSecret);
    // The sign-in form is what a browser posts; masto has no method for it. As a browser
    // does, open the page first: its form carries a token that must match its cookie.
    const request = {
      response_type: 'code',
      client_id: app.clientId,
      redirect_uri: REDIRECT_URI,
      scope: SCOPES,
      state: 'xyz',
    };
    const shown = await fetch(`${ctx.a.base}/oauth/authorize?${new URLSearchParams(request)}`);
    assert.equal(shown.status, 200, `GET /oauth/authorize answered ${shown.status}`);
    const cookie = shown.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const csrf = (await shown.text()).match(/name="csrf" value="([^"]+)"/)?.[1];
    assert.ok(cookie && csrf, 'the sign-in page sets its form token');
    const form = new URLSearchParams({ ...request, username: 'ana', password: PASSWORD, decision: 'approve', csrf });
    const res = await fetch(`${ctx.a.base}/oauth/authorize`, {
      method: 'POST',
      body: form,
      headers: { cookie },
      redirect: 'manual',
    });
    assert.equal(res.status, 302, `POST /oauth/authorize answered ${res.status}`);
    const location = new URL(res.headers.get('location'));
    assert.equal(`${location.origin}${location.pathname}`, REDIRECT_URI);
    assert.equal(location.searchParams.get('state'), 'xyz');
    const code = location.searchParams.get('code');
    assert.ok(code);
    const oauth = createOAuthAPIClient({ url: ctx.a.base, timeout: STEP_MS });
    const token = await oauth.token.create({
      grantType: 'authorization_code',
      clientId: app.clientId,
      clientSecret: app.clientSecret,
      redirectUri: REDIRECT_URI,
      code,
      scope: SCOPES,
    });
    assert.ok(token.accessToken);
    ctx.anaToken = token.accessToken;
    ctx.ana = client(ctx.a, token.accessToken);
    ctx.anaAccount = await ctx.ana.v1.accounts.verifyCredentials();
    assert.equal(ctx.anaAccount.username, 'ana');
  });

  test('post with an image (description and focus), then a reply', async () => {
    const media = await ctx.ana.v2.media.create({
      file: new Blob([PNG], { type: 'image/png' }),
      description: 'a single red dot',
      focus: '0.5,-0.25',
    });
    assert.equal(media.type, 'image');
    assert.equal(media.description, 'a single red dot');
    assert.deepEqual(media.meta.focus, { x: 0.5, y: -0.25 });
    // The description and focus can be changed before the media is attached.
    const updated = await ctx.ana.v1.media.$select(media.id).update({ description: 'one red dot', focus: '0.5,-0.25' });
    assert.equal(updated.description, 'one red dot');
    assert.deepEqual(updated.meta.focus, { x: 0.5, y: -0.25 });
    const post = await ctx.ana.v1.statuses.create({ status: 'look at this dot', mediaIds: [media.id] });
    assert.equal(post.mediaAttachments.length, 1);
    assert.equal(post.mediaAttachments[0].id, media.id);
    assert.equal(post.mediaAttachments[0].description, 'one red dot');
    assert.deepEqual(post.mediaAttachments[0].meta.focus, { x: 0.5, y: -0.25 });
    const image = await fetch(post.mediaAttachments[0].url);
    assert.equal(image.status, 200);

    const reply = await ctx.bob.v1.statuses.create({ status: '@ana nice dot', inReplyToId: post.id });
    assert.equal(reply.inReplyToId, post.id);
    assert.equal(reply.inReplyToAccountId, ctx.anaAccount.id);
    const context = await ctx.ana.v1.statuses.$select(post.id).context.fetch();
    assert.ok(ids(context.descendants).includes(reply.id), 'the reply is in the thread');
    ctx.imagePost = post;
    ctx.mentionReply = reply;
  });

  test('a poll on one instance, voted on from the other', async () => {
    const poll = await ctx.ana.v1.statuses.create({
      status: 'tea or coffee?',
      poll: { options: ['tea', 'coffee'], expiresIn: 3600 },
    });
    assert.deepEqual(poll.poll.options.map((o) => o.title), ['tea', 'coffee']);
    assert.equal(poll.poll.votesCount, 0);

    const found = await ctx.carl.v2.search.list({ q: poll.url, resolve: true, type: 'statuses' });
    assert.equal(found.statuses.length, 1, `carl finds ana's poll by its URL ${poll.url}`);
    const remote = found.statuses[0];
    assert.ok(remote.poll, 'the remote copy has its poll');
    assert.deepEqual(remote.poll.options.map((o) => o.title), ['tea', 'coffee']);
    const voted = await ctx.carl.v1.polls.$select(remote.poll.id).votes.create({ choices: [1] });
    assert.equal(voted.voted, true);
    assert.deepEqual(voted.ownVotes, [1]);
    const carlsCopy = await ctx.carl.v1.polls.$select(remote.poll.id).fetch();
    assert.equal(carlsCopy.voted, true);
    assert.deepEqual(carlsCopy.ownVotes, [1]);

    const counted = await eventually('carl\'s vote to reach ana\'s instance', async () => {
      const p = await ctx.ana.v1.polls.$select(poll.poll.id).fetch();
      return p.votesCount === 1 ? p : null;
    });
    assert.equal(counted.options[1].votesCount, 1);
    assert.equal(counted.options[0].votesCount, 0);
    // A second vote by the same account is refused.
    await assert.rejects(ctx.carl.v1.polls.$select(remote.poll.id).votes.create({ choices: [0] }));

    const bobVote = await ctx.bob.v1.polls.$select(poll.poll.id).votes.create({ choices: [0] });
    assert.equal(bobVote.votesCount, 2);
    assert.deepEqual(bobVote.ownVotes, [0]);
  });

  test('bookmark and pin', async () => {
    const bobPost = await ctx.bob.v1.statuses.create({ status: 'worth keeping' });
    const marked = await ctx.ana.v1.statuses.$select(bobPost.id).bookmark();
    assert.equal(marked.bookmarked, true);
    const bookmarks = await ctx.ana.v1.bookmarks.list();
    assert.deepEqual(ids(bookmarks), [bobPost.id]);
    // Bookmarks are private to ana.
    assert.deepEqual(await ctx.bob.v1.bookmarks.list(), []);

    const pinned = await ctx.ana.v1.statuses.$select(ctx.imagePost.id).pin();
    assert.equal(pinned.pinned, true);
    const listed = await ctx.bob.v1.accounts.$select(ctx.anaAccount.id).statuses.list({ pinned: true });
    assert.deepEqual(ids(listed), [ctx.imagePost.id]);
    // Someone else's post cannot be pinned.
    await assert.rejects(ctx.ana.v1.statuses.$select(bobPost.id).pin());
  });

  test('lists and a list timeline', async () => {
    await ctx.ana.v1.accounts.$select(ctx.bobAccount.id).follow();
    await ctx.ana.v1.accounts.$select(ctx.danAccount.id).follow();
    const list = await ctx.ana.v1.lists.create({ title: 'friends' });
    assert.equal(list.title, 'friends');
    await ctx.ana.v1.lists.$select(list.id).accounts.create({ accountIds: [ctx.bobAccount.id] });
    const members = await ctx.ana.v1.lists.$select(list.id).accounts.list();
    assert.deepEqual(members.map((a) => a.id), [ctx.bobAccount.id]);
    const fromBob = await ctx.bob.v1.statuses.create({ status: 'for my list' });
    const fromDan = await ctx.dan.v1.statuses.create({ status: 'not on the list' });
    const timeline = await ctx.ana.v1.timelines.list.$select(list.id).list();
    assert.ok(ids(timeline).includes(fromBob.id), 'bob\'s post is on the list timeline');
    assert.ok(!ids(timeline).includes(fromDan.id), 'dan is not on the list');
    ctx.listId = list.id;
    const lists = await ctx.ana.v1.lists.list();
    assert.deepEqual(lists.map((l) => l.id), [list.id]);
  });

  test('a filter that hides and one that warns', async () => {
    const hide = await ctx.ana.v2.filters.create({
      title: 'no durian',
      context: ['home', 'public'],
      filterAction: 'hide',
      keywordsAttributes: [{ keyword: 'durian', wholeWord: true }],
    });
    assert.equal(hide.filterAction, 'hide');
    const warn = await ctx.ana.v2.filters.create({
      title: 'spoilers',
      context: ['home'],
      filterAction: 'warn',
      keywordsAttributes: [{ keyword: 'spoiler', wholeWord: false }],
    });
    assert.equal(warn.filterAction, 'warn');
    const hidden = await ctx.bob.v1.statuses.create({ status: 'durian for breakfast' });
    const warned = await ctx.bob.v1.statuses.create({ status: 'a spoiler about the film' });
    const plain = await ctx.bob.v1.statuses.create({ status: 'nothing to see' });
    const home = await ctx.ana.v1.timelines.home.list({ limit: 40 });
    assert.ok(!ids(home).includes(hidden.id), 'a hide match is removed from the home timeline');
    const shown = home.find((s) => s.id === warned.id);
    assert.ok(shown, 'a warn match stays on the home timeline');
    assert.equal(shown.filtered?.length, 1, 'a warn match carries `filtered`');
    assert.equal(shown.filtered[0].filter.id, warn.id);
    assert.deepEqual(shown.filtered[0].keywordMatches, ['spoiler']);
    const clean = home.find((s) => s.id === plain.id);
    assert.ok(clean);
    assert.deepEqual(clean.filtered ?? [], []);
    // Filters are per person: bob's own timeline is unfiltered.
    const bobHome = await ctx.bob.v1.timelines.home.list({ limit: 40 });
    assert.ok(ids(bobHome).includes(hidden.id));
    // The home context covers list timelines too; the public one the local timeline.
    const onList = await ctx.ana.v1.timelines.list.$select(ctx.listId).list();
    assert.ok(ids(onList).includes(plain.id));
    assert.ok(!ids(onList).includes(hidden.id), 'a hide match is removed from the list timeline');
    assert.equal(onList.find((s) => s.id === warned.id)?.filtered?.length, 1);
    const local = await ctx.ana.v1.timelines.public.list({ local: true, limit: 40 });
    assert.ok(ids(local).includes(plain.id));
    assert.ok(!ids(local).includes(hidden.id), 'a hide match is removed from the local timeline');
  });

  test('conversations', async () => {
    const dm = await ctx.bob.v1.statuses.create({ status: '@ana just between us', visibility: 'direct' });
    const conversations = await ctx.ana.v1.conversations.list();
    const convo = conversations.find((c) => c.lastStatus?.id === dm.id);
    assert.ok(convo, 'the direct message opens a conversation');
    assert.deepEqual(convo.accounts.map((a) => a.id), [ctx.bobAccount.id]);
    assert.equal(convo.unread, true);
    const read = await ctx.ana.v1.conversations.$select(convo.id).read();
    assert.equal(read.unread, false);
    // dan is not part of it.
    const dans = await ctx.dan.v1.conversations.list();
    assert.ok(!dans.some((c) => c.lastStatus?.id === dm.id));
  });

  test('markers', async () => {
    const home = await ctx.ana.v1.timelines.home.list({ limit: 1 });
    const notes = await ctx.ana.v1.notifications.list({ limit: 1 });
    assert.equal(home.length, 1);
    assert.equal(notes.length, 1);
    const saved = await ctx.ana.v1.markers.create({
      home: { lastReadId: home[0].id },
      notifications: { lastReadId: notes[0].id },
    });
    assert.equal(saved.home.lastReadId, home[0].id);
    const fetched = await ctx.ana.v1.markers.fetch({ timeline: ['home', 'notifications'] });
    assert.equal(fetched.home.lastReadId, home[0].id);
    assert.equal(fetched.notifications.lastReadId, notes[0].id);
    assert.ok(Number.isInteger(fetched.home.version));
  });

  test('notifications, v1 and grouped v2', async () => {
    const v1 = await ctx.ana.v1.notifications.list({ types: ['mention'] });
    const mention = v1.find((n) => n.status?.id === ctx.mentionReply.id);
    assert.ok(mention, 'bob\'s reply is a mention notification');
    assert.equal(mention.type, 'mention');
    assert.equal(mention.account.id, ctx.bobAccount.id);
    assert.ok(v1.every((n) => n.type === 'mention'));
    const follows = await ctx.bob.v1.notifications.list({ types: ['follow'] });
    assert.ok(follows.some((n) => n.account.id === ctx.anaAccount.id), 'bob was told ana follows him');

    const v2 = await ctx.ana.v2.notifications.list();
    const group = v2.notificationGroups.find((g) => g.type === 'mention' && g.statusId === ctx.mentionReply.id);
    assert.ok(group, 'the mention is a group in the grouped listing');
    assert.deepEqual(group.sampleAccountIds, [ctx.bobAccount.id]);
    assert.ok(v2.accounts.some((a) => a.id === ctx.bobAccount.id));
    assert.ok(v2.statuses.some((s) => s.id === ctx.mentionReply.id));
    // Two favourites of one post make one group with both accounts.
    const liked = await ctx.ana.v1.statuses.create({ status: 'like me' });
    await ctx.bob.v1.statuses.$select(liked.id).favourite();
    await ctx.dan.v1.statuses.$select(liked.id).favourite();
    const grouped = await ctx.ana.v2.notifications.list({ groupedTypes: ['favourite'] });
    const favs = grouped.notificationGroups.filter((g) => g.type === 'favourite' && g.statusId === liked.id);
    assert.equal(favs.length, 1, 'the favourites of one post are one group');
    assert.equal(favs[0].notificationsCount, 2);
    assert.deepEqual([...favs[0].sampleAccountIds].sort(), [ctx.bobAccount.id, ctx.danAccount.id].sort());
    const one = await ctx.ana.v1.notifications.$select(mention.id).fetch();
    assert.equal(one.id, mention.id);
  });

  test('mute', async () => {
    const before = await ctx.dan.v1.statuses.create({ status: 'dan speaks' });
    let home = await ctx.ana.v1.timelines.home.list({ limit: 40 });
    assert.ok(ids(home).includes(before.id));
    const rel = await ctx.ana.v1.accounts.$select(ctx.danAccount.id).mute();
    assert.equal(rel.muting, true);
    const mutes = await ctx.ana.v1.mutes.list();
    assert.deepEqual(mutes.map((a) => a.id), [ctx.danAccount.id]);
    const after = await ctx.dan.v1.statuses.create({ status: 'dan speaks again' });
    home = await ctx.ana.v1.timelines.home.list({ limit: 40 });
    assert.ok(!ids(home).includes(before.id), 'a muted account\'s posts leave the home timeline');
    assert.ok(!ids(home).includes(after.id));
    const mentionByDan = await ctx.dan.v1.statuses.create({ status: '@ana are you there?' });
    const notes = await ctx.ana.v1.notifications.list();
    assert.ok(!notes.some((n) => n.status?.id === mentionByDan.id), 'a muted account does not notify');
  });

  test('streaming: an update from a followed remote account and a mention notification', { timeout: 4 * STEP_MS }, async () => {
    const found = await ctx.ana.v2.search.list({ q: `@carl@${ctx.b.domain}`, resolve: true, type: 'accounts' });
    assert.equal(found.accounts.length, 1, 'ana finds carl on the other instance');
    const carlAtA = found.accounts[0];
    assert.equal(carlAtA.acct, `carl@${ctx.b.domain}`);
    ctx.carlAtA = carlAtA;
    const rel = await ctx.ana.v1.accounts.$select(carlAtA.id).follow();
    await eventually('carl to accept the follow', async () => {
      if (rel.following) return true;
      const [r] = await ctx.ana.v1.accounts.relationships.fetch({ id: [carlAtA.id] });
      return r.following;
    });

    // The streaming URL Kith advertises; on PostgreSQL, the same path on the second process.
    const instance = await ctx.ana.v2.instance.fetch();
    assert.match(instance.configuration.urls.streaming, /^ws:\/\//);
    if (DATABASE_URL) assert.notEqual(ctx.streamBase, ctx.a.base, 'the stream is read from the second process');
    const streamingApiUrl = DATABASE_URL
      ? ctx.streamBase.replace(/^http/, 'ws')
      : instance.configuration.urls.streaming;
    const streaming = createStreamingAPIClient({ streamingApiUrl, accessToken: ctx.anaToken, retry: 3 });
    try {
      const subscription = streaming.user.subscribe();
      const events = subscription[Symbol.asyncIterator]();
      // The subscription is live once an update for one of carl's posts arrives: carl posts until
      // one does (masto sends no acknowledgement of a subscribe to wait for).
      const posted = new Set();
      let first;
      let pending = events.next();
      for (let n = 0; !first; n++) {
        assert.ok(n < 30, 'no update for carl\'s posts arrived');
        const s = await ctx.carl.v1.statuses.create({ status: `hello from afar ${n}` });
        posted.add(s.url);
        first = await Promise.race([pending, sleep(2_000).then(() => undefined)]);
      }
      assert.equal(first.value.event, 'update');
      assert.equal(first.value.payload.account.id, carlAtA.id);
      assert.ok(posted.has(first.value.payload.url), `an update for carl's post, got ${first.value.payload.url}`);

      // ana's filters apply to the stream: a hide match is not sent, a warn match carries
      // `filtered`. Posted before the mention, so their updates come before its notification.
      const hidden = await ctx.bob.v1.statuses.create({ status: 'streamed durian' });
      const warned = await ctx.bob.v1.statuses.create({ status: 'streamed spoiler' });
      const mention = await ctx.bob.v1.statuses.create({ status: 'streaming hello @ana' });
      const updates = new Map();
      let notification;
      while (!notification) {
        const { value } = await events.next();
        if (value.event === 'notification') notification = value;
        if (value.event === 'update') updates.set(value.payload.id, value.payload);
      }
      assert.ok(!updates.has(hidden.id), 'a hide match is not streamed');
      assert.ok(updates.has(warned.id), 'a warn match is streamed');
      assert.equal(updates.get(warned.id).filtered?.length, 1, 'a streamed warn match carries `filtered`');
      assert.equal(updates.get(warned.id).filtered[0].filter.filterAction, 'warn');
      assert.equal(notification.payload.type, 'mention');
      assert.equal(notification.payload.status.id, mention.id);
      assert.equal(notification.payload.account.id, ctx.bobAccount.id);
      // A mention from the remote account arrives over federation and is streamed too.
      const remoteMention = await ctx.carl.v1.statuses.create({ status: `@ana@${ctx.a.domain} over here` });
      let remoteNotification;
      while (!remoteNotification) {
        const { value } = await events.next();
        if (value.event === 'notification') remoteNotification = value;
      }
      assert.equal(remoteNotification.payload.type, 'mention');
      assert.equal(remoteNotification.payload.account.id, carlAtA.id);
      assert.equal(remoteNotification.payload.status.url, remoteMention.url);
      subscription.unsubscribe();
    } finally {
      streaming.close();
    }
    const home = await ctx.ana.v1.timelines.home.list({ limit: 40 });
    ctx.carlPostIds = home.filter((s) => s.account.id === carlAtA.id).map((s) => s.id);
    assert.ok(ctx.carlPostIds.length > 0, 'carl\'s posts are on ana\'s home timeline');
  });

  test('across instances: remote media, a remote reply, a remote direct message, a remote list member', { timeout: 4 * STEP_MS }, async () => {
    const carlAtA = ctx.carlAtA;
    const media = await ctx.carl.v2.media.create({
      file: new Blob([PNG], { type: 'image/png' }),
      description: 'a dot from afar',
      focus: '-0.5,0.75',
    });
    const withImage = await ctx.carl.v1.statuses.create({ status: 'a remote picture', mediaIds: [media.id] });
    const seen = await eventually('carl\'s picture on ana\'s home timeline', async () => {
      const home = await ctx.ana.v1.timelines.home.list({ limit: 40 });
      return home.find((s) => s.url === withImage.url);
    });
    assert.equal(seen.account.id, carlAtA.id);
    assert.equal(seen.mediaAttachments.length, 1);
    assert.equal(seen.mediaAttachments[0].type, 'image');
    assert.equal(seen.mediaAttachments[0].description, 'a dot from afar');
    assert.deepEqual(seen.mediaAttachments[0].meta?.focus, { x: -0.5, y: 0.75 }, 'the focus point federates');

    // A reply from the other instance joins ana's thread.
    const found = await ctx.carl.v2.search.list({ q: ctx.imagePost.url, resolve: true, type: 'statuses' });
    assert.equal(found.statuses.length, 1);
    const reply = await ctx.carl.v1.statuses.create({
      status: `@ana@${ctx.a.domain} lovely`,
      inReplyToId: found.statuses[0].id,
    });
    await eventually('carl\'s reply in ana\'s thread', async () => {
      const context = await ctx.ana.v1.statuses.$select(ctx.imagePost.id).context.fetch();
      return context.descendants.some((s) => s.url === reply.url && s.inReplyToId === ctx.imagePost.id);
    });

    // A direct message from the other instance opens a conversation with carl.
    const dm = await ctx.carl.v1.statuses.create({ status: `@ana@${ctx.a.domain} psst`, visibility: 'direct' });
    const convo = await eventually('carl\'s direct message as a conversation', async () => {
      const conversations = await ctx.ana.v1.conversations.list();
      return conversations.find((c) => c.lastStatus?.url === dm.url);
    });
    assert.deepEqual(convo.accounts.map((a) => a.id), [carlAtA.id]);
    assert.equal(convo.lastStatus.visibility, 'direct');
    assert.equal(convo.unread, true);

    // A remote account on a list; its bookmarked post.
    await ctx.ana.v1.lists.$select(ctx.listId).accounts.create({ accountIds: [carlAtA.id] });
    const listed = await ctx.carl.v1.statuses.create({ status: 'for lists everywhere' });
    const onList = await eventually('carl\'s post on ana\'s list timeline', async () => {
      const timeline = await ctx.ana.v1.timelines.list.$select(ctx.listId).list();
      return timeline.find((s) => s.url === listed.url);
    });
    const marked = await ctx.ana.v1.statuses.$select(onList.id).bookmark();
    assert.equal(marked.bookmarked, true);
    assert.ok(ids(await ctx.ana.v1.bookmarks.list()).includes(onList.id));

    // The notifications marker counts what came after it.
    const notes = await ctx.ana.v1.notifications.list({ limit: 1 });
    await ctx.ana.v1.markers.create({ notifications: { lastReadId: notes[0].id } });
    const unreadNone = await ctx.ana.v2.notifications.unreadCount.fetch();
    assert.equal(unreadNone.count, 0);
    await ctx.bob.v1.statuses.create({ status: '@ana one more' });
    const unreadOne = await ctx.ana.v2.notifications.unreadCount.fetch();
    assert.equal(unreadOne.count, 1);
  });

  test('domain block', async () => {
    await ctx.ana.v1.domainBlocks.create({ domain: ctx.b.domain });
    const blocked = await ctx.ana.v1.domainBlocks.list();
    assert.deepEqual(blocked, [ctx.b.domain]);
    const home = await ctx.ana.v1.timelines.home.list({ limit: 40 });
    const left = home.filter((s) => s.account.id === ctx.carlAtA.id);
    assert.deepEqual(left, [], 'a blocked domain\'s posts leave the home timeline');
    const [rel] = await ctx.ana.v1.accounts.relationships.fetch({ id: [ctx.carlAtA.id] });
    assert.equal(rel.domainBlocking, true);
    // As on Mastodon, blocking a domain ends following its accounts.
    assert.equal(rel.following, false, 'ana no longer follows carl');
    const notes = await ctx.ana.v1.notifications.list({ limit: 40 });
    assert.ok(!notes.some((n) => n.account.id === ctx.carlAtA.id), 'nor carl\'s notifications');
    const grouped = await ctx.ana.v2.notifications.list();
    assert.ok(!grouped.accounts.some((a) => a.id === ctx.carlAtA.id), 'nor in the grouped listing');
    const list = await ctx.ana.v1.timelines.list.$select(ctx.listId).list();
    assert.ok(!list.some((s) => s.account.id === ctx.carlAtA.id), 'nor does the list timeline show carl');
    await ctx.ana.v1.domainBlocks.remove({ domain: ctx.b.domain });
    assert.deepEqual(await ctx.ana.v1.domainBlocks.list(), []);
  });
});
