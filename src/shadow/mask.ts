import { createHmac } from 'node:crypto';
import { type CountryCode, isSupportedCountry } from 'libphonenumber-js/max';
import { type PiiKind, redactPii } from '../ai/guardrails/pii.js';
import { SECRET_QUERY_PARAMS } from '../observability/logger.js';
import type { DiffRecord, Effect, FieldDiff, StoredSide } from './types.js';

/**
 * PII masking of diff records before they are stored (DESIGN.md §6).
 *
 * Values are replaced by keyed hashes, `‹pii:3f9a1c2b7d›` (HMAC-SHA256 with the deployment's key, 40 bits shown):
 * equal values stay equal and different values stay different, so QA still sees "same" / "different", while nobody
 * without the key can confirm a guess by hashing it. The hash is of the exact value: two spellings of one phone number
 * hash differently, as a strict comparator sees them (the `phone` comparator removes format-only differences before a
 * diff exists).
 *
 * What is masked, decided by field name (the last path segment, or any enclosing one; compared case-insensitively with
 * `_`, `-` and spaces removed, so `firstName`, `FIRST_NAME` and `first_name` are one name):
 * - PII fields (PII_NAMES, PII_SUFFIX, PERSON_NAME below): names, e-mails, phones, postal addresses and their parts, bank and card
 *   numbers, dates of birth, national ids, IP addresses, geo positions. The whole value is hashed; an object or array
 *   under such a name (`address: { street, city }`) is hashed leaf by leaf. Null and booleans stay (absence is not PII).
 * - Secret fields (passwords, tokens, API keys, cookies, signatures) become `[stripped]`: no hash, nothing to compare.
 * - Free-text fields (subject, description, body, text, message, comment, note, reply, content, …): the project's
 *   detector (src/ai/guardrails/pii.ts) finds e-mails, phones, card numbers (Luhn), IBANs (mod-97) and street addresses;
 *   each span becomes `‹email:…›`, `‹phone:…›`, … with the same hash a field holding that exact value would get.
 *   Address detection is best-effort (EN/DE street patterns, see pii.ts); other formats are masked in free text only
 *   through the dictionary below.
 * - Every other string: the precise detectors only (e-mail, IBAN, card, phone; addresses are too heuristic for ids and
 *   enum values).
 * - Everywhere: values a record carries in a PII field (and the words of its name fields) are also replaced wherever
 *   else they occur in the same record, case-insensitively: "Hi, ANNA SCHMIDT here" is masked because the record has
 *   `firstName: "Anna"`. The detector does not find names on its own; a name that appears only in free text, never in a
 *   name field of the same record, is not masked (known limit).
 * - Header names `authorization`, `cookie`, … and query parameters `token`, `password`, … (SECRET_QUERY_PARAMS from the
 *   access log plus a few) are stripped; PII-named query parameters (`email`, `phone`) are hashed.
 *
 * Limits keep the work bounded on odd input: depth 32, strings 32 KiB (the rest is dropped before detection, never
 * stored), 1000 array items or object keys. The masker never throws: a value it cannot handle becomes `[unmaskable]`.
 */
export interface Masker {
  /** A copy of the record with bodies, effect payloads, diff values, messages and the path masked. */
  maskRecord(r: DiffRecord): DiffRecord;
  /** Masks a JSON value; `path` (dotted, `[]`/`[n]` for indexes) says where it sits, e.g. `address.city`. */
  maskValue(value: unknown, path?: string): unknown;
  /** Secret headers stripped, PII-named ones hashed, others scanned; multi-valued headers joined with `, `. */
  maskHeaders(h: Readonly<Record<string, string | readonly string[] | number | undefined>>): Record<string, string>;
  /** A request path with secret query parameters stripped and PII in segments and parameters hashed. */
  maskPath(url: string): string;
  /** The keyed hash token of a value (`‹pii:…›`). */
  hash(s: string): string;
}

export interface MaskerOptions {
  /** HMAC key. Keep it secret and stable: a new key makes old and new hashes incomparable. */
  key: string | Buffer;
  /**
   * Free-text fields (subject, description, body, text, …): `hash` (default) stores a keyed hash and the length, so
   * equal texts still compare equal and nothing a detector could miss (a name, a foreign street) is kept; `redact`
   * keeps the text readable with detected PII and this record's known PII values replaced (best-effort: a name that
   * appears only in free text stays).
   */
  freeText?: 'hash' | 'redact';
  /** Default region for phone numbers without a country code in free text (ISO 3166-1, default DE). */
  region?: string;
}

const STRIPPED = '[stripped]';
const UNMASKABLE = '[unmaskable]';
const MAX_DEPTH = 32;
const MAX_STRING = 32_768;
const MAX_ITEMS = 1000;
const MAX_DICTIONARY = 256;
const MAX_MEMO = 5000;
const HASH_HEX = 10;

const norm = (name: string): string => name.toLowerCase().replace(/[\s_-]/g, '');

// biome-ignore format: one group per line
const PII_NAMES = new Set([
  'name', 'names', 'firstname', 'lastname', 'fullname', 'givenname', 'familyname', 'surname', 'middlename',
  'maidenname', 'displayname', 'nickname', 'username', 'login', 'realname',
  'email', 'emails', 'mail', 'emailaddr', 'emailaddress', 'recipient', 'recipients', 'replyto', 'cc', 'bcc',
  'phone', 'phones', 'phoneno', 'phonenumber', 'telephone', 'tel', 'mobile', 'mobileno', 'mobilephone', 'cell',
  'cellphone', 'fax', 'msisdn',
  'address', 'addresses', 'addr', 'street', 'streetaddress', 'streetname', 'housenumber', 'houseno', 'addressline1',
  'addressline2', 'line1', 'line2', 'city', 'town', 'zip', 'zipcd', 'zipcode', 'postcode', 'postalcode', 'plz',
  'iban', 'accountnumber', 'bankaccount', 'card', 'cardnumber', 'creditcard', 'cardno', 'pan',
  'dateofbirth', 'dob', 'birthdate', 'birthday', 'ssn', 'socialsecuritynumber', 'taxid', 'taxnumber', 'nationalid',
  'passport', 'passportnumber', 'idcardnumber', 'driverslicense',
  'ip', 'ipaddress', 'clientip', 'remoteip', 'xforwardedfor', 'xrealip', 'forwarded', 'trueclientip',
  'cfconnectingip', 'latitude', 'longitude', 'geo', 'geolocation',
]);
/** `requesterEmail`, `EMAIL_ADDR`, `billingAddress`, `contactPhoneNumber`, … */
const PII_SUFFIX =
  /(?:firstname|lastname|fullname|displayname|email|emailaddr|emailaddress|phone|phoneno|phonenumber|mobile|address|street|iban|cardnumber|dateofbirth|birthdate|zipcode|zipcd|postalcode|postcode)$/;
/** `customerName`, `authorName`, … but not `productName` or `fileName`. */
const PERSON_NAME =
  /^(?:customer|requester|requestor|author|contact|user|agent|owner|sender|recipient|person|holder|accountholder|cardholder|assignee|submitter|caller|member|employee|client|buyer|shipping|billing|delivery)name$/;

// biome-ignore format: one group per line
const SECRET_NAMES = new Set([
  'password', 'passwd', 'pwd', 'secret', 'clientsecret', 'token', 'accesstoken', 'refreshtoken', 'idtoken', 'apikey',
  'apitoken', 'authorization', 'proxyauthorization', 'cookie', 'setcookie', 'xapikey', 'xauthtoken', 'session',
  'sessionid', 'signature', 'sig', 'privatekey', 'cvv', 'cvc', 'pin', 'otp',
]);
const SECRET_SUFFIX = /(?:password|secret|token|apikey|signature)$/;

// biome-ignore format: one group per line
const TEXT_NAMES = new Set([
  'subject', 'description', 'body', 'text', 'message', 'messages', 'comment', 'comments', 'note', 'notes', 'reply',
  'content', 'summary', 'title', 'html', 'snippet', 'reason', 'details', 'remarks', 'transcript', 'question', 'answer',
  'feedback', 'instructions', 'error', 'detail',
]);
const TEXT_SUFFIX = /(?:subject|description|body|text|message|comment|note|reply|content)$/;

/** Query parameters stripped on top of the access log's list (which also names `email` and `phone`, hashed here). */
const STRIP_QUERY = new Set([...SECRET_QUERY_PARAMS, 'key', 'signature', 'sig', 'client_secret', 'refresh_token']);

/** `inner`: a field inside a free-text container that is not free text itself (a message's id, type, timestamp). */
type Mode = 'pii' | 'secret' | 'text' | 'inner' | 'plain';

function classify(name: string): Mode {
  const n = norm(name);
  if (n === '') return 'plain';
  if (SECRET_NAMES.has(n) || SECRET_SUFFIX.test(n)) return 'secret';
  if (PII_NAMES.has(n) || PII_SUFFIX.test(n) || PERSON_NAME.test(n)) return 'pii';
  if (TEXT_NAMES.has(n) || TEXT_SUFFIX.test(n)) return 'text';
  return 'plain';
}

/**
 * Secret and PII dominate what encloses them. Inside a free-text container (`messages: [{ id, content: { text } }]`)
 * a field that is not free text itself is `inner`: scanned like free text, but never hashed whole, so ids, types and
 * timestamps of structured messages stay readable.
 */
function descend(outer: Mode, key: string): Mode {
  if (outer === 'pii' || outer === 'secret') return outer;
  const own = classify(key);
  return own === 'plain' && (outer === 'text' || outer === 'inner') ? 'inner' : own;
}

/** Mode for a diff path: every segment counts (`address.country` is inside an address). */
function modeOfPath(path: string | undefined): Mode {
  if (!path) return 'plain';
  let mode: Mode = 'plain';
  for (const seg of path.replace(/\[[^\]]*\]/g, '.').split('.')) {
    if (seg !== '') mode = descend(mode, seg.replace(/^\$/, ''));
  }
  return mode;
}

const PRECISE: readonly PiiKind[] = ['email', 'iban', 'card', 'phone'];
const ALL_KINDS: readonly PiiKind[] = ['email', 'iban', 'card', 'phone', 'address'];
const PLACEHOLDER = /\[(EMAIL|PHONE|CARD|IBAN|ADDRESS)_\d{1,6}\]/g;
/** E-mails need an @; phones, cards and IBANs several digits: ids, enums and short words skip the detectors. */
const MAY_HOLD_PRECISE = /@|(?:\d\D*){7}/;
/** Addresses need a house number or postcode. */
const MAY_HOLD_ANY = /[\d@]/;
/** Shapes that carry digits but never PII: ISO timestamps, UUIDs, plain decimals. */
const NEVER_PII =
  /^(?:\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|-?\d{1,6}(?:\.\d+)?)$/i;

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** Values known to be PII in one record, found again anywhere else in it. */
interface Dictionary {
  re: RegExp | null;
  tokens: Map<string, string>;
  /** Masked strings of this call: legacy and candidate bodies mostly repeat each other, the detectors are not free. */
  memo: Map<string, string> | null;
}

export function createMasker(opts: MaskerOptions): Masker {
  const key = opts.key;
  const hashText = (opts.freeText ?? 'hash') === 'hash';
  const region = (opts.region ?? 'DE').toUpperCase();
  const countries: CountryCode[] = ['DE', 'AT', 'CH', 'GB', 'US'];
  if (isSupportedCountry(region)) countries.unshift(region);
  const phoneCountries = [...new Set(countries)];

  const digest = (s: string): string => createHmac('sha256', key).update(s).digest('hex').slice(0, HASH_HEX);
  const hash = (s: string): string => `‹pii:${digest(s)}›`;

  function clip(s: string): string {
    return s.length > MAX_STRING ? `${s.slice(0, MAX_STRING)}…[${s.length - MAX_STRING} chars dropped]` : s;
  }

  function maskText(input: string, kinds: readonly PiiKind[], dict: Dictionary): string {
    const memoKey = dict.memo ? `${kinds.length}\u0000${input}` : '';
    const known = dict.memo?.get(memoKey);
    if (known !== undefined) return known;
    const out = maskTextOnce(input, kinds, dict);
    if (dict.memo && dict.memo.size < MAX_MEMO) dict.memo.set(memoKey, out);
    return out;
  }

  function maskTextOnce(input: string, kinds: readonly PiiKind[], dict: Dictionary): string {
    let s = clip(input);
    const detect = (kinds.includes('address') ? MAY_HOLD_ANY : MAY_HOLD_PRECISE).test(s) && !NEVER_PII.test(s);
    const r = detect ? redactPii(s, { kinds, phoneCountries }) : null;
    if (r && r.found.length > 0) s = r.text;
    if (dict.re) {
      s = s.replace(dict.re, (m: string) => dict.tokens.get(m.toLowerCase()) ?? hash(m));
    }
    if (r && r.found.length > 0) {
      s = s.replace(PLACEHOLDER, (token: string, label: string) => {
        const original = r.placeholders.get(token);
        return original === undefined ? token : `‹${label.toLowerCase()}:${digest(original)}›`;
      });
    }
    return s;
  }

  /** A JSON scalar for a scalar-like value; undefined for containers. */
  function leaf(value: unknown): string | number | boolean | null | undefined {
    if (value === null || typeof value === 'boolean') return value;
    if (typeof value === 'number') return Number.isFinite(value) ? value : null;
    if (typeof value === 'string') return value;
    if (typeof value === 'bigint') return value.toString();
    if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
    if (Buffer.isBuffer(value) || value instanceof Uint8Array) return `[binary ${value.byteLength} bytes]`;
    return undefined;
  }

  function walk(value: unknown, mode: Mode, dict: Dictionary, depth: number): unknown {
    if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return undefined;
    const v = leaf(value);
    if (v === null) return null;
    if (v !== undefined) {
      if (mode === 'secret') return STRIPPED;
      if (typeof v === 'boolean') return v;
      if (mode === 'pii') return hash(clip(String(v)));
      if (typeof v === 'number') return v;
      if (mode === 'text' && hashText) return `‹text:${digest(v)} ${v.length} chars›`;
      return maskText(v, mode === 'text' || mode === 'inner' ? ALL_KINDS : PRECISE, dict);
    }
    if (mode === 'secret') return STRIPPED;
    if (depth >= MAX_DEPTH) return '[truncated: depth]';
    if (Array.isArray(value)) {
      const out = value.slice(0, MAX_ITEMS).map((x) => walk(x, mode, dict, depth + 1) ?? null);
      if (value.length > MAX_ITEMS) out.push(`[${value.length - MAX_ITEMS} items dropped]`);
      return out;
    }
    if (typeof value !== 'object' || value === null) return UNMASKABLE;
    const out: Record<string, unknown> = {};
    let n = 0;
    for (const [k, x] of Object.entries(value)) {
      if (n++ >= MAX_ITEMS) {
        out.$truncated = `${Object.keys(value).length - MAX_ITEMS} keys dropped`;
        break;
      }
      const masked = walk(x, descend(mode, k), dict, depth + 1);
      if (masked !== undefined) out[maskKey(k)] = masked;
    }
    return out;
  }

  function maskKey(k: string): string {
    return MAY_HOLD_PRECISE.test(k) ? maskText(k, ['email', 'iban', 'card'], EMPTY) : k;
  }

  /** Collects the PII-field values of a value (first pass), so they can be found again in free text. */
  function collect(value: unknown, mode: Mode, into: Set<string>, names: Set<string>, depth: number, key = ''): void {
    if (into.size >= MAX_DICTIONARY || depth >= MAX_DEPTH) return;
    if (typeof value === 'string' || typeof value === 'number') {
      if (mode !== 'pii') return;
      const s = clip(String(value)).trim();
      if (s.length >= 3) into.add(s);
      if (typeof value === 'string' && /name$/.test(norm(key))) {
        for (const word of s.split(/[\s,]+/)) if (word.length >= 3) names.add(word);
      }
      return;
    }
    if (value === null || typeof value !== 'object' || leaf(value) !== undefined) return;
    if (Array.isArray(value)) {
      for (const x of value.slice(0, MAX_ITEMS)) collect(x, mode, into, names, depth + 1, key);
      return;
    }
    let n = 0;
    for (const [k, x] of Object.entries(value)) {
      if (n++ >= MAX_ITEMS) break;
      collect(x, descend(mode, k), into, names, depth + 1, mode === 'pii' && key !== '' ? key : k);
    }
  }

  function dictionary(parts: Array<[value: unknown, mode: Mode, key: string]>): Dictionary {
    const values = new Set<string>();
    const names = new Set<string>();
    for (const [v, m, k] of parts) collect(v, m, values, names, 0, k);
    for (const w of names) values.add(w);
    if (values.size === 0) return { re: null, tokens: new Map(), memo: new Map() };
    const tokens = new Map<string, string>();
    for (const v of values) if (!tokens.has(v.toLowerCase())) tokens.set(v.toLowerCase(), hash(v));
    const alternatives = [...values].sort((a, b) => b.length - a.length).map(escapeRe);
    const re = new RegExp(`(?<![\\p{L}\\p{N}])(?:${alternatives.join('|')})(?![\\p{L}\\p{N}])`, 'giu');
    return { re, tokens, memo: new Map() };
  }

  function safe<T>(fn: () => T, fallback: T | (() => T)): T {
    try {
      return fn();
    } catch {
      return typeof fallback === 'function' ? (fallback as () => T)() : fallback;
    }
  }

  function maskValue(value: unknown, path?: string): unknown {
    return safe(() => {
      const mode = modeOfPath(path);
      return walk(value, mode, dictionary([[value, mode, lastSegment(path)]]), 0);
    }, UNMASKABLE);
  }

  function maskPath(url: string): string {
    return safe(() => {
      const s = String(url);
      const q = s.indexOf('?');
      const pathPart = (q === -1 ? s : s.slice(0, q))
        .split('/')
        .map((seg) => {
          const decoded = decodeSafe(seg);
          const masked = maskText(decoded, PRECISE, EMPTY);
          return masked === decoded ? seg : masked;
        })
        .join('/');
      if (q === -1) return pathPart;
      const params = s
        .slice(q + 1)
        .split('&')
        .map((p) => {
          const eq = p.indexOf('=');
          const rawName = eq === -1 ? p : p.slice(0, eq);
          const name = decodeSafe(rawName).toLowerCase();
          if (eq === -1) return p;
          const mode = classify(name);
          if (mode === 'pii') return `${rawName}=${hash(decodeSafe(p.slice(eq + 1).replace(/\+/g, ' ')))}`;
          if (STRIP_QUERY.has(name) || mode === 'secret') return `${rawName}=${STRIPPED}`;
          const value = decodeSafe(p.slice(eq + 1).replace(/\+/g, ' '));
          const masked = maskText(value, PRECISE, EMPTY);
          return masked === value ? p : `${rawName}=${masked}`;
        });
      return `${pathPart}?${params.join('&')}`;
    }, UNMASKABLE);
  }

  function maskHeaders(h: Readonly<Record<string, string | readonly string[] | number | undefined>>) {
    const out: Record<string, string> = {};
    for (const [name, raw] of Object.entries(h ?? {})) {
      if (raw === undefined) continue;
      const value = Array.isArray(raw) ? raw.join(', ') : String(raw);
      const mode = classify(name);
      out[name] = safe(
        () => (mode === 'secret' ? STRIPPED : mode === 'pii' ? hash(clip(value)) : maskText(value, PRECISE, EMPTY)),
        UNMASKABLE,
      );
    }
    return out;
  }

  function maskRecord(r: DiffRecord): DiffRecord {
    return safe(
      () => maskRecordUnsafe(r),
      () => unmaskableRecord(r),
    );
  }

  function maskRecordUnsafe(r: DiffRecord): DiffRecord {
    const diffs = [...asArray<FieldDiff>(r.fields), ...asArray<FieldDiff>(r.noise)];
    const parts: Array<[unknown, Mode, string]> = [
      [r.legacy?.body, 'plain', ''],
      [r.candidate?.body, 'plain', ''],
      [asArray<Effect>(r.legacy?.effects).map((e) => e?.payload), 'plain', ''],
      [asArray<Effect>(r.candidate?.effects).map((e) => e?.payload), 'plain', ''],
    ];
    for (const d of diffs) parts.push([[d?.legacy, d?.candidate], modeOfPath(d?.path), lastSegment(d?.path)]);
    const dict = dictionary(parts);
    const text = (s: unknown): string => maskText(String(s ?? ''), ALL_KINDS, dict);
    const side = (s: StoredSide | undefined): StoredSide => {
      const out: StoredSide = { status: typeof s?.status === 'number' ? s.status : null, body: null };
      out.body = walk(s?.body, 'plain', dict, 0) ?? null;
      if (s?.effects !== undefined) {
        out.effects = asArray<Effect>(s.effects).map((e) => ({
          system: String(e?.system ?? ''),
          operation: String(e?.operation ?? ''),
          target: e?.target === null || e?.target === undefined ? null : maskText(String(e.target), PRECISE, dict),
          payload: walk(e?.payload, 'plain', dict, 0) ?? null,
        }));
      }
      if (typeof s?.durationMs === 'number') out.durationMs = s.durationMs;
      if (typeof s?.primedReads === 'number') out.primedReads = s.primedReads;
      return out;
    };
    const diff = (d: FieldDiff): FieldDiff => {
      const mode = modeOfPath(d.path);
      const out: FieldDiff = { ...d, path: maskText(String(d.path ?? ''), ['email'], EMPTY) };
      if ('legacy' in d) out.legacy = walk(d.legacy, mode, dict, 0);
      if ('candidate' in d) out.candidate = walk(d.candidate, mode, dict, 0);
      return out;
    };
    const out: DiffRecord = {
      id: String(r.id ?? ''),
      at: String(r.at ?? ''),
      slice: String(r.slice ?? ''),
      route: String(r.route ?? ''),
      requestId: String(r.requestId ?? ''),
      tenant: r.tenant ?? null,
      channel: r.channel ?? null,
      contract: r.contract ?? null,
      method: String(r.method ?? ''),
      path: maskPath(String(r.path ?? '')),
      result: r.result,
      legacy: side(r.legacy),
      candidate: side(r.candidate),
      fields: asArray<FieldDiff>(r.fields).map(diff),
      noise: asArray<FieldDiff>(r.noise).map(diff),
      schemaIssues: asArray<DiffRecord['schemaIssues'][number]>(r.schemaIssues).map((i) => ({
        side: i?.side === 'candidate' ? 'candidate' : 'legacy',
        path: String(i?.path ?? ''),
        message: text(i?.message),
      })),
      gaps: asArray<string>(r.gaps).map((g) => maskText(String(g), ['email'], EMPTY)),
    };
    if (r.replay !== undefined) out.replay = r.replay;
    // Fields this version does not know are masked as plain JSON rather than copied.
    const extra = r as unknown as Record<string, unknown>;
    for (const k of Object.keys(extra)) {
      if (!KNOWN_FIELDS.has(k)) (out as unknown as Record<string, unknown>)[k] = walk(extra[k], classify(k), dict, 0);
    }
    if (r.error !== undefined) out.error = text(r.error);
    return out;
  }

  return { maskRecord, maskValue, maskHeaders, maskPath, hash };
}

const EMPTY: Dictionary = { re: null, tokens: new Map(), memo: null };

// biome-ignore format: one list
const KNOWN_FIELDS = new Set([
  'id', 'at', 'slice', 'route', 'requestId', 'tenant', 'channel', 'contract', 'method', 'path', 'result', 'legacy',
  'candidate', 'fields', 'noise', 'schemaIssues', 'gaps', 'error', 'replay',
]);

function lastSegment(path: string | undefined): string {
  const segs = String(path ?? '')
    .replace(/\[[^\]]*\]/g, '')
    .split('.');
  return (segs[segs.length - 1] ?? '').replace(/^\$/, '');
}

function asArray<T>(v: unknown): T[] {
  return Array.isArray(v) ? (v.slice(0, MAX_ITEMS) as T[]) : [];
}

function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** What is left of a record the masker could not handle: identifiers and classes, no values. */
function unmaskableRecord(r: DiffRecord): DiffRecord {
  const str = (v: unknown): string => (typeof v === 'string' ? v : '');
  return {
    id: str(r?.id),
    at: str(r?.at),
    slice: str(r?.slice),
    route: str(r?.route),
    requestId: str(r?.requestId),
    tenant: typeof r?.tenant === 'string' ? r.tenant : null,
    channel: typeof r?.channel === 'string' ? r.channel : null,
    contract: typeof r?.contract === 'string' ? r.contract : null,
    method: str(r?.method),
    path: UNMASKABLE,
    result: r?.result ?? 'candidate_error',
    fields: [],
    noise: [],
    schemaIssues: [],
    gaps: [],
    error: UNMASKABLE,
    legacy: { status: null, body: UNMASKABLE },
    candidate: { status: null, body: UNMASKABLE },
  };
}
