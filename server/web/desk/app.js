// The officers' enrolment desk (docs/web.md). Plain ES module, no framework, no build.
//
// Secrets: the officer token goes to POST /desk/v1/session once and is dropped; the session
// lives in an HttpOnly cookie that this script cannot read. Every API call carries
// X-Tillit-Desk: 1 (the server's CSRF check for cookie requests). The activation code and
// its QR exist only in memory while the activation view is open, never in storage or a URL.
// sessionStorage holds the form draft, the current view and the language (docs/web.md
// explains why that is acceptable).
import { t, msg, setLang, lang, applyI18n, errorText } from './i18n.js';
import * as rules from './rules.js';

const DRAFT_KEY = 'tillit-desk-draft';
const VIEW_KEY = 'tillit-desk-view';
const LANG_KEY = 'tillit-desk-lang';

const $ = (id) => document.getElementById(id);

const state = {
  officer: null,        // {officerId, name, organisation, role}
  view: 'signin',
  enrolmentId: null,
  enrolment: null,      // last GET/POST answer
  submitted: null,      // the person as submitted, for the side-by-side comparison
  personId: null,
  issued: null,         // {identifier, activationCode, expiresAt, qrUrl}: memory only
  countdown: null,
  revokeArmed: false,
  touched: new Set(),   // fields the officer has left, so errors show only once relevant
  submittedOnce: false,
};

// ---------------------------------------------------------------------------------------
// API

class ApiError extends Error {
  constructor(status, code, details) {
    super(code);
    this.status = status;
    this.code = code;
    this.details = details || '';
  }
}

// One JSON call. `token` only for the sign-in. A 401 otherwise means the session has
// ended: back to the sign-in view (unless `quiet`, for the start-up probe).
async function api(method, path, body, { token, quiet = false } = {}) {
  const headers = { 'X-Tillit-Desk': '1', Accept: 'application/json' };
  if (token !== undefined) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin', cache: 'no-store', redirect: 'error',
    });
  } catch {
    throw new ApiError(0, 'networkError');
  }
  let data = null;
  if (response.status !== 204) data = await response.json().catch(() => null);
  if (!response.ok) {
    const err = new ApiError(response.status, (data && data.errorCode) || 'internalError',
      data && data.details);
    if (response.status === 401 && token === undefined && !quiet) signedOut(err);
    throw err;
  }
  return data;
}

// Answers can arrive out of order (a browser spreads requests over several connections):
// of the requests of one kind, only the newest may fill the page, or an officer who searched
// twice could see, and open, the first search's people under the second query.
// ticket(kind) marks a new request of that kind and returns "is it still the newest?".
const newest = {};
function ticket(kind) {
  const n = (newest[kind] || 0) + 1;
  newest[kind] = n;
  return () => newest[kind] === n;
}

// ---------------------------------------------------------------------------------------
// Messages

function showMessage(text, kind = 'error') {
  const el = $('message');
  el.className = `message${kind === 'info' ? ' info' : ''}`;
  el.textContent = text;
  el.hidden = !text;
  if (text && kind === 'error') el.focus();
}
function clearMessage() { showMessage(''); }
function showError(err) {
  if (!(err instanceof ApiError)) {
    showMessage(errorText('internalError'));
    console.error(err);
    return;
  }
  let text = errorText(err.code);
  // The server's details name the field (e.g. "evidence[0].expiry: ..."): useful to the
  // officer for invalidParameters; other codes' details add nothing.
  if (err.code === 'invalidParameters' && err.details) text += ` ${t('details', { d: err.details })}`;
  showMessage(text);
}
function status(text) { $('status').textContent = text; }

// ---------------------------------------------------------------------------------------
// Views and persistence

const VIEWS = ['signin', 'enrol', 'enrolment', 'issued', 'approvals', 'search', 'person'];

function saveView() {
  // Only ids and the submitted person: nothing secret (docs/web.md).
  sessionStorage.setItem(VIEW_KEY, JSON.stringify({
    view: state.view === 'issued' ? 'enrolment' : state.view,
    enrolmentId: state.enrolmentId,
    personId: state.personId,
    submitted: state.submitted,
    issuedGone: state.view === 'issued',
  }));
}

function show(view, { focus = true } = {}) {
  if (state.view === 'issued' && view !== 'issued') wipeIssued();
  state.view = view;
  for (const v of VIEWS) $(`view-${v}`).hidden = v !== view;
  for (const b of document.querySelectorAll('#nav button')) {
    const current = b.dataset.view === view ||
      (b.dataset.view === 'enrol' && (view === 'enrolment' || view === 'issued')) ||
      (b.dataset.view === 'search' && view === 'person');
    if (current) b.setAttribute('aria-current', 'page'); else b.removeAttribute('aria-current');
  }
  if (view !== 'signin') saveView();
  if (focus) {
    const h = document.querySelector(`#view-${view} h2`);
    h.tabIndex = -1;
    h.focus();
  }
}

function setSignedIn(officer) {
  state.officer = officer;
  $('who').textContent = t('signedInAs', officer);
  $('who').hidden = false;
  $('signout').hidden = false;
  $('nav').hidden = false;
}

function signedOut(err, { focus = true } = {}) {
  state.officer = null;
  wipeIssued();
  $('who').hidden = true;
  $('signout').hidden = true;
  $('nav').hidden = true;
  show('signin', { focus });
  if (err) showError(err);
}

// ---------------------------------------------------------------------------------------
// Sign in / out

async function signIn(event) {
  event.preventDefault();
  clearMessage();
  const input = $('token');
  const token = input.value.trim();
  // Dropped from the field at once; the local goes out of scope with this call.
  input.value = '';
  if (!token) {
    showMessage(t('api_unauthorized'));
    return;
  }
  try {
    const officer = await api('POST', '/desk/v1/session', {}, { token });
    setSignedIn(officer);
    await restoreView();
  } catch (err) {
    showError(err);
    input.focus();
  }
}

async function signOut() {
  try { await api('DELETE', '/desk/v1/session'); } catch { /* signed out either way */ }
  // Signing out hands the tab over: nothing of this officer's work stays behind. (An
  // expired session keeps the draft: the same officer signs in again and goes on.)
  sessionStorage.removeItem(VIEW_KEY);
  sessionStorage.removeItem(DRAFT_KEY);
  state.submitted = null;
  loadDraft();
  signedOut();
  showMessage(t('signedOut'), 'info');
}

// ---------------------------------------------------------------------------------------
// Enrolment form

function evidenceItem(list, value = {}) {
  const node = $('evidence-template').content.firstElementChild.cloneNode(true);
  const prefix = `${list.id}-${list.children.length}-${Math.random().toString(36).slice(2, 8)}`;
  for (const field of node.querySelectorAll('.field')) {
    const control = field.querySelector('[data-f]');
    const id = `${prefix}-${control.dataset.f}`;
    control.id = id;
    field.querySelector('label').htmlFor = id;
    const err = field.querySelector('.err');
    if (err) {
      err.id = `${id}-err`;
      control.setAttribute('aria-describedby', err.id);
    }
    control.value = value[control.dataset.f] ?? (control.tagName === 'SELECT' ? 'passport' : '');
  }
  node.querySelector('.remove').addEventListener('click', () => {
    if (list.children.length > 1) {
      const next = node.nextElementSibling || node.previousElementSibling;
      node.remove();
      renumber(list);
      next.querySelector('select').focus();
      onFormChange(list);
    }
  });
  list.append(node);
  applyI18n(node);
  renumber(list);
  return node;
}

function renumber(list) {
  [...list.children].forEach((item, i) => {
    item.querySelector('.n').textContent = String(i + 1);
    item.querySelector('.remove').hidden = list.children.length === 1;
  });
}

function readEvidence(list) {
  return [...list.children].map((item) => {
    const get = (f) => item.querySelector(`[data-f="${f}"]`).value;
    return { type: get('type'), number: get('number'), country: get('country'), expiry: get('expiry') };
  });
}

function readChecks(prefix) {
  return rules.CHECKS.filter((c) => $(`${prefix}${c}`).checked);
}

const PERSON_FIELDS = ['givenName', 'surname', 'originalName', 'birthDate', 'nationality',
  'samordningsnummer', 'caseNumber'];

function readPerson() {
  const p = {};
  for (const f of PERSON_FIELDS) p[f] = $(f).value;
  return p;
}

function setFieldError(control, errEl, result, visible) {
  const text = msg(result);
  control.setAttribute('aria-invalid', result && visible ? 'true' : 'false');
  errEl.textContent = visible ? text : '';
}

// Validates the whole enrolment form (or the replacement form: `list` and `checkPrefix`);
// shows errors for touched fields (all after a submit attempt). True if all is fine.
function validateEvidence(list, person) {
  let ok = true;
  const items = readEvidence(list);
  const seen = new Set();
  [...list.children].forEach((node, i) => {
    const item = items[i];
    const result = rules.checkEvidence(item);
    if (item.type === 'samordningsnummer-styrkt' && !result.number && person &&
        person.samordningsnummer.trim() &&
        item.number.replace(/\D/g, '').slice(-10) !== person.samordningsnummer.replace(/\D/g, '').slice(-10)) {
      result.number = 'errStyrktMismatch';
    }
    if (item.type === 'none' && items.length > 1) result.number = result.number || 'errNoneAlone';
    const key = `${item.type}|${rules.normaliseNumber(item.number)}|${rules.countryCode(item.country) || item.country}`;
    if (item.type !== 'none' && seen.has(key)) result.number = result.number || 'errDuplicateItem';
    seen.add(key);
    for (const f of ['number', 'country', 'expiry']) {
      const control = node.querySelector(`[data-f="${f}"]`);
      const visible = state.submittedOnce || state.touched.has(control.id) || (result[f] === 'errExpired');
      setFieldError(control, control.parentElement.querySelector('.err'), result[f], visible);
      if (result[f]) ok = false;
    }
  });
  return ok;
}

function validateEnrolForm() {
  const p = readPerson();
  const results = {
    givenName: rules.checkName(p.givenName, false),
    surname: rules.checkName(p.surname, true),
    originalName: rules.checkOriginalName(p.originalName),
    birthDate: rules.checkBirthDate(p.birthDate),
    nationality: rules.checkCountry(p.nationality),
    samordningsnummer: rules.checkSamordningsnummer(p.samordningsnummer),
    caseNumber: rules.checkCaseNumber(p.caseNumber),
  };
  let ok = true;
  for (const f of PERSON_FIELDS) {
    const visible = state.submittedOnce || state.touched.has(f);
    setFieldError($(f), $(`${f}-err`), results[f], visible);
    if (results[f]) ok = false;
  }
  if (!validateEvidence($('evidence-list'), p)) ok = false;
  updateLevel();
  return ok;
}

function updateLevel() {
  const { level, rule } = rules.deriveLevel(readEvidence($('evidence-list')), readChecks('check-'));
  $('level-preview').textContent = t('level', { n: level });
  $('level-note').textContent = rules.needsApproval(level) ? t('fourEyes') : t(`levelNote_${rule}`);
}

function saveDraft() {
  sessionStorage.setItem(DRAFT_KEY, JSON.stringify({
    person: readPerson(),
    evidence: readEvidence($('evidence-list')),
    checks: readChecks('check-'),
  }));
}

function loadDraft() {
  let draft = null;
  try { draft = JSON.parse(sessionStorage.getItem(DRAFT_KEY) || 'null'); } catch { draft = null; }
  const list = $('evidence-list');
  list.replaceChildren();
  for (const f of PERSON_FIELDS) $(f).value = (draft && draft.person && draft.person[f]) || '';
  const items = (draft && Array.isArray(draft.evidence) && draft.evidence.length) ? draft.evidence : [{}];
  for (const item of items) evidenceItem(list, item);
  for (const c of rules.CHECKS) $(`check-${c}`).checked = !!(draft && draft.checks && draft.checks.includes(c));
  state.touched.clear();
  state.submittedOnce = false;
  validateEnrolForm();
}

function onFormChange(target) {
  if (target && target.closest && target.closest('#enrol-form')) {
    validateEnrolForm();
    saveDraft();
  }
}

function enrolmentBody() {
  const p = readPerson();
  const person = {};
  for (const f of PERSON_FIELDS) {
    const v = p[f].trim();
    // givenName is required by the API but may be empty (a single name).
    if (v || f === 'givenName') person[f] = v;
  }
  return { person, evidence: evidenceBody($('evidence-list')), checks: readChecks('check-') };
}

function evidenceBody(list) {
  return readEvidence(list).map((e) => {
    const item = { type: e.type };
    for (const f of ['number', 'country', 'expiry']) if (e[f].trim()) item[f] = e[f].trim();
    return item;
  });
}

async function submitEnrolment(event) {
  event.preventDefault();
  clearMessage();
  state.submittedOnce = true;
  if (!validateEnrolForm()) {
    showMessage(t('formHasErrors'));
    const first = document.querySelector('#enrol-form [aria-invalid="true"]');
    if (first) first.focus();
    return;
  }
  const body = enrolmentBody();
  try {
    const created = await api('POST', '/desk/v1/enrolments', body);
    state.submitted = body.person;
    state.enrolmentId = created.enrolmentId;
    state.enrolment = created;
    // The record is on the server now; the draft has done its job.
    sessionStorage.removeItem(DRAFT_KEY);
    loadDraft();
    renderEnrolment();
    show('enrolment');
  } catch (err) {
    showError(err);
  }
}

// ---------------------------------------------------------------------------------------
// Enrolment result, duplicates, issue

function dl(rows) {
  const list = document.createElement('dl');
  for (const [label, value, cls] of rows) {
    const dt = document.createElement('dt');
    dt.textContent = label;
    const dd = document.createElement('dd');
    dd.textContent = value ?? '–';
    if (cls) dd.className = cls;
    list.append(dt, dd);
  }
  return list;
}

function renderEnrolment() {
  const e = state.enrolment;
  if (!e) return;
  $('e-id').textContent = e.enrolmentId;
  $('e-status').textContent = t(`st_${e.status}`);
  $('e-level').textContent = t('level', { n: e.assuranceLevel });
  const dups = e.possibleDuplicates || [];
  const unresolved = dups.filter((d) => !d.resolution || d.resolution === 'unresolved');
  let explain = '';
  if (e.status === 'ready') explain = t('explain_ready');
  else if (e.status === 'needs-approval') explain = unresolved.length ? t('explain_unresolved') : t('explain_needsApproval');
  else if (e.status === 'approved') explain = t('explain_approved', { who: e.approvedBy || '' });
  else if (e.status === 'duplicate') explain = t('explain_duplicate', { id: e.existingIdentifier || '' });
  else if (e.status === 'issued') explain = t('explain_issued', { id: e.identifier || '' });
  else if (e.status === 'rejected') explain = t('explain_rejected');
  $('e-explain').textContent = explain;
  $('e-issue').hidden = !(e.status === 'ready' || e.status === 'approved');

  const box = $('e-dup-list');
  box.replaceChildren();
  $('e-duplicates').hidden = dups.length === 0;
  $('resolve-different-form').hidden = unresolved.length === 0 || e.status !== 'needs-approval';
  // The record as the server keeps it (GET answers carry it), else as submitted.
  const mine = e.person || state.submitted || {};
  for (const d of dups) {
    const grid = document.createElement('div');
    grid.className = 'compare';
    const left = document.createElement('div');
    const right = document.createElement('div');
    const h1 = document.createElement('h4');
    h1.textContent = t('newRecord');
    const h2 = document.createElement('h4');
    h2.textContent = t('existingRecord', { id: d.identifier });
    const differs = (a, b) => ((a || '').trim().toLowerCase() !== (b || '').trim().toLowerCase() ? 'differs' : '');
    left.append(h1, dl([
      [t('lbl_givenName'), mine.givenName, differs(mine.givenName, d.givenName)],
      [t('lbl_surname'), mine.surname, differs(mine.surname, d.surname)],
      [t('lbl_birthDate'), mine.birthDate, differs(mine.birthDate, d.birthDate)],
      [t('lbl_nationality'), mine.nationality, differs((mine.nationality || '').toUpperCase(), d.nationality)],
    ]));
    right.append(h2, dl([
      [t('lbl_givenName'), d.givenName],
      [t('lbl_surname'), d.surname],
      [t('lbl_birthDate'), d.birthDate],
      [t('lbl_nationality'), d.nationality],
      [t('score'), `${Math.round((d.score || 0) * 100)} %`],
      [t('reasons'), (d.reasons || []).join(', ')],
      [t('resolution'), t(`res_${d.resolution || 'unresolved'}`)],
    ]));
    grid.append(left, right);
    if (e.status === 'needs-approval' && (!d.resolution || d.resolution === 'unresolved')) {
      const actions = document.createElement('div');
      actions.className = 'actions';
      const same = document.createElement('button');
      same.type = 'button';
      same.textContent = t('samePerson', { id: d.identifier });
      same.addEventListener('click', () => resolve({ resolution: 'same', identifier: d.identifier }));
      actions.append(same);
      grid.append(actions);
    }
    box.append(grid);
  }
}

async function loadEnrolment(id) {
  const e = await api('GET', `/desk/v1/enrolments/${encodeURIComponent(id)}`);
  state.enrolmentId = id;
  state.enrolment = e;
  renderEnrolment();
}

async function resolve(body) {
  clearMessage();
  try {
    await api('POST', `/desk/v1/enrolments/${encodeURIComponent(state.enrolmentId)}/resolve`, body);
    await loadEnrolment(state.enrolmentId);
    $('e-status').focus();
  } catch (err) {
    showError(err);
  }
}

async function issue() {
  clearMessage();
  try {
    const issued = await api('POST', `/desk/v1/enrolments/${encodeURIComponent(state.enrolmentId)}/issue`, {});
    showIssued(issued);
  } catch (err) {
    showError(err);
  }
}

// The activation view: the QR from the server's SVG through a blob: URL (CSP img-src
// blob:), the code in groups of four, a countdown to expiresAt.
function showIssued(issued) {
  wipeIssued();
  const qrUrl = issued.activationQrSvg
    ? URL.createObjectURL(new Blob([issued.activationQrSvg], { type: 'image/svg+xml' }))
    : '';
  state.issued = { identifier: issued.identifier, expiresAt: Date.parse(issued.expiresAt), qrUrl };
  state.personId = issued.identifier;
  $('i-identifier').textContent = issued.identifier;
  const img = $('i-qr');
  if (qrUrl) img.src = qrUrl; else img.removeAttribute('src');
  img.hidden = !qrUrl;
  const code = $('i-code');
  code.replaceChildren();
  const groups = issued.activationCode.split('-');
  groups.forEach((g, i) => {
    const span = document.createElement('span');
    span.textContent = g;
    code.append(span);
    if (i < groups.length - 1) code.append(' ');
  });
  // Read group by group by screen readers.
  code.setAttribute('aria-label', groups.map((g) => g.split('').join(' ')).join(', '));
  tick();
  state.countdown = setInterval(tick, 1000);
  show('issued');
}

function tick() {
  if (!state.issued) return;
  const left = Math.max(0, Math.floor((state.issued.expiresAt - Date.now()) / 1000));
  const el = $('i-countdown');
  if (left === 0) {
    el.textContent = t('codeExpiredNote');
    el.classList.add('expired');
    clearInterval(state.countdown);
    return;
  }
  el.classList.remove('expired');
  el.textContent = t('validFor', {
    mm: String(Math.floor(left / 60)).padStart(2, '0'),
    ss: String(left % 60).padStart(2, '0'),
  });
}

// Forgets the activation code and QR (leaving the view, signing out).
function wipeIssued() {
  if (state.countdown) clearInterval(state.countdown);
  state.countdown = null;
  if (state.issued && state.issued.qrUrl) URL.revokeObjectURL(state.issued.qrUrl);
  state.issued = null;
  $('i-qr').removeAttribute('src');
  $('i-code').replaceChildren();
  $('i-code').removeAttribute('aria-label');
  $('i-countdown').textContent = '';
}

// ---------------------------------------------------------------------------------------
// Approvals

async function loadApprovals() {
  clearMessage();
  status(t('loading'));
  const current = ticket('approvals');
  try {
    const data = await api('GET', '/desk/v1/enrolments?status=pendingApproval');
    if (!current()) return;
    const list = $('a-list');
    list.replaceChildren();
    $('a-empty').hidden = data.enrolments.length !== 0;
    for (const p of data.enrolments) {
      const li = document.createElement('li');
      li.dataset.enrolmentId = p.enrolmentId;
      const text = document.createElement('div');
      const name = document.createElement('strong');
      name.textContent = `${p.givenName} ${p.surname}`.trim();
      const meta = document.createElement('div');
      meta.className = 'meta';
      meta.textContent = t('pendingMeta', {
        birth: p.birthDate, level: p.assuranceLevel, by: p.createdBy,
        at: new Date(p.createdAt).toLocaleString(lang() === 'sv' ? 'sv-SE' : 'en-GB'),
      });
      text.append(name, meta);
      if (p.existingIdentifier) {
        const rep = document.createElement('div');
        rep.className = 'meta';
        rep.textContent = t('replacementOf', { id: p.existingIdentifier });
        text.append(rep);
      }
      const actions = document.createElement('div');
      actions.className = 'actions';
      const open = document.createElement('button');
      open.type = 'button';
      open.textContent = t('open');
      open.addEventListener('click', async () => {
        try {
          state.submitted = null;
          await loadEnrolment(p.enrolmentId);
          show('enrolment');
        } catch (err) { showError(err); }
      });
      const approve = document.createElement('button');
      approve.type = 'button';
      approve.className = 'primary';
      approve.textContent = t('approve');
      if (state.officer && p.createdBy === state.officer.officerId) {
        approve.disabled = true;
        approve.title = t('createdByYou');
        const note = document.createElement('div');
        note.className = 'meta';
        note.textContent = t('createdByYou');
        text.append(note);
      }
      approve.addEventListener('click', () => approveEnrolment(p.enrolmentId));
      actions.append(open, approve);
      li.append(text, actions);
      list.append(li);
    }
  } catch (err) {
    showError(err);
  } finally {
    status('');
  }
}

async function approveEnrolment(id) {
  clearMessage();
  try {
    await api('POST', `/desk/v1/enrolments/${encodeURIComponent(id)}/approve`, {});
    await loadApprovals();
    showMessage(t('approved'), 'info');
  } catch (err) {
    showError(err);
  }
}

// ---------------------------------------------------------------------------------------
// Search and person

async function search(event) {
  event.preventDefault();
  clearMessage();
  const query = $('query').value.trim();
  if (!query) { $('query').focus(); return; }
  const current = ticket('search');
  try {
    // A POST: personal data never goes in a URL (docs/desk-api.md).
    const data = await api('POST', '/desk/v1/search', { query });
    if (!current()) return;
    const list = $('s-list');
    list.replaceChildren();
    $('s-empty').hidden = data.results.length !== 0;
    for (const r of data.results) {
      const li = document.createElement('li');
      const text = document.createElement('div');
      const name = document.createElement('strong');
      name.textContent = `${r.givenName} ${r.surname}`.trim();
      const meta = document.createElement('div');
      meta.className = 'meta';
      meta.textContent = `${r.identifier} · ${r.birthDate} · ${r.nationality} · ${t(`ps_${r.status}`)}`;
      text.append(name, meta);
      const open = document.createElement('button');
      open.type = 'button';
      open.textContent = t('open');
      open.addEventListener('click', () => openPerson(r.identifier));
      li.append(text, open);
      list.append(li);
    }
  } catch (err) {
    if (current()) showError(err);
  }
}

async function openPerson(identifier) {
  clearMessage();
  const current = ticket('person');
  try {
    if (await loadPerson(identifier, current)) show('person');
  } catch (err) {
    if (current()) showError(err);
  }
}

function fmtTime(iso) {
  return new Date(iso).toLocaleString(lang() === 'sv' ? 'sv-SE' : 'en-GB');
}

// Fills the person view; false (and nothing changed) if `current` says a newer person
// request has been made meanwhile.
async function loadPerson(identifier, current = ticket('person')) {
  const p = await api('GET', `/desk/v1/persons/${encodeURIComponent(identifier)}`);
  if (!current()) return false;
  state.personId = p.identifier;
  state.revokeArmed = false;
  $('p-revoke').textContent = t('revoke');
  const facts = $('p-facts');
  facts.replaceChildren();
  const rows = [
    [t('identifier'), p.identifier],
    [t('lbl_givenName'), p.givenName],
    [t('lbl_surname'), p.surname],
    [t('lbl_originalName'), p.originalName],
    [t('lbl_birthDate'), p.birthDate],
    [t('lbl_nationality'), p.nationality],
    [t('lbl_samordningsnummer'), p.samordningsnummer],
    [t('lbl_caseNumber'), p.caseNumber],
    [t('lbl_personnummer'), p.personnummer],
    [t('levelLabel'), t('level', { n: p.assuranceLevel })],
    [t('statusLabel'), t(`ps_${p.status}`)],
  ];
  for (const [label, value] of rows) {
    if (value === undefined) continue;
    const dt = document.createElement('dt');
    dt.textContent = label;
    const dd = document.createElement('dd');
    dd.textContent = value;
    facts.append(dt, dd);
  }
  const body = $('p-creds');
  body.replaceChildren();
  for (const c of p.credentials) {
    const tr = document.createElement('tr');
    tr.dataset.serial = c.serial;
    for (const [text, cls] of [[c.serial, 'mono'], [t(`cs_${c.status}`), ''], [fmtTime(c.createdAt), ''], [fmtTime(c.notAfter), '']]) {
      const td = document.createElement('td');
      td.textContent = text;
      if (cls) td.className = cls;
      tr.append(td);
    }
    body.append(tr);
  }
  $('p-nocreds').hidden = p.credentials.length !== 0;
  const hist = $('p-history');
  hist.replaceChildren();
  for (const h of p.history || []) {
    const li = document.createElement('li');
    let text = `${fmtTime(h.at)}: ${t(`ev_${h.event}`)}`;
    if (h.actor) text += ` ${t('by', { who: h.actor })}`;
    if (h.reference) text += ` (${h.reference})`;
    if (h.detail) text += ` – ${h.detail}`;
    li.textContent = text;
    hist.append(li);
  }
  const list = $('r-evidence-list');
  if (list.children.length === 0) evidenceItem(list);
  return true;
}

async function personAction(action) {
  clearMessage();
  const reason = $('p-reason').value.trim();
  if (!reason) {
    $('p-reason').setAttribute('aria-invalid', 'true');
    showMessage(`${t('reason')}: ${t('errRequired')}`);
    $('p-reason').focus();
    return;
  }
  $('p-reason').setAttribute('aria-invalid', 'false');
  if (action === 'revoke' && !state.revokeArmed) {
    // Two steps for the one final action, without a modal dialog.
    state.revokeArmed = true;
    $('p-revoke').textContent = t('confirmRevoke');
    return;
  }
  try {
    const r = await api('POST', `/desk/v1/persons/${encodeURIComponent(state.personId)}/${action}`, { reason });
    $('p-reason').value = '';
    await loadPerson(state.personId);
    const n = r.suspendedCredentials ?? r.resumedCredentials ?? r.revokedCredentials ?? 0;
    showMessage(t(action === 'suspend' ? 'suspended' : action === 'resume' ? 'resumed' : 'revoked', { n }), 'info');
  } catch (err) {
    showError(err);
  }
}

async function linkPersonnummer(event) {
  event.preventDefault();
  clearMessage();
  const input = $('p-personnummer');
  const check = rules.checkPersonnummer(input.value);
  setFieldError(input, $('p-personnummer-err'), check, true);
  if (check) { input.focus(); return; }
  try {
    const r = await api('POST', `/desk/v1/persons/${encodeURIComponent(state.personId)}/link`,
      { personnummer: input.value.trim() });
    input.value = '';
    await loadPerson(state.personId);
    showMessage(t(r.alreadyLinked ? 'alreadyLinked' : 'linked'), 'info');
  } catch (err) {
    showError(err);
  }
}

async function replaceDevice(event) {
  event.preventDefault();
  clearMessage();
  state.submittedOnce = true;
  const ok = validateEvidence($('r-evidence-list'), null);
  state.submittedOnce = false;
  if (!ok) {
    showMessage(t('formHasErrors'));
    const first = document.querySelector('#p-replace-form [aria-invalid="true"]');
    if (first) first.focus();
    return;
  }
  await sendReplace({ evidence: evidenceBody($('r-evidence-list')), checks: readChecks('r-check-') });
}

async function completeReplace(event) {
  event.preventDefault();
  const id = $('r-enrolment').value.trim();
  if (!id) { $('r-enrolment').focus(); return; }
  await sendReplace({ enrolmentId: id });
}

async function sendReplace(body) {
  clearMessage();
  try {
    const r = await api('POST', `/desk/v1/persons/${encodeURIComponent(state.personId)}/replace`, body);
    if (r.activationCode) {
      $('r-enrolment').value = '';
      showIssued(r);
    } else {
      $('r-enrolment').value = r.enrolmentId;
      showMessage(t('replacementPending', { id: r.enrolmentId }), 'info');
    }
  } catch (err) {
    showError(err);
  }
}

// ---------------------------------------------------------------------------------------
// Start-up

async function restoreView() {
  let saved = null;
  try { saved = JSON.parse(sessionStorage.getItem(VIEW_KEY) || 'null'); } catch { saved = null; }
  state.submitted = (saved && saved.submitted) || null;
  try {
    if (saved && saved.view === 'enrolment' && saved.enrolmentId) {
      await loadEnrolment(saved.enrolmentId);
      show('enrolment');
      if (saved.issuedGone) showMessage(t('codeGoneAfterReload'), 'info');
      return;
    }
    if (saved && saved.view === 'person' && saved.personId) {
      if (await loadPerson(saved.personId)) show('person');
      return;
    }
    if (saved && saved.view === 'approvals') {
      show('approvals');
      await loadApprovals();
      return;
    }
    if (saved && saved.view === 'search') { show('search'); return; }
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return;
    showError(err);
  }
  show('enrol', { focus: false });
}

function relabel() {
  applyI18n();
  if (state.officer) $('who').textContent = t('signedInAs', state.officer);
  $('lang').textContent = lang() === 'sv' ? 'English' : 'Svenska';
  $('lang').lang = lang() === 'sv' ? 'en' : 'sv';
  updateLevel();
  validateEnrolForm();
  if (state.view === 'enrolment') renderEnrolment();
  if (state.view === 'issued') tick();
}

function wire() {
  $('signin-form').addEventListener('submit', signIn);
  $('signout').addEventListener('click', signOut);
  $('lang').addEventListener('click', () => {
    setLang(lang() === 'sv' ? 'en' : 'sv');
    sessionStorage.setItem(LANG_KEY, lang());
    relabel();
  });
  for (const b of document.querySelectorAll('#nav button')) {
    b.addEventListener('click', async () => {
      clearMessage();
      const view = b.dataset.view;
      show(view);
      if (view === 'approvals') await loadApprovals();
    });
  }
  const form = $('enrol-form');
  form.addEventListener('input', (e) => onFormChange(e.target));
  form.addEventListener('change', (e) => onFormChange(e.target));
  // Leaving a field shows its errors; only edits change the draft.
  form.addEventListener('focusout', (e) => {
    if (e.target.id) state.touched.add(e.target.id);
    validateEnrolForm();
  });
  form.addEventListener('submit', submitEnrolment);
  $('add-evidence').addEventListener('click', () => {
    const node = evidenceItem($('evidence-list'));
    node.querySelector('select').focus();
    onFormChange(form);
  });
  $('clear-form').addEventListener('click', () => {
    sessionStorage.removeItem(DRAFT_KEY);
    loadDraft();
    $('givenName').focus();
  });
  $('e-refresh').addEventListener('click', async () => {
    clearMessage();
    try { await loadEnrolment(state.enrolmentId); } catch (err) { showError(err); }
  });
  $('e-issue').addEventListener('click', issue);
  $('e-new').addEventListener('click', () => { state.enrolmentId = null; show('enrol'); });
  $('resolve-different-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const reason = $('different-reason').value.trim();
    if (!reason) { $('different-reason').focus(); showMessage(`${t('differentReason')}: ${t('errRequired')}`); return; }
    resolve({ resolution: 'different', reason });
  });
  $('i-done').addEventListener('click', () => { state.enrolmentId = null; show('enrol'); });
  $('i-person').addEventListener('click', () => openPerson(state.personId));
  $('a-refresh').addEventListener('click', loadApprovals);
  $('search-form').addEventListener('submit', search);
  $('p-suspend').addEventListener('click', () => personAction('suspend'));
  $('p-resume').addEventListener('click', () => personAction('resume'));
  $('p-revoke').addEventListener('click', () => personAction('revoke'));
  $('p-link-form').addEventListener('submit', linkPersonnummer);
  $('p-replace-form').addEventListener('submit', replaceDevice);
  $('p-replace-complete-form').addEventListener('submit', completeReplace);
  $('r-add-evidence').addEventListener('click', () => evidenceItem($('r-evidence-list')).querySelector('select').focus());
}

async function start() {
  setLang(sessionStorage.getItem(LANG_KEY) || 'sv');
  wire();
  loadDraft();
  relabel();
  // The HttpOnly cookie (if any) signs the officer back in after a reload.
  try {
    const officer = await api('GET', '/desk/v1/session', undefined, { quiet: true });
    setSignedIn(officer);
    await restoreView();
  } catch (err) {
    // An officer who signed in while this check was in flight stays signed in: the check
    // went out without the cookie the sign-in set, so its 401 is stale.
    if (state.officer) return;
    // The sign-in form is already showing: focus stays where the officer put it, or the
    // rest of a token she is typing would go to the heading and Enter would do nothing.
    signedOut(undefined, { focus: false });
    if (!(err instanceof ApiError) || err.status !== 401) showError(err);
  }
}

start();
