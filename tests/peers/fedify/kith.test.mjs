// Kith federating with the Fedify peer, over loopback.
//
//   KITH_BIN=/path/to/kith node --test kith.test.mjs
//
// A real Kith instance (driven through its Mastodon client API) and a real Fedify peer
// (peer.mjs, driven through /_control) follow each other, post with every visibility,
// reply, like, boost, edit, delete, update a profile, unfollow, report each other (Flags) and
// send custom emoji both ways.
//
// Environment:
//   KITH_BIN                 path to the kith binary (required)
//   KITH_TEST_DATABASE_URL   PostgreSQL URL of an EMPTY database (default: SQLite in a temp dir)
//   KITH_FEDIFY_PORTS        "KITHPORT,PEERPORT" (default: two free ports)
//   KITH_FEDIFY_KEEP=1       keep the temp dir afterwards: Kith's data, kith.log, and the peer's
//                            inbox-log / unverified / sent / errors as peer-*.json
//   RUST_LOG / KITH_LOG      Kith's log filter (default here: kith crates at debug)
//   FEDIFY_PEER_ARGS         extra peer.mjs flags, e.g. "--queue"
//
// Kith's stderr goes to <tmp>/kith.log (its path is printed as a test diagnostic);
// the peer's stderr is kept in memory. A failed assertion carries the tail of both, and
// the peer's /_control/unverified and /_control/errors.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";
import net from "node:net";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const KITH_BIN = process.env.KITH_BIN;
const DATABASE_URL = process.env.KITH_TEST_DATABASE_URL ?? "";
const DEADLINE_MS = 20_000; // how long to wait for something to federate
const STARTUP_TIMEOUT_MS = 60_000;
const REQUEST_TIMEOUT_MS = 40_000;
const PUBLIC = ["https://www.w3.org/ns/activitystreams#Public", "as:Public", "Public"];
const RUN = randomBytes(4).toString("hex"); // marks this run's posts

const asArray = (v) => (v == null ? [] : Array.isArray(v) ? v : [v]);
const idOf = (o) => (typeof o === "string" ? o : o?.id ?? null);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const stripTags = (html) => String(html ?? "").replace(/<[^>]*>/g, "");

// ---------------------------------------------------------------------------
// Processes

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

async function stopChild(child, graceMs = 5000) {
  if (!child || child.exitCode != null || child.signalCode != null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Runs a Kith command to completion; resolves with its stdout, rejects with stderr. */
function kithCommand(env, cwd, args) {
  return new Promise((resolve, reject) => {
    execFile(KITH_BIN, args, { env, cwd, timeout: STARTUP_TIMEOUT_MS }, (err, stdout, stderr) => {
      if (err) reject(new Error(`kith ${args.join(" ")} failed: ${err.message}\nstdout: ${stdout}\nstderr: ${stderr}`));
      else resolve(stdout);
    });
  });
}

function startPeer(port, { host = "localhost", args = [] } = {}) {
  const extra = (process.env.FEDIFY_PEER_ARGS ?? "").split(/\s+/).filter(Boolean);
  const child = spawn(process.execPath, [path.join(here, "peer.mjs"), "--port", String(port), "--host", host, ...args, ...extra], {
    cwd: here,
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, FEDIFY_PEER_EXIT_ON_STDIN_EOF: "1" },
  });
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr += d;
    if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
  });
  const ready = `fedify peer listening on http://${host}:${port}\n`;
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`peer on ${port} not ready after ${STARTUP_TIMEOUT_MS} ms\nstderr:\n${stderr}`));
    }, STARTUP_TIMEOUT_MS);
    child.stdout.on("data", (d) => {
      out += d;
      if (out.includes(ready)) {
        clearTimeout(timer);
        resolve({ child, stderr: () => stderr });
      }
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`peer on ${port} exited early (${code ?? signal})\nstderr:\n${stderr}`));
    });
  });
}

// ---------------------------------------------------------------------------
// State shared by the scenarios (they run in order and build on each other)

let tmp, kithLogPath, kithProc, peerProc;
let KITH_PORT, PEER_PORT, KITH, PEER;
let ANA_ACTOR, ALICE_ACTOR, ALICE_HANDLE;
let anaToken, cyToken;
let anaId; // ana's account id on Kith
let aliceId; // alice's account id on Kith (after resolving)
let anaFollowId; // the id of ana's Follow of alice, as the peer received it
const peerNotes = {}; // visibility -> {uri, kithId}
const anaPosts = {}; // visibility -> Kith Status
const peerSent = {}; // the peer's Like / Announce of ana's public post (control answers)

function kithLogTail(n = 6000) {
  try {
    return fs.readFileSync(kithLogPath, "utf8").slice(-n);
  } catch {
    return "(no kith log)";
  }
}

/** What to attach to a failure: both sides' logs and the peer's refusals. */
async function diagnostics() {
  let unverified = "?", errors = "?";
  try {
    unverified = JSON.stringify((await peerApi("GET", "/_control/unverified")).json.map((e) => ({ type: e.type, id: e.id, reason: e.reason })));
    errors = JSON.stringify((await peerApi("GET", "/_control/errors")).json);
  } catch (e) {
    unverified = errors = `(peer unreachable: ${e.message})`;
  }
  return `\n--- peer /_control/unverified: ${unverified.slice(0, 3000)}` +
    `\n--- peer /_control/errors: ${errors.slice(0, 3000)}` +
    `\n--- peer stderr (tail):\n${peerProc?.stderr().slice(-3000) ?? ""}` +
    `\n--- kith log ${kithLogPath} (tail):\n${kithLogTail()}`;
}

async function call(base, method, pathAndQuery, { token, body } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(`${base}${pathAndQuery}`, {
    method,
    headers,
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

const kith = (method, p, opts) => call(KITH, method, p, opts);
const peerApi = (method, p, body) => call(PEER, method, p, { body });

/** A Kith API call that must answer `status` (default 200); returns the JSON body. */
async function kithOk(method, p, opts = {}, status = 200) {
  const r = await kith(method, p, opts);
  if (r.status !== status) {
    assert.fail(`Kith: ${method} ${p}${opts.body ? ` ${JSON.stringify(opts.body)}` : ""} -> ${r.status} ${JSON.stringify(r.json).slice(0, 2000)} (wanted ${status})${await diagnostics()}`);
  }
  return r.json;
}

/** A peer control call that must answer 200. */
async function peerOk(method, p, body) {
  const r = await peerApi(method, p, body);
  if (r.status !== 200) {
    assert.fail(`peer: ${method} ${p}${body ? ` ${JSON.stringify(body)}` : ""} -> ${r.status} ${JSON.stringify(r.json).slice(0, 2000)}${await diagnostics()}`);
  }
  return r.json;
}

/**
 * Polls `probe` until it returns a truthy value (which is returned), for DEADLINE_MS.
 * `probe` may return {done: false, last} to say what it saw; that goes in the failure.
 */
async function eventually(what, probe, ms = DEADLINE_MS) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    const r = await probe();
    if (r && !(typeof r === "object" && "done" in r && !r.done)) return r;
    last = r && typeof r === "object" && "last" in r ? r.last : r;
    if (Date.now() > deadline) {
      assert.fail(`timed out after ${ms} ms waiting for: ${what}\nlast seen: ${JSON.stringify(last)?.slice(0, 3000)}${await diagnostics()}`);
    }
    await sleep(250);
  }
}

/** Waits until the peer's inbox log has an entry of `type` matching `pred`; returns it. */
async function peerReceived(what, type, pred = () => true) {
  let entries = [];
  return await eventually(what, async () => {
    entries = await peerOk("GET", `/_control/inbox-log?type=${type}`);
    const hit = entries.find(pred);
    if (hit) return hit;
    // long-poll for the next one instead of spinning
    await peerOk("GET", `/_control/inbox-log?type=${type}&wait=1000&count=${entries.length + 1}`);
    return { done: false, last: entries.map((e) => ({ id: e.id, actor: e.actor, object: e.activity?.object, raw: e.raw })) };
  });
}

/** Ana's notifications of one type. */
async function notifications(token, type) {
  return await kithOk("GET", `/api/v1/notifications?types[]=${type}&limit=40`, { token });
}

async function homeTimeline(token) {
  return await kithOk("GET", "/api/v1/timelines/home?limit=40", { token });
}

async function relationship(token, id) {
  const rels = await kithOk("GET", `/api/v1/accounts/relationships?id[]=${encodeURIComponent(id)}`, { token });
  assert.ok(Array.isArray(rels), `relationships is not an array: ${JSON.stringify(rels)}`);
  return rels.find((r) => r.id === id) ?? null;
}

// ---------------------------------------------------------------------------
// Setup and teardown

before(async () => {
  assert.ok(KITH_BIN, "KITH_BIN must name the kith binary (cargo build -p kith; KITH_BIN=target/debug/kith). " +
    "For the peer's own self-test alone: node --test selftest.mjs");
  assert.ok(fs.existsSync(KITH_BIN), `KITH_BIN ${KITH_BIN} does not exist`);
  if (process.env.KITH_FEDIFY_PORTS) {
    [KITH_PORT, PEER_PORT] = process.env.KITH_FEDIFY_PORTS.split(",").map(Number);
  } else {
    KITH_PORT = await freePort();
    do PEER_PORT = await freePort(); while (PEER_PORT === KITH_PORT);
  }
  KITH = `http://localhost:${KITH_PORT}`;
  PEER = `http://localhost:${PEER_PORT}`;
  ANA_ACTOR = `${KITH}/users/ana`;
  ALICE_ACTOR = `${PEER}/users/alice`;
  ALICE_HANDLE = `@alice@localhost:${PEER_PORT}`;

  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "kith-fedify-"));
  kithLogPath = path.join(tmp, "kith.log");
  const env = {
    ...process.env,
    KITH_DEV_MODE: "true",
    KITH_BIND: `127.0.0.1:${KITH_PORT}`,
    KITH_DOMAIN: `localhost:${KITH_PORT}`,
    KITH_DATA_DIR: path.join(tmp, "data"),
    KITH_DATABASE_URL: DATABASE_URL,
  };
  env.NO_COLOR ??= "1"; // a readable kith.log
  if (!env.RUST_LOG && !env.KITH_LOG) env.KITH_LOG = "kith=debug,kith_api=debug,kith_federation=debug,kith_storage=info,info";

  // Kith first: the peer must never see Kith's keys unreachable (it caches failures).
  const created = await kithCommand(env, tmp, ["admin", "create-user", "ana", "--password", "correct horse battery"]);
  assert.match(created, new RegExp(`${ANA_ACTOR.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`), `create-user ana printed ${created}`);
  anaToken = (await kithCommand(env, tmp, ["admin", "token", "ana", "--scopes", "read write follow"])).trim();
  await kithCommand(env, tmp, ["admin", "create-user", "cy", "--password", "correct horse battery"]);
  cyToken = (await kithCommand(env, tmp, ["admin", "token", "cy", "--scopes", "read write follow"])).trim();
  assert.match(anaToken, /^\S+$/, "admin token prints the token alone");

  const log = fs.openSync(kithLogPath, "a");
  kithProc = spawn(KITH_BIN, ["serve"], { env, cwd: tmp, stdio: ["ignore", log, log] });
  fs.closeSync(log);
  const exited = new Promise((resolve) => kithProc.once("exit", (code, signal) => resolve(code ?? signal)));
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  for (;;) {
    const st = await Promise.race([exited.then((c) => ({ exited: c })), sleep(200).then(() => null)]);
    if (st) throw new Error(`kith serve exited early (${st.exited})\n${kithLogTail()}`);
    try {
      const res = await fetch(`${KITH}/health`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`kith not healthy after ${STARTUP_TIMEOUT_MS} ms\n${kithLogTail()}`);
  }

  peerProc = await startPeer(PEER_PORT);

  const me = await kithOk("GET", "/api/v1/accounts/verify_credentials", { token: anaToken });
  anaId = me.id;
  assert.equal(me.username, "ana");
});

after(async () => {
  if (tmp && process.env.KITH_FEDIFY_KEEP && peerProc) {
    // what the peer saw, for reading afterwards
    for (const what of ["inbox-log", "unverified", "sent", "errors"]) {
      try {
        fs.writeFileSync(path.join(tmp, `peer-${what}.json`), JSON.stringify((await peerApi("GET", `/_control/${what}`)).json, null, 2));
      } catch {
        // the peer is gone: nothing to keep
      }
    }
  }
  await Promise.all([stopChild(kithProc), stopChild(peerProc?.child, 3000)]);
  if (tmp && !process.env.KITH_FEDIFY_KEEP) fs.rmSync(tmp, { recursive: true, force: true });
  else if (tmp) process.stderr.write(`kith-fedify: kept ${tmp} (kith.log inside)\n`);
});

// ---------------------------------------------------------------------------
// 1. Kith follows the peer

test("1. ana (Kith) resolves and follows alice (Fedify); the peer's auto-Accept makes it mutual-ready", async (t) => {
  t.diagnostic(`kith ${KITH} (log ${kithLogPath}), peer ${PEER}, database ${DATABASE_URL ? "PostgreSQL" : "SQLite"}`);
  const found = await kithOk("GET", `/api/v2/search?q=${encodeURIComponent(ALICE_ACTOR)}&resolve=true&type=accounts`, { token: anaToken });
  assert.equal(found.accounts?.length, 1, `search for ${ALICE_ACTOR}: ${JSON.stringify(found)}`);
  const alice = found.accounts[0];
  aliceId = alice.id;
  assert.equal(alice.acct, `alice@localhost:${PEER_PORT}`);
  assert.equal(alice.username, "alice");
  assert.equal(alice.display_name, "Alice");
  assert.equal(alice.url, ALICE_ACTOR);

  // the handle resolves to the same account
  const byHandle = await kithOk("GET", `/api/v2/search?q=${encodeURIComponent(ALICE_HANDLE)}&resolve=true&type=accounts`, { token: anaToken });
  assert.deepEqual(byHandle.accounts?.map((a) => a.id), [aliceId], `search for ${ALICE_HANDLE}`);

  const rel = await kithOk("POST", `/api/v1/accounts/${aliceId}/follow`, { token: anaToken, body: {} });
  assert.equal(rel.id, aliceId);
  assert.ok(rel.following || rel.requested, `after follow: ${JSON.stringify(rel)}`);

  const follow = await peerReceived("the Follow from ana at the peer", "Follow", (e) => e.actor === ANA_ACTOR);
  assert.equal(idOf(follow.raw.object), ALICE_ACTOR);
  anaFollowId = follow.id;

  await eventually("relationship following=true", async () => {
    const r = await relationship(anaToken, aliceId);
    return r?.following === true && r.requested === false ? r : { done: false, last: r };
  });
  const followers = await peerOk("GET", `/_control/followers?wait=${DEADLINE_MS}&contains=${encodeURIComponent(ANA_ACTOR)}`);
  assert.ok(followers.includes(ANA_ACTOR), `peer followers: ${JSON.stringify(followers)}`);
});

// ---------------------------------------------------------------------------
// 2. The peer follows Kith

test("2. alice (Fedify) follows ana; Kith Accepts, lists her as follower and notifies ana", async () => {
  const r = await peerOk("POST", "/_control/follow", { target: ANA_ACTOR });
  assert.equal(r.target, ANA_ACTOR);
  const followId = r.id;

  const accept = await peerReceived("Kith's Accept at the peer", "Accept", (e) => e.actor === ANA_ACTOR);
  assert.equal(idOf(accept.activity.object), followId, "the Accept names alice's Follow");
  const following = await peerOk("GET", `/_control/following?wait=${DEADLINE_MS}&accepted=${encodeURIComponent(ANA_ACTOR)}`);
  assert.deepEqual(following.filter((f) => f.id === ANA_ACTOR).map((f) => f.state), ["accepted"]);

  await eventually("alice in ana's followers on Kith", async () => {
    const list = await kithOk("GET", `/api/v1/accounts/${anaId}/followers`, { token: anaToken });
    return list.some((a) => a.id === aliceId) ? list : { done: false, last: list };
  });
  const rel = await relationship(anaToken, aliceId);
  assert.equal(rel?.followed_by, true, `relationship: ${JSON.stringify(rel)}`);
  assert.equal(rel?.following, true, `relationship: ${JSON.stringify(rel)}`);

  await eventually("a follow notification for ana from alice", async () => {
    const list = await notifications(anaToken, "follow");
    return list.find((n) => n.type === "follow" && n.account?.id === aliceId) ?? { done: false, last: list };
  });
});

// ---------------------------------------------------------------------------
// 3. The peer posts with every visibility

test("3. alice's public, unlisted, followers-only and direct notes reach ana with the right visibility", async () => {
  const expected = { public: "public", unlisted: "unlisted", followers: "private", direct: "direct" };
  for (const visibility of Object.keys(expected)) {
    const body = { content: `<p>${visibility} note from alice ${RUN}</p>`, visibility };
    if (visibility === "direct") body.mention = ANA_ACTOR;
    const r = await peerOk("POST", "/_control/post", body);
    peerNotes[visibility] = { uri: r.id };
  }

  for (const [visibility, masto] of Object.entries(expected)) {
    const uri = peerNotes[visibility].uri;
    const status = await eventually(`alice's ${visibility} note ${uri} in ana's home timeline`, async () => {
      const tl = await homeTimeline(anaToken);
      return tl.find((s) => s.uri === uri) ?? { done: false, last: tl.map((s) => [s.uri, s.visibility]) };
    });
    assert.equal(status.visibility, masto, `visibility of alice's ${visibility} note`);
    assert.equal(status.account?.id, aliceId);
    assert.match(stripTags(status.content), new RegExp(`${visibility} note from alice ${RUN}`));
    peerNotes[visibility].kithId = status.id;
    // ana can open each of them
    const one = await kithOk("GET", `/api/v1/statuses/${status.id}`, { token: anaToken });
    assert.equal(one.uri, uri);
  }

  const mention = await eventually("a mention notification for ana (alice's direct note)", async () => {
    const list = await notifications(anaToken, "mention");
    return list.find((n) => n.status?.uri === peerNotes.direct.uri) ?? { done: false, last: list.map((n) => [n.type, n.status?.uri]) };
  });
  assert.equal(mention.type, "mention");
  assert.equal(mention.account?.id, aliceId);
  assert.equal(mention.status.visibility, "direct");

  // cy follows no one: the followers-only and direct notes are not cy's to see
  for (const visibility of ["followers", "direct"]) {
    const r = await kith("GET", `/api/v1/statuses/${peerNotes[visibility].kithId}`, { token: cyToken });
    assert.equal(r.status, 404, `cy GET alice's ${visibility} note -> ${r.status} ${JSON.stringify(r.json).slice(0, 500)}`);
    const anon = await kith("GET", `/api/v1/statuses/${peerNotes[visibility].kithId}`);
    assert.equal(anon.status, 404, `anonymous GET alice's ${visibility} note -> ${anon.status}`);
  }
  for (const visibility of ["public", "unlisted"]) {
    const r = await kithOk("GET", `/api/v1/statuses/${peerNotes[visibility].kithId}`, { token: cyToken });
    assert.equal(r.uri, peerNotes[visibility].uri);
  }

  for (const token of [cyToken, undefined]) {
    const who = token ? "cy" : "anonymous";
    const pub = await kithOk("GET", "/api/v1/timelines/public?limit=40", { token });
    const uris = pub.map((s) => s.uri);
    assert.ok(uris.includes(peerNotes.public.uri), `${who}'s public timeline lacks alice's public note: ${JSON.stringify(uris)}`);
    for (const visibility of ["unlisted", "followers", "direct"]) {
      assert.ok(!uris.includes(peerNotes[visibility].uri), `${who}'s public timeline shows alice's ${visibility} note`);
    }
  }
  const cyHome = await homeTimeline(cyToken);
  for (const visibility of Object.keys(expected)) {
    assert.ok(!cyHome.some((s) => s.uri === peerNotes[visibility].uri), `cy's home timeline shows alice's ${visibility} note`);
  }
});

// ---------------------------------------------------------------------------
// 4. Kith posts with every visibility

test("4. ana's public, followers-only and direct posts reach the peer addressed as Mastodon would", async () => {
  const posts = {
    public: { status: `public post from ana ${RUN}`, visibility: "public" },
    private: { status: `followers-only post from ana ${RUN}`, visibility: "private" },
    direct: { status: `${ALICE_HANDLE} direct message from ana ${RUN}`, visibility: "direct" },
  };
  for (const [k, body] of Object.entries(posts)) {
    const s = await kithOk("POST", "/api/v1/statuses", { token: anaToken, body });
    assert.equal(s.visibility, body.visibility);
    assert.ok(s.uri?.startsWith(`${KITH}/`), `status uri ${s.uri}`);
    anaPosts[k] = s;
  }
  assert.ok(anaPosts.direct.mentions?.some((m) => m.id === aliceId), `the direct post mentions alice: ${JSON.stringify(anaPosts.direct.mentions)}`);

  const followers = `${ANA_ACTOR}/followers`;
  const created = {};
  for (const k of Object.keys(posts)) {
    const uri = anaPosts[k].uri;
    const e = await peerReceived(`Create of ana's ${k} post ${uri}`, "Create", (e) => e.actor === ANA_ACTOR && idOf(e.raw?.object) === uri);
    assert.equal(typeof e.raw.object, "object", "the Create embeds the Note");
    assert.equal(e.raw.object.type, "Note");
    assert.equal(e.raw.object.attributedTo, ANA_ACTOR);
    created[k] = e;
  }

  const addressing = (o) => ({ to: asArray(o.to), cc: asArray(o.cc), all: [...asArray(o.to), ...asArray(o.cc)] });
  for (const [k, e] of Object.entries(created)) {
    for (const [what, o] of [["Create", e.raw], ["Note", e.raw.object]]) {
      const a = addressing(o);
      const label = `${k} ${what} to=${JSON.stringify(a.to)} cc=${JSON.stringify(a.cc)}`;
      if (k === "public") {
        assert.ok(a.to.some((x) => PUBLIC.includes(x)), `public: Public in to (${label})`);
        assert.ok(a.all.includes(followers), `public: followers addressed (${label})`);
      } else if (k === "private") {
        assert.ok(a.all.includes(followers), `followers-only: followers collection addressed (${label})`);
        assert.ok(!a.all.some((x) => PUBLIC.includes(x)), `followers-only: no Public (${label})`);
      } else {
        assert.deepEqual(a.all, [ALICE_ACTOR], `direct: only alice (${label})`);
      }
    }
  }
  const tags = asArray(created.direct.raw.object.tag);
  assert.ok(tags.some((t) => t.type === "Mention" && t.href === ALICE_ACTOR), `direct: Mention tag for alice: ${JSON.stringify(tags)}`);
  assert.match(stripTags(created.direct.raw.object.content), new RegExp(`direct message from ana ${RUN}`));
  // Fedify parsed them too
  const parsed = await peerOk("GET", "/_control/received?type=Create");
  for (const k of Object.keys(posts)) {
    assert.ok(parsed.some((a) => idOf(a.object) === anaPosts[k].uri), `Fedify's parse of ana's ${k} Create`);
  }
  // and the public one dereferences at its id, in a shape Fedify reads
  const looked = await peerOk("GET", `/_control/lookup?url=${encodeURIComponent(anaPosts.public.uri)}`);
  assert.equal(looked.type, "Note");
  assert.equal(looked.id, anaPosts.public.uri);
  assert.equal(looked.attributedTo, ANA_ACTOR);
});

// ---------------------------------------------------------------------------
// 5. Replies

test("5. alice's reply to ana's public post shows in its context", async () => {
  const r = await peerOk("POST", "/_control/post", {
    content: `<p>reply from alice ${RUN}</p>`,
    visibility: "public",
    mention: ANA_ACTOR,
    inReplyTo: anaPosts.public.uri,
  });
  const ctx = await eventually("alice's reply in the context's descendants", async () => {
    const c = await kithOk("GET", `/api/v1/statuses/${anaPosts.public.id}/context`, { token: anaToken });
    return c.descendants?.some((s) => s.uri === r.id) ? c : { done: false, last: c };
  });
  const reply = ctx.descendants.find((s) => s.uri === r.id);
  assert.equal(reply.in_reply_to_id, anaPosts.public.id);
  assert.equal(reply.account?.id, aliceId);
  const up = await kithOk("GET", `/api/v1/statuses/${reply.id}/context`, { token: anaToken });
  assert.ok(up.ancestors?.some((s) => s.id === anaPosts.public.id), `ancestors of the reply: ${JSON.stringify(up.ancestors?.map((s) => s.uri))}`);
  // the reply mentions ana: she is notified
  await eventually("a mention notification for ana (alice's reply)", async () => {
    const list = await notifications(anaToken, "mention");
    return list.find((n) => n.status?.uri === r.id && n.account?.id === aliceId) ?? { done: false, last: list.map((n) => [n.type, n.status?.uri]) };
  });
});

// ---------------------------------------------------------------------------
// 6. Likes and boosts, both ways

test("6. likes and boosts both ways: notifications on Kith, Like and Announce at the peer", async () => {
  const like = await peerOk("POST", "/_control/like", { object: anaPosts.public.uri });
  await eventually("a favourite notification for ana from alice", async () => {
    const list = await notifications(anaToken, "favourite");
    return list.find((n) => n.account?.id === aliceId && n.status?.id === anaPosts.public.id) ?? { done: false, last: list };
  });
  const announce = await peerOk("POST", "/_control/announce", { object: anaPosts.public.uri });
  await eventually("a reblog notification for ana from alice", async () => {
    const list = await notifications(anaToken, "reblog");
    return list.find((n) => n.account?.id === aliceId && n.status?.id === anaPosts.public.id) ?? { done: false, last: list };
  });
  assert.equal(like.activity?.type, "Like");
  assert.equal(announce.activity?.type, "Announce");
  Object.assign(peerSent, { like, announce });
  await eventually("favourites_count and reblogs_count of ana's post count alice", async () => {
    const s = await kithOk("GET", `/api/v1/statuses/${anaPosts.public.id}`, { token: anaToken });
    return s.favourites_count >= 1 && s.reblogs_count >= 1 ? s : { done: false, last: { favourites_count: s.favourites_count, reblogs_count: s.reblogs_count } };
  });

  const note = peerNotes.public;
  const fav = await kithOk("POST", `/api/v1/statuses/${note.kithId}/favourite`, { token: anaToken, body: {} });
  assert.equal(fav.favourited, true);
  const gotLike = await peerReceived("ana's Like at the peer", "Like", (e) => e.actor === ANA_ACTOR);
  assert.equal(idOf(gotLike.activity.object), note.uri);

  const boost = await kithOk("POST", `/api/v1/statuses/${note.kithId}/reblog`, { token: anaToken, body: {} });
  assert.equal(boost.reblog?.id, note.kithId, "POST /reblog answers the boost, wrapping the boosted status");
  const gotAnnounce = await peerReceived("ana's Announce at the peer", "Announce", (e) => e.actor === ANA_ACTOR);
  assert.equal(idOf(gotAnnounce.activity.object), note.uri);
  assert.ok(asArray(gotAnnounce.raw.to).concat(asArray(gotAnnounce.raw.cc)).some((x) => PUBLIC.includes(x)), `Announce addressing: ${JSON.stringify([gotAnnounce.raw.to, gotAnnounce.raw.cc])}`);
});

test("6b. undoing likes and boosts both ways", async () => {
  // the peer takes back its Like and Announce of ana's public post
  await peerOk("POST", "/_control/undo", { id: peerSent.like.id });
  await peerOk("POST", "/_control/undo", { id: peerSent.announce.id });
  await eventually("favourites_count and reblogs_count of ana's post back to 0", async () => {
    const s = await kithOk("GET", `/api/v1/statuses/${anaPosts.public.id}`, { token: anaToken });
    return s.favourites_count === 0 && s.reblogs_count === 0 ? s : { done: false, last: { favourites_count: s.favourites_count, reblogs_count: s.reblogs_count } };
  });

  // ana favourites and boosts alice's unlisted note, then takes both back
  const note = peerNotes.unlisted;
  await kithOk("POST", `/api/v1/statuses/${note.kithId}/favourite`, { token: anaToken, body: {} });
  const like = await peerReceived("ana's Like of the unlisted note", "Like", (e) => e.actor === ANA_ACTOR && idOf(e.raw?.object) === note.uri);
  await kithOk("POST", `/api/v1/statuses/${note.kithId}/reblog`, { token: anaToken, body: {} });
  const announce = await peerReceived("ana's Announce of the unlisted note", "Announce", (e) => e.actor === ANA_ACTOR && idOf(e.raw?.object) === note.uri);

  const unfav = await kithOk("POST", `/api/v1/statuses/${note.kithId}/unfavourite`, { token: anaToken, body: {} });
  assert.equal(unfav.favourited, false);
  await peerReceived("ana's Undo(Like)", "Undo", (e) => e.actor === ANA_ACTOR && idOf(e.raw?.object) === like.id);
  const unboost = await kithOk("POST", `/api/v1/statuses/${note.kithId}/unreblog`, { token: anaToken, body: {} });
  assert.equal(unboost.reblogged, false);
  await peerReceived("ana's Undo(Announce)", "Undo", (e) => e.actor === ANA_ACTOR && idOf(e.raw?.object) === announce.id);
});

// ---------------------------------------------------------------------------
// 7. Edits, deletes, profile updates

test("7. edits, deletes and profile updates federate", async () => {
  const newText = `edited public post from ana ${RUN}`;
  const edited = await kithOk("PUT", `/api/v1/statuses/${anaPosts.public.id}`, { token: anaToken, body: { status: newText } });
  assert.match(stripTags(edited.content), new RegExp(newText));
  const update = await peerReceived("the Update of ana's public post at the peer", "Update", (e) => e.actor === ANA_ACTOR && idOf(e.raw?.object) === anaPosts.public.uri);
  assert.equal(update.raw.object.type, "Note");
  assert.match(stripTags(update.raw.object.content), new RegExp(newText));

  const note = peerNotes.public;
  await kithOk("GET", `/api/v1/statuses/${note.kithId}`, { token: anaToken }); // still there
  await peerOk("POST", "/_control/delete", { id: note.uri });
  await eventually(`GET /api/v1/statuses/${note.kithId} (deleted by alice) -> 404`, async () => {
    const r = await kith("GET", `/api/v1/statuses/${note.kithId}`, { token: anaToken });
    return r.status === 404 ? r : { done: false, last: { status: r.status, body: r.json } };
  });
  const tl = await homeTimeline(anaToken);
  assert.ok(!tl.some((s) => s.uri === note.uri || s.reblog?.uri === note.uri), "the deleted note (or ana's boost of it) is gone from ana's home timeline");

  // ana deletes her followers-only post: the peer gets a Delete
  await kithOk("DELETE", `/api/v1/statuses/${anaPosts.private.id}`, { token: anaToken });
  const del = await peerReceived("ana's Delete of her followers-only post", "Delete", (e) => e.actor === ANA_ACTOR && idOf(e.raw?.object) === anaPosts.private.uri);
  assert.equal(del.activity.type, "Delete");
  const gone = await kith("GET", `/api/v1/statuses/${anaPosts.private.id}`, { token: anaToken });
  assert.equal(gone.status, 404, `GET ana's deleted post -> ${gone.status}`);

  const newName = `Alice Renamed ${RUN}`;
  await peerOk("POST", "/_control/update-profile", { name: newName });
  await eventually(`alice's display_name becomes ${newName}`, async () => {
    const a = await kithOk("GET", `/api/v1/accounts/${aliceId}`, { token: anaToken });
    return a.display_name === newName ? a : { done: false, last: a.display_name };
  });
});

// ---------------------------------------------------------------------------
// 7b. Polls, both ways: Fedify's Question becomes a poll on Kith and ana's vote reaches
// alice as a Note naming the option; ana's poll reaches alice as a Question that Fedify
// parses, alice's vote is counted (never shown as a reply) and the new count goes out as
// Update(Question).

test("7b. polls both ways with Fedify (Question, votes as Notes, Update with counts)", async () => {
  const qid = `${ALICE_ACTOR}/questions/${RUN}`;
  const end = new Date(Date.now() + 3600_000).toISOString();
  await peerOk("POST", "/_control/send", {
    target: ANA_ACTOR,
    activity: {
      "@context": ["https://www.w3.org/ns/activitystreams", { toot: "http://joinmastodon.org/ns#", votersCount: "toot:votersCount" }],
      id: `${qid}/activity`, type: "Create", actor: ALICE_ACTOR,
      to: ["https://www.w3.org/ns/activitystreams#Public"],
      object: {
        id: qid, type: "Question", attributedTo: ALICE_ACTOR, content: `<p>alice asks ${RUN}</p>`,
        published: new Date().toISOString(), endTime: end, votersCount: 1,
        to: ["https://www.w3.org/ns/activitystreams#Public"],
        oneOf: [
          { type: "Note", name: "yes", replies: { type: "Collection", totalItems: 1 } },
          { type: "Note", name: "no", replies: { type: "Collection", totalItems: 0 } },
        ],
      },
    },
  });
  const theirs = await eventually("alice's Question in ana's home as a poll", async () => {
    const home = await homeTimeline(anaToken);
    return home.find((s) => s.uri === qid) ?? { done: false, last: home.map((s) => s.uri) };
  });
  assert.deepEqual(theirs.poll.options.map((o) => [o.title, o.votes_count]), [["yes", 1], ["no", 0]]);
  await kithOk("POST", `/api/v1/polls/${theirs.poll.id}/votes`, { token: anaToken, body: { choices: [1] } });
  const vote = await peerReceived("ana's vote at alice", "Create", (e) => {
    const o = e.activity?.object ?? {};
    return idOf(o.inReplyTo ?? o.replyTarget) === qid;
  });
  assert.equal(vote.activity.object.name, "no", JSON.stringify(vote.activity));

  const mine = await kithOk("POST", "/api/v1/statuses", {
    token: anaToken,
    body: { status: `ana asks ${RUN}`, poll: { options: ["red", "blue"], expires_in: 3600 } },
  });
  const created = await peerReceived("ana's Question at alice", "Create", (e) => idOf(e.activity?.object) === mine.uri);
  assert.equal(created.activity.object.type, "Question", JSON.stringify(created.activity.object));
  const looked = await peerOk("GET", `/_control/lookup?url=${encodeURIComponent(mine.uri)}`);
  assert.equal(looked.type, "Question", JSON.stringify(looked));
  await peerOk("POST", "/_control/send", {
    target: ANA_ACTOR,
    activity: {
      id: `${ALICE_ACTOR}/votes/${RUN}/activity`, type: "Create", actor: ALICE_ACTOR, to: [ANA_ACTOR],
      object: { id: `${ALICE_ACTOR}/votes/${RUN}`, type: "Note", name: "blue", attributedTo: ALICE_ACTOR, inReplyTo: mine.uri, to: [ANA_ACTOR] },
    },
  });
  await eventually("alice's vote counted", async () => {
    const p = await kithOk("GET", `/api/v1/polls/${mine.poll.id}`, { token: anaToken });
    return p.options[1].votes_count === 1 ? p : { done: false, last: p };
  });
  const ctx = await kithOk("GET", `/api/v1/statuses/${mine.id}/context`, { token: anaToken });
  assert.deepEqual(ctx.descendants, [], "a vote is no reply");
  await peerReceived("the Update(Question) with the new count", "Update", (e) => {
    const raw = typeof e.raw === "string" ? JSON.parse(e.raw) : e.raw;
    const o = raw?.object ?? {};
    return o.id === mine.uri && (o.oneOf ?? []).some((x) => x.name === "blue" && x.replies?.totalItems === 1);
  });
});

// ---------------------------------------------------------------------------
// 8. Unfollow both ways

test("8. unfollows both ways", async () => {
  const rel = await kithOk("POST", `/api/v1/accounts/${aliceId}/unfollow`, { token: anaToken, body: {} });
  assert.equal(rel.following, false);
  assert.equal(rel.requested, false);
  await peerReceived("ana's Undo(Follow) at the peer", "Undo", (e) => e.actor === ANA_ACTOR && idOf(e.raw?.object) === anaFollowId);
  const followers = await eventually("ana gone from the peer's followers", async () => {
    const list = await peerOk("GET", "/_control/followers");
    return !list.includes(ANA_ACTOR) ? { list } : { done: false, last: list };
  });
  assert.ok(!followers.list.includes(ANA_ACTOR));

  await peerOk("POST", "/_control/unfollow", { target: ANA_ACTOR });
  await eventually("ana's followers on Kith empty", async () => {
    const list = await kithOk("GET", `/api/v1/accounts/${anaId}/followers`, { token: anaToken });
    return list.length === 0 ? { list } : { done: false, last: list.map((a) => a.acct) };
  });
  const finalRel = await relationship(anaToken, aliceId);
  assert.equal(finalRel?.following, false, JSON.stringify(finalRel));
  assert.equal(finalRel?.followed_by, false, JSON.stringify(finalRel));
});

// ---------------------------------------------------------------------------
// 9. Reports across servers (issue 10)

test("9. cy's forwarded report reaches the peer as a Flag from Kith's instance actor with no trace of cy; alice's Flag lands in Kith's queue", async () => {
  const modEnv = {
    ...process.env,
    KITH_DEV_MODE: "true",
    KITH_BIND: `127.0.0.1:${KITH_PORT}`,
    KITH_DOMAIN: `localhost:${KITH_PORT}`,
    KITH_DATA_DIR: path.join(tmp, "data"),
    KITH_DATABASE_URL: DATABASE_URL,
  };
  await kithCommand(modEnv, tmp, ["admin", "create-user", "modo", "--password", "correct horse battery", "--role", "moderator"]);
  const modToken = (await kithCommand(modEnv, tmp, ["admin", "token", "modo", "--scopes", "read write admin:read admin:write"])).trim();
  const cy = await kithOk("GET", "/api/v1/accounts/verify_credentials", { token: cyToken });
  const CY_ACTOR = `${KITH}/users/cy`;

  // Something of alice's to report: a public note mentioning cy (so it reaches Kith).
  const note = await peerOk("POST", "/_control/post", { content: `buy my stuff ${RUN}`, visibility: "public", mention: CY_ACTOR });
  const status = await eventually("alice's note on Kith", async () => {
    const found = await kithOk("GET", `/api/v2/search?q=${encodeURIComponent(note.id)}&resolve=true&type=statuses`, { token: cyToken });
    return found.statuses?.[0] ?? { done: false, last: found };
  });
  const comment = `spam, reported from Kith ${RUN}`;
  const report = await kithOk("POST", "/api/v1/reports", {
    token: cyToken,
    body: { account_id: aliceId, status_ids: [status.id], comment, forward: true },
  });
  assert.equal(report.forwarded, true, JSON.stringify(report));

  const INSTANCE_ACTOR = `${KITH}/actor`;
  const flag = await peerReceived("the forwarded Flag at the peer", "Flag", (e) => e.actor === INSTANCE_ACTOR);
  assert.equal(flag.verified, true, "the peer verified the instance actor's signature");
  const objects = asArray(flag.raw.object).map(idOf);
  assert.ok(objects.includes(ALICE_ACTOR), `Flag names alice: ${JSON.stringify(flag.raw)}`);
  assert.ok(objects.includes(note.id), `Flag names the note: ${JSON.stringify(flag.raw)}`);
  assert.equal(flag.raw.content, comment);
  // No trace of the reporter: not her actor, handle, name or account id, in the body or the headers.
  const everything = JSON.stringify({ raw: flag.raw, headers: flag.headers, activity: flag.activity });
  for (const trace of [CY_ACTOR, "@cy@", "acct:cy", `"cy"`, "/users/cy", cy.id]) {
    assert.ok(!everything.includes(trace), `the Flag carries ${trace}: ${everything.slice(0, 3000)}`);
  }

  // Alice reports ana with a Flag of her own: it lands in Kith's queue, filed by alice's server.
  const theirs = `harassment, reported from Fedify ${RUN}`;
  await peerOk("POST", "/_control/send", {
    target: ANA_ACTOR,
    activity: { type: "Flag", object: [ANA_ACTOR], content: theirs },
  });
  const queued = await eventually("alice's Flag in Kith's report queue", async () => {
    const open = await kithOk("GET", "/api/v1/admin/reports", { token: modToken });
    const hit = open.find((r) => r.comment === theirs);
    return hit ?? { done: false, last: open.map((r) => r.comment) };
  });
  assert.equal(queued.target_account.id, anaId, JSON.stringify(queued));
  assert.equal(queued.account.account.uri ?? queued.account.account.url, ALICE_ACTOR, JSON.stringify(queued.account));
  assert.equal(queued.origin_domain, `localhost:${PEER_PORT}`);
  assert.equal(queued.action_taken, false);
  const told = await notifications(modToken, "admin.report");
  assert.ok(told.some((n) => n.report?.id === queued.id), `modo's admin.report names the report: ${JSON.stringify(told).slice(0, 2000)}`);
  // A report never acts by itself: ana is as she was.
  const me = await kithOk("GET", "/api/v1/accounts/verify_credentials", { token: anaToken });
  assert.equal(me.id, anaId);
});

// ---------------------------------------------------------------------------
// 10. Shields: a newcomer's mention is held as a notification request

test("10. a mention from a Fedify account newer than cy's threshold is held as a request, then released", async () => {
  // The peer's actor says `published: 2026-01-01`. Kith goes by that date, not by when it first
  // saw alice (today): with the threshold just past that age she counts as new, just below it
  // she does not. Her server's first sighting (today) is left out (new_domain_days 0).
  const daysOld = Math.floor((Date.now() - Date.parse("2026-01-01T00:00:00Z")) / 86_400_000);
  const CY_ACTOR = `${KITH}/users/cy`;
  const setPolicy = (newAccountDays) => kithOk("PATCH", "/api/v2/notifications/policy", {
    token: cyToken,
    body: { for_new_accounts: "filter", kith: { new_account_days: newAccountDays, new_domain_days: 0, signal_many_digits: false } },
  });
  const policy = await setPolicy(Math.max(daysOld - 2, 0));
  assert.equal(policy.for_new_accounts, "filter");
  assert.equal(policy.kith.new_domain_days, 0);
  const early = await peerOk("POST", "/_control/post", { content: `<p>hello cy ${RUN}</p>`, visibility: "public", mention: CY_ACTOR });
  await eventually("alice's mention notifies cy (alice is older than the threshold)", async () => {
    const list = await notifications(cyToken, "mention");
    return list.find((n) => n.status?.uri === early.id) ?? { done: false, last: list.map((n) => n.status?.uri) };
  });

  await setPolicy(daysOld + 2);
  const held = await peerOk("POST", "/_control/post", { content: `<p>hello again cy ${RUN}</p>`, visibility: "public", mention: CY_ACTOR });
  const request = await eventually("alice's second mention held as a request for cy", async () => {
    const list = await kithOk("GET", "/api/v1/notifications/requests", { token: cyToken });
    return list.find((r) => r.last_status?.uri === held.id) ?? { done: false, last: list.map((r) => r.last_status?.uri) };
  });
  assert.equal(request.account.id, aliceId);
  assert.equal(request.notifications_count, "1");
  const shown = await notifications(cyToken, "mention");
  assert.ok(!shown.some((n) => n.status?.uri === held.id), "a held mention is not listed");

  await kithOk("POST", `/api/v1/notifications/requests/${request.id}/accept`, { token: cyToken, body: {} });
  const released = await notifications(cyToken, "mention");
  assert.ok(released.some((n) => n.status?.uri === held.id), "released once accepted");
  const left = await kithOk("GET", "/api/v1/notifications/requests", { token: cyToken });
  assert.deepEqual(left, []);
});

// ---------------------------------------------------------------------------
// 11. Custom emoji both ways

test("11. custom emoji both ways: Fedify's Emoji tag shows in Kith's `emojis`; Kith's Note and actor carry Emoji tags Fedify reads", async () => {
  const env = {
    ...process.env,
    KITH_DEV_MODE: "true",
    KITH_BIND: `127.0.0.1:${KITH_PORT}`,
    KITH_DOMAIN: `localhost:${KITH_PORT}`,
    KITH_DATA_DIR: path.join(tmp, "data"),
    KITH_DATABASE_URL: DATABASE_URL,
  };
  // A 1x1 PNG, added as the local emoji :kith_wave: by an admin.
  const png = path.join(tmp, "wave.png");
  fs.writeFileSync(png, Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==", "base64"));
  await kithCommand(env, tmp, ["admin", "create-user", "root", "--password", "correct horse battery", "--role", "admin"]);
  await kithCommand(env, tmp, ["admin", "emoji", "add", "kith_wave", png, "--as", "root"]);

  // Fedify -> Kith: alice's note names :fedi_cat: with an Emoji tag.
  const catUrl = `${PEER}/emoji/fedi_cat.png`;
  const note = await peerOk("POST", "/_control/post", {
    content: `<p>meow :fedi_cat: ${RUN}</p>`, visibility: "public", mention: ANA_ACTOR,
    emojis: [{ name: "fedi_cat", url: catUrl, mediaType: "image/png" }],
  });
  const status = await eventually("alice's emoji note on Kith", async () => {
    const found = await kithOk("GET", `/api/v2/search?q=${encodeURIComponent(note.id)}&resolve=true&type=statuses`, { token: anaToken });
    return found.statuses?.[0] ?? { done: false, last: found };
  });
  assert.deepEqual(status.emojis, [{ shortcode: "fedi_cat", url: catUrl, static_url: catUrl, visible_in_picker: false }], JSON.stringify(status));

  // Kith -> Fedify: ana uses :kith_wave: in her name and in a post mentioning alice.
  const me = await kithOk("PATCH", "/api/v1/accounts/update_credentials", { token: anaToken, body: { display_name: "Ana :kith_wave:" } });
  assert.deepEqual(me.emojis.map((e) => e.shortcode), ["kith_wave"], JSON.stringify(me));
  const waveUrl = me.emojis[0].url;
  assert.ok(waveUrl.startsWith(`${KITH}/media/`), waveUrl);
  const post = await kithOk("POST", "/api/v1/statuses", { token: anaToken, body: { status: `${ALICE_HANDLE} hi :kith_wave: ${RUN}` } });
  assert.deepEqual(post.emojis.map((e) => e.shortcode), ["kith_wave"]);
  const created = await peerReceived("Create of ana's emoji post", "Create", (e) => e.actor === ANA_ACTOR && idOf(e.raw?.object) === post.uri);
  const sent = asArray(created.raw.object.tag).find((t) => t.type === "Emoji");
  assert.ok(sent, `no Emoji tag in ${JSON.stringify(created.raw.object.tag)}`);
  assert.equal(sent.name, ":kith_wave:");
  assert.equal(sent.icon?.url, waveUrl);
  assert.ok(sent.id?.startsWith(`${KITH}/emojis/`), sent.id);
  assert.ok(JSON.stringify(created.raw["@context"]).includes("toot:Emoji"), "the context defines Emoji");
  // Fedify reads them as vocab Emoji objects, on the Note and on ana's actor.
  for (const url of [post.uri, ANA_ACTOR]) {
    const parsed = await peerOk("GET", `/_control/emojis?url=${encodeURIComponent(url)}`);
    assert.equal(parsed.length, 1, `${url}: ${JSON.stringify(parsed)}`);
    assert.equal(parsed[0].name, ":kith_wave:");
    assert.equal(parsed[0].id, sent.id);
    assert.equal(parsed[0].icon?.url, waveUrl);
    assert.equal(parsed[0].icon?.mediaType, "image/png");
  }
  // The emoji's id dereferences to the same Emoji.
  const doc = await fetch(sent.id, { headers: { Accept: "application/activity+json" } }).then((r) => r.json());
  assert.equal(doc.type, "Emoji");
  assert.equal(doc.icon?.url, waveUrl);
});

test("12. in dev mode Kith finds a Fedify actor whose server is named by its IP address", async () => {
  let port;
  do port = await freePort(); while (port === KITH_PORT || port === PEER_PORT);
  const ip = await startPeer(port, { host: "127.0.0.1", args: ["--username", "ipa", "--name", "Ipa"] });
  try {
    const actor = `http://127.0.0.1:${port}/users/ipa`;
    const found = await kithOk("GET", `/api/v2/search?q=${encodeURIComponent(actor)}&resolve=true&type=accounts`, { token: anaToken });
    assert.equal(found.accounts?.length, 1, `search for ${actor}: ${JSON.stringify(found)}`);
    assert.equal(found.accounts[0].acct, `ipa@127.0.0.1:${port}`);
    assert.equal(found.accounts[0].display_name, "Ipa");
    assert.equal(found.accounts[0].url, actor);
  } finally {
    await stopChild(ip.child, 3000);
  }
});

// ---------------------------------------------------------------------------
// Every delivery Kith made verified at the peer

test("the peer verified every Kith delivery and its listeners raised nothing", async () => {
  const unverified = await peerOk("GET", "/_control/unverified");
  assert.deepEqual(unverified.map((e) => ({ type: e.type, id: e.id, reason: e.reason })), []);
  const errors = await peerOk("GET", "/_control/errors");
  assert.deepEqual(errors.map((e) => ({ listener: e.listener, error: e.error.split("\n")[0], raw: e.raw })), [], "activities the peer could not take");
  const fromKith = await peerOk("GET", `/_control/inbox-log?actor=${encodeURIComponent(ANA_ACTOR)}`);
  const ids = fromKith.map((e) => e.id);
  assert.equal(new Set(ids).size, ids.length, `an activity from Kith arrived twice: ${JSON.stringify(ids)}`);
  // every delivery the peer made to Kith (including the deferred Accept) got a 2xx in the end
  const sent = await peerOk("GET", "/_control/sent");
  assert.deepEqual(sent.filter((d) => d.ok !== true), []);
});

test("Kith logged no errors", () => {
  const errors = fs.readFileSync(kithLogPath, "utf8").split("\n").filter((l) => /^\S+\s+ERROR\b/.test(l));
  assert.deepEqual(errors, []);
});
