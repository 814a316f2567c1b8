import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { PEOPLE, seedUser } from '../../legacy-adapters/simulator/seed-people.js';

/** Seeded PII of the legacy simulator's 30 people, and a scanner for it (tests that PII never leaks). */

const strip = (s: string) => s.normalize('NFD').replace(/\p{M}/gu, '');
const translit = (s: string) =>
  s
    .replace(/ä/g, 'ae')
    .replace(/ö/g, 'oe')
    .replace(/ü/g, 'ue')
    .replace(/Ä/g, 'Ae')
    .replace(/Ö/g, 'Oe')
    .replace(/Ü/g, 'Ue')
    .replace(/ß/g, 'ss');

/** Every seeded value and the variants a mapper or a customer could plausibly produce. */
export function forbidden(n: number): string[] {
  const [first, last, local, country, userPhone, crmPhone, street, city, zip] = PEOPLE[
    n - 1
  ] as (typeof PEOPLE)[number];
  const user = seedUser(n);
  const out = new Set<string>([first, last, `${first} ${last}`, `${last}, ${first}`, local, user.email]);
  if (last.includes(' ')) for (const w of last.split(' ')) if (w.length >= 3) out.add(w);
  out.add(street);
  out.add(street.replace(/\s*\d+\w?$/, '').replace(/^\d+\w?\s+/, ''));
  // A time zone label ("Berlin") is the user's setting, not an address: cities are checked, see `timeZoneFree`.
  out.add(city);
  // Customer ids (10001, …) are not PII; New York's 10001 is a seeded zip that equals one of them.
  if (!/^100\d\d$/.test(zip)) out.add(zip);
  for (const p of [userPhone, crmPhone]) {
    if (!p) continue;
    out.add(p);
    out.add(p.replace(/\D/g, ''));
    const parsed = parsePhoneNumberFromString(p, country as CountryCode);
    if (parsed) {
      out.add(parsed.number);
      out.add(parsed.formatNational());
      out.add(parsed.formatInternational());
      out.add(parsed.nationalNumber);
    }
  }
  for (const v of [...out]) {
    out.add(strip(v));
    out.add(translit(v));
  }
  return [...out].filter((v) => v.replace(/\W/g, '').length >= 3);
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
export function leaks(text: string, values: string[]): string[] {
  return values.filter((v) => new RegExp(`(?<![\\p{L}\\p{N}])${escapeRe(v)}(?![\\p{L}\\p{N}])`, 'iu').test(text));
}
/** The dump without the users' time-zone settings (city names by design, not addresses). */
export const timeZoneFree = (text: string) => text.replace(/\\?"(?:iana_)?time_zone\\?":\\?"[^"\\]*\\?"/g, '');

/** Every needle of all 30 people. */
export const allForbidden = (): string[] => [...new Set(PEOPLE.flatMap((_, i) => forbidden(i + 1)))];
