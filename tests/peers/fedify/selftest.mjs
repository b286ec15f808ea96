// Self-test of the Fedify peer: two peers federate with each other over loopback.
//
//   node --test selftest.mjs
//
// Ports: FEDIFY_SELFTEST_PORTS="47001,47002" (default: two free ports).
// Extra peer flags: FEDIFY_SELFTEST_ARGS="--queue" (for example).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import path from "node:path";
import net from "node:net";

const here = path.dirname(fileURLToPath(import.meta.url));
let [PORT1, PORT2] = (process.env.FEDIFY_SELFTEST_PORTS ?? "").split(",").filter(Boolean).map(Number);
const STARTUP_TIMEOUT_MS = 30_000;
const REQUEST_TIMEOUT_MS = 40_000;
const WAIT_MS = 10_000; // how long the peers' long-polls wait for an activity

/** Starts `node peer.mjs --port PORT`; resolves once it printed its ready line. */
function startPeer(port) {
  const extra = (process.env.FEDIFY_SELFTEST_ARGS ?? "").split(/\s+/).filter(Boolean);
  const child = spawn(process.execPath, [path.join(here, "peer.mjs"), "--port", String(port), ...extra], {
    cwd: here,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr += d;
    if (stderr.length > 100_000) stderr = stderr.slice(-50_000);
  });
  const peer = {
    port,
    base: `http://localhost:${port}`,
    actor: `http://localhost:${port}/users/alice`,
    child,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode != null || child.signalCode != null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`peer on ${port} not ready after ${STARTUP_TIMEOUT_MS} ms\nstderr:\n${stderr}`));
    }, STARTUP_TIMEOUT_MS);
    child.stdout.on("data", (d) => {
      out += d;
      if (out.includes(`fedify peer listening on http://localhost:${port}\n`)) {
        clearTimeout(timer);
        resolve(peer);
      }
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`peer on ${port} exited early (${code ?? signal})\nstderr:\n${stderr}`));
    });
  });
}

async function api(peer, method, pathAndQuery, body) {
  const res = await fetch(`${peer.base}${pathAndQuery}`, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json };
}

async function ok(peer, method, pathAndQuery, body) {
  const r = await api(peer, method, pathAndQuery, body);
  assert.equal(r.status, 200, `${method} ${peer.base}${pathAndQuery} -> ${r.status} ${JSON.stringify(r.json)}\nstderr:\n${peer.stderr().slice(-4000)}`);
  return r.json;
}

/** Long-polls a peer's inbox log until an entry of `type` matching `pred` shows up. */
async function waitReceived(peer, type, pred = () => true) {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const entries = await ok(peer, "GET", `/_control/inbox-log?type=${type}`);
    const hit = entries.find(pred);
    if (hit) return hit;
    if (Date.now() > deadline) {
      assert.fail(`no ${type} arrived at ${peer.base}; got ${JSON.stringify(entries).slice(0, 2000)}\nstderr:\n${peer.stderr().slice(-4000)}`);
    }
    await ok(peer, "GET", `/_control/inbox-log?type=${type}&wait=1000&count=${entries.length + 1}`);
  }
}

const objectId = (o) => (typeof o === "string" ? o : o?.id);
const asArray = (v) => (v == null ? [] : Array.isArray(v) ? v : [v]);
const PUBLIC = ["https://www.w3.org/ns/activitystreams#Public", "as:Public", "Public"];

let p1, p2;
let note; // the public note peer 2 posts

/** A port nothing listens on right now. */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

before(async () => {
  if (!PORT1 || !PORT2) {
    PORT1 = await freePort();
    do PORT2 = await freePort(); while (PORT2 === PORT1);
  }
  // If one peer fails to start, stop the other (else it keeps the test process alive).
  const started = await Promise.allSettled([startPeer(PORT1), startPeer(PORT2)]);
  [p1, p2] = started.map((r) => (r.status === "fulfilled" ? r.value : undefined));
  const failed = started.find((r) => r.status === "rejected");
  if (failed) throw failed.reason;
});

after(async () => {
  await Promise.all([p1?.stop(), p2?.stop()]);
});

test("serves health, actor, WebFinger", async () => {
  const health = await ok(p2, "GET", "/_control/health");
  assert.equal(health.actor, p2.actor);

  const res = await fetch(p2.actor, { headers: { Accept: "application/activity+json" }, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type"), /^application\/activity\+json/);
  const actor = await res.json();
  assert.equal(actor.id, p2.actor);
  assert.equal(actor.type, "Person");
  assert.equal(actor.inbox, `${p2.actor}/inbox`);
  assert.equal(actor.endpoints.sharedInbox, `${p2.base}/inbox`);
  assert.equal(actor.followers, `${p2.actor}/followers`);
  assert.equal(actor.outbox, `${p2.actor}/outbox`);
  assert.equal(actor.publicKey.id, `${p2.actor}#main-key`);
  assert.match(actor.publicKey.publicKeyPem, /BEGIN PUBLIC KEY/);

  const wf = await fetch(`${p2.base}/.well-known/webfinger?resource=${encodeURIComponent(`acct:alice@localhost:${PORT2}`)}`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  assert.equal(wf.status, 200);
  const jrd = await wf.json();
  assert.equal(jrd.subject, `acct:alice@localhost:${PORT2}`);
  assert.ok(jrd.links.some((l) => l.rel === "self" && l.href === p2.actor && l.type === "application/activity+json"));
});

test("follow: peer 1 follows peer 2, gets an Accept, shows up as follower", async () => {
  const r = await ok(p1, "POST", "/_control/follow", { target: p2.actor });
  assert.equal(r.target, p2.actor);
  const followId = r.id;

  const followers = await ok(p2, "GET", `/_control/followers?wait=${WAIT_MS}&contains=${encodeURIComponent(p1.actor)}`);
  assert.deepEqual(followers, [p1.actor]);

  const follow = await waitReceived(p2, "Follow", (e) => e.id === followId);
  assert.equal(follow.actor, p1.actor);
  const knock = /--first-knock[= ](\S+)/.exec(process.env.FEDIFY_SELFTEST_ARGS ?? "")?.[1] ?? "rfc9421";
  assert.equal(follow.signature, knock === "rfc9421" ? "rfc9421" : "draft-cavage", "the first knock is accepted by Fedify");

  const accept = await waitReceived(p1, "Accept", (e) => e.actor === p2.actor);
  assert.equal(objectId(accept.activity.object), followId);
  assert.equal(accept.raw.object.type, "Follow", "Accept embeds the Follow");

  const following = await ok(p1, "GET", `/_control/following?wait=${WAIT_MS}&accepted=${encodeURIComponent(p2.actor)}`);
  assert.deepEqual(following.map((f) => [f.id, f.state]), [[p2.actor, "accepted"]]);

  // The followers collection is served too.
  const col = await (await fetch(`${p2.actor}/followers`, { headers: { Accept: "application/activity+json" } })).json();
  assert.equal(col.totalItems, 1);
});

test("post: peer 2's public note reaches peer 1 as a Create", async () => {
  const r = await ok(p2, "POST", "/_control/post", { content: "<p>Hello, peer one</p>", visibility: "public" });
  assert.match(r.id, new RegExp(`^http://localhost:${PORT2}/notes/[0-9a-f-]{36}$`));
  note = r.id;

  const create = await waitReceived(p1, "Create", (e) => objectId(e.activity.object) === note);
  assert.equal(create.actor, p2.actor);
  assert.equal(create.activity.object.content, "<p>Hello, peer one</p>");
  assert.ok(asArray(create.raw.to).some((t) => PUBLIC.includes(t)), `to: ${JSON.stringify(create.raw.to)}`);
  assert.ok(asArray(create.raw.cc).includes(`${p2.actor}/followers`));
  if (!/--no-ed25519/.test(process.env.FEDIFY_SELFTEST_ARGS ?? "")) {
    assert.equal(create.raw.proof?.cryptosuite, "eddsa-jcs-2022", "Fedify adds an Object Integrity Proof");
  }
  assert.equal(create.raw.signature?.type, "RsaSignature2017", "Fedify adds a Linked Data signature");

  // The note dereferences at its id.
  const res = await fetch(note, { headers: { Accept: "application/activity+json" } });
  assert.equal(res.status, 200);
  assert.equal((await res.json()).id, note);

  // ?type= filter on the plain list.
  const creates = await ok(p1, "GET", "/_control/received?type=Create");
  assert.ok(creates.every((a) => a.type === "Create"));
  assert.ok(creates.some((a) => objectId(a.object) === note));
});

test("direct post with a mention reaches only the mentioned actor", async () => {
  const r = await ok(p2, "POST", "/_control/post", { content: "<p>psst</p>", visibility: "direct", mention: p1.actor });
  const create = await waitReceived(p1, "Create", (e) => objectId(e.activity.object) === r.id);
  const obj = create.raw.object;
  assert.deepEqual(asArray(obj.to), [p1.actor]);
  assert.ok(!asArray(obj.cc).some((t) => PUBLIC.includes(t)));
  const tags = asArray(obj.tag);
  assert.ok(tags.some((t) => t.type === "Mention" && t.href === p1.actor), JSON.stringify(tags));
});

test("reply from peer 1 carries inReplyTo", async () => {
  // peer 2 does not follow peer 1: mention peer 2 so the reply is delivered.
  const r = await ok(p1, "POST", "/_control/post", { content: "<p>re</p>", visibility: "public", mention: p2.actor, inReplyTo: note });
  const create = await waitReceived(p2, "Create", (e) => objectId(e.activity.object) === r.id);
  assert.equal(create.raw.object.inReplyTo, note);
});

test("like, announce and undo(like) reach the author", async () => {
  const like = await ok(p1, "POST", "/_control/like", { object: note, actor: p2.actor });
  const gotLike = await waitReceived(p2, "Like", (e) => e.id === like.id);
  assert.equal(objectId(gotLike.activity.object), note);

  const announce = await ok(p1, "POST", "/_control/announce", { object: note }); // author found via attributedTo
  const gotAnnounce = await waitReceived(p2, "Announce", (e) => e.id === announce.id);
  assert.equal(objectId(gotAnnounce.activity.object), note);
  assert.ok(asArray(gotAnnounce.raw.to).some((t) => PUBLIC.includes(t)));

  const undo = await ok(p1, "POST", "/_control/undo", { id: like.id });
  const gotUndo = await waitReceived(p2, "Undo", (e) => e.id === undo.id);
  assert.equal(objectId(gotUndo.activity.object), like.id);
});

test("update-profile reaches followers as Update(Person)", async () => {
  await ok(p2, "POST", "/_control/update-profile", { name: "Alice Two" });
  const update = await waitReceived(p1, "Update", (e) => e.actor === p2.actor);
  assert.equal(update.raw.object.type, "Person");
  assert.equal(update.raw.object.name, "Alice Two");
});

test("delete: followers get Delete(Tombstone), the note answers 410", async () => {
  const del = await ok(p2, "POST", "/_control/delete", { id: note });
  const got = await waitReceived(p1, "Delete", (e) => e.id === del.id);
  assert.equal(objectId(got.activity.object), note);
  assert.equal(got.raw.object.type, "Tombstone");
  const res = await fetch(note, { headers: { Accept: "application/activity+json" } });
  assert.equal(res.status, 410);
});

test("unsigned POST to the inbox is refused with 401 and logged", async () => {
  const body = {
    "@context": "https://www.w3.org/ns/activitystreams",
    id: `${p1.base}/activities/forged`,
    type: "Create",
    actor: p1.actor,
    object: { id: `${p1.base}/notes/forged`, type: "Note", content: "forged", attributedTo: p1.actor },
  };
  const res = await fetch(`${p2.actor}/inbox`, {
    method: "POST",
    headers: { "Content-Type": "application/activity+json" },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 401);
  const unverified = await ok(p2, "GET", "/_control/unverified");
  assert.ok(unverified.some((e) => e.id === body.id && e.reason.type === "noSignature"), JSON.stringify(unverified));
  const received = await ok(p2, "GET", "/_control/received?type=Create");
  assert.ok(!received.some((a) => a.id === body.id));
});

test("unfollow: Undo(Follow) removes the follower", async () => {
  const r = await ok(p1, "POST", "/_control/unfollow", { target: p2.actor });
  await waitReceived(p2, "Undo", (e) => e.id === r.id);
  const followers = await ok(p2, "GET", "/_control/followers");
  assert.deepEqual(followers, []);
  assert.deepEqual(await ok(p1, "GET", "/_control/following"), []);
});

test("manual approval: pending follow, Reject, then Accept in Mastodon's minimal shape", async () => {
  await ok(p2, "POST", "/_control/config", { autoAccept: false, acceptObject: "minimal" });
  try {
    const f1 = await ok(p1, "POST", "/_control/follow", { target: p2.actor });
    await waitReceived(p2, "Follow", (e) => e.id === f1.id);
    assert.deepEqual(await ok(p2, "GET", "/_control/pending-followers"), [p1.actor]);
    assert.deepEqual(await ok(p2, "GET", "/_control/followers"), []);

    await ok(p2, "POST", "/_control/reject", { follower: p1.actor });
    const reject = await waitReceived(p1, "Reject", (e) => objectId(e.activity.object) === f1.id);
    assert.equal(reject.raw.object.actor, p1.actor, "minimal shape: the Follow's actor is an id");
    assert.deepEqual((await ok(p1, "GET", "/_control/following")).map((f) => f.state), ["rejected"]);

    const f2 = await ok(p1, "POST", "/_control/follow", { target: p2.actor });
    await waitReceived(p2, "Follow", (e) => e.id === f2.id);
    await ok(p2, "POST", "/_control/accept", { follower: p1.actor });
    const accept = await waitReceived(p1, "Accept", (e) => objectId(e.activity.object) === f2.id);
    assert.deepEqual(accept.raw.object, { id: f2.id, type: "Follow", actor: p1.actor, object: p2.actor });
    await ok(p1, "GET", `/_control/following?wait=${WAIT_MS}&accepted=${encodeURIComponent(p2.actor)}`);
    assert.deepEqual(await ok(p2, "GET", "/_control/followers"), [p1.actor]);
  } finally {
    await ok(p2, "POST", "/_control/config", { autoAccept: true, acceptObject: "embedded" });
  }
});
