// The officers' enrolment desk (/desk/, docs/web.md) in Chromium. Scenario: a bad token
// shows the error; officer A signs in (by keyboard), fills in a person whose evidence is
// level 1 (an unverified passport), reloads mid-form (the draft and the sign-in survive),
// submits; officer B, in another browser context, approves from the queue; A issues; the
// activation QR is read from a screenshot of the QR element by the real tillit-device
// (activate --image), and the person view then shows the active credential.
// Throughout: the officer token, session id and activation code are nowhere page script
// or a URL can see (localStorage, sessionStorage, location, document.cookie) nor in the
// server log; every form control has a label; nothing scrolls sideways at 360 px; every
// error code the server can send has a Swedish and an English message.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Server, launchBrowser, shot, main, check, run, outputDir,
} from './lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const source = path.resolve(here, '..', '..');
const out = outputDir('desk');
const server = new Server();
let browser = null;
const PIN = '482915';

// Expiry well after any day this test runs on (the server refuses expired documents).
const EXPIRY = `${new Date().getUTCFullYear() + 5}-01-31`;

async function noSidewaysScroll(page, where) {
  const { scroll, client } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth,
  }));
  check(scroll <= client, `no horizontal scroll at 360 px: ${where} (${scroll} <= ${client})`);
}

// Every input, select and textarea in the document (all views, hidden or not) has a
// <label> (or, for none here, an aria-label). Returns the ids of those without.
async function unlabelled(page) {
  return page.evaluate(() => [...document.querySelectorAll('input, select, textarea')]
    .filter((el) => el.type !== 'hidden')
    .filter((el) => !(el.labels && el.labels.length > 0 && el.labels[0].textContent.trim()))
    .filter((el) => !el.getAttribute('aria-label'))
    .map((el) => el.id || el.outerHTML.slice(0, 80)));
}

// What page script can see: storage, the URL and document.cookie, as one string.
async function scriptVisible(page) {
  return page.evaluate(() => {
    const dump = (s) => Object.keys(s).map((k) => `${k}=${s.getItem(k)}`).join('\n');
    return [dump(localStorage), dump(sessionStorage), location.href, document.cookie].join('\n');
  });
}

async function signIn(page, token) {
  // By keyboard only: focus the field, type, Enter.
  await page.focus('#token');
  await page.keyboard.type(token);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#who:not([hidden])');
}

async function body() {
  // Every code the server can answer with (the status table; any other code reaches the
  // client as internalError) minus the device's login/signing codes, plus the desk
  // session's csrfCheckFailed: each needs a message in both languages.
  const table = fs.readFileSync(path.join(source, 'server/api/src/json.cpp'), 'utf8');
  const serverCodes = [...table.matchAll(/\{"([a-zA-Z]+)", \d{3}\}/g)].map((m) => m[1])
    .filter((c) => !['qrInvalid', 'qrExpired', 'invalidSignature', 'certificateErr',
      'identifierMismatch', 'orderNotActive', 'alreadyInProgress'].includes(c));
  check(serverCodes.length >= 20, `read the server's error codes (${serverCodes.length})`);
  serverCodes.push('csrfCheckFailed');
  const i18n = fs.readFileSync(path.join(source, 'server/web/desk/i18n.js'), 'utf8');
  const [svPart, enPart] = i18n.split('const en = {');
  const missing = serverCodes.filter((c) => !svPart.includes(`api_${c}:`) || !enPart.includes(`api_${c}:`));
  check(missing.length === 0, `every error code has a Swedish and English message (${missing})`);

  const anna = server.addOfficer('Anna Lind', 'officer');
  const omar = server.addOfficer('Omar Berg', 'officer');
  const url = await server.start();
  browser = await launchBrowser();

  // --- A: a bad token, then sign in -----------------------------------------------------
  const ctxA = await browser.newContext({ viewport: { width: 1100, height: 1000 } });
  const a = await ctxA.newPage();
  const consoleErrors = [];
  a.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  a.on('pageerror', (e) => consoleErrors.push(String(e)));
  await a.goto(`${url}/desk/`);
  await a.waitForSelector('#view-signin:not([hidden])');
  check(await a.locator('h1').textContent() === 'Tillit – registreringsdisk', 'Swedish by default');
  await a.fill('#token', 'not-a-valid-token');
  await a.press('#token', 'Enter');
  await a.waitForSelector('#message:not([hidden])');
  const badMsg = await a.locator('#message').textContent();
  check(badMsg.includes('fel eller återkallad token'), `a bad token shows the error: "${badMsg}"`);
  check(await a.locator('#token').inputValue() === '', 'the token field is emptied');
  await shot(a, out, 'bad-token');

  await signIn(a, anna.token);
  check((await a.locator('#who').textContent()).includes('Anna Lind'), 'officer A is signed in');
  const cookies = await ctxA.cookies();
  const session = cookies.find((c) => c.name === 'tillit_desk');
  check(session && session.httpOnly && session.sameSite === 'Strict' && session.path === '/desk',
    'the session cookie is HttpOnly, SameSite=Strict, Path=/desk');
  check(session.value !== anna.token && session.value.length === 43, 'the cookie is a session id, not the token');
  let visible = await scriptVisible(a);
  check(!visible.includes(anna.token) && !visible.includes(session.value),
    'neither token nor session id in localStorage, sessionStorage, the URL or document.cookie');
  check(await a.evaluate(() => document.cookie) === '', 'document.cookie shows nothing');

  const none = await unlabelled(a);
  check(none.length === 0, `every form control has a label (${none.join(', ')})`);
  // Should the script ever fail, a native submit must not put the token (or personal data)
  // in a URL: no control has a name and no form uses GET.
  check(await a.evaluate(() => document.querySelectorAll('input[name], select[name], form:not([method="post"])').length) === 0,
    'no named controls and no GET forms');

  // --- A: the form, validation as you type, the derived level ----------------------------
  await a.fill('#givenName', 'Amal');
  await a.fill('#surname', 'Hassan');
  await a.fill('#birthDate', '1990-04-01');
  await a.fill('#nationality', 'ABC');
  await a.press('#nationality', 'Tab');
  check((await a.locator('#nationality-err').textContent()).includes('Okänd landskod'),
    'a bad country code is flagged as you type');
  check(await a.getAttribute('#nationality', 'aria-invalid') === 'true', 'the field is marked invalid');
  await a.fill('#nationality', 'syr');
  check(await a.locator('#nationality-err').textContent() === '', 'a good code clears the error');
  await a.fill('#birthDate', '2999-01-01');
  await a.press('#birthDate', 'Tab');
  check((await a.locator('#birthDate-err').textContent()).includes('framtiden'), 'a future birth date is flagged');
  await a.fill('#birthDate', '1990-04-01');

  const item = a.locator('#evidence-list .evidence-item').first();
  await item.locator('select[data-f="type"]').selectOption('passport');
  await item.locator('[data-f="number"]').fill('N 123-4567');
  await item.locator('[data-f="country"]').fill('SYR');
  await item.locator('[data-f="expiry"]').fill('2001-01-01');
  check((await item.locator('[data-f="expiry"] + .err').textContent()).includes('gått ut'),
    'an expired document is flagged at once');
  await item.locator('[data-f="expiry"]').fill(EXPIRY);
  await a.check('#check-chip-read');
  await a.check('#check-face-to-photo');
  check(await a.locator('#level-preview').textContent() === 'nivå 3', 'chip-read + face-to-photo on a passport: level 3');
  // Unverified passport: level 1, four-eyes (docs/assurance.md §Rules).
  await a.uncheck('#check-chip-read');
  check(await a.locator('#level-preview').textContent() === 'nivå 1', 'without chip or visual check: level 1');
  check((await a.locator('#level-note').textContent()).includes('andra handläggare'), 'four-eyes is announced');
  await shot(a, out, 'form-filled');

  // --- reload mid-form: the draft and the sign-in survive, the token does not ------------
  await a.reload();
  await a.waitForSelector('#who:not([hidden])');
  await a.waitForSelector('#view-enrol:not([hidden])');
  check(await a.inputValue('#givenName') === 'Amal' && await a.inputValue('#surname') === 'Hassan' &&
    await a.inputValue('#nationality') === 'syr', 'after a reload the draft is back');
  check(await a.locator('#evidence-list [data-f="number"]').first().inputValue() === 'N 123-4567',
    'after a reload the evidence is back');
  check(await a.isChecked('#check-face-to-photo') && !(await a.isChecked('#check-chip-read')),
    'after a reload the checks are back');
  check(await a.locator('#level-preview').textContent() === 'nivå 1', 'after a reload the level is shown again');
  visible = await scriptVisible(a);
  check(!visible.includes(anna.token), 'the token is still nowhere script can see after the reload');

  // --- submit: needs approval ------------------------------------------------------------
  await a.click('#enrol-form button[type="submit"]');
  await a.waitForSelector('#view-enrolment:not([hidden])');
  const enrolmentId = (await a.locator('#e-id').textContent()).trim();
  check(/^enr_[0-9a-f]{16}$/.test(enrolmentId), `enrolment created (${enrolmentId})`);
  check(await a.locator('#e-status').textContent() === 'Väntar på godkännande', 'status: needs approval');
  check(await a.locator('#e-issue').isHidden(), 'no issue button before approval');
  check(await a.evaluate(() => sessionStorage.getItem('tillit-desk-draft')) === null,
    'the draft is dropped once the server has the record');
  await shot(a, out, 'needs-approval');

  // A's own queue: the approve button is disabled for the creator.
  await a.click('#nav button[data-view="approvals"]');
  await a.waitForSelector(`#a-list li[data-enrolment-id="${enrolmentId}"]`);
  check(await a.locator(`#a-list li[data-enrolment-id="${enrolmentId}"] button.primary`).isDisabled(),
    'the creator cannot approve their own enrolment');

  // --- B approves in another browser context ----------------------------------------------
  const ctxB = await browser.newContext({ viewport: { width: 360, height: 800 } });
  const b = await ctxB.newPage();
  await b.goto(`${url}/desk/`);
  await signIn(b, omar.token);
  await noSidewaysScroll(b, 'enrolment form');
  await b.click('#nav button[data-view="approvals"]');
  const row = b.locator(`#a-list li[data-enrolment-id="${enrolmentId}"]`);
  await row.waitFor();
  check((await row.textContent()).includes('Amal Hassan'), 'the queue shows the person');
  await noSidewaysScroll(b, 'approvals');
  await shot(b, out, 'approvals-queue');
  await row.locator('button.primary').focus();
  await b.keyboard.press('Enter');
  await b.waitForSelector(`#a-list li[data-enrolment-id="${enrolmentId}"]`, { state: 'detached' });
  check(await b.locator('#message').textContent() === 'Godkänd.', 'B approved');

  // --- A refreshes the enrolment (reopened from the queue), then issues -----------------------
  await a.locator(`#a-list li[data-enrolment-id="${enrolmentId}"] button:not(.primary)`).click();
  await a.waitForSelector('#view-enrolment:not([hidden])');
  await a.click('#e-refresh');
  await a.waitForFunction(() => document.getElementById('e-status').textContent === 'Godkänd – klar att utfärda');
  check(await a.locator('#e-issue').isVisible(), 'A sees the approval and may issue');
  // The view survives a reload too (the cookie signs A back in, sessionStorage the view).
  await a.reload();
  await a.waitForSelector('#view-enrolment:not([hidden])');
  check(await a.locator('#e-id').textContent() === enrolmentId, 'after a reload the enrolment view is back');
  await a.click('#e-issue');
  await a.waitForSelector('#view-issued:not([hidden])');
  await a.waitForFunction(() => {
    const img = document.getElementById('i-qr');
    return img.complete && img.naturalWidth > 0;
  });
  const qrSrc = await a.getAttribute('#i-qr', 'src');
  check(qrSrc.startsWith('blob:'), 'the QR is shown through a blob: URL');
  const codeText = (await a.locator('#i-code').textContent()).trim();
  check(/^[0-9A-Z]{4} [0-9A-Z]{4} [0-9A-Z]{4} [0-9A-Z]{4}$/.test(codeText), `the code in groups (${codeText.length} chars)`);
  const countdown = await a.locator('#i-countdown').textContent();
  check(/^Koden gäller i 1[45]:\d\d$/.test(countdown), `a countdown to expiry (${countdown})`);
  const code = codeText.replace(/ /g, '');
  visible = await scriptVisible(a);
  check(!visible.includes(code) && !visible.includes(codeText.replace(/ /g, '-')),
    'the activation code is not in storage, the URL or cookies');
  const identifier = (await a.locator('#i-identifier').textContent()).trim();
  await shot(a, out, 'issued');
  const qrFile = await shot(a.locator('#i-qr'), out, 'activation-qr');

  // --- the device reads the QR from the screenshot ------------------------------------------
  const home = path.join(server.work, 'device');
  const activated = JSON.parse(run('tillit-device', ['--home', home, 'activate', '--image', qrFile, '--pin', PIN]));
  check(activated.identifier === identifier, `the device activated ${identifier} from the QR screenshot`);

  // --- the person view shows the credential -------------------------------------------------
  await a.click('#i-person');
  await a.waitForSelector('#view-person:not([hidden])');
  const credRow = a.locator(`#p-creds tr[data-serial="${activated.credentialSerial}"]`);
  await credRow.waitFor();
  check((await credRow.textContent()).includes('Giltig'), 'the person view shows the good credential');
  check(await a.locator('#i-code').textContent() === '' && await a.getAttribute('#i-qr', 'src') === null,
    'leaving the activation view wipes the code and QR');
  const history = await a.locator('#p-history').textContent();
  check(history.includes('E-legitimation aktiverad') && history.includes('Registrering godkänd'),
    'the history lists approval and activation');

  // --- suspend, resume, link, replace the device ---------------------------------------------
  await a.click('#p-suspend');
  check((await a.locator('#message').textContent()).includes('Skäl'), 'suspend without a reason is refused in the page');
  await a.fill('#p-reason', 'Telefonen borttappad');
  await a.click('#p-suspend');
  await a.waitForFunction(() => document.querySelector('#p-creds tr td:nth-child(2)').textContent === 'Spärrad');
  check((await a.locator('#message').textContent()).includes('1 e-legitimation'), 'suspended: the page says how many');
  await a.fill('#p-reason', 'Telefonen återfunnen');
  await a.click('#p-resume');
  await a.waitForFunction(() => document.querySelector('#p-creds tr td:nth-child(2)').textContent === 'Giltig');
  check(true, 'resumed: the credential is good again');
  await a.fill('#p-personnummer', '19811218-9875');
  await a.click('#p-link-form button[type="submit"]');
  check((await a.locator('#p-personnummer-err').textContent()).includes('Inte ett giltigt personnummer'),
    'a personnummer with a wrong check digit is flagged before sending');
  await a.fill('#p-personnummer', '19811218-9876');
  await a.click('#p-link-form button[type="submit"]');
  await a.waitForFunction(() => document.getElementById('message').textContent === 'Personnumret är kopplat.');
  check((await a.locator('#p-facts').textContent()).includes('198112189876'), 'the personnummer is linked');

  await a.locator('#p-replace summary').click();
  const rItem = a.locator('#r-evidence-list .evidence-item').first();
  await rItem.locator('[data-f="number"]').fill('N1234567');
  await rItem.locator('[data-f="country"]').fill('SYR');
  await rItem.locator('[data-f="expiry"]').fill(EXPIRY);
  await a.check('#r-check-chip-read');
  await a.check('#r-check-face-to-photo');
  await a.click('#p-replace-form button[type="submit"]');
  await a.waitForSelector('#view-issued:not([hidden])');
  await a.waitForFunction(() => {
    const img = document.getElementById('i-qr');
    return img.complete && img.naturalWidth > 0;
  });
  const qrFile2 = await shot(a.locator('#i-qr'), out, 'replacement-qr');
  const home2 = path.join(server.work, 'device2');
  const activated2 = JSON.parse(run('tillit-device', ['--home', home2, 'activate', '--image', qrFile2, '--pin', PIN]));
  check(activated2.identifier === identifier && activated2.credentialSerial !== activated.credentialSerial,
    'the replacement QR activates a new device for the same identifier');
  await a.click('#i-person');
  await a.waitForSelector(`#p-creds tr[data-serial="${activated2.credentialSerial}"]`);
  check((await a.locator(`#p-creds tr[data-serial="${activated2.credentialSerial}"]`).textContent()).includes('Giltig') &&
    (await a.locator(`#p-creds tr[data-serial="${activated.credentialSerial}"]`).textContent()).includes('Återkallad'),
    'after the replacement the new credential is good and the old one revoked');

  await a.setViewportSize({ width: 360, height: 800 });
  await noSidewaysScroll(a, 'person view');
  await shot(a, out, 'person-360');
  await a.click('#nav button[data-view="enrol"]');
  await noSidewaysScroll(a, 'enrolment form (A)');

  // --- B: the same person again, with another passport: a possible duplicate ---------------
  await b.click('#nav button[data-view="enrol"]');
  await b.fill('#givenName', 'Amal');
  await b.fill('#surname', 'Hasan');
  await b.fill('#birthDate', '1990-04-01');
  await b.fill('#nationality', 'SYR');
  const bItem = b.locator('#evidence-list .evidence-item').first();
  await bItem.locator('[data-f="number"]').fill('P9988776');
  await bItem.locator('[data-f="country"]').fill('SYR');
  await bItem.locator('[data-f="expiry"]').fill(EXPIRY);
  await b.check('#check-chip-read');
  await b.check('#check-face-to-photo');
  check(await b.locator('#level-preview').textContent() === 'nivå 3', 'B: level 3 evidence');
  await b.click('#enrol-form button[type="submit"]');
  await b.waitForSelector('#e-duplicates:not([hidden])');
  const compare = b.locator('#e-dup-list .compare').first();
  const compared = await compare.textContent();
  check(compared.includes('Hasan') && compared.includes('Hassan') && compared.includes(identifier),
    'the possible duplicate is shown side by side with the new record');
  check(await b.locator('#e-status').textContent() === 'Väntar på godkännande',
    'a possible duplicate needs resolving before anything else');
  await noSidewaysScroll(b, 'duplicate comparison');
  await shot(b, out, 'duplicate-360');
  await compare.locator('button').click();
  await b.waitForFunction(() => document.getElementById('e-status').textContent === 'Personen finns redan');
  check((await b.locator('#e-explain').textContent()).includes(identifier),
    'resolved as the same person: the enrolment names the existing identifier');
  check(await b.locator('#e-issue').isHidden(), 'no new identifier for a duplicate');

  // --- B: search by the linked personnummer (10-digit form), open the person ---------------
  await b.click('#nav button[data-view="search"]');
  await b.fill('#query', '811218-9876');
  await b.press('#query', 'Enter');
  const hit = b.locator('#s-list li').first();
  await hit.waitFor();
  check((await hit.textContent()).includes(identifier) && (await hit.textContent()).includes('Aktiv'),
    'search by personnummer finds the active person');
  await noSidewaysScroll(b, 'search results');
  await hit.locator('button').click();
  await b.waitForSelector('#view-person:not([hidden])');
  check((await b.locator('#p-facts').textContent()).includes(identifier), 'the person opens from the search');
  await noSidewaysScroll(b, 'person view (B)');

  // --- two searches whose answers cross: only the newer query's answer is shown ------------
  // The first answer (one hit) is held until the second (no hit) has been shown.
  await b.click('#nav button[data-view="search"]');
  let releaseFirst;
  const firstHeld = new Promise((resolve) => { releaseFirst = resolve; });
  let held = 0;
  let firstDelivered;
  const delivered = new Promise((resolve) => { firstDelivered = resolve; });
  await b.route('**/desk/v1/search', async (route) => {
    if (held++ > 0) return route.continue();
    const answer = await route.fetch();
    await firstHeld;
    await route.fulfill({ response: answer });
    firstDelivered();
  });
  await b.fill('#query', 'Hassan');
  await b.press('#query', 'Enter');
  await b.fill('#query', 'Ingen Sådan Person');
  await b.press('#query', 'Enter');
  await b.waitForSelector('#s-empty:not([hidden])');
  releaseFirst();
  await delivered;
  await b.waitForTimeout(500);  // the page handles the late answer
  check(await b.locator('#s-list li').count() === 0 && await b.locator('#s-empty').isVisible(),
    'a late answer to an earlier search does not replace the newer one');
  await b.unroute('**/desk/v1/search');

  // --- English --------------------------------------------------------------------------------
  await a.click('#lang');
  check(await a.locator('h1').textContent() === 'Tillit – enrolment desk', 'the English toggle works');
  check(await a.evaluate(() => document.documentElement.lang) === 'en', 'html lang follows');
  await noSidewaysScroll(a, 'enrolment form in English');

  // --- a sign-in that overtakes the page's own start-up session check ------------------------
  // The page asks GET /desk/v1/session as it loads, before there is a cookie. Its answer is
  // held back here until the officer has signed in (as a slow network would), and it is the
  // server's own answer to that cookie-less request: a 401 that must not sign her out.
  // heldStartupCheck(): a new page whose start-up check waits for release(); `answer`
  // resolves to the page's view of that answer.
  async function heldStartupCheck() {
    const context = await browser.newContext({ viewport: { width: 360, height: 800 } });
    const page = await context.newPage();
    let release;
    const held = new Promise((resolve) => { release = resolve; });
    await page.route('**/desk/v1/session', async (route) => {
      if (route.request().method() !== 'GET') return route.continue();
      const early = await fetch(`${url}/desk/v1/session`);  // no cookie, like the original
      const body = await early.text();
      await held;
      await route.fulfill({ status: early.status, headers: Object.fromEntries(early.headers), body });
    });
    const answer = page.waitForResponse((r) => r.url().endsWith('/desk/v1/session') &&
                                               r.request().method() === 'GET');
    await page.goto(`${url}/desk/`);
    return { context, page, release, answer };
  }
  const { context: ctxC, page: c, release: releaseCheck, answer: startupCheck } =
    await heldStartupCheck();
  await signIn(c, anna.token);
  releaseCheck();
  check((await startupCheck).status() === 401, 'the held start-up check answers 401');
  // Let the page handle that answer before looking (its handler runs after the body is read).
  await c.waitForTimeout(500);
  check(await c.locator('#who').isVisible(), 'a stale start-up 401 does not sign out an officer who signed in meanwhile');
  check(await c.locator('#view-signin').isHidden(), 'and the sign-in form stays closed');
  await ctxC.close();

  // --- the start-up check answering while the officer types her token -----------------------
  // Its 401 used to move the focus to the sign-in heading: the rest of the token went
  // nowhere and Enter did not submit. Held here until half the token is typed.
  const { context: ctxD, page: d, release: releaseTyping, answer: typingCheck } =
    await heldStartupCheck();
  await d.focus('#token');
  const half = Math.floor(anna.token.length / 2);
  await d.keyboard.type(anna.token.slice(0, half));
  releaseTyping();
  check((await typingCheck).status() === 401, 'the start-up check answers 401 while she types');
  await d.waitForTimeout(500);  // the page handles that answer
  check(await d.evaluate(() => document.activeElement && document.activeElement.id) === 'token',
    'the start-up 401 leaves the focus in the token field');
  await d.keyboard.type(anna.token.slice(half));
  await d.keyboard.press('Enter');
  const signedIn = await d.waitForSelector('#who:not([hidden])', { timeout: 10000 })
    .then(() => true, () => false);
  check(signedIn, 'the token typed across the start-up answer signs her in');
  await ctxD.close();

  // --- sign out: the cookie session ends ---------------------------------------------------------
  await a.click('#signout');
  await a.waitForSelector('#view-signin:not([hidden])');
  await a.reload();
  await a.waitForSelector('#view-signin:not([hidden])');
  check(await a.locator('#who').isHidden(), 'after sign-out a reload does not sign back in');

  // The 401s are the expected answers (the bad token, the start-up probe when signed out).
  const unexpected = consoleErrors.filter((e) => !e.includes('status of 401'));
  check(unexpected.length === 0, `no script errors (${unexpected.join(' | ')})`);
  await server.stop();
  for (const secret of [anna.token, omar.token, session.value, code]) {
    check(!server.log.includes(secret), 'no token, session id or activation code in the server log');
  }
}

await main(body, async () => {
  if (browser) await browser.close();
  await server.stop();
  server.cleanup();
});
