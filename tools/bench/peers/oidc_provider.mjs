// Times full OpenID Connect authorization-code logins against npm oidc-provider 9, the
// issue's third peer ("≈ 600 full authorization-code logins/s, 5 HTTP requests each, client
// on the other core"). Usage:
//   node oidc_provider.mjs NODE_MODULES_DIR [SECONDS] [CONCURRENCY]     (defaults 5, 16)
// This process is the client (peers.sh pins it to core 0); it starts the provider in a
// second Node process, pinned to core 1 with taskset when there is one and the machine has
// two cores or more. Prints one JSON line:
//   {"peer":"oidc-provider","version":...,"loginsPerSecond":N,"requestsPerLogin":5,...}
// plus "errors" (message → count) when any login failed.
//
// The provider: in-memory adapter (the package's own, without the quick-start warning), an
// RSA 2048 signing key (ID tokens RS256, the default), one confidential client
// (client_secret_basic, redirect_uri http://127.0.0.1/cb, response type code, grant type
// authorization_code; PKCE is only required by default for public clients, so it is not
// used), findAccount returning one fixed account, devInteractions off. Its interaction URL
// /interaction/:uid is handled by a small node:http handler in front of the provider that
// logs the account in and grants the requested scope at once (interactionDetails +
// interactionFinished), with no HTML.
//
// One login = these 5 HTTP requests, each user agent with a fresh cookie jar (so every
// login makes a new session, as a new user's browser would):
//   1. GET  /auth?response_type=code&client_id&redirect_uri&scope=openid&state&nonce
//           → 303 /interaction/:uid (sets the _interaction and _interaction_resume cookies)
//   2. GET  /interaction/:uid (our handler: login + consent) → 303 /auth/:uid
//   3. GET  /auth/:uid (resume; sends _interaction_resume) → 303 http://127.0.0.1/cb?code=…
//   4. POST /token grant_type=authorization_code (client_secret_basic)
//           → 200 {access_token, id_token, token_type: Bearer}
//   5. GET  /me with the access token (userinfo) → 200 {sub}
// A login counts only if every step answered as above, the state came back, the ID token's
// sub and nonce are the expected ones (its payload is decoded, not verified: the client's
// signature check is not the provider's work) and userinfo returned the same sub.
// Timed after a 1 s warm-up, by wall clock, with keep-alive connections; also reported: the
// provider's CPU seconds in that time (from /proc) and logins per provider CPU second, which
// a loaded machine moves less than the wall-clock rate.
import { createRequire } from 'node:module';
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const modules = path.resolve(process.argv[2] ?? '');
const CLIENT_ID = 'bench-client';
const CLIENT_SECRET = 'bench-client-secret-0123456789abcdef';
const REDIRECT_URI = 'http://127.0.0.1/cb';
const ACCOUNT = 'bench-user-1';

if (process.argv[3] === '--serve') {
  await serve();
} else {
  await measure();
}

// --- the provider's process ---------------------------------------------------------------
async function serve() {
  const { default: Provider } = await import(pathToFileURL(path.join(modules, 'oidc-provider/lib/index.js')));
  const { createMemoryAdapter } = await import(
    pathToFileURL(path.join(modules, 'oidc-provider/lib/adapters/memory_adapter.js')));
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'bench', use: 'sig', alg: 'RS256' };

  const server = http.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    adapter: createMemoryAdapter(15),
    jwks: { keys: [jwk] },
    cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
    clients: [{
      client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: [REDIRECT_URI],
      response_types: ['code'], grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    findAccount: (_ctx, sub) => (sub === ACCOUNT ? { accountId: sub, claims: () => ({ sub }) } : undefined),
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  });
  // Whatever the provider rejects answers the client (who counts it); nothing to log here.
  provider.on('server_error', (_ctx, err) => process.stderr.write(`server_error: ${err.stack}\n`));
  const app = provider.callback();

  server.on('request', async (req, res) => {
    if (!req.url.startsWith('/interaction/')) return app(req, res);
    try {
      const details = await provider.interactionDetails(req, res);
      const { params } = details;
      let grant = details.grantId ? await provider.Grant.find(details.grantId) : undefined;
      if (!grant) grant = new provider.Grant({ accountId: ACCOUNT, clientId: params.client_id });
      grant.addOIDCScope(params.scope);
      const grantId = await grant.save();
      await provider.interactionFinished(req, res, { login: { accountId: ACCOUNT }, consent: { grantId } },
        { mergeWithLastSubmission: false });
    } catch (err) {
      res.statusCode = 500;
      res.end(`interaction failed: ${err.message}`);
    }
  });
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
}

// --- the client's process -----------------------------------------------------------------
async function measure() {
  const seconds = Number(process.argv[3] ?? 5);
  const concurrency = Number(process.argv[4] ?? 16);
  if (!fs.existsSync(path.join(modules, 'oidc-provider/package.json')) || !(seconds > 0) || !(concurrency >= 1)) {
    console.error('usage: node oidc_provider.mjs NODE_MODULES_DIR [SECONDS] [CONCURRENCY]');
    process.exit(2);
  }
  const require = createRequire(path.join(modules, 'noop.js'));
  const { version } = require('oidc-provider/package.json');

  // The provider on the other core, when there is one.
  const self = new URL(import.meta.url).pathname;
  let cmd = [process.execPath, self, modules, '--serve'];
  const cpus = os.availableParallelism?.() ?? os.cpus().length;
  if (cpus >= 2 && spawnSync('taskset', ['-V']).status === 0) cmd = ['taskset', '-c', '1', ...cmd];
  const child = spawn(cmd[0], cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let childErr = '';
  child.stderr.on('data', (d) => { if (childErr.length < 4000) childErr += d; });
  const stop = () => { if (child.exitCode === null) child.kill(); };
  process.on('exit', stop);
  const issuer = await new Promise((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl >= 0) resolve(JSON.parse(buf.slice(0, nl)).issuer);
    });
    child.on('exit', (code) => reject(new Error(`the provider exited (${code}): ${childErr.trim()}`)));
    setTimeout(() => reject(new Error(`the provider did not start: ${childErr.trim()}`)), 20000).unref();
  });
  const base = new URL(issuer);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const basic = `Basic ${Buffer.from(`${encodeURIComponent(CLIENT_ID)}:${encodeURIComponent(CLIENT_SECRET)}`).toString('base64')}`;

  function request(method, target, { headers = {}, body } = {}) {
    return new Promise((resolve, reject) => {
      const req = http.request({ host: base.hostname, port: base.port, method, path: target, agent, headers },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode, headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        });
      req.on('error', reject);
      req.end(body);
    });
  }

  // A user agent's cookie jar: name → {value, path}; sent where the path matches.
  function takeCookies(jar, res) {
    for (const line of res.headers['set-cookie'] ?? []) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      let cpath = '/';
      let expired = false;
      for (const a of attrs) {
        const [k, v = ''] = a.split('=');
        const key = k.trim().toLowerCase();
        if (key === 'path') cpath = v.trim();
        if (key === 'expires' && Date.parse(v) <= Date.now()) expired = true;
        if (key === 'max-age' && Number(v) <= 0) expired = true;
      }
      if (expired || value === '') jar.delete(name); else jar.set(name, { value, path: cpath });
    }
  }
  function cookieHeader(jar, target) {
    const p = target.split('?')[0];
    const out = [];
    for (const [name, c] of jar) {
      if (p === c.path || p.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`)) out.push(`${name}=${c.value}`);
    }
    return out.join('; ');
  }
  function expectRedirect(res, step) {
    if (res.status !== 303 && res.status !== 302) {
      throw new Error(`${step}: HTTP ${res.status} ${res.body.slice(0, 120)}`);
    }
    return new URL(res.headers.location, issuer);
  }
  const payloadOf = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));

  async function login() {
    const jar = new Map();
    const state = crypto.randomBytes(12).toString('base64url');
    const nonce = crypto.randomBytes(12).toString('base64url');
    const q = new URLSearchParams({ response_type: 'code', client_id: CLIENT_ID, redirect_uri: REDIRECT_URI,
      scope: 'openid', state, nonce });
    // 1. authorization request
    let res = await request('GET', `/auth?${q}`);
    takeCookies(jar, res);
    let next = expectRedirect(res, '1 GET /auth');
    if (!next.pathname.startsWith('/interaction/')) throw new Error(`1 GET /auth: redirected to ${next.pathname}`);
    // 2. interaction: login + consent
    let target = next.pathname + next.search;
    res = await request('GET', target, { headers: { cookie: cookieHeader(jar, target) } });
    takeCookies(jar, res);
    next = expectRedirect(res, '2 GET /interaction');
    if (!next.pathname.startsWith('/auth/')) throw new Error(`2 GET /interaction: redirected to ${next.pathname}`);
    // 3. resume → redirect_uri with the code
    target = next.pathname + next.search;
    res = await request('GET', target, { headers: { cookie: cookieHeader(jar, target) } });
    takeCookies(jar, res);
    next = expectRedirect(res, '3 GET /auth/:uid');
    if (`${next.origin}${next.pathname}` !== REDIRECT_URI) {
      throw new Error(`3 GET /auth/:uid: redirected to ${next.origin}${next.pathname} ${next.searchParams.get('error') ?? ''}`);
    }
    const code = next.searchParams.get('code');
    if (!code || next.searchParams.get('state') !== state) throw new Error('3 GET /auth/:uid: no code or wrong state');
    // 4. token request
    const form = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI }).toString();
    res = await request('POST', '/token', { body: form, headers: { authorization: basic,
      'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(form) } });
    if (res.status !== 200) throw new Error(`4 POST /token: HTTP ${res.status} ${res.body.slice(0, 120)}`);
    const tokens = JSON.parse(res.body);
    if (tokens.token_type !== 'Bearer' || !tokens.access_token || !tokens.id_token) {
      throw new Error('4 POST /token: no Bearer access_token or no id_token');
    }
    const claims = payloadOf(tokens.id_token);
    if (claims.sub !== ACCOUNT || claims.nonce !== nonce || claims.aud !== CLIENT_ID) {
      throw new Error('4 POST /token: wrong sub, nonce or aud in the id_token');
    }
    // 5. userinfo
    res = await request('GET', '/me', { headers: { authorization: `Bearer ${tokens.access_token}` } });
    if (res.status !== 200) throw new Error(`5 GET /me: HTTP ${res.status} ${res.body.slice(0, 120)}`);
    if (JSON.parse(res.body).sub !== ACCOUNT) throw new Error('5 GET /me: wrong sub');
  }

  // The provider's CPU time (user + system), from /proc: the load on a shared machine steals
  // wall time, this shows what the logins cost the provider itself.
  const tick = 100; // USER_HZ, 100 on every Linux
  const serverCpu = () => {
    try {
      const stat = fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(f[11]) + Number(f[12])) / tick;
    } catch {
      return NaN;
    }
  };

  async function run(ms) {
    let ok = 0;
    let failed = 0;
    const errors = {};
    const end = Date.now() + ms;
    const worker = async () => {
      while (Date.now() < end) {
        try {
          await login();
          ok += 1;
        } catch (err) {
          failed += 1;
          const key = String(err.message).slice(0, 160);
          errors[key] = (errors[key] ?? 0) + 1;
        }
      }
    };
    const cpu0 = serverCpu();
    const client0 = process.cpuUsage();
    const start = process.hrtime.bigint();
    await Promise.all(Array.from({ length: concurrency }, worker));
    const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
    const c = process.cpuUsage(client0);
    return { ok, failed, errors, elapsed, serverCpu: serverCpu() - cpu0, clientCpu: (c.user + c.system) / 1e6 };
  }

  // The provider's stderr (e.g. its "Unsupported runtime" warning on Node 20) is shown only
  // when something failed; the runtime is in the JSON line.
  let failed = true;
  try {
    await login(); // throws if the flow does not work at all
    await run(1000);
    const r = await run(seconds * 1000);
    const out = { peer: 'oidc-provider', version, loginsPerSecond: Math.round(r.ok / r.elapsed),
      requestsPerLogin: 5, seconds: Number(r.elapsed.toFixed(2)), concurrency, logins: r.ok,
      failures: r.failed, node: process.version };
    if (r.serverCpu > 0) {
      Object.assign(out, { serverCpuSeconds: Number(r.serverCpu.toFixed(2)),
        loginsPerServerCpuSecond: Math.round(r.ok / r.serverCpu) });
    }
    out.clientCpuSeconds = Number(r.clientCpu.toFixed(2));
    if (r.failed) out.errors = r.errors;
    console.log(JSON.stringify(out));
    failed = r.failed > 0;
  } finally {
    agent.destroy();
    stop();
    if (failed && childErr.trim()) process.stderr.write(`oidc-provider (server): ${childErr.trim()}\n`);
  }
}
