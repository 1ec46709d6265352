// The sample e-service (/demo/, docs/demo.md) in Chromium at 360 px, with a real resident:
// enrolled at the desk (tillit-desk), activated on a device (tillit-device), which then
// reads every QR code from a screenshot of the page (scan --image), so real pixels are
// tested. Scenarios: log in (the page shows the device's identifier), sign a Swedish and
// Arabic text (the page shows exactly that text), decline (cancelled message), a wrong PIN
// (the page waits: "enter your PIN"), an order left alone (expired after 30 s, the QR
// redrawn every second meanwhile), and the page of a server without --demo-rp.
// Throughout: no response the page receives carries the API key or any qrStartSecret, no
// log line carries the key or the session id, every input has a label, and nothing scrolls
// sideways at 360 px.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  Server, launchBrowser, shot, main, check, ok, run, outputDir, binDir,
} from './lib.mjs';

const out = outputDir('demo');
const server = new Server();
let browser = null;

const PIN = '482915';
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

// What the page was sent, for the secret checks at the end.
const bodies = [];        // {url, headers, body} of every response from the server
const qrTokens = new Set();
const qrTexts = [];       // every animated code, in order

async function status(page) {
  return page.locator('#status').evaluate((e) => ({ hint: e.dataset.hintCode, text: e.textContent }));
}

async function waitForHint(page, hint, timeout = 15000) {
  await page.waitForFunction((h) => document.getElementById('status').dataset.hintCode === h,
    hint, { timeout });
}

// Waits until the QR image shows a code, screenshots it and returns the PNG's path.
async function qrShot(page, name) {
  await page.waitForFunction(() => {
    const img = document.getElementById('qr');
    return !document.getElementById('qr-box').hidden && img.complete && img.naturalWidth > 0;
  }, null, { timeout: 10000 });
  return shot(page.locator('#qr'), out, name);
}

function device(home, args) {
  return JSON.parse(run('tillit-device', ['--home', home, ...args]));
}

async function noSidewaysScroll(page, where) {
  const { scroll, client } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth,
  }));
  check(scroll <= client, `no horizontal scroll at 360 px: ${where} (${scroll} <= ${client})`);
}

async function body() {
  // --- the issuer, an e-service account for the demo, and a resident with a device -------
  const officer = server.addOfficer('Anna Berg', 'officer');
  const rp = server.addRp('Exempelkommun');
  const rpFile = path.join(server.work, 'demo-rp.json');
  fs.writeFileSync(rpFile, JSON.stringify(rp), { mode: 0o600 });
  const url = await server.start(['--demo-rp', rpFile]);
  const desk = (...args) => run('tillit-desk', ['--server', url, '--token', officer.token, ...args]);
  const expiry = `${new Date().getUTCFullYear() + 3}-06-30`;
  const enrolment = JSON.parse(desk('enrol', '--given-name', 'Amal', '--surname', 'Hassan',
    '--birth-date', '1990-04-01', '--nationality', 'SYR',
    '--evidence', `passport:N1234567:SYR:${expiry}`, '--check', 'chip-read', '--check', 'face-to-photo'));
  const issued = JSON.parse(desk('issue', enrolment.enrolmentId));
  const home = path.join(server.work, 'dev1');
  run('tillit-device', ['--home', home, 'activate', '--server', url, '--code', issued.activationCode,
    '--pin', PIN]);
  const identifier = issued.identifier;
  check(/^[0-9A-Z]{12}$/.test(identifier), `set-up: a resident with an activated device (${identifier})`);

  // --- the browser ------------------------------------------------------------------------
  browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 360, height: 780 } });
  const page = await context.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content.Security.Policy|Refused to/i.test(m.text())) pageErrors.push(m.text());
  });
  page.on('response', async (response) => {
    // Both reads fail once the page or browser is closing; such a response is not kept
    // (an unhandled rejection here would crash the test after its checks have passed).
    let text = '';
    let headers = '';
    try {
      text = await response.text();
      headers = JSON.stringify(await response.allHeaders());
    } catch (e) { return; }
    bodies.push({ url: response.url(), headers, body: text });
    if (response.url().endsWith('/demo/api/poll') || /\/demo\/api\/(login|sign)$/.test(response.url())) {
      try {
        const json = JSON.parse(text);
        if (json.qrText) {
          qrTexts.push(json.qrText);
          qrTokens.add(json.qrText.split('.')[1]);
        }
      } catch (e) { /* an error body */ }
    }
  });

  const first = await page.goto(`${url}/demo/`);
  check(first.status() === 200, 'GET /demo/ answers 200');
  const csp = first.headers()['content-security-policy'] || '';
  check(csp.includes("default-src 'none'") && csp.includes("script-src 'self'"),
    'the page carries the strict Content-Security-Policy');
  await page.waitForSelector('#start:not([hidden])');
  check(await page.locator('#login').textContent() === 'Logga in med Tillit',
    'start page: a "Logga in med Tillit" button');
  const unlabelled = await page.evaluate(() => [...document.querySelectorAll('input, textarea, select')]
    .filter((e) => e.labels.length === 0 && !e.getAttribute('aria-label')).map((e) => e.id || e.name));
  check(unlabelled.length === 0, `every input has a label (${unlabelled.join(', ') || 'all labelled'})`);
  await noSidewaysScroll(page, 'start page');
  await shot(page, out, 'start');

  // --- 1. log in --------------------------------------------------------------------------
  await page.click('#login');
  await waitForHint(page, 'outstandingTransaction');
  let s = await status(page);
  check(s.text === 'Skanna QR-koden med Tillit-appen', 'login: "Skanna QR-koden med Tillit-appen"');
  await noSidewaysScroll(page, 'QR page');
  await shot(page, out, 'login-qr-page');
  let png = await qrShot(page, 'login-qr');
  let scanned = device(home, ['scan', '--image', png, '--pin', PIN, '--approve']);
  check(scanned.result === 'approved' && scanned.action === 'auth' && scanned.rp === 'Exempelkommun',
    'the device reads the QR from the screenshot and approves the login');
  await page.waitForSelector('#user:not([hidden])', { timeout: 10000 });
  const shownId = await page.locator('#user-identifier').getAttribute('data-identifier');
  const shownGrouped = await page.locator('#user-identifier').textContent();
  check(shownId === identifier && shownGrouped.replaceAll('-', '') === identifier,
    `logged in: the page shows the device's identifier (${shownGrouped})`);
  check(await page.locator('#user-name').textContent() === 'Amal Hassan', 'logged in: the name');
  check((await page.locator('#user-level').getAttribute('data-level')) === '3' &&
    (await page.locator('#user-level').textContent()).startsWith('3'), 'logged in: assurance level 3');
  await noSidewaysScroll(page, 'logged in');
  await shot(page, out, 'logged-in');

  // --- 2. sign a text (while logged in: only this person may sign) ----------------------
  const text = 'Jag godkänner bygglovsansökan för Storgatan 1. أوافق على الشروط. ✓';
  await page.fill('#sign-text', text);
  await page.click('#sign');
  await waitForHint(page, 'outstandingTransaction');
  check(await page.locator('#order-title').textContent() === 'Signera med Tillit', 'sign: the QR page');
  png = await qrShot(page, 'sign-qr');
  scanned = device(home, ['scan', '--image', png, '--pin', PIN, '--approve']);
  check(scanned.result === 'approved' && scanned.action === 'sign' && scanned.text === text,
    'the device shows the text byte for byte and signs');
  await page.waitForSelector('#signed:not([hidden])', { timeout: 10000 });
  check(await page.locator('#signed-text').textContent() === text, 'signed: the page shows the signed text');
  check((await page.locator('#signed-by').textContent()).includes(shownGrouped),
    'signed: the page says who signed');
  check(!(await page.locator('#user').isHidden()), 'signed: still logged in');
  await noSidewaysScroll(page, 'signed');
  await shot(page, out, 'signed');

  // --- 3. decline -------------------------------------------------------------------------
  await page.click('#logout');
  await page.waitForSelector('#start:not([hidden])');
  check(await page.locator('#user').isHidden(), 'logout: back to the start page');
  await page.click('#login');
  png = await qrShot(page, 'decline-qr');
  scanned = device(home, ['scan', '--image', png, '--decline']);
  check(scanned.result === 'declined', 'the device declines');
  await waitForHint(page, 'userCancel');
  s = await status(page);
  check(s.text === 'Inloggningen avbröts', 'declined: "Inloggningen avbröts"');
  check(!(await page.locator('#retry').isHidden()) && await page.locator('#qr-box').isHidden(),
    'declined: a try-again button, no QR');
  await shot(page, out, 'declined');

  // --- 4. scanned, wrong PIN: the order waits for the PIN --------------------------------
  await page.click('#retry');
  await waitForHint(page, 'outstandingTransaction');
  png = await qrShot(page, 'pin-qr');
  // The device prints its error as JSON on stdout and exits 1.
  const wrong = spawnSync(path.join(binDir, 'tillit-device'),
    ['--home', home, 'scan', '--image', png, '--pin', '000000', '--approve'],
    { encoding: 'utf8', env: { ...process.env, TILLIT_DEVICE_KDF: 'interactive' } });
  check(wrong.status === 1 && JSON.parse(wrong.stdout).errorCode === 'wrongPin',
    'the device refuses a wrong PIN');
  await waitForHint(page, 'userSign');
  s = await status(page);
  check(s.text === 'Skriv din PIN-kod i appen', 'scanned: "Skriv din PIN-kod i appen"');
  check(await page.locator('#qr-box').isHidden(), 'scanned: the QR is no longer shown');
  await shot(page, out, 'enter-pin');
  await page.click('#cancel');
  await page.waitForSelector('#start:not([hidden])');
  ok('cancel: back to the start page');

  // --- 4b. a poll still in flight when the resident cancels -------------------------------
  // Its answer (the order, pending) is held until the start page is back; it must not put
  // the order back on screen.
  await page.click('#login');
  await waitForHint(page, 'outstandingTransaction');
  let pollEntered;
  const pollHeld = new Promise((resolve) => { pollEntered = resolve; });
  let releasePoll;
  const pollRelease = new Promise((resolve) => { releasePoll = resolve; });
  let pollDelivered;
  const delivered = new Promise((resolve) => { pollDelivered = resolve; });
  let heldPolls = 0;
  await page.route('**/demo/api/poll', async (route) => {
    if (heldPolls++ > 0) return route.continue();
    const answer = await route.fetch();
    pollEntered();
    await pollRelease;
    await route.fulfill({ response: answer });
    pollDelivered();
  });
  await pollHeld;
  await page.click('#cancel');
  await page.waitForSelector('#start:not([hidden])');
  // Watched from before the release: without the fix the order came back only until the
  // next poll, so a single look afterwards could miss it.
  await page.evaluate(() => {
    window.orderCameBack = false;
    const order = document.getElementById('order');
    new MutationObserver(() => { if (!order.hidden) window.orderCameBack = true; })
      .observe(order, { attributes: true, attributeFilter: ['hidden'] });
  });
  releasePoll();
  await delivered;
  await page.waitForTimeout(1500);  // the late answer handled, and a poll it would schedule
  check(!(await page.evaluate(() => window.orderCameBack)) &&
    await page.locator('#start').isVisible() && await page.locator('#order').isHidden(),
    'a poll answered after cancel does not bring the order back');
  await page.unroute('**/demo/api/poll');

  // --- 5. an order left alone expires; its QR changes every second meanwhile -------------
  await page.click('#login');
  await waitForHint(page, 'outstandingTransaction');
  const before = qrTexts.length;
  await qrShot(page, 'expiring-qr');
  await waitForHint(page, 'expiredTransaction', 45000);
  s = await status(page);
  check(s.text === 'Tiden gick ut, försök igen', 'left alone: "Tiden gick ut, försök igen"');
  check(!(await page.locator('#retry').isHidden()), 'expired: a try-again button');
  await shot(page, out, 'expired');
  const codes = qrTexts.slice(before);
  const seconds = new Set(codes.map((q) => q.split('.')[2]));
  check(codes.length >= 20 && seconds.size >= 20,
    `the QR was redrawn every second (${codes.length} codes, ${seconds.size} distinct seconds)`);

  // --- secrets ----------------------------------------------------------------------------
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === 'tillit_demo');
  check(session && session.httpOnly && session.sameSite === 'Strict' && session.path === '/demo',
    'the session cookie is HttpOnly, SameSite=Strict, Path=/demo');
  check(pageErrors.length === 0, `no script errors or CSP violations (${pageErrors.join('; ')})`);
  check(bodies.length > 40, `responses recorded (${bodies.length})`);
  const leaks = bodies.filter((b) => b.body.includes(rp.apiKey) || b.headers.includes(rp.apiKey) ||
    /"(qrStartSecret|apiKey)"\s*:/.test(b.body));
  check(leaks.length === 0, 'no response the page got carries the API key');
  // A qrStartSecret is a UUID; the only UUIDs the page may see are the qrStartTokens inside
  // the codes it shows.
  const uuids = new Set(bodies.flatMap((b) => b.body.match(UUID) || []));
  const foreign = [...uuids].filter((u) => !qrTokens.has(u));
  check(qrTokens.size >= 5 && foreign.length === 0,
    `no response carries a qrStartSecret: every UUID sent is a qrStartToken (${foreign.join(', ')})`);
  const log = server.log;
  check(!log.includes(rp.apiKey) && !log.includes(session.value),
    'the server log has neither the API key nor the session id');

  // --- a server without --demo-rp -----------------------------------------------------------
  await server.stop();
  const url2 = await server.start();
  await page.goto(`${url2}/demo/`);
  await page.waitForSelector('#disabled:not([hidden])');
  check(await page.locator('#start').isHidden(), 'without --demo-rp the page says the demo is not enabled');
  await shot(page, out, 'disabled');
  const disabled = await page.evaluate(async () => {
    const r = await fetch('/demo/api/login', {
      method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Tillit-Demo': '1' }, body: '{}',
    });
    return { status: r.status, body: await r.json() };
  });
  check(disabled.status === 404 && disabled.body.errorCode === 'demoDisabled',
    'without --demo-rp /demo/api/login answers 404 demoDisabled');

  // A --demo-rp file that is not what add-rp prints stops serve with a usage error that
  // names the problem but not the key.
  await server.stop();
  const badFile = path.join(server.work, 'bad-rp.json');
  fs.writeFileSync(badFile, `{"rpId": "${rp.rpId}", "apiKey": "${rp.apiKey}"`, { mode: 0o600 });
  const bad = spawnSync(path.join(binDir, 'tillit-server'),
    ['serve', '--data', server.data, '--listen', '127.0.0.1:0', '--demo-rp', badFile],
    { encoding: 'utf8', timeout: 10000 });
  check(bad.status === 2 && bad.stderr.includes('--demo-rp') && bad.stderr.includes('not JSON') &&
    !bad.stderr.includes(rp.apiKey), 'serve --demo-rp with a broken file: exit 2, the key not shown');
}

main(body, async () => {
  if (browser) await browser.close();
  await server.stop();
  server.cleanup();
});
