// Shared by the browser tests (tests/browser/*_test.mjs, run as `node X_test.mjs BIN_DIR`):
// a tillit-server on a temporary data directory and an ephemeral loopback port, Debian's
// Chromium through playwright-core, screenshots saved per step, and the real device program
// (tillit-device) reading QR codes from those screenshots.
import { chromium } from 'playwright-core';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const binDir = path.resolve(process.argv[2] || '');
if (!process.argv[2] || !fs.existsSync(path.join(binDir, 'tillit-server'))) {
  console.error('usage: node TEST.mjs BIN_DIR (the folder holding tillit-server)');
  process.exit(2);
}

// The test's output folder: screenshots of each step stay here after a failure. Under the
// build tree when ctest runs the test (TILLIT_BROWSER_OUT), else a temporary folder.
export function outputDir(testName) {
  const base = process.env.TILLIT_BROWSER_OUT || path.join(os.tmpdir(), 'tillit-browser');
  const dir = path.join(base, testName);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

let passed = 0;
export function ok(what) { passed += 1; console.log(`ok: ${what}`); }
export function fail(what) { throw new Error(`FAIL: ${what}`); }
export function check(cond, what) { if (!cond) fail(what); ok(what); }

// Runs a program from BIN_DIR; returns stdout. Throws with stderr on a non-zero exit.
export function run(program, args, options = {}) {
  try {
    return execFileSync(path.join(binDir, program), args, {
      encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, TILLIT_DEVICE_KDF: 'interactive' }, ...options,
    });
  } catch (e) {
    throw new Error(`${program} ${args.join(' ')} failed (exit ${e.status}): ${e.stderr}`);
  }
}
// Like run, but returns {status, stdout, stderr} instead of throwing.
export function tryRun(program, args, options = {}) {
  try {
    return { status: 0, stdout: run(program, args, options), stderr: '' };
  } catch (e) {
    return { status: 1, stdout: '', stderr: String(e.message) };
  }
}

export class Server {
  constructor() {
    this.work = fs.mkdtempSync(path.join(os.tmpdir(), 'tillit-browser-'));
    this.data = path.join(this.work, 'data');
    this.proc = null;
    this.url = null;
  }
  admin(args) { return JSON.parse(run('tillit-server', ['admin', '--data', this.data, ...args])); }
  addOfficer(name, role) {
    return this.admin(['add-officer', '--name', name, '--organisation', 'Migrationsverket', '--role', role]);
  }
  addRp(name) { return this.admin(['add-rp', '--name', name]); }
  // Starts `tillit-server serve` with extra arguments; resolves once it prints its URL.
  async start(extra = []) {
    fs.mkdirSync(this.data, { recursive: true });
    this.proc = spawn(path.join(binDir, 'tillit-server'),
      ['serve', '--data', this.data, '--listen', '127.0.0.1:0', ...extra],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    this.log = '';
    this.proc.stderr.on('data', (d) => { this.log += d; });
    this.url = await new Promise((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`server did not start: ${this.log}`)), 15000);
      this.proc.stdout.on('data', (d) => {
        out += d;
        const m = out.match(/^listening on (http:\/\/\S+)$/m);
        if (m) { clearTimeout(timer); resolve(m[1]); }
      });
      this.proc.on('exit', (code) => reject(new Error(`server exited ${code}: ${this.log}`)));
    });
    return this.url;
  }
  async stop() {
    if (!this.proc) return;
    const p = this.proc;
    this.proc = null;
    const exited = new Promise((resolve) => p.on('exit', resolve));
    p.kill('SIGTERM');
    await exited;
  }
  cleanup() { fs.rmSync(this.work, { recursive: true, force: true }); }
}

// Debian's Chromium, headless. The background-networking flags keep it from calling out
// (this machine's network is closed, and a test must not depend on it anyway).
export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.TILLIT_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-dev-shm-usage'],
  });
}

// Saves a numbered screenshot of `target` (a page or a locator) in `dir`; returns its path.
let step = 0;
export async function shot(target, dir, name) {
  step += 1;
  const file = path.join(dir, `${String(step).padStart(2, '0')}-${name}.png`);
  await target.screenshot({ path: file });
  return file;
}

// Runs `body` and exits the process with 0 when every check passed, 1 otherwise (after
// printing the error). `cleanup` runs either way.
export async function main(body, cleanup) {
  let code = 0;
  try {
    await body();
    console.log(`passed ${passed} checks`);
  } catch (e) {
    console.error(e && e.stack ? e.stack : e);
    code = 1;
  } finally {
    try { await cleanup(); } catch (e) { console.error(`cleanup: ${e}`); }
  }
  process.exit(code);
}
