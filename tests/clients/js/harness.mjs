// Shared set-up for the Node end-to-end tests in this folder (not a test itself: the runner
// only picks up *.test.mjs). It starts `kith serve` processes, runs `kith admin` for users
// and tokens, and launches headless Chromium.
//
// Environment read here:
//   KITH_BIN                 path to the kith binary (required)
//   KITH_TEST_DATABASE_URL   database for the server; empty/unset = SQLite in a temp dir
//   CHROMIUM_PATH            browser to drive (default /usr/bin/chromium)

import { spawn, execFile } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import net from 'node:net';

export const KITH_BIN = process.env.KITH_BIN ?? '';
export const DATABASE_URL = process.env.KITH_TEST_DATABASE_URL ?? '';
export const BACKEND = DATABASE_URL ? 'postgres' : 'sqlite';
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

// Debug builds, argon2 and RSA key generation are slow on a busy 2-core box.
export const STEP_MS = 60_000;
export const PASSWORD = 'correct horse battery';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function freePort() {
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

// Runs the kith binary with a timeout; resolves with its stdout, trimmed.
export function runKith(args, { env, cwd }) {
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

// Every `kith serve` started here; killed as a last resort if the runner is torn down
// without `after` running.
const children = new Set();
process.on('exit', () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});

const alive = (child) => child.exitCode === null && child.signalCode === null;

// One Kith instance in dev mode: its environment, data in `dir`, and its server processes.
// `name` labels error messages; `env` adds or overrides variables (e.g. KITH_INSTANCE_TITLE).
export class Kith {
  constructor({ name = 'kith', databaseUrl = DATABASE_URL, env = {} } = {}) {
    this.name = name;
    this.databaseUrl = databaseUrl;
    this.extraEnv = env;
    this.servers = [];
  }

  // `dir` must exist; the data directory goes inside it.
  async init(dir) {
    this.dir = dir;
    this.port = await freePort();
    this.base = `http://127.0.0.1:${this.port}`;
    this.domain = `localhost:${this.port}`;
    this.env = {
      ...process.env,
      KITH_DEV_MODE: 'true',
      KITH_BIND: `127.0.0.1:${this.port}`,
      KITH_DOMAIN: this.domain,
      KITH_DATA_DIR: join(this.dir, 'data'),
      KITH_DATABASE_URL: this.databaseUrl,
      ...this.extraEnv,
      NO_COLOR: '1',
    };
    return this;
  }

  // `kith admin ARGS`; resolves with its stdout, trimmed.
  admin(args) {
    return runKith(['admin', ...args], { env: this.env, cwd: this.dir });
  }

  // Creates a user with PASSWORD; `extra` are more create-user flags (--role, --email).
  createUser(name, extra = []) {
    return this.admin(['create-user', name, '--password', PASSWORD, ...extra]);
  }

  token(name, scopes) {
    return this.admin(['token', name, '--scopes', scopes]);
  }

  // Starts a `kith serve` process and waits for /health; extra processes bind their own port
  // but keep the domain and database. Returns the base URL the process answers on.
  async serve() {
    const port = this.servers.length === 0 ? this.port : await freePort();
    const env = { ...this.env, KITH_BIND: `127.0.0.1:${port}` };
    const log = [];
    const child = spawn(KITH_BIN, ['serve'], { cwd: this.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    child.stdout.on('data', (d) => log.push(d.toString()));
    child.stderr.on('data', (d) => log.push(d.toString()));
    this.servers.push({ child, log });
    const base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + STEP_MS;
    let last = 'no answer';
    while (Date.now() < deadline) {
      if (!alive(child)) {
        throw new Error(`${this.name} exited early (${child.exitCode ?? child.signalCode}):\n${log.join('')}`);
      }
      try {
        const r = await fetch(`${base}/health`, { signal: AbortSignal.timeout(2_000) });
        if (r.status === 200) return base;
        last = `HTTP ${r.status}`;
      } catch (e) {
        last = String(e.cause?.code ?? e.message);
      }
      await sleep(200);
    }
    throw new Error(`${this.name} did not become healthy (${last}):\n${log.join('')}`);
  }

  // Everything the server processes printed, in order of start.
  logText() {
    return this.servers.map(({ log }) => log.join('')).join('');
  }

  // SIGTERM to every server process, SIGKILL after 10 s.
  async stop() {
    for (const { child } of this.servers) {
      if (!alive(child)) continue;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
  }
}

// Headless Chromium through playwright-core (imported here only when a test needs it).
export async function launchChromium(extraArgs = []) {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: STEP_MS,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      ...extraArgs],
  });
}
