#!/usr/bin/env node
// A small, real ActivityPub peer built with Fedify, for Kith's federation tests.
//
//   node peer.mjs --port 47001
//
// serves http://localhost:47001 with one actor, alice, and a JSON control API
// under /_control (see README.md).  Prints exactly one line to stdout when ready:
//
//   fedify peer listening on http://localhost:47001
//
// Everything else (Fedify's logs, our own diagnostics) goes to stderr.

// Fedify 2.x declares Node >= 22; on Node 20 it only lacks `navigator`.
globalThis.navigator ??= { userAgent: "node" };

import http from "node:http";
import { AsyncLocalStorage } from "node:async_hooks";
import { parseArgs } from "node:util";
import { randomUUID } from "node:crypto";

const { values: args } = parseArgs({
  options: {
    port: { type: "string" },
    host: { type: "string", default: "localhost" },
    username: { type: "string", default: "alice" },
    name: { type: "string" },
    "first-knock": { type: "string", default: "rfc9421" },
    queue: { type: "boolean", default: false },
    "manual-approve": { type: "boolean", default: false },
    "no-ed25519": { type: "boolean", default: false },
    "unsigned-fetch": { type: "boolean", default: false },
    "log-level": { type: "string" },
    "rsa-bits": { type: "string", default: "2048" },
    help: { type: "boolean", short: "h", default: false },
  },
  strict: true,
});

if (args.help || !args.port) {
  process.stderr.write(
    `usage: node peer.mjs --port PORT [--host localhost] [--username alice] [--name NAME]
       [--first-knock rfc9421|draft-cavage-http-signatures-12] [--queue]
       [--manual-approve] [--no-ed25519] [--unsigned-fetch] [--rsa-bits 2048]
       [--log-level debug|info|warning|error]
`,
  );
  process.exit(args.help ? 0 : 2);
}

const PORT = Number(args.port);
if (!Number.isInteger(PORT) || PORT <= 0 || PORT > 65535) {
  process.stderr.write(`bad --port ${args.port}\n`);
  process.exit(2);
}
const HOST = args.host; // the host in ids: a name, or in the IP-host test 127.0.0.1
const ORIGIN = `http://${HOST}:${PORT}`;
const USERNAME = args.username;
const FIRST_KNOCK = args["first-knock"];
if (FIRST_KNOCK !== "rfc9421" && FIRST_KNOCK !== "draft-cavage-http-signatures-12") {
  process.stderr.write(`bad --first-knock ${FIRST_KNOCK}\n`);
  process.exit(2);
}

// ---------------------------------------------------------------------------
// Logging (LogTape, which Fedify uses): to stderr only, off unless asked for.

const { configure, getLogger, defaultTextFormatter } = await import("@logtape/logtape");
const stderrSink = (record) => process.stderr.write(defaultTextFormatter(record));
await configure({
  contextLocalStorage: new AsyncLocalStorage(),
  sinks: { stderr: stderrSink },
  loggers: [
    { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["stderr"] },
    ...(args["log-level"]
      ? [{ category: "fedify", lowestLevel: args["log-level"], sinks: ["stderr"] }]
      : []),
    { category: "peer", lowestLevel: args["log-level"] ?? "warning", sinks: ["stderr"] },
  ],
});
const log = getLogger(["peer"]);

const {
  createFederation,
  MemoryKvStore,
  InProcessMessageQueue,
  generateCryptoKeyPair,
  getDocumentLoader,
} = await import("@fedify/fedify");
const vocab = await import("@fedify/vocab");
const {
  Accept, Activity, Announce, Block, Create, Delete, Emoji, Endpoints, Follow, Image, Like,
  Mention, Note, Person, Reject, Tombstone, Undo, Update, PUBLIC_COLLECTION,
  isActor,
} = vocab;
const { Temporal } = await import("@js-temporal/polyfill");

// ---------------------------------------------------------------------------
// State: everything in memory, gone when the process ends.

const state = {
  name: args.name ?? USERNAME[0].toUpperCase() + USERNAME.slice(1),
  summary: "A Fedify test peer for Kith.",
  config: {
    autoAccept: !args["manual-approve"], // Accept every Follow at once
    // How Accept/Reject name the Follow: "embedded" (Fedify's natural shape: the Follow
    // as received, its actor embedded once Fedify resolved it), "minimal" (Mastodon's
    // shape: {id, type, actor: "<id>", object: "<id>"}) or "id" (just the Follow's id).
    acceptObject: "embedded",
    preferSharedInbox: true,
  },
  /** follower actor id -> {id, inboxId, sharedInbox, followId} */
  followers: new Map(),
  /** Follows waiting for a manual accept/reject: follower actor id -> {follow, recipient} */
  pendingFollowers: new Map(),
  /** followee actor id -> {id, inboxId, sharedInbox, followId, state: pending|accepted|rejected} */
  following: new Map(),
  /** note uuid -> {note: Note, recipients: Recipient[]} */
  notes: new Map(),
  /** note uuid of deleted notes (served as 410 Tombstone) */
  deletedNotes: new Set(),
  /** activities we sent, by id href: {activity, recipients, json} */
  activities: new Map(),
  /** outbox (Create/Announce we sent), newest last */
  outbox: [],
  /** received activities: {seq, at, recipient, type, id, actor, verified, activity, raw, headers, signature} */
  received: [],
  /** activities whose HTTP signature did not verify */
  unverified: [],
  /** deliveries we attempted: {at, activityId, type, inboxes, ok, error} */
  sent: [],
  /** errors thrown inside inbox listeners */
  errors: [],
  seq: 0,
};

/** raw inbox bodies and headers by activity id (most recent 500) */
const rawById = new Map();
function rememberRaw(id, entry) {
  rawById.set(id, entry);
  if (rawById.size > 500) rawById.delete(rawById.keys().next().value);
}

/** per-request store: lets listeners defer work until after our response is sent */
const requestStore = new AsyncLocalStorage();
function afterResponse(fn) {
  const store = requestStore.getStore();
  const run = () =>
    Promise.resolve()
      .then(fn)
      .catch((e) => log.error("deferred task failed: {e}", { e: String(e?.stack ?? e) }));
  // (In --queue mode the queue worker may inherit a finished request's store.)
  if (store?.after && !store.done) store.after.push(run);
  else setImmediate(run);
}

// ---------------------------------------------------------------------------
// Keys: generated at start, never stored.

// Fedify's generateCryptoKeyPair("RSASSA-PKCS1-v1_5") makes 4096-bit keys (seconds
// of start-up); Mastodon uses 2048, which is the default here.
const rsaKeyPair = await crypto.subtle.generateKey(
  {
    name: "RSASSA-PKCS1-v1_5",
    modulusLength: Number(args["rsa-bits"]),
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: "SHA-256",
  },
  true,
  ["sign", "verify"],
);
const ed25519KeyPair = args["no-ed25519"] ? null : await generateCryptoKeyPair("Ed25519");

// ---------------------------------------------------------------------------
// Federation

const kv = new MemoryKvStore();
const federation = createFederation({
  kv,
  queue: args.queue ? new InProcessMessageQueue() : undefined,
  origin: ORIGIN,
  allowPrivateAddress: true, // loopback peers; test use only
  firstKnock: FIRST_KNOCK,
});

const newId = () => new URL(`${ORIGIN}/activities/${randomUUID()}`);

async function buildActor(ctx, identifier) {
  const keys = await ctx.getActorKeyPairs(identifier);
  return new Person({
    id: ctx.getActorUri(identifier),
    preferredUsername: identifier,
    name: state.name,
    summary: state.summary,
    url: ctx.getActorUri(identifier),
    inbox: ctx.getInboxUri(identifier),
    outbox: ctx.getOutboxUri(identifier),
    followers: ctx.getFollowersUri(identifier),
    following: ctx.getFollowingUri(identifier),
    endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
    manuallyApprovesFollowers: !state.config.autoAccept,
    published: Temporal.Instant.from("2026-01-01T00:00:00Z"),
    publicKey: keys[0]?.cryptographicKey,
    assertionMethods: keys.map((k) => k.multikey),
  });
}

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== USERNAME) return null;
    return await buildActor(ctx, identifier);
  })
  .setKeyPairsDispatcher((_ctx, identifier) => {
    if (identifier !== USERNAME) return [];
    return ed25519KeyPair ? [rsaKeyPair, ed25519KeyPair] : [rsaKeyPair];
  });

const recipientOf = (r) => ({
  id: r.id,
  inboxId: r.inboxId,
  endpoints: r.sharedInbox ? { sharedInbox: r.sharedInbox } : null,
});

federation
  .setFollowersDispatcher("/users/{identifier}/followers", (_ctx, identifier) => {
    if (identifier !== USERNAME) return null;
    return { items: [...state.followers.values()].map(recipientOf) };
  })
  .setCounter((_ctx, identifier) => (identifier === USERNAME ? state.followers.size : null));

federation
  .setFollowingDispatcher("/users/{identifier}/following", (_ctx, identifier) => {
    if (identifier !== USERNAME) return null;
    return {
      items: [...state.following.values()]
        .filter((f) => f.state === "accepted")
        .map((f) => f.id),
    };
  })
  .setCounter((_ctx, identifier) =>
    identifier === USERNAME
      ? [...state.following.values()].filter((f) => f.state === "accepted").length
      : null,
  );

federation
  .setOutboxDispatcher("/users/{identifier}/outbox", (_ctx, identifier) => {
    if (identifier !== USERNAME) return null;
    return { items: [...state.outbox].reverse() };
  })
  .setCounter((_ctx, identifier) => (identifier === USERNAME ? state.outbox.length : null));

federation.setObjectDispatcher(Note, "/notes/{id}", (_ctx, values) => {
  return state.notes.get(values.id)?.note ?? null;
});

// ---------------------------------------------------------------------------
// Inbox

function sigStyle(headers) {
  if (!headers) return null;
  if (headers["signature-input"]) return "rfc9421";
  if (headers["signature"]) return "draft-cavage";
  return "none";
}

async function record(ctx, activity, verified = true) {
  let json;
  try {
    json = await activity.toJsonLd({ contextLoader: ctx.contextLoader });
  } catch (e) {
    json = { id: activity.id?.href, error: `toJsonLd failed: ${e}` };
  }
  const raw = activity.id ? rawById.get(activity.id.href) : undefined;
  const entry = {
    seq: ++state.seq,
    at: new Date().toISOString(),
    recipient: ctx.recipient ?? null, // null: shared inbox
    type: typeof json?.type === "string" ? json.type : activity.constructor.name,
    id: activity.id?.href ?? null,
    actor: activity.actorId?.href ?? null,
    object: activity.objectId?.href ?? null,
    verified,
    activity: json,
    raw: raw?.body ?? null,
    headers: raw?.headers ?? null,
    signature: sigStyle(raw?.headers),
  };
  if (verified) state.received.push(entry);
  else state.unverified.push(entry);
  notifyWaiters();
  return entry;
}

/** Runs a listener body, never letting it throw (a throw would answer 500). */
// The listener's effect on state (followers, following...) happens before the
// activity shows up in /_control/received, so a test that saw it can check state.
function safely(name, fn) {
  return async (ctx, activity) => {
    try {
      await fn(ctx, activity);
    } catch (e) {
      const msg = String(e?.stack ?? e);
      state.errors.push({ at: new Date().toISOString(), listener: name, id: activity.id?.href, error: msg });
      log.error("{name} listener failed: {e}", { name, e: msg });
    }
    try {
      await record(ctx, activity);
    } catch (e) {
      log.error("recording {name} failed: {e}", { name, e: String(e?.stack ?? e) });
    }
  };
}

const me = (ctx) => ctx.getActorUri(USERNAME);

/** The actor that sent an activity, as a delivery recipient. */
async function senderOf(ctx, activity) {
  const actor = await activity.getActor(ctx);
  if (actor == null || actor.id == null || actor.inboxId == null) {
    throw new Error(`cannot resolve actor ${activity.actorId?.href}`);
  }
  return actor;
}

/** The Follow as an Accept/Reject names it, per state.config.acceptObject. */
function followAsObject(follow) {
  switch (state.config.acceptObject) {
    case "id":
      return follow.id ?? follow;
    case "minimal":
      return new Follow({ id: follow.id, actor: follow.actorId, object: follow.objectId });
    default:
      return follow;
  }
}

async function sendAccept(ctx, follow, follower) {
  const accept = new Accept({ id: newId(), actor: me(ctx), object: followAsObject(follow), to: follower.id });
  await deliver(ctx, accept, [follower]);
}

function followerEntry(actor, followId) {
  return {
    id: actor.id,
    inboxId: actor.inboxId,
    sharedInbox: actor.endpoints?.sharedInbox ?? null,
    followId: followId ?? null,
  };
}

/** Finds the Follow an Accept/Reject/Undo refers to, without a network fetch when we can. */
async function referencedObject(ctx, activity) {
  const id = activity.objectId?.href;
  if (id && state.activities.has(id)) return state.activities.get(id).activity;
  try {
    return await activity.getObject(ctx);
  } catch (e) {
    log.warning("could not dereference {id}: {e}", { id, e: String(e) });
    return null;
  }
}

/** Finds which followee an Accept/Reject is about. */
function followeeFor(activity, obj) {
  const objectId = activity.objectId?.href;
  for (const f of state.following.values()) {
    if (objectId && f.followId === objectId) return f;
  }
  // Some servers re-id the Follow or send only the follower/followee pair.
  if (obj instanceof Follow && obj.objectId) {
    const f = state.following.get(obj.objectId.href);
    if (f) return f;
  }
  return state.following.get(activity.actorId?.href) ?? null;
}

federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(Follow, safely("Follow", async (ctx, follow) => {
    if (follow.objectId?.href !== me(ctx).href) return; // not for us
    const follower = await senderOf(ctx, follow);
    if (state.config.autoAccept) {
      state.followers.set(follower.id.href, followerEntry(follower, follow.id?.href));
      state.pendingFollowers.delete(follower.id.href);
      notifyWaiters();
      afterResponse(() => sendAccept(ctx, follow, follower));
    } else {
      state.pendingFollowers.set(follower.id.href, { follow, follower });
      notifyWaiters();
    }
  }))
  .on(Undo, safely("Undo", async (ctx, undo) => {
    const obj = await referencedObject(ctx, undo);
    const actorId = undo.actorId?.href;
    if (obj instanceof Follow || obj == null) {
      // Undo(Follow): drop the follower (by follow id, else by actor).
      const objectId = undo.objectId?.href;
      for (const [id, f] of state.followers) {
        if ((objectId && f.followId === objectId) || (obj instanceof Follow && id === actorId)) {
          state.followers.delete(id);
        }
      }
      if (obj instanceof Follow) state.pendingFollowers.delete(actorId);
      notifyWaiters();
    }
  }))
  .on(Accept, safely("Accept", async (ctx, accept) => {
    const obj = await referencedObject(ctx, accept);
    const f = followeeFor(accept, obj);
    if (f && f.id.href === accept.actorId?.href) {
      f.state = "accepted";
      notifyWaiters();
    }
  }))
  .on(Reject, safely("Reject", async (ctx, reject) => {
    const obj = await referencedObject(ctx, reject);
    const f = followeeFor(reject, obj);
    if (f && f.id.href === reject.actorId?.href) {
      f.state = "rejected";
      notifyWaiters();
    }
  }))
  .on(Block, safely("Block", async (ctx, block) => {
    if (block.objectId?.href !== me(ctx).href) return;
    const actorId = block.actorId?.href;
    state.followers.delete(actorId);
    const f = state.following.get(actorId);
    if (f) f.state = "rejected";
    notifyWaiters();
  }))
  .on(Create, safely("Create", async () => {}))
  .on(Update, safely("Update", async () => {}))
  .on(Delete, safely("Delete", async (_ctx, del) => {
    // An actor deleting itself: forget it.
    const actorId = del.actorId?.href;
    if (actorId && del.objectId?.href === actorId) {
      state.followers.delete(actorId);
      state.following.delete(actorId);
    }
  }))
  .on(Announce, safely("Announce", async () => {}))
  .on(Like, safely("Like", async () => {}))
  // Everything else (Move, Flag, EmojiReact, Add, Remove, ...): just recorded.
  .on(Activity, safely("Activity", async () => {}))
  .onUnverifiedActivity(async (ctx, activity, reason) => {
    try {
      const entry = await record(ctx, activity, false);
      entry.reason = {
        type: reason?.type ?? String(reason),
        keyId: reason?.keyId?.href ?? null,
        status: reason?.result?.status ?? null,
        error: reason?.result?.error ? String(reason.result.error) : null,
      };
    } catch (e) {
      log.error("recording an unverified activity failed: {e}", { e: String(e) });
    }
    // returning nothing: Fedify answers 401
  })
  .onError((_ctx, error) => {
    // Fedify could not take the activity (e.g. it does not parse): keep what was posted.
    const raw = requestStore.getStore()?.raw;
    state.errors.push({
      at: new Date().toISOString(),
      listener: "onError",
      id: typeof raw?.body?.id === "string" ? raw.body.id : null,
      error: String(error?.stack ?? error),
      raw: raw?.body ?? null,
      headers: raw?.headers ?? null,
    });
    log.error("inbox error: {e}", { e: String(error?.stack ?? error) });
  });

// ---------------------------------------------------------------------------
// Sending

const DELIVERY_TIMEOUT_MS = 30_000;

/**
 * Sends an activity from alice to recipients, logging the result.  Throws on failure.
 * fanout: true for activities to followers (uses shared inboxes when
 * state.config.preferSharedInbox); false for one-to-one activities (Follow,
 * Accept, Like, ...), which go to the personal inbox as Mastodon does.
 */
async function deliver(ctx, activity, recipients, { fanout = false } = {}) {
  state.activities.set(activity.id.href, { activity, recipients, fanout });
  const entry = {
    at: new Date().toISOString(),
    activityId: activity.id.href,
    type: activity.constructor.name,
    recipients: recipients.map((r) => r.id?.href ?? null),
    ok: null,
    error: null,
  };
  state.sent.push(entry);
  if (recipients.length === 0) {
    entry.ok = true;
    return entry;
  }
  let timer;
  try {
    await Promise.race([
      ctx.sendActivity({ identifier: USERNAME }, recipients, activity, {
        preferSharedInbox: fanout && state.config.preferSharedInbox,
      }),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`delivery timed out after ${DELIVERY_TIMEOUT_MS} ms`)), DELIVERY_TIMEOUT_MS);
      }),
    ]);
    entry.ok = true;
  } catch (e) {
    entry.ok = false;
    entry.error = String(e?.message ?? e);
    throw e;
  } finally {
    clearTimeout(timer);
  }
  return entry;
}

function controlContext() {
  return federation.createContext(new URL(ORIGIN), undefined);
}

async function lookupLoader(ctx) {
  if (args["unsigned-fetch"]) return getDocumentLoader({ allowPrivateAddress: true });
  // Signed GETs (what Mastodon does), uncached, double-knocking like POSTs.
  return await ctx.getDocumentLoader({ identifier: USERNAME });
}

/** acct:user@host / @user@host / user@host -> actor URL, via WebFinger over http. */
async function webfingerOverHttp(handle) {
  const m = /^(?:acct:)?@?([^@/\s]+)@([^@/\s]+)$/.exec(handle);
  if (!m) return null;
  const [, user, host] = m;
  const url = `http://${host}/.well-known/webfinger?resource=${encodeURIComponent(`acct:${user}@${host}`)}`;
  const res = await fetch(url, { headers: { Accept: "application/jrd+json" } });
  if (!res.ok) throw new Error(`WebFinger ${url} answered ${res.status}`);
  const jrd = await res.json();
  const self = (jrd.links ?? []).find(
    (l) => l.rel === "self" && typeof l.href === "string" &&
      (l.type === "application/activity+json" || /application\/ld\+json/.test(l.type ?? "")),
  );
  if (!self) throw new Error(`WebFinger ${url} has no self link`);
  return self.href;
}

/** Looks an object up by URL (or an acct handle), fresh, allowing loopback. */
async function lookup(ctx, target) {
  if (typeof target !== "string" || target === "") throw new HttpError(400, "target must be a URL or acct handle");
  let url = target;
  if (!/^https?:\/\//.test(target)) {
    url = await webfingerOverHttp(target);
    if (!url) throw new HttpError(400, `not a URL or handle: ${target}`);
  }
  const documentLoader = await lookupLoader(ctx);
  const obj = await ctx.lookupObject(url, { documentLoader });
  if (obj == null) throw new HttpError(502, `could not look up ${url}`);
  return obj;
}

async function lookupActor(ctx, target) {
  const actor = await lookup(ctx, target);
  if (!isActor(actor)) throw new HttpError(502, `${target} is not an actor (${actor.constructor.name})`);
  if (actor.inboxId == null) throw new HttpError(502, `${target} has no inbox`);
  return actor;
}

const followersRecipients = () => [...state.followers.values()].map(recipientOf);

function uniqueRecipients(list) {
  const seen = new Map();
  for (const r of list) if (r?.id && !seen.has(r.id.href)) seen.set(r.id.href, r);
  return [...seen.values()];
}

// ---------------------------------------------------------------------------
// Control API

class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** Long-poll support: resolves waiters when state changes. */
let waiters = [];
function notifyWaiters() {
  const w = waiters;
  waiters = [];
  for (const fn of w) fn();
}
async function waitFor(pred, ms) {
  const deadline = Date.now() + Math.min(Math.max(0, ms), 60_000);
  while (!pred()) {
    const left = deadline - Date.now();
    if (left <= 0) return false;
    await new Promise((resolve) => {
      const t = setTimeout(resolve, left);
      waiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }
  return true;
}

function filterEntries(list, q) {
  return list.filter(
    (e) =>
      (!q.get("type") || e.type === q.get("type")) &&
      (!q.get("actor") || e.actor === q.get("actor")) &&
      (!q.get("object") || e.object === q.get("object") || e.activity?.object?.id === q.get("object")),
  );
}

/** GET list endpoints accept ?wait=MS&count=N: block until N matching entries (default 1) or timeout. */
async function listWithWait(q, compute) {
  const wait = Number(q.get("wait") ?? 0);
  const count = Number(q.get("count") ?? 1);
  if (wait > 0) await waitFor(() => compute().length >= count, wait);
  return compute();
}

async function jsonBody(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, "body is not JSON");
  }
}

const noteUuid = (id) => {
  const prefix = `${ORIGIN}/notes/`;
  return typeof id === "string" && id.startsWith(prefix) ? id.slice(prefix.length) : null;
};

async function sendAndReport(ctx, activity, recipients, extra = {}, options = {}) {
  try {
    const entry = await deliver(ctx, activity, recipients, options);
    return [200, { id: activity.id.href, ...extra, delivered: entry.recipients, activity: await activity.toJsonLd() }];
  } catch (e) {
    return [502, { id: activity.id.href, ...extra, error: String(e?.message ?? e) }];
  }
}

const routes = {
  "GET /_control/health": async () => [200, { ok: true, actor: `${ORIGIN}/users/${USERNAME}`, handle: `@${USERNAME}@${HOST}:${PORT}` }],

  "GET /_control/received": async (_b, q) => [200, (await listWithWait(q, () => filterEntries(state.received, q))).map((e) => e.activity)],
  "GET /_control/inbox-log": async (_b, q) => [200, await listWithWait(q, () => filterEntries(state.received, q))],
  "GET /_control/unverified": async (_b, q) => [200, await listWithWait(q, () => filterEntries(state.unverified, q))],
  "GET /_control/sent": async () => [200, state.sent],
  "GET /_control/errors": async () => [200, state.errors],

  "GET /_control/followers": async (_b, q) => {
    const want = q.get("contains");
    const list = () => [...state.followers.keys()];
    if (q.get("wait")) {
      await waitFor(() => (want ? list().includes(want) : list().length >= Number(q.get("count") ?? 1)), Number(q.get("wait")));
    }
    return [200, list()];
  },
  "GET /_control/pending-followers": async () => [200, [...state.pendingFollowers.keys()]],
  "GET /_control/following": async (_b, q) => {
    const want = q.get("accepted");
    if (want && q.get("wait")) await waitFor(() => state.following.get(want)?.state === "accepted", Number(q.get("wait")));
    return [200, [...state.following.values()].map((f) => ({ id: f.id.href, state: f.state, followId: f.followId }))];
  },

  "GET /_control/lookup": async (_b, q) => {
    const ctx = controlContext();
    const obj = await lookup(ctx, q.get("url") ?? "");
    return [200, await obj.toJsonLd({ contextLoader: ctx.contextLoader })];
  },

  // The custom emoji Fedify reads in an object's tags (as vocab `Emoji` objects).
  "GET /_control/emojis": async (_b, q) => {
    const ctx = controlContext();
    const obj = await lookup(ctx, q.get("url") ?? "");
    const out = [];
    for await (const tag of obj.getTags({ contextLoader: ctx.contextLoader, documentLoader: ctx.documentLoader })) {
      if (!(tag instanceof Emoji)) continue;
      const icon = await tag.getIcon({ contextLoader: ctx.contextLoader, documentLoader: ctx.documentLoader });
      out.push({
        id: tag.id?.href ?? null,
        name: tag.name?.toString() ?? null,
        updated: tag.updated?.toString() ?? null,
        icon: icon ? { url: icon.url?.href ?? null, mediaType: icon.mediaType ?? null } : null,
      });
    }
    return [200, out];
  },

  "POST /_control/reset": async () => {
    state.received.length = 0;
    state.unverified.length = 0;
    state.sent.length = 0;
    state.errors.length = 0;
    return [200, { ok: true }];
  },

  "POST /_control/config": async (b) => {
    for (const k of ["autoAccept", "preferSharedInbox"]) if (typeof b[k] === "boolean") state.config[k] = b[k];
    if (["embedded", "minimal", "id"].includes(b.acceptObject)) state.config.acceptObject = b.acceptObject;
    return [200, state.config];
  },

  "POST /_control/follow": async (b) => {
    const ctx = controlContext();
    const target = await lookupActor(ctx, b.target);
    const follow = new Follow({ id: newId(), actor: me(ctx), object: target.id, to: target.id });
    state.following.set(target.id.href, { ...followerEntry(target, follow.id.href), state: "pending" });
    return await sendAndReport(ctx, follow, [target], { target: target.id.href });
  },

  "POST /_control/unfollow": async (b) => {
    const ctx = controlContext();
    const target = await lookupActor(ctx, b.target);
    const f = state.following.get(target.id.href);
    if (!f) throw new HttpError(404, `not following ${target.id.href}`);
    const follow = state.activities.get(f.followId)?.activity ??
      new Follow({ id: new URL(f.followId), actor: me(ctx), object: target.id });
    const undo = new Undo({ id: newId(), actor: me(ctx), object: follow, to: target.id });
    state.following.delete(target.id.href);
    return await sendAndReport(ctx, undo, [target], { target: target.id.href });
  },

  "POST /_control/accept": async (b) => {
    const ctx = controlContext();
    const p = state.pendingFollowers.get(b.follower);
    if (!p) throw new HttpError(404, `no pending follow from ${b.follower}`);
    state.pendingFollowers.delete(b.follower);
    state.followers.set(b.follower, followerEntry(p.follower, p.follow.id?.href));
    const accept = new Accept({ id: newId(), actor: me(ctx), to: p.follower.id, object: followAsObject(p.follow) });
    return await sendAndReport(ctx, accept, [p.follower]);
  },

  "POST /_control/reject": async (b) => {
    // Rejects a pending follow, or removes an existing follower (as Mastodon does).
    const ctx = controlContext();
    const p = state.pendingFollowers.get(b.follower);
    const f = state.followers.get(b.follower);
    if (!p && !f) throw new HttpError(404, `no follow from ${b.follower}`);
    state.pendingFollowers.delete(b.follower);
    state.followers.delete(b.follower);
    const follower = p?.follower ?? recipientOf(f);
    const follow = p?.follow ?? new Follow({
      id: f.followId ? new URL(f.followId) : null, actor: new URL(b.follower), object: me(ctx),
    });
    const reject = new Reject({ id: newId(), actor: me(ctx), to: new URL(b.follower), object: followAsObject(follow) });
    return await sendAndReport(ctx, reject, [follower]);
  },

  "POST /_control/post": async (b) => {
    const ctx = controlContext();
    const visibility = b.visibility ?? "public";
    if (!["public", "unlisted", "followers", "direct"].includes(visibility)) throw new HttpError(400, `bad visibility ${visibility}`);
    const mentionTargets = [];
    for (const m of b.mention == null ? [] : Array.isArray(b.mention) ? b.mention : [b.mention]) {
      mentionTargets.push(await lookupActor(ctx, m));
    }
    if (visibility === "direct" && mentionTargets.length === 0) throw new HttpError(400, "direct posts need a mention");
    const followersUri = ctx.getFollowersUri(USERNAME);
    const mentioned = mentionTargets.map((a) => a.id);
    let to, cc;
    switch (visibility) {
      case "public": to = [PUBLIC_COLLECTION]; cc = [followersUri, ...mentioned]; break;
      case "unlisted": to = [followersUri]; cc = [PUBLIC_COLLECTION, ...mentioned]; break;
      case "followers": to = [followersUri]; cc = mentioned; break;
      case "direct": to = mentioned; cc = []; break;
    }
    const uuid = randomUUID();
    const noteId = new URL(`${ORIGIN}/notes/${uuid}`);
    const published = Temporal.Now.instant();
    const tags = mentionTargets.map((a) => new Mention({
      href: a.id,
      name: `@${a.preferredUsername ?? "unknown"}@${a.id.host}`,
    }));
    // Custom emoji: {name, url, mediaType} each, sent as Mastodon's `Emoji` tags.
    for (const e of b.emojis ?? []) {
      tags.push(new Emoji({
        id: new URL(`${ORIGIN}/emojis/${e.name}`),
        name: `:${e.name}:`,
        updated: published,
        icon: new Image({ url: new URL(e.url), mediaType: e.mediaType ?? "image/png" }),
      }));
    }
    let content = b.content ?? "<p>Hello from Fedify</p>";
    const note = new Note({
      id: noteId,
      attribution: me(ctx),
      content,
      url: noteId,
      published,
      tos: to,
      ccs: cc,
      tags,
      replyTarget: b.inReplyTo ? new URL(b.inReplyTo) : null,
      sensitive: false,
      summary: b.summary ?? null,
    });
    const create = new Create({
      id: new URL(`${noteId.href}/activity`),
      actor: me(ctx),
      object: note,
      published,
      tos: to,
      ccs: cc,
    });
    const recipients = uniqueRecipients([
      ...(visibility === "direct" ? [] : followersRecipients()),
      ...mentionTargets,
    ]);
    state.notes.set(uuid, { note, recipients, visibility });
    if (visibility === "public" || visibility === "unlisted") state.outbox.push(create);
    return await sendAndReport(ctx, create, recipients, { id: noteId.href, activityId: create.id.href }, { fanout: true });
  },

  "POST /_control/like": async (b) => {
    const ctx = controlContext();
    if (!b.object) throw new HttpError(400, "object is required");
    const author = await authorOf(ctx, b);
    const like = new Like({ id: newId(), actor: me(ctx), object: new URL(b.object), to: author.id });
    return await sendAndReport(ctx, like, [author]);
  },

  "POST /_control/announce": async (b) => {
    const ctx = controlContext();
    if (!b.object) throw new HttpError(400, "object is required");
    const author = await authorOf(ctx, b);
    const announce = new Announce({
      id: newId(),
      actor: me(ctx),
      object: new URL(b.object),
      published: Temporal.Now.instant(),
      to: PUBLIC_COLLECTION,
      ccs: [ctx.getFollowersUri(USERNAME), author.id],
    });
    state.outbox.push(announce);
    return await sendAndReport(ctx, announce, uniqueRecipients([...followersRecipients(), author]), {}, { fanout: true });
  },

  "POST /_control/undo": async (b) => {
    // Undo any activity we sent (Like, Announce, Follow, Block), by its id.
    const ctx = controlContext();
    const sent = state.activities.get(b.id);
    if (!sent) throw new HttpError(404, `no sent activity ${b.id}`);
    const undo = new Undo({ id: newId(), actor: me(ctx), object: sent.activity });
    if (sent.activity instanceof Announce) {
      const i = state.outbox.indexOf(sent.activity);
      if (i >= 0) state.outbox.splice(i, 1);
    }
    return await sendAndReport(ctx, undo, sent.recipients, {}, { fanout: sent.fanout });
  },

  "POST /_control/delete": async (b) => {
    const ctx = controlContext();
    const uuid = noteUuid(b.id);
    const entry = uuid && state.notes.get(uuid);
    if (!entry) throw new HttpError(404, `no note ${b.id}`);
    state.notes.delete(uuid);
    state.deletedNotes.add(uuid);
    state.outbox = state.outbox.filter((a) => a.objectId?.href !== b.id);
    const del = new Delete({
      id: newId(),
      actor: me(ctx),
      object: new Tombstone({ id: new URL(b.id) }),
      to: PUBLIC_COLLECTION,
    });
    return await sendAndReport(ctx, del, uniqueRecipients([...followersRecipients(), ...entry.recipients]), {}, { fanout: true });
  },

  "POST /_control/update-profile": async (b) => {
    const ctx = controlContext();
    if (typeof b.name === "string") state.name = b.name;
    if (typeof b.summary === "string") state.summary = b.summary;
    const update = new Update({
      id: newId(),
      actor: me(ctx),
      object: await buildActor(ctx, USERNAME),
      to: PUBLIC_COLLECTION,
      ccs: [ctx.getFollowersUri(USERNAME)],
    });
    return await sendAndReport(ctx, update, followersRecipients(), {}, { fanout: true });
  },

  "POST /_control/block": async (b) => {
    const ctx = controlContext();
    const target = await lookupActor(ctx, b.target);
    state.followers.delete(target.id.href);
    const block = new Block({ id: newId(), actor: me(ctx), object: target.id, to: target.id });
    return await sendAndReport(ctx, block, [target]);
  },

  "POST /_control/send": async (b) => {
    // Sends an arbitrary activity (JSON-LD; actor must be alice) to one actor's inbox.
    const ctx = controlContext();
    const target = await lookupActor(ctx, b.target);
    if (!b.activity || typeof b.activity !== "object") throw new HttpError(400, "activity is required");
    const json = { "@context": "https://www.w3.org/ns/activitystreams", ...b.activity };
    json.id ??= newId().href;
    json.actor ??= me(ctx).href;
    const activity = await Activity.fromJsonLd(json, { documentLoader: ctx.documentLoader, contextLoader: ctx.contextLoader });
    return await sendAndReport(ctx, activity, [target]);
  },
};

/** The author to send a Like/Announce to: b.actor if given, else the note's attributedTo. */
async function authorOf(ctx, b) {
  if (b.actor) return await lookupActor(ctx, b.actor);
  const obj = await lookup(ctx, b.object);
  const attributionId = obj.attributionId;
  if (!attributionId) throw new HttpError(502, `${b.object} has no attributedTo`);
  return await lookupActor(ctx, attributionId.href);
}

async function handleControl(req, res, url) {
  const route = routes[`${req.method} ${url.pathname.replace(/\/$/, "")}`];
  let status, body;
  try {
    if (!route) throw new HttpError(404, `no control route ${req.method} ${url.pathname}`);
    const b = req.method === "POST" ? await jsonBody(req) : {};
    [status, body] = await route(b, url.searchParams);
  } catch (e) {
    status = e instanceof HttpError ? e.status : 500;
    body = { error: String(e?.message ?? e) };
    if (!(e instanceof HttpError)) log.error("control {path} failed: {e}", { path: url.pathname, e: String(e?.stack ?? e) });
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

// ---------------------------------------------------------------------------
// HTTP server: /_control here, the rest through Fedify.

async function fallback(request) {
  const url = new URL(request.url);
  const accept = request.headers.get("accept") ?? "";
  const wantsAp = /application\/(activity|ld)\+json|application\/json|\*\/\*/.test(accept) || accept === "";
  let m;
  if ((m = /^\/notes\/([^/]+)$/.exec(url.pathname)) && state.deletedNotes.has(m[1])) {
    const tomb = { "@context": "https://www.w3.org/ns/activitystreams", id: `${ORIGIN}${url.pathname}`, type: "Tombstone" };
    return new Response(JSON.stringify(tomb), { status: 410, headers: { "Content-Type": "application/activity+json" } });
  }
  const local = state.activities.get(`${ORIGIN}${url.pathname}`);
  if (local && wantsAp) {
    const json = await local.activity.toJsonLd();
    return new Response(JSON.stringify(json), { status: 200, headers: { "Content-Type": "application/activity+json" } });
  }
  return new Response("Not found\n", { status: 404, headers: { "Content-Type": "text/plain" } });
}

async function readAll(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return Buffer.concat(chunks);
}

async function handle(req, res) {
  const url = new URL(req.url ?? "/", `http://${req.headers.host ?? `${HOST}:${PORT}`}`);
  if (url.pathname === "/_control" || url.pathname.startsWith("/_control/")) {
    return await handleControl(req, res, url);
  }
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  const body = hasBody ? await readAll(req) : undefined;
  let rawOfThisRequest = null;
  if (req.method === "POST" && body?.length) {
    try {
      const parsed = JSON.parse(body.toString("utf8"));
      rawOfThisRequest = { body: parsed, headers: Object.fromEntries(headers.entries()) };
      if (typeof parsed?.id === "string") rememberRaw(parsed.id, rawOfThisRequest);
    } catch {
      // Fedify answers 400 itself
    }
  }
  const request = new Request(url, { method: req.method, headers, body });
  const store = { after: [], raw: rawOfThisRequest };
  let response;
  try {
    response = await requestStore.run(store, () =>
      federation.fetch(request, {
        contextData: undefined,
        onNotFound: fallback,
        onNotAcceptable: async () =>
          new Response("Not acceptable\n", { status: 406, headers: { "Content-Type": "text/plain", Vary: "Accept" } }),
      }),
    );
  } catch (e) {
    log.error("request {method} {url} failed: {e}", { method: req.method, url: url.href, e: String(e?.stack ?? e) });
    response = new Response("Internal server error\n", { status: 500, headers: { "Content-Type": "text/plain" } });
  }
  const out = Buffer.from(await response.arrayBuffer());
  const outHeaders = {};
  response.headers.forEach((v, k) => {
    outHeaders[k] = v;
  });
  outHeaders["content-length"] = String(out.length);
  res.writeHead(response.status, outHeaders);
  res.end(out);
  // Work that a real server would queue (e.g. the Accept for a Follow) runs after we answered.
  store.done = true;
  for (const fn of store.after) fn();
}

function onRequest(req, res) {
  handle(req, res).catch((e) => {
    log.error("unhandled: {e}", { e: String(e?.stack ?? e) });
    if (!res.headersSent) res.writeHead(500, { "Content-Type": "text/plain" });
    res.end("Internal server error\n");
  });
}

const servers = [];
function listen(address) {
  return new Promise((resolve, reject) => {
    const server = http.createServer(onRequest);
    server.keepAliveTimeout = 1000;
    server.once("error", reject);
    server.listen(PORT, address, () => {
      servers.push(server);
      resolve(server);
    });
  });
}

try {
  await listen("127.0.0.1");
} catch (e) {
  process.stderr.write(`cannot listen on 127.0.0.1:${PORT}: ${e.message}\n`);
  process.exit(1);
}
try {
  await listen("::1"); // localhost may resolve to ::1 elsewhere
} catch {
  // no IPv6 loopback here: fine
}

function shutdown(signal) {
  for (const s of servers) {
    s.close();
    s.closeAllConnections?.();
  }
  process.stderr.write(`fedify peer on ${ORIGIN} stopping (${signal})\n`);
  setTimeout(() => process.exit(0), 200).unref();
}
process.on("SIGTERM", () => shutdown("SIGTERM"));
process.on("SIGINT", () => shutdown("SIGINT"));
// A parent that dies closes our stdin if it gave us a pipe: stop with it.
if (process.env.FEDIFY_PEER_EXIT_ON_STDIN_EOF === "1") {
  process.stdin.on("end", () => shutdown("stdin closed"));
  process.stdin.resume();
}

process.stdout.write(`fedify peer listening on ${ORIGIN}\n`);
