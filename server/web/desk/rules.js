// Client-side mirror of the server's input rules, for validation as the officer types.
// The server remains the authority: these only say early what it would refuse. Sources:
// docs/assurance.md §Input validation and §Evidence (enrolment/src/person.cpp, evidence.cpp,
// country.cpp), core/include/tillit/identifier/swedish.h for Swedish numbers, and
// docs/assurance.md §Rules (enrolment/src/assurance.cpp Decide) for the level.
//
// Every check returns null when the value is fine, else a message key (i18n.js) or
// [key, params].

// enrolment/src/country.cpp: ISO 3166-1 alpha-3 (249) plus the ICAO Doc 9303 additions.
const COUNTRIES = new Set(`
ABW AFG AGO AIA ALA ALB AND ARE ARG ARM ASM ATA ATF ATG AUS AUT AZE BDI BEL BEN BES BFA BGD BGR
BHR BHS BIH BLM BLR BLZ BMU BOL BRA BRB BRN BTN BVT BWA CAF CAN CCK CHE CHL CHN CIV CMR COD COG
COK COL COM CPV CRI CUB CUW CXR CYM CYP CZE DEU DJI DMA DNK DOM DZA ECU EGY ERI ESH ESP EST ETH
FIN FJI FLK FRA FRO FSM GAB GBR GEO GGY GHA GIB GIN GLP GMB GNB GNQ GRC GRD GRL GTM GUF GUM GUY
HKG HMD HND HRV HTI HUN IDN IMN IND IOT IRL IRN IRQ ISL ISR ITA JAM JEY JOR JPN KAZ KEN KGZ KHM
KIR KNA KOR KWT LAO LBN LBR LBY LCA LIE LKA LSO LTU LUX LVA MAC MAF MAR MCO MDA MDG MDV MEX MHL
MKD MLI MLT MMR MNE MNG MNP MOZ MRT MSR MTQ MUS MWI MYS MYT NAM NCL NER NFK NGA NIC NIU NLD NOR
NPL NRU NZL OMN PAK PAN PCN PER PHL PLW PNG POL PRI PRK PRT PRY PSE PYF QAT REU ROU RUS RWA SAU
SDN SEN SGP SGS SHN SJM SLB SLE SLV SMR SOM SPM SRB SSD STP SUR SVK SVN SWE SWZ SXM SYC SYR TCA
TCD TGO THA TJK TKL TKM TLS TON TTO TUN TUR TUV TWN TZA UGA UKR UMI URY USA UZB VAT VCT VEN VGB
VIR VNM VUT WLF WSM YEM ZAF ZMB ZWE EUE GBD GBN GBO GBP GBS RKS UNA UNK UNO XBA XCC XCE XCO XDC
XEC XES XIM XMP XOM XPO XXA XXB XXC XXX XXA XXB XXC XXX DEU
`.trim().split(/\s+/));
const HOLDER_STATUS = new Set(['XXA', 'XXB', 'XXC', 'XXX']);

export const EVIDENCE_TYPES = ['passport', 'national-id-card', 'residence-permit',
  'migrationsverket-decision', 'lma-card', 'samordningsnummer-styrkt', 'none'];
export const CHECKS = ['chip-read', 'visual-security-features', 'register-lookup', 'face-to-photo'];
// Evidence only a Swedish authority issues: the issuing country is SWE (empty = SWE).
const SWEDISH_AUTHORITY = new Set(['residence-permit', 'migrationsverket-decision', 'lma-card',
  'samordningsnummer-styrkt']);
// Expiry per type (docs/assurance.md §Evidence): required, forbidden or optional.
const EXPIRY_REQUIRED = new Set(['passport', 'national-id-card', 'residence-permit']);
const EXPIRY_FORBIDDEN = new Set(['migrationsverket-decision', 'samordningsnummer-styrkt', 'none']);

// Characters a stored name must not hold: C0, DEL, C1, line/paragraph separators, BOM and
// the bidi embedding/override/isolate controls (docs/assurance.md §Input validation).
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff\u202a-\u202e\u2066-\u2069]/u;
const LATIN_NAME = /^[\p{Script=Latin}\p{M} '\-\u2019\u02bc\u02bb]*$/u;

function trimSpaces(s) { return s.replace(/^[ \t\u00a0]+|[ \t\u00a0]+$/g, ''); }
function codePoints(s) { return [...s].length; }

export function today() {
  const d = new Date();
  return { y: d.getUTCFullYear(), m: d.getUTCMonth() + 1, d: d.getUTCDate() };
}
function cmp(a, b) { return (a.y - b.y) || (a.m - b.m) || (a.d - b.d); }
function daysIn(y, m) { return new Date(Date.UTC(y, m, 0)).getUTCDate(); }
function validDate(y, m, d) { return y >= 1 && m >= 1 && m <= 12 && d >= 1 && d <= daysIn(y, m); }
export function parseIsoDate(text) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return null;
  const v = { y: +m[1], m: +m[2], d: +m[3] };
  return validDate(v.y, v.m, v.d) ? v : null;
}

// givenName may be empty (a single name goes in the surname); surname may not.
export function checkName(value, required) {
  const v = trimSpaces(value).replace(/[ \u00a0]+/g, ' ');
  if (!v) return required ? 'errRequired' : null;
  if (codePoints(v) > 100) return ['errTooLong', { n: 100 }];
  if (!LATIN_NAME.test(v) || !/\p{L}/u.test(v)) return 'errLatinName';
  return null;
}

export function checkOriginalName(value) {
  const v = trimSpaces(value);
  if (!v) return null;
  if (codePoints(v) > 200) return ['errTooLong', { n: 200 }];
  if (CONTROL.test(v)) return 'errControl';
  return null;
}

export function checkBirthDate(value, now = today()) {
  const v = value.trim();
  if (!v) return 'errRequired';
  if (v === 'unknown') return null;
  let date;
  if (/^\d{4}$/.test(v)) {
    date = { y: +v, m: 1, d: 1 };
    if (date.y > now.y) return 'errFuture';
    if (date.y < now.y - 130) return 'errTooOld';
    return null;
  }
  date = parseIsoDate(v);
  if (!date) return 'errBirthDateFormat';
  if (cmp(date, now) > 0) return 'errFuture';
  if (cmp(date, { y: now.y - 130, m: now.m, d: now.d }) < 0) return 'errTooOld';
  return null;
}

// The canonical code, or null if not an ICAO 9303 code (case-insensitive, '<' dropped,
// Germany's D as DEU).
export function countryCode(value) {
  let v = value.trim().toUpperCase().replace(/</g, '');
  if (v === 'D') v = 'DEU';
  return COUNTRIES.has(v) ? v : null;
}
export function checkCountry(value) {
  if (!value.trim()) return 'errRequired';
  return countryCode(value) ? null : 'errCountry';
}

// A personnummer or samordningsnummer in any of Skatteverket's written forms
// (YYMMDD-NNNC, YYMMDD+NNNC, YYYYMMDDNNNC, YYYYMMDD-NNNC): its kind, or null if invalid.
export function swedishNumberKind(value, now = today()) {
  const v = value.trim();
  let m = /^(\d{2})(\d{2})(\d{2})([-+])(\d{4})$/.exec(v);
  let year;
  let mm;
  let dd;
  let last4;
  if (m) {
    const yy = +m[1];
    // The century: the latest year not after this one, a hundred more with '+'.
    year = Math.floor(now.y / 100) * 100 + yy;
    if (year > now.y) year -= 100;
    if (m[4] === '+') year -= 100;
    mm = +m[2]; dd = +m[3]; last4 = m[5];
  } else {
    m = /^(\d{4})(\d{2})(\d{2})-?(\d{4})$/.exec(v);
    if (!m) return null;
    year = +m[1]; mm = +m[2]; dd = +m[3]; last4 = m[4];
  }
  const digits = String(year % 100).padStart(2, '0') + String(mm).padStart(2, '0') +
    String(dd).padStart(2, '0') + last4;
  let sum = 0;
  for (let i = 0; i < 9; i += 1) {
    let x = (+digits[i]) * (i % 2 === 0 ? 2 : 1);
    if (x > 9) x -= 9;
    sum += x;
  }
  if ((10 - (sum % 10)) % 10 !== +digits[9]) return null;
  const kind = dd > 60 ? 'samordningsnummer' : 'personnummer';
  const day = dd > 60 ? dd - 60 : dd;
  if (!validDate(year, mm, day)) return null;
  return kind;
}
export function checkSamordningsnummer(value) {
  if (!value.trim()) return null;
  const kind = swedishNumberKind(value);
  if (kind === 'personnummer') return 'errIsPersonnummer';
  return kind ? null : 'errSamordningsnummer';
}
export function checkPersonnummer(value) {
  if (!value.trim()) return 'errRequired';
  const kind = swedishNumberKind(value);
  if (kind === 'samordningsnummer') return 'errIsSamordningsnummer';
  return kind ? null : 'errPersonnummer';
}

export function checkCaseNumber(value) {
  const v = value.trim();
  if (!v) return null;
  return /^\d{2}-?\d{6}$/.test(v) ? null : 'errCaseNumber';
}

// Upper case, spaces and hyphens removed: how the server compares document numbers.
export function normaliseNumber(value) { return value.replace(/[ -]/g, '').toUpperCase(); }

// One evidence item {type, number, country, expiry}: {number, country, expiry} messages.
export function checkEvidence(item, now = today()) {
  const out = { number: null, country: null, expiry: null };
  const number = item.number.trim();
  const country = item.country.trim();
  const expiry = item.expiry.trim();
  if (item.type === 'none') {
    if (number) out.number = 'errMustBeEmpty';
    if (country) out.country = 'errMustBeEmpty';
    if (expiry) out.expiry = 'errMustBeEmpty';
    return out;
  }
  if (!number) {
    out.number = 'errRequired';
  } else if (item.type === 'samordningsnummer-styrkt') {
    if (swedishNumberKind(number) !== 'samordningsnummer') out.number = 'errSamordningsnummer';
  } else if (item.type === 'lma-card') {
    if (!/^\d{2}-?\d{6}(\/\d{1,4})?$/.test(number)) out.number = 'errLmaNumber';
  } else if (!/^[A-Za-z0-9 -]*$/.test(number)) {
    out.number = 'errDocChars';
  } else {
    const n = normaliseNumber(number).length;
    if (n < 3 || n > 30) out.number = 'errDocLength';
  }
  if (SWEDISH_AUTHORITY.has(item.type)) {
    if (country && countryCode(country) !== 'SWE') out.country = 'errMustBeSwe';
  } else if (!country) {
    out.country = 'errRequired';
  } else {
    const code = countryCode(country);
    if (!code) out.country = 'errCountry';
    else if (HOLDER_STATUS.has(code)) out.country = 'errHolderStatus';
  }
  if (EXPIRY_FORBIDDEN.has(item.type)) {
    if (expiry) out.expiry = 'errMustBeEmpty';
  } else if (!expiry) {
    if (EXPIRY_REQUIRED.has(item.type)) out.expiry = 'errRequired';
  } else {
    const d = parseIsoDate(expiry);
    if (!d) out.expiry = 'errDateFormat';
    else if (cmp(d, now) < 0) out.expiry = 'errExpired';
  }
  return out;
}

// The assurance level the evidence and checks support: docs/assurance.md §Rules, as
// enrolment/src/assurance.cpp Decide computes it (highest matching row; 1 is the floor).
// Returns {level, rule}.
export function deriveLevel(evidence, checks) {
  const types = new Set(evidence.map((e) => e.type));
  const has = (c) => checks.includes(c);
  const face = has('face-to-photo');
  if ((types.has('passport') || types.has('national-id-card')) &&
      (has('chip-read') || has('visual-security-features')) && face) {
    return { level: 3, rule: 'identityDocumentVerified' };
  }
  if (types.has('residence-permit') && face) return { level: 2, rule: 'residencePermit' };
  if (types.has('lma-card') && has('register-lookup') && face) {
    return { level: 2, rule: 'lmaCardRegistered' };
  }
  if (types.has('samordningsnummer-styrkt') && face) {
    return { level: 2, rule: 'samordningsnummerStyrkt' };
  }
  return { level: 1, rule: 'baseline' };
}

// enrolment/ NeedsApproval(level, has_unresolved_possible_match): level 1 always needs a
// second officer (four-eyes); possible duplicates are only known after submitting.
export function needsApproval(level) { return level === 1; }
