/**
 * Seed people: 30 platform users (ids 1..30) and the same people as CRM customers (ids 10001..10030).
 * Mapping: user n ↔ customer 10000 + n (the user's `external_id` holds the customer id for end-users).
 * Users 1..25 are end-users, 26..28 agents, 29..30 admins. Phone numbers deliberately use different legacy formats
 * in the two systems.
 */
import { DAY_MS, HOUR_MS, isoSeconds, legacyTimestamp } from './time.js';

export type UserRole = 'end-user' | 'agent' | 'admin';

export interface UserRecord {
  id: number;
  name: string;
  email: string;
  created_at: string;
  updated_at: string;
  time_zone: string;
  iana_time_zone: string;
  phone: string | null;
  locale: string;
  locale_id: number;
  organization_id: number | null;
  role: UserRole;
  verified: boolean;
  external_id: string | null;
  tags: string[];
  active: boolean;
  last_login_at: string | null;
}

export interface CrmAddress {
  STREET: string;
  CITY: string;
  ZIP_CD: string;
  COUNTRY_CD: string;
}

export interface CustomerRecord {
  CUSTOMER_ID: string;
  FIRST_NAME: string;
  LAST_NAME: string;
  EMAIL_ADDR: string;
  PHONE_NO: string;
  CREDIT_LIMIT: string;
  ORDER_COUNT: string;
  CREATED_TS: string;
  LAST_CONTACT_TS: string;
  STATUS_CD: 'A' | 'I' | 'S';
  VIP_FLG: 'Y' | 'N';
  ADDRESS: CrmAddress;
}

const LOCALES = {
  de: ['de', 8, 'Berlin', 'Europe/Berlin'],
  usEast: ['en-US', 1, 'Eastern Time (US & Canada)', 'America/New_York'],
  usCentral: ['en-US', 1, 'Central Time (US & Canada)', 'America/Chicago'],
  usMountain: ['en-US', 1, 'Mountain Time (US & Canada)', 'America/Denver'],
  usPacific: ['en-US', 1, 'Pacific Time (US & Canada)', 'America/Los_Angeles'],
  gb: ['en-GB', 5, 'London', 'Europe/London'],
  ie: ['en-GB', 5, 'Dublin', 'Europe/Dublin'],
  fr: ['fr', 16, 'Paris', 'Europe/Paris'],
  nl: ['nl', 9, 'Amsterdam', 'Europe/Amsterdam'],
  es: ['es', 2, 'Madrid', 'Europe/Madrid'],
  it: ['it', 22, 'Rome', 'Europe/Rome'],
  pl: ['pl', 30, 'Warsaw', 'Europe/Warsaw'],
} as const;

type LocaleKey = keyof typeof LOCALES;

/** [first, last, email local part, locale, user phone, CRM phone, street, city, zip, country] */
type PersonRow = readonly [string, string, string, LocaleKey, string | null, string, string, string, string, string];

// biome-ignore format: one person per line keeps the seed table readable
export const PEOPLE: readonly PersonRow[] = [
  ['Anna', 'Schmidt', 'anna.schmidt', 'de', '+49 171 2345678', '0171 2345678', 'Hauptstraße 12', 'Berlin', '10115', 'DE'],
  ['John', 'Miller', 'john.miller', 'usEast', '(555) 010-1234', '555-010-1234', '742 Evergreen Terrace', 'New York', '10001', 'US'],
  ['Sophie', 'Martin', 'sophie.martin', 'fr', '+33 1 23 45 67 89', '0123456789', '12 Rue de Rivoli', 'Paris', '75001', 'FR'],
  ['Lukas', 'Weber', 'lukas.weber', 'de', '0160/9876543', '0160 9876543', 'Leopoldstraße 45', 'München', '80802', 'DE'],
  ['Emma', 'Johnson', 'emma.johnson', 'usEast', '+1 555 010 4477', '5550104477', '1600 Elm Street', 'Boston', '02108', 'US'],
  ['Mehmet', 'Yılmaz', 'mehmet.yilmaz', 'de', null, '', 'Venloer Str. 200', 'Köln', '50823', 'DE'],
  ['Olivia', 'Brown', 'olivia.brown', 'gb', '+44 20 7946 0958', '020 7946 0958', '221B Baker Street', 'London', 'NW1 6XE', 'GB'],
  ['Jan', 'de Vries', 'jan.devries', 'nl', '+31 6 12345678', '0612345678', 'Prinsengracht 263', 'Amsterdam', '1016 GV', 'NL'],
  ['María', 'García', 'maria.garcia', 'es', '+34 612 34 56 78', '612345678', 'Calle de Alcalá 50', 'Madrid', '28014', 'ES'],
  ['Thomas', 'Wagner', 'thomas.wagner', 'de', '040 1234567', '040 1234567', 'Mönckebergstraße 7', 'Hamburg', '20095', 'DE'],
  ['Chloé', 'Dubois', 'chloe.dubois', 'fr', '06 98 76 54 32', '0698765432', 'Rue de la République 5', 'Lyon', '69002', 'FR'],
  ['Michael', 'Davis', 'michael.davis', 'usCentral', '(555) 010-8812', '555.010.8812', '233 S Wacker Dr', 'Chicago', '60606', 'US'],
  ['Jürgen', 'Müller', 'juergen.mueller', 'de', '0711/555123', '0711 555123', 'Königstraße 1', 'Stuttgart', '70173', 'DE'],
  ['Laura', 'Rossi', 'laura.rossi', 'it', '+39 02 1234 5678', '0212345678', 'Via Torino 10', 'Milano', '20123', 'IT'],
  ['Peter', 'Hoffmann', 'peter.hoffmann', 'de', '+49 (0)69 1234567', '069 1234567', 'Zeil 100', 'Frankfurt am Main', '60313', 'DE'],
  ['Emily', 'Wilson', 'emily.wilson', 'gb', '07700 900123', '07700900123', '1 Piccadilly', 'Manchester', 'M1 1RG', 'GB'],
  ['Łukasz', 'Nowak', 'lukasz.nowak', 'pl', '+48 601 234 567', '601234567', 'ul. Marszałkowska 1', 'Warszawa', '00-624', 'PL'],
  ['Sarah', 'Becker', 'sarah.becker', 'de', null, '', 'Grimmaische Str. 2', 'Leipzig', '04109', 'DE'],
  ['David', 'Taylor', 'david.taylor', 'usCentral', '+1-555-010-0199', '555-010-0199', '500 Congress Ave', 'Austin', '78701', 'US'],
  ['Zoë', "O'Brien", 'zoe.obrien', 'ie', '+353 87 123 4567', '0871234567', '7 Grafton Street', 'Dublin', 'D02 XY45', 'IE'],
  ['Felix', 'Schulz', 'felix.schulz', 'de', '0351 4567890', '0351 4567890', 'Prager Str. 8', 'Dresden', '01069', 'DE'],
  ['Hannah', 'Fischer', 'hannah.fischer', 'de', '+49 421 9876543', '0421 9876543', 'Obernstraße 20', 'Bremen', '28195', 'DE'],
  ['James', 'Anderson', 'james.anderson', 'usPacific', '555-010-7755', '', '400 Pine St', 'Seattle', '98101', 'US'],
  ['Lena', 'Koch', 'lena.koch', 'de', '+49 511 123456', '0511 123456', 'Georgstraße 14', 'Hannover', '30159', 'DE'],
  ['Noah', 'Thompson', 'noah.thompson', 'usMountain', '(555) 010-3030', '555-010-3030', '1701 Champa St', 'Denver', '80202', 'US'],
  ['Katrin', 'Bauer', 'katrin.bauer', 'de', '+49 30 901820', '030 901820', 'Friedrichstraße 100', 'Berlin', '10117', 'DE'],
  ['Daniel', 'Richter', 'daniel.richter', 'de', '+49 30 901821', '030 901821', 'Torstraße 33', 'Berlin', '10119', 'DE'],
  ['Mia', 'Klein', 'mia.klein', 'de', '+49 30 901822', '', 'Kastanienallee 9', 'Berlin', '10435', 'DE'],
  ['Stefan', 'Wolf', 'stefan.wolf', 'de', null, '', 'Oranienstraße 180', 'Berlin', '10999', 'DE'],
  ['Julia', 'Neumann', 'julia.neumann', 'de', '+49 30 901824', '030 901824', 'Skalitzer Str. 60', 'Berlin', '10997', 'DE'],
];

export const USER_COUNT = PEOPLE.length;
export const CUSTOMER_ID_OFFSET = 10_000;
/** Agents and admins: the people the presence websocket reports on. */
export const AGENT_IDS: readonly number[] = [26, 27, 28, 29, 30];

const USER_CREATED_BASE = Date.UTC(2019, 2, 12, 14, 15, 0);
const LAST_CONTACT_BASE = Date.UTC(2024, 0, 5, 9, 30, 0);
const CREDIT_LIMITS = [1500, 500, 2500, 1000, 750, 3000];

function person(n: number): PersonRow {
  const row = PEOPLE[n - 1];
  if (row === undefined) throw new RangeError(`no seeded person ${n}`);
  return row;
}

const roleOf = (n: number): UserRole => (n <= 25 ? 'end-user' : n <= 28 ? 'agent' : 'admin');
const statusOf = (n: number): CustomerRecord['STATUS_CD'] => (n === 11 || n === 23 ? 'I' : n === 17 ? 'S' : 'A');
const isVip = (n: number): boolean => n % 9 === 0;
const createdMs = (n: number): number => USER_CREATED_BASE + (n - 1) * (23 * DAY_MS + 5 * HOUR_MS + 17 * 60_000);
const lastContactMs = (n: number): number => LAST_CONTACT_BASE + (n - 1) * 13 * HOUR_MS;

export function seedUser(n: number): UserRecord {
  const [first, last, local, localeKey, phone] = person(n);
  const [locale, localeId, timeZone, iana] = LOCALES[localeKey];
  const role = roleOf(n);
  const tags = role === 'end-user' ? (isVip(n) ? ['vip'] : []) : ['staff'];
  return {
    id: n,
    name: `${first} ${last}`,
    email: `${local}@${role === 'end-user' ? 'example.com' : 'legacy-shop.example'}`,
    created_at: isoSeconds(createdMs(n)),
    updated_at: isoSeconds(Date.UTC(2023, 10, 1, 8, 0, 0) + n * 37 * HOUR_MS),
    time_zone: timeZone,
    iana_time_zone: iana,
    phone,
    locale,
    locale_id: localeId,
    organization_id: n % 4 === 0 ? null : 360_000_100 + (n % 3) + 1,
    role,
    verified: n % 10 !== 7,
    external_id: role === 'end-user' ? String(CUSTOMER_ID_OFFSET + n) : null,
    tags,
    active: statusOf(n) !== 'I',
    last_login_at: n % 7 === 0 ? null : isoSeconds(lastContactMs(n) - 2 * HOUR_MS),
  };
}

export function seedCustomer(n: number): CustomerRecord {
  const [first, last, local, , , crmPhone, street, city, zip, country] = person(n);
  const email = `${local}@${roleOf(n) === 'end-user' ? 'example.com' : 'legacy-shop.example'}`;
  return {
    CUSTOMER_ID: String(CUSTOMER_ID_OFFSET + n),
    FIRST_NAME: first,
    LAST_NAME: last,
    // The old CRM upper-cased some addresses on import and nobody ever fixed it.
    EMAIL_ADDR: n % 15 === 5 ? email.toUpperCase() : email,
    PHONE_NO: crmPhone,
    CREDIT_LIMIT: (CREDIT_LIMITS[(n - 1) % CREDIT_LIMITS.length] ?? 0).toFixed(2),
    ORDER_COUNT: String(((n * 11) % 29) + 1),
    CREATED_TS: legacyTimestamp(createdMs(n)),
    LAST_CONTACT_TS: n % 6 === 0 ? '' : legacyTimestamp(lastContactMs(n)),
    STATUS_CD: statusOf(n),
    VIP_FLG: isVip(n) ? 'Y' : 'N',
    ADDRESS: { STREET: street, CITY: city, ZIP_CD: zip, COUNTRY_CD: country },
  };
}

export function seedUsers(): Map<number, UserRecord> {
  return new Map(PEOPLE.map((_, i) => [i + 1, seedUser(i + 1)]));
}

export function seedCustomers(): Map<string, CustomerRecord> {
  return new Map(PEOPLE.map((_, i) => [String(CUSTOMER_ID_OFFSET + i + 1), seedCustomer(i + 1)]));
}

/** Display name of a conversation author id: a customer id (`10001`) or user id (`1`) resolves to the person. */
export function personName(id: string): string | null {
  if (!/^\d+$/.test(id)) return null;
  const num = Number(id);
  const n = num > CUSTOMER_ID_OFFSET ? num - CUSTOMER_ID_OFFSET : num;
  const row = PEOPLE[n - 1];
  return row === undefined ? null : `${row[0]} ${row[1]}`;
}
