import { type CountryCode, findPhoneNumbersInText } from 'libphonenumber-js/max';

/**
 * The PII detectors behind `redactPii`. Each returns spans on the ORIGINAL text with a normalised `key` (so one value
 * written two ways gets one placeholder). Checksums (Luhn, mod-97) and libphonenumber's metadata keep precision up;
 * the address patterns are heuristics with known gaps (see pii.ts).
 */

export type PiiKind = 'email' | 'phone' | 'card' | 'iban' | 'address';

export interface PiiSpan {
  kind: PiiKind;
  start: number;
  end: number;
  /** Normalised value: same key → same placeholder within one redaction. */
  key: string;
}

// The lookbehind anchors a match at the start of a run, keeping long dotted runs linear.
const EMAIL = /(?<![\p{L}\p{N}._%+-])[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}/gu;

export function findEmails(text: string): PiiSpan[] {
  return [...text.matchAll(EMAIL)].map((m) => span('email', m.index, m[0], m[0].toLowerCase()));
}

/**
 * Runs of alphanumeric groups joined by single spaces or dashes. Cards and IBANs are written in groups; a checksum
 * then decides which contiguous window of groups (if any) is the value, so a trailing year or word is not swallowed.
 */
const GROUP_RUN = /(?<![\p{L}\p{N}_-])[A-Za-z0-9]+(?:[ -][A-Za-z0-9]+)*/gu;

interface Group {
  start: number;
  end: number;
  text: string;
}

function groupRuns(text: string): Group[][] {
  const runs: Group[][] = [];
  for (const m of text.matchAll(GROUP_RUN)) {
    const groups: Group[] = [];
    for (const g of m[0].matchAll(/[A-Za-z0-9]+/g)) {
      groups.push({ start: m.index + g.index, end: m.index + g.index + g[0].length, text: g[0] });
    }
    runs.push(groups);
  }
  return runs;
}

/** For each start group, the longest window of groups that `accept` takes; windows never overlap. */
function scanWindows(text: string, kind: PiiKind, accept: (compact: string) => string | null): PiiSpan[] {
  const out: PiiSpan[] = [];
  for (const groups of groupRuns(text)) {
    let i = 0;
    while (i < groups.length) {
      let found = false;
      for (let j = Math.min(groups.length, i + 12) - 1; j >= i; j--) {
        const first = groups[i] as Group;
        const last = groups[j] as Group;
        const key = accept(
          groups
            .slice(i, j + 1)
            .map((g) => g.text)
            .join(''),
        );
        if (key !== null) {
          out.push({ kind, start: first.start, end: last.end, key });
          i = j + 1;
          found = true;
          break;
        }
      }
      if (!found) i++;
    }
  }
  return out;
}

export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/**
 * 13–19 digits, Luhn-valid, with an issuer prefix in 2–6 (Mastercard 2-series, Amex/Diners/JCB, Visa, Mastercard and
 * Maestro, Discover/UnionPay). The prefix rule halves the false positives on Luhn-valid order or tracking numbers.
 */
export function findCards(text: string): PiiSpan[] {
  return scanWindows(text, 'card', (compact) =>
    /^[2-6]\d{12,18}$/.test(compact) && luhnValid(compact) ? compact : null,
  );
}

/** IBAN lengths by country (SWIFT IBAN registry); unknown countries fall back to the generic 15–34. */
const IBAN_LENGTHS: ReadonlyMap<string, number> = new Map(
  (
    'AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BI27 BR29 BY28 CH21 CR22 CY28 CZ24 DE22 DJ27 DK18 DO28 EE20 EG29 ' +
    'ES24 FI18 FK18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HR21 HU28 IE22 IL23 IQ23 IS26 IT27 JO30 KW30 KZ20 LB28 ' +
    'LC32 LI21 LT20 LU20 LV21 LY25 MC27 MD24 ME22 MK19 MN20 MR27 MT31 MU30 NI28 NL18 NO15 OM23 PK24 PL28 PS29 PT25 ' +
    'QA29 RO24 RS22 RU33 SA24 SC31 SD18 SE24 SI19 SK24 SM27 SO23 ST25 SV28 TL23 TN24 TR26 UA29 VA22 VG24 XK20 YE30'
  )
    .split(' ')
    .map((e) => [e.slice(0, 2), Number(e.slice(2))] as const),
);

/** ISO 13616 / ISO 7064 mod-97-10: move the first four characters to the end, letters → 10..35, remainder must be 1. */
export function ibanChecksumValid(compact: string): boolean {
  const rearranged = compact.slice(4) + compact.slice(0, 4);
  let rest = 0;
  for (const ch of rearranged) {
    const v = Number.parseInt(ch, 36);
    rest = v > 9 ? (rest * 100 + v) % 97 : (rest * 10 + v) % 97;
  }
  return rest === 1;
}

export function findIbans(text: string): PiiSpan[] {
  return scanWindows(text, 'iban', (raw) => {
    const compact = raw.toUpperCase();
    if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(compact)) return null;
    const want = IBAN_LENGTHS.get(compact.slice(0, 2));
    if (want !== undefined && compact.length !== want) return null;
    return ibanChecksumValid(compact) ? compact : null;
  });
}

// Phones. libphonenumber finds numbers valid in its metadata; the fallback catches plausible numbers it rejects
// (fictional ranges, unknown prefixes) in shapes that order ids, dates, prices and tracking numbers do not take.
// Every repetition below is separated by a mandatory separator, so no input can make them backtrack exponentially.
const PHONE_FALLBACK = [
  // International: +CC or 00CC, optional (0) or (area), then digit groups.
  /(?<![\p{L}\p{N}_+#/-])(?:\+|00)[1-9]\d{0,2}(?:[ .\-/]?\(0\))?(?:[ .\-/]?\(\d{1,5}\))?[ .\-/]?\d+(?:[ .\-/]\(?\d+\)?){0,6}(?![\p{L}\p{N}_-])/gu,
  // National with trunk 0: 0171 2345678, (030) 1234-5678, 030/123456, 089 / 21 09 87 65.
  /(?<![\p{L}\p{N}_+#/.:-])(?:\(0\d{1,5}\)[ \-/]?\d+|0\d+)(?:[ \-/]{1,3}\d+){0,6}(?![\p{L}\p{N}_-]|[.:,]\d)/gu,
  // North American: (415) 555-0132, 415-555-0132, 415.555.0132.
  /(?<![\p{L}\p{N}_+#/.-])(?:\([2-9]\d{2}\)\s?|[2-9]\d{2}[-. ])\d{3}[-. ]\d{4}(?![\p{L}\p{N}_-]|[.,]\d)/gu,
];
const DATE_LIKE = /\b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b|\b\d{4}-\d{1,2}-\d{1,2}\b|\b\d{1,2}:\d{2}\b/;
/**
 * A phone-shaped match glued to a letter, #, dash or another digit group is part of something longer: an order id
 * (A-1001), a ticket (#48213), a card-like run whose tail looks like a national number (5122 0452 2420 3969).
 */
const GLUED_BEFORE = /(?:[\p{L}\p{N}_#-]|\d[ -])$/u;
const GLUED_AFTER = /^(?:[\p{L}\p{N}_]|[ -]\d)/u;
const glued = (text: string, start: number, end: number): boolean =>
  GLUED_BEFORE.test(text.slice(Math.max(0, start - 2), start)) || GLUED_AFTER.test(text.slice(end, end + 2));

const NANP: ReadonlySet<CountryCode> = new Set<CountryCode>(['US', 'CA']);

/**
 * libphonenumber's VALID leniency accepts national numbers typed without the trunk 0 ("2024 14" is a valid Düsseldorf
 * number, "1111" a valid Vienna one), which in chat text are years, times and card fragments. People write phone
 * numbers with +, 00 or the trunk 0; only NANP numbers have no trunk prefix, and those need all 10 digits.
 */
function plausiblePhone(raw: string, country: CountryCode): boolean {
  const digits = raw.replace(/\D/g, '').length;
  if (digits < 7 || digits > 15 || DATE_LIKE.test(raw)) return false;
  if (/^(?:\+|\(?0)/.test(raw)) return true;
  return NANP.has(country) && digits >= 10;
}

/**
 * Where libphonenumber may look: short runs of digits and phone punctuation. Its scan costs ~10 ms per KB of
 * digit-rich text per country; on these slices the cost follows the number of candidates, not the text length.
 */
const PHONE_CANDIDATE = /[+(]?\d[\d ()./\t-]{5,28}\d\)?/g;

const PREFIXED = /(?:^|\D)(?:\+|\(?0)/;
const NANP_SHAPE = /[2-9]\d{2}\)?[-. ]?\d{3}[-. ]?\d{4}/;
/** A text with more candidates than this is a digit dump, not a chat line: the linear fallback patterns suffice. */
const MAX_CANDIDATES = 64;

export function findPhones(text: string, countries: readonly CountryCode[]): PiiSpan[] {
  const out: PiiSpan[] = [];
  const candidates = [...text.matchAll(PHONE_CANDIDATE)];
  for (const c of candidates.length > MAX_CANDIDATES ? [] : candidates) {
    if (c[0].replace(/\D/g, '').length < 7) continue;
    // plausiblePhone would reject every match of a slice with no +/0 prefix, except NANP-shaped ones.
    const prefixed = PREFIXED.test(c[0]);
    for (const defaultCountry of countries) {
      if (!prefixed && !(NANP.has(defaultCountry) && NANP_SHAPE.test(c[0]))) continue;
      for (const n of findPhoneNumbersInText(c[0], { defaultCountry })) {
        const start = c.index + n.startsAt;
        const end = c.index + n.endsAt;
        if (glued(text, start, end) || !plausiblePhone(text.slice(start, end), defaultCountry)) continue;
        out.push({ kind: 'phone', start, end, key: n.number.number });
      }
    }
  }
  for (const re of PHONE_FALLBACK) {
    for (const m of text.matchAll(re)) {
      const raw = m[0].trim();
      const digits = raw.replace(/\(0\)/, '').replace(/\D/g, '');
      if (digits.length < 9 || digits.length > 15 || DATE_LIKE.test(raw)) continue;
      if (glued(text, m.index, m.index + raw.length)) continue;
      const key = raw.startsWith('+') ? `+${digits}` : raw.startsWith('00') ? `+${digits.slice(2)}` : digits;
      out.push(span('phone', m.index, raw, key));
    }
  }
  return out;
}

// Addresses: heuristics for EN and DE street lines and postcode + city. See the limits in pii.ts.
const CAP = "[A-ZÄÖÜ][\\p{L}'’.-]*";
const HOUSE_NO = '\\d{1,5}[A-Za-z]?(?:\\s?[-/]\\s?\\d{1,5}[A-Za-z]?)?';
const EN_SUFFIX =
  'Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Boulevard|Blvd|Way|Court|Ct|Place|Pl|Square|Sq|Terrace|Close|' +
  'Crescent|Gardens|Parkway|Pkwy|Highway|Hwy|Row|Mews|Walk|Grove|Hill|Park';
const DE_SUFFIX =
  'straße|strasse|str\\.|weg|gasse|platz|allee|ring|damm|ufer|chaussee|steig|stieg|pfad|markt|wall|graben|kai|hof|berg';
const DE_WORD_SUFFIX = 'Straße|Strasse|Str\\.|Weg|Gasse|Platz|Allee|Ring|Damm|Ufer|Chaussee|Markt|Steig|Pfad';
/** "Am Markt 3", "An der Alster 12": the name after the preposition must not be a day, month or common noun. */
const DE_PREP = '(?:Am|Im|An der|Auf der|Auf dem|In der|Unter den|Zum|Zur|Hinter der|Vor dem)';
const NOT_NAMES =
  '(?!(?:Montag|Dienstag|Mittwoch|Donnerstag|Freitag|Samstag|Sonntag|Wochenende|Januar|Februar|März|April|Mai|Juni|' +
  'Juli|August|September|Oktober|November|Dezember|Anfang|Ende|Moment|Telefon|Paket|Tag)\\b)';
const UK_POSTCODE = '(?:[A-Z]{1,2}\\d[A-Z\\d]?\\s?\\d[A-Z]{2})';
const CITY = "[A-ZÄÖÜ][a-zäöüß'’-]+(?:[ -](?:am|an der|im|upon|on|[A-ZÄÖÜ][a-zäöüß'’-]+))*";
const POST_CITY = `(?:(?:D-|A-|CH-)?\\d{4,5}\\s+${CITY}|${CITY},?\\s+(?:[A-Z]{2}\\s+\\d{5}(?:-\\d{4})?|${UK_POSTCODE}))`;
/** After a street line: ", 10115 Berlin", " in 80331 München", "\n8001 Zürich", ", London NW1 6XE", ", Springfield". */
const TAIL = `(?:(?:,\\s*|\\s+in\\s+|\\s+)${POST_CITY}|,\\s*${CITY}(?![\\p{L}]))?`;
const UNIT = '(?:,?\\s+(?:Apt|Apartment|Flat|Suite|Unit|Wohnung|Whg)\\.?\\s*#?\\w+)?';

const ADDRESS_RES = [
  // EN: "221B Baker Street", "12 Main St., Springfield", "1600 Pennsylvania Avenue NW, Washington, DC 20500".
  new RegExp(
    `(?<![\\p{L}\\p{N}_-])\\d{1,5}[A-Za-z]?(?:[-/]\\d{1,5}[A-Za-z]?)?,?\\s+(?:${CAP}\\s+){0,2}${CAP}\\s+(?:${EN_SUFFIX})\\.?` +
      `(?:\\s+(?:NE|NW|SE|SW|N|S|E|W)\\b)?(?![\\p{L}])${UNIT}${TAIL}`,
    'gu',
  ),
  // DE one word: "Hauptstraße 5", "Lindenweg 12a", "Hauptstr. 5-7".
  new RegExp(`(?<![\\p{L}])[A-ZÄÖÜ][\\p{L}-]*(?:${DE_SUFFIX})\\s*${HOUSE_NO}(?![\\p{L}\\p{N}])${UNIT}${TAIL}`, 'gu'),
  // DE several words: "Berliner Straße 12", "Straße des 17. Juni" is NOT covered; "Am Markt 3", "An der Alster 12".
  new RegExp(
    `(?<![\\p{L}])(?:(?:${CAP}\\s+){1,3}(?:${DE_WORD_SUFFIX})|${DE_PREP}\\s+${NOT_NAMES}${CAP}(?:\\s+${CAP})?)\\s+` +
      `${HOUSE_NO}(?![\\p{L}\\p{N}])${UNIT}${TAIL}`,
    'gu',
  ),
  // Postcode + city on its own, only at a line start or after a comma, colon, "in"/"nach"/"to"/"PLZ"/"postcode".
  new RegExp(
    `(?<=^|[,:;\\n]\\s*|\\b(?:in|nach|to|PLZ|Postcode|postcode|ZIP|zip|Postleitzahl)\\s+)(?:(?:D-|A-|CH-)?\\d{5}|(?:A-|CH-)\\d{4})\\s+${CITY}(?=\\s*(?:$|[,.!?;\\n]))`,
    'gu',
  ),
  // UK postcode on its own: "SW1A 1AA".
  new RegExp(`(?<![\\p{L}\\p{N}])${UK_POSTCODE}(?![\\p{L}\\p{N}])`, 'gu'),
];

export function findAddresses(text: string): PiiSpan[] {
  const out: PiiSpan[] = [];
  for (const re of ADDRESS_RES) {
    for (const m of text.matchAll(re)) {
      out.push(
        span(
          'address',
          m.index,
          m[0],
          m[0]
            .toLowerCase()
            .replace(/[\s,.]+/g, ' ')
            .trim(),
        ),
      );
    }
  }
  return out;
}

function span(kind: PiiKind, start: number, raw: string, key: string): PiiSpan {
  return { kind, start, end: start + raw.length, key };
}
