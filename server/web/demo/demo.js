// Exempelkommun, the sample e-service's page (docs/demo.md). It talks only to its own
// server (/demo/api/*), which calls Tillit's /rp/v1/ API and draws the animated QR: the
// API key and the order's qrStartSecret never reach this page. Every POST carries
// X-Tillit-Demo: 1, which the server requires as a CSRF defence.
'use strict';

const POLL_MS = 1000;  // the QR code changes every second (docs/protocol.md §2)
const $ = (id) => document.getElementById(id);

const LEVELS = {
  1: '1 – uppgiven identitet',
  2: '2 – identitet från svensk myndighet',
  3: '3 – identitet styrkt med identitetshandling',
};

const ERRORS = {
  alreadyInProgress: 'Du har redan en pågående inloggning eller signering. Försök igen om en stund.',
  tooManyRequests: 'Tjänsten är upptagen just nu. Försök igen om en stund.',
  serviceUnavailable: 'Tjänsten är inte tillgänglig just nu. Försök igen senare.',
  invalidParameters: 'Uppgifterna kunde inte skickas. Kontrollera texten och försök igen.',
};

let pollTimer = null;
// Every action (login, sign, cancel, logout) starts a new generation, and an answer to a
// request of an older one is dropped: a poll still in flight when the resident pressed
// Avbryt would otherwise put the order back on screen, or after Logga ut the user.
let generation = 0;
let lastStart = null;   // {path, body} of the last login or signing, for "Försök igen"
let qrUrl = null;       // the object URL of the QR image now shown

class ApiError extends Error {
  constructor(status, code, details) {
    super(`${status} ${code}`);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

async function api(path, body) {
  const response = await fetch(`/demo/api/${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Tillit-Demo': '1' },
    body: JSON.stringify(body || {}),
    credentials: 'same-origin',
    cache: 'no-store',
  });
  let json = null;
  try { json = await response.json(); } catch (e) { json = null; }
  if (!response.ok) {
    throw new ApiError(response.status, json && json.errorCode, json && json.details);
  }
  return json;
}

function show(id, visible) { $(id).hidden = !visible; }

function showError(error) {
  const box = $('error');
  if (!error) { box.hidden = true; box.textContent = ''; return; }
  const code = error.code || 'network';
  box.dataset.errorCode = code;
  box.textContent = ERRORS[code] ||
    (code === 'network' ? 'Ingen kontakt med servern. Försök igen.'
      : `Något gick fel (${code}). Försök igen.`);
  box.hidden = false;
}

function setQr(svg) {
  if (!svg) {
    show('qr-box', false);
    if (qrUrl) { $('qr').removeAttribute('src'); URL.revokeObjectURL(qrUrl); qrUrl = null; }
    return;
  }
  const url = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
  const img = $('qr');
  const old = qrUrl;
  img.onload = () => { if (old) URL.revokeObjectURL(old); };
  img.src = url;
  qrUrl = url;
  show('qr-box', true);
}

function renderUser(user) {
  show('user', Boolean(user));
  if (!user) return;
  $('user-name').textContent = user.name || [user.givenName, user.surname].filter(Boolean).join(' ');
  $('user-identifier').textContent = user.identifierGrouped || user.identifier || '';
  $('user-identifier').dataset.identifier = user.identifier || '';
  $('user-level').textContent = LEVELS[user.assuranceLevel] || String(user.assuranceLevel || '');
  $('user-level').dataset.level = String(user.assuranceLevel || '');
  const pnr = user.personalNumber || '';
  $('user-pnr').textContent = pnr;
  show('user-pnr', Boolean(pnr));
  show('user-pnr-label', Boolean(pnr));
}

function renderSigned(signed) {
  show('signed', Boolean(signed));
  if (!signed) return;
  const who = signed.signer || {};
  const id = who.identifierGrouped || who.identifier || '';
  const when = signed.completedAt ? new Date(signed.completedAt).toLocaleString('sv-SE') : '';
  $('signed-by').textContent =
    `${who.name || 'Okänd'} (${id}) signerade följande text${when ? ` ${when}` : ''}:`;
  $('signed-text').textContent = signed.text || '';
}

// Draws the page for one answer of /demo/api/{login,sign,poll,cancel}.
function render(view) {
  show('loading', false);
  show('disabled', false);
  const inOrder = view.status === 'pending' || view.status === 'failed';
  show('order', inOrder);
  show('start', !inOrder && !view.user);
  show('sign-section', !inOrder);
  renderUser(inOrder ? null : view.user);
  renderSigned(inOrder ? null : view.signed);
  if (inOrder) {
    $('order-title').textContent =
      view.action === 'sign' ? 'Signera med Tillit' : 'Logga in med Tillit';
    const status = $('status');
    status.textContent = view.message || '';
    status.dataset.hintCode = view.hintCode || '';
    status.dataset.state = view.status;
    setQr(view.status === 'pending' ? view.qrSvg : null);
    show('retry', view.status === 'failed');
    $('cancel').textContent = view.status === 'failed' ? 'Tillbaka' : 'Avbryt';
  } else {
    setQr(null);
    // No order on screen: forget the last one's state, so nothing (a script or a test
    // waiting for a hint) can mistake it for the next order's.
    const status = $('status');
    status.textContent = '';
    status.dataset.hintCode = '';
    status.dataset.state = '';
  }
  clearTimeout(pollTimer);
  pollTimer = view.status === 'pending' ? setTimeout(poll, POLL_MS) : null;
}

async function poll() {
  const g = generation;
  try {
    const view = await api('poll');
    if (g !== generation) return;
    render(view);
    showError(null);
  } catch (e) {
    if (g !== generation) return;
    if (e.code === 'noSession') { render({ status: 'idle' }); return; }
    if (e.code === 'demoDisabled') { showDisabled(); return; }
    showError(e);
    // A network hiccup should not end the login: try again a little later.
    if (!e.code) pollTimer = setTimeout(poll, 2 * POLL_MS);
  }
}

function showDisabled() {
  clearTimeout(pollTimer);
  for (const id of ['loading', 'start', 'order', 'user', 'signed', 'sign-section']) show(id, false);
  show('disabled', true);
}

async function start(path, body) {
  lastStart = { path, body };
  showError(null);
  clearTimeout(pollTimer);
  const g = ++generation;
  try {
    const view = await api(path, body);
    if (g === generation) render(view);
  } catch (e) {
    if (g !== generation) return;
    if (e.code === 'demoDisabled') { showDisabled(); return; }
    showError(e);
  }
}

async function cancel() {
  clearTimeout(pollTimer);
  const g = ++generation;
  try {
    const view = await api('cancel');
    if (g === generation) render(view);
  } catch (e) {
    if (g !== generation) return;
    if (e.code === 'noSession') { render({ status: 'idle' }); return; }
    showError(e);
  }
}

async function logout() {
  clearTimeout(pollTimer);
  const g = ++generation;
  try {
    await api('logout');
    if (g === generation) render({ status: 'idle' });
  } catch (e) {
    if (g === generation) showError(e);
  }
}

document.addEventListener('DOMContentLoaded', () => {
  $('login').addEventListener('click', () => start('login', {}));
  $('retry').addEventListener('click', () => {
    if (lastStart) start(lastStart.path, lastStart.body); else start('login', {});
  });
  $('cancel').addEventListener('click', cancel);
  $('logout').addEventListener('click', logout);
  $('sign-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const text = $('sign-text').value;
    if (!text.trim()) {
      showError({ code: 'invalidParameters' });
      $('sign-text').focus();
      return;
    }
    start('sign', { text });
  });
  poll();
});
