import { normalizeText } from './normalize.js';

/**
 * Domain lookup tables (the Rasa "lookup table" idea): each concept lists words a customer may use for it, so that
 * a synonym never seen in the training utterances still lands on the same feature (`k:<concept>`). A trailing `*`
 * matches a prefix (useful for German compounds and inflections); two-word entries match adjacent tokens.
 * Entries are written naturally and normalised once at load, exactly like customer text.
 *
 * These are general domain vocabularies, written from the shop's product and policy areas and from the kinds of
 * off-topic requests contact centres receive, and checked only against cross-validation on the training set.
 */
// biome-ignore format: packed word lists read better than one word per line
const CONCEPTS: Record<string, readonly string[]> = {
  order: ['order*', 'bestell*', 'purchase*', 'bought', 'items', 'item', 'stuff', 'auftrag'],
  parcel: ['package*', 'parcel*', 'paket*', 'pakage', 'packet', 'shipment*', 'sendung*', 'deliver*', 'liefer*',
    'box'],
  progress: ['track*', 'shipped', 'dispatch*', 'transit', 'courier', 'carrier', 'driver', 'dhl', 'ups', 'dpd',
    'hermes', 'gls', 'fedex', 'usps', 'arriv*', 'eta', 'delay*', 'late', 'overdue', 'lost', 'missing', 'received',
    'receive', 'came', 'coming', 'kommt', 'angekommen', 'verschickt', 'versendet', 'unterwegs', 'wo', 'where',
    'wheres', 'status'],
  login: ['password*', 'passwort*', 'pw', 'pwd', 'pass', 'login*', 'log in', 'logging in', 'logged in', 'log into',
    'sign in', 'signin', 'sign into', 'signing in', 'einlogg*', 'anmeld*', 'credentials', 'locked', 'lock', 'unlock',
    'gesperrt', '2fa', 'two factor', 'verification', 'otp', 'username', 'zurucksetz*', 'pin'],
  account: ['account*', 'konto', 'profile', 'profil'],
  refund: ['refund*', 'reimburs*', 'money', 'geld', 'ruckerstatt*', 'erstatt*', 'return*', 'rucksend*', 'zuruck*',
    'umtausch*', 'exchange', 'swap', 'send back', 'send it back', 'sent back', 'credited', 'money back'],
  damaged: ['broke', 'broken', 'damag*', 'defect*', 'faulty', 'scratch*', 'crushed', 'torn', 'kaputt', 'beschadigt',
    'stopped working', 'not working', 'falling apart'],
  address: ['address*', 'adress*', 'adresse*', 'street', 'strasse', 'road', 'lane', 'avenue', 'weg', 'allee',
    'postcode*', 'zip', 'plz', 'postal', 'house number', 'housenumber', 'flat', 'apartment', 'floor', 'city',
    'moved', 'moving', 'umgezogen', 'umzug', 'redirect*', 'reroute*', 'billing', 'packstation', 'pickup point',
    'pick up point', 'parcel shop', 'neighbour', 'neighbor', 'office', 'workplace', 'hausnummer'],
  change: ['change*', 'update*', 'correct*', 'edit*', 'amend*', 'modif*', 'fix', 'alter', 'andern', 'anderung',
    'switch'],
  payment: ['pay', 'paying', 'payment*', 'paypal', 'klarna', 'visa', 'mastercard', 'amex', 'american express',
    'card', 'credit card', 'debit', 'invoice', 'installment*', 'instalment*', 'cash', 'apple pay', 'google pay',
    'sofort', 'bank transfer', 'zahl*', 'kreditkarte', 'rechnung', 'pay later', 'currenc*'],
  promo: ['voucher*', 'coupon*', 'discount*', 'promo*', 'gutschein*', 'rabatt*', 'sale', 'sales', 'gift card*',
    'giftcard*', 'points', 'loyalty', 'reward*', 'referral', 'black friday', 'bonus'],
  shop_info: ['opening', 'hours', 'open', 'store', 'stores', 'shop', 'shops', 'branch', 'filiale', 'outlet', 'size*',
    'sizing', 'fit', 'fits', 'warranty', 'guarantee', 'garantie', 'newsletter', 'unsubscribe', 'privacy', 'cookies',
    'terms', 'vat', 'tax', 'taxes', 'stock', 'restock*', 'material', 'fabric', 'vegan', 'sustainab*', 'review*',
    'app', 'hotline', 'phone number', 'email address', 'customs', 'gift wrap*', 'wrapping', 'geoffnet',
    'offnungszeit*'],
  shipping_info: ['shipping', 'versand*', 'ship', 'international*', 'countr*', 'abroad', 'express', 'standard',
    'free delivery', 'free shipping', 'delivery cost*', 'delivery time*', 'same day', 'next day'],
  human: ['human*', 'person', 'agent*', 'representative*', 'rep', 'manager', 'supervisor', 'staff', 'employee*',
    'mitarbeiter*', 'mensch*', 'someone', 'somebody', 'operator', 'colleague*', 'boss', 'callback', 'call back',
    'call me', 'real', 'live', 'actual', 'jemand*', 'personally', 'in charge'],
  bot: ['bot', 'chatbot', 'robot', 'machine', 'automated', 'ai'],
  escalate: ['escalat*', 'complain*', 'complaint*', 'beschwerde', 'demand', 'transfer*', 'connect*', 'verbind*'],
  legal_fraud: ['lawyer*', 'attorney*', 'anwalt', 'sue', 'suing', 'court', 'police', 'polizei', 'fraud*', 'scam*',
    'chargeback*', 'dispute*', 'unauthori*', 'stolen', 'stole', 'hacked', 'illegal', 'legal', 'consumer protection',
    'betrug'],
  weather: ['weather', 'wetter', 'rain*', 'snow*', 'sunny', 'forecast', 'temperature', 'hot', 'cold', 'storm*',
    'wind*'],
  tech: ['python', 'java', 'javascript', 'typescript', 'css', 'html', 'sql', 'code', 'coding', 'function', 'git',
    'docker', 'linux', 'ubuntu', 'windows', 'node', 'nodejs', 'regex', 'api', 'bug', 'compile*', 'programm*', 'loop',
    'div', 'array', 'string', 'exception', 'query', 'router', 'wifi', 'laptop', 'computer'],
  other_company: ['amazon', 'ebay', 'zalando', 'netflix', 'spotify', 'instagram', 'facebook', 'gmail', 'google',
    'apple', 'iphone', 'android', 'xbox', 'playstation', 'whatsapp', 'uber', 'tesla', 'bitcoin', 'microsoft', 'otto',
    'aliexpress', 'temu', 'shein', 'tiktok', 'twitter', 'youtube', 'deutsche bahn', 'bank'],
  chitchat: ['hi', 'hello', 'hey', 'thanks', 'thank', 'bye', 'goodbye', 'cheers', 'lol', 'haha*', 'joke*', 'funny',
    'bored', 'love', 'feelings', 'hallo', 'danke', 'tschuss', 'morning', 'evening', 'okay', 'ok', 'cool', 'nice',
    'wow'],
  food: ['recipe*', 'cook*', 'bake', 'baking', 'pizza', 'pasta', 'cake', 'lasagna', 'pancake*', 'eat', 'calorie*',
    'dinner'],
  travel: ['flight*', 'hotel', 'taxi', 'train', 'bus', 'airport', 'station', 'visa', 'passport', 'vacation', 'trip'],
  math: ['plus', 'minus', 'times', 'divided', 'multipl*', 'equation', 'square', 'root', 'calculat*', 'sum'],
  media: ['movie*', 'film*', 'series', 'song*', 'music', 'tv', 'podcast*', 'book', 'novel', 'poem*', 'story',
    'essay'],
  sports: ['football', 'soccer', 'match', 'score', 'league', 'cup', 'won', 'win', 'tennis', 'olympics'],
  knowledge: ['capital', 'president', 'population', 'history', 'planet', 'moon', 'sky', 'universe', 'meaning', 'why'],
};

interface Lexicon {
  exact: Map<string, string[]>;
  /** Prefix → [declaration order, concept][]; a token looks up each of its own prefixes instead of scanning all. */
  prefixes: Map<string, [number, string][]>;
  phrases: Map<string, string[]>;
}

function build(): Lexicon {
  const lex: Lexicon = { exact: new Map(), prefixes: new Map(), phrases: new Map() };
  let order = 0;
  const push = (m: Map<string, string[]>, key: string, concept: string) => {
    const list = m.get(key) ?? [];
    if (!list.includes(concept)) list.push(concept);
    m.set(key, list);
  };
  for (const [concept, entries] of Object.entries(CONCEPTS)) {
    for (const raw of entries) {
      const prefix = raw.endsWith('*');
      const norm = normalizeText(prefix ? raw.slice(0, -1) : raw);
      if (norm.includes(' ')) push(lex.phrases, norm, concept);
      else if (prefix) lex.prefixes.set(norm, [...(lex.prefixes.get(norm) ?? []), [order++, concept]]);
      else push(lex.exact, norm, concept);
    }
  }
  return lex;
}

const LEXICON = build();

/** Concepts mentioned by normalised tokens, each once, in a stable order of first mention. */
export function conceptsOf(tokens: readonly string[]): string[] {
  const found = new Set<string>();
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as string;
    for (const c of LEXICON.exact.get(t) ?? []) found.add(c);
    const byPrefix: [number, string][] = [];
    for (let n = 1; n <= t.length; n++) byPrefix.push(...(LEXICON.prefixes.get(t.slice(0, n)) ?? []));
    for (const [, c] of byPrefix.sort((a, b) => a[0] - b[0])) found.add(c);
    const next = tokens[i + 1];
    if (next !== undefined) for (const c of LEXICON.phrases.get(`${t} ${next}`) ?? []) found.add(c);
    const third = tokens[i + 2];
    if (next !== undefined && third !== undefined)
      for (const c of LEXICON.phrases.get(`${t} ${next} ${third}`) ?? []) found.add(c);
  }
  return [...found];
}
