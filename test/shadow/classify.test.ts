import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CustomerV1Schema } from '../../contracts/v1/customer.js';
import { TicketV1Schema } from '../../contracts/v1/ticket.js';
import { renderTicket, seedTicket } from '../../legacy-adapters/simulator/seed-tickets.js';
import { MappingError } from '../../mappers/mapping-error.js';
import { ticketFromLegacy } from '../../mappers/ticket.js';
import { type CompareInput, compareAnswers, decodeWire } from '../../src/shadow/compare/classify.js';
import { rulesFor } from '../../src/shadow/compare/infer.js';
import { createNoiseLearner } from '../../src/shadow/noise.js';
import type { ContractSide, Effect, NoiseView, SliceComparison, WireAnswer } from '../../src/shadow/types.js';

const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' };

function wire(status: number, body: unknown, headers: Record<string, string> = JSON_TYPE): WireAnswer {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  return decodeWire(status, headers, buf);
}

function legacyTicket(id: number, patch: Record<string, unknown> = {}) {
  return { ticket: { ...renderTicket('http://legacy.test', seedTicket(id)), ...patch } };
}

/** How the tickets.get slice compares: both answers are legacy-shaped ticket JSON, mapped by the real mapper. */
const tickets: SliceComparison = {
  contract: 'TicketV1',
  toContract(answer, side): ContractSide {
    const root = (answer.json as { ticket?: unknown } | undefined)?.ticket;
    if (root === undefined) return { ok: false, issues: [{ side, path: 'ticket', message: 'no ticket root key' }] };
    const { value, carry } = ticketFromLegacy(root);
    const unmodelled: Record<string, unknown> = {};
    for (const k of Object.keys(carry.extra)) unmodelled[`ticket.${k}`] = carry.extra[k];
    return { ok: true, value, unmodelled };
  },
  fields: rulesFor(TicketV1Schema, { tags: { comparator: 'set' } }),
};

const ok = (answer: WireAnswer, effects?: Effect[]) => ({ ok: true as const, answer, ...(effects ? { effects } : {}) });

function run(legacy: WireAnswer, candidate: WireAnswer, extra: Partial<CompareInput> = {}) {
  return compareAnswers({ slice: 'tickets.get', comparison: tickets, legacy, candidate: ok(candidate), ...extra });
}

describe('compareAnswers: result classes', () => {
  it('candidate_timeout and candidate_error keep the failure text', () => {
    const legacy = wire(200, legacyTicket(1));
    const t = compareAnswers({
      slice: 's',
      comparison: tickets,
      legacy,
      candidate: { ok: false, timeout: true, error: 'deadline 2000 ms' },
    });
    expect(t).toEqual({
      result: 'candidate_timeout',
      fields: [],
      noise: [],
      schemaIssues: [],
      gaps: [],
      error: 'deadline 2000 ms',
    });
    const e = compareAnswers({
      slice: 's',
      comparison: null,
      legacy,
      candidate: { ok: false, timeout: false, error: 'ECONNREFUSED' },
    });
    expect(e.result).toBe('candidate_error');
    expect(e.error).toBe('ECONNREFUSED');
  });

  it('match: the same ticket on both sides, even with typed-equal differences', () => {
    const seed = seedTicket(2);
    expect(seed.tags.length).toBeGreaterThan(1);
    const updated = new Date(Date.parse(seed.updated_at) + 500).toISOString();
    const candidate = legacyTicket(2, { tags: [...seed.tags].reverse(), updated_at: updated });
    expect(run(wire(200, legacyTicket(2)), wire(200, candidate))).toEqual({
      result: 'match',
      fields: [],
      noise: [],
      schemaIssues: [],
      gaps: [],
    });
    // The same tags in another order are a real difference without the `set` rule.
    const strictTags: SliceComparison = { ...tickets, fields: rulesFor(TicketV1Schema) };
    expect(run(wire(200, legacyTicket(2)), wire(200, candidate), { comparison: strictTags }).fields[0]?.path).toBe(
      'tags[0]',
    );
  });

  it('value_mismatch on a differing status code, with a $status diff', () => {
    const c = run(wire(200, legacyTicket(1)), wire(404, { error: 'RecordNotFound' }));
    expect(c.result).toBe('value_mismatch');
    expect(c.fields).toEqual([{ path: '$status', kind: 'changed', comparator: 'strict', legacy: 200, candidate: 404 }]);
  });

  it('value_mismatch on a contract field, by contract path', () => {
    const c = run(wire(200, legacyTicket(3)), wire(200, legacyTicket(3, { priority: 'low', subject: 'other' })));
    expect(c.result).toBe('value_mismatch');
    expect(c.fields.map((f) => [f.path, f.comparator])).toEqual([
      ['subject', 'strict'],
      ['priority', 'enum'],
    ]);
  });

  it('schema_error collects both sides’ issues; a throwing mapper is its side’s issue', () => {
    const broken = legacyTicket(4, { status: 'exploded' });
    const c = run(wire(200, { nothing: true }), wire(200, broken));
    expect(c.result).toBe('schema_error');
    expect(c.fields).toEqual([]);
    expect(c.schemaIssues).toEqual([
      { side: 'legacy', path: 'ticket', message: 'no ticket root key' },
      { side: 'candidate', path: 'ticket.status', message: expect.stringMatching(/option|expected/i) },
    ]);
    const throwing: SliceComparison = {
      ...tickets,
      toContract(answer, side) {
        if (side === 'candidate') throw new TypeError('cannot read properties of undefined');
        return tickets.toContract(answer, side);
      },
    };
    const t = run(wire(200, legacyTicket(4)), wire(200, legacyTicket(4)), { comparison: throwing });
    expect(t.result).toBe('schema_error');
    expect(t.schemaIssues).toEqual([{ side: 'candidate', path: '', message: 'cannot read properties of undefined' }]);
    expect(new MappingError('x', ['a.b: bad']).issues).toEqual(['a.b: bad']);
  });

  it('mapping_gap: contract fields agree, an unmodelled wire field differs', () => {
    const c = run(
      wire(200, legacyTicket(5, { sla_policy: { name: 'gold' }, same: 1 })),
      wire(200, legacyTicket(5, { sla_policy: { name: 'silver' }, same: 1 })),
    );
    expect(c.result).toBe('mapping_gap');
    expect(c.fields).toEqual([]);
    expect(c.gaps).toEqual(['ticket.sla_policy']);
    // A real difference outranks a gap.
    const both = run(
      wire(200, legacyTicket(5, { sla_policy: 1 })),
      wire(200, legacyTicket(5, { sla_policy: 2, subject: 'changed' })),
    );
    expect(both.result).toBe('value_mismatch');
    expect(both.gaps).toEqual(['ticket.sla_policy']);
  });

  it('non-2xx answers with the same status compare their JSON bodies under $body, else their bytes', () => {
    const c = run(
      wire(422, { error: 'RecordInvalid', details: { subject: ['blank'] } }),
      wire(422, { error: 'RecordInvalid', details: {} }),
    );
    expect(c.result).toBe('value_mismatch');
    expect(c.fields).toEqual([
      { path: '$body.details.subject', kind: 'missing', comparator: 'strict', legacy: ['blank'] },
    ]);
    const html = { 'content-type': 'text/html' };
    expect(run(wire(502, '<h1>Bad gateway</h1>', html), wire(502, '<h1>Bad gateway</h1>', html)).result).toBe('match');
    const raw = run(wire(502, '<h1>Bad gateway</h1>', html), wire(502, '<h1>Upstream down</h1>', html));
    expect(raw.fields).toEqual([
      {
        path: '$body',
        kind: 'changed',
        comparator: 'strict',
        legacy: '<h1>Bad gateway</h1>',
        candidate: '<h1>Upstream down</h1>',
      },
    ]);
  });

  it('2xx without a SliceComparison: generic JSON diff, or byte equality', () => {
    const c = compareAnswers({
      slice: 'x',
      comparison: null,
      legacy: wire(200, { a: [1, 2] }),
      candidate: ok(wire(200, { a: [1, 3] })),
    });
    expect(c.fields).toEqual([{ path: '$body.a[1]', kind: 'changed', comparator: 'strict', legacy: 2, candidate: 3 }]);
    const bytes = compareAnswers({
      slice: 'x',
      comparison: null,
      legacy: wire(200, Buffer.from([1, 2, 3]), {}),
      candidate: ok(wire(200, Buffer.from([1, 2, 3]), {})),
    });
    expect(bytes.result).toBe('match');
  });
});

describe('compareAnswers: noise', () => {
  it('moves differences on learned noise paths to `noise` (result match), keeps the rest real', () => {
    const noise = createNoiseLearner({ minSamples: 3, minRate: 0.5, defaultAcceptDays: 30 });
    for (let i = 0; i < 3; i++) noise.observe('tickets.get', ['updatedAt', 'customFields[].value']);
    const field = seedTicket(6).custom_fields[0]?.id;
    const legacy = wire(200, legacyTicket(6));
    const later = legacyTicket(6, { updated_at: '2031-01-01T00:00:00Z', custom_fields: [{ id: field, value: 'x' }] });
    const c = run(legacy, wire(200, later), { noise });
    expect(c.result).toBe('match');
    expect(c.fields).toEqual([]);
    expect(c.noise.map((d) => [d.path, d.noise])).toEqual([
      ['customFields[0].value', 'learned'],
      ['updatedAt', 'learned'],
    ]);
    // customFields[].id was never noisy: a difference there stays real, the noisy ones stay apart.
    const idChanged = legacyTicket(6, { updated_at: '2031-01-01T00:00:00Z', custom_fields: [{ id: 7, value: 'x' }] });
    const r = run(legacy, wire(200, idChanged), { noise });
    expect(r.result).toBe('value_mismatch');
    expect(r.fields.map((d) => d.path)).toEqual(['customFields[0].id']);
    expect(r.noise.map((d) => d.path)).toEqual(['customFields[0].value', 'updatedAt']);
    // Without the noise view the same answers are a mismatch on both noisy paths.
    expect(run(legacy, wire(200, later)).fields.map((d) => d.path)).toEqual(['customFields[0].value', 'updatedAt']);
  });

  it('learned noise never hides a status difference; an accepted one does', () => {
    const view = (why: 'learned' | 'accepted'): NoiseView => ({ noiseOf: (_s, p) => (p === '$status' ? why : null) });
    const legacy = wire(200, legacyTicket(1));
    const candidate = wire(503, 'busy', {});
    expect(run(legacy, candidate, { noise: view('learned') }).result).toBe('value_mismatch');
    const accepted = run(legacy, candidate, { noise: view('accepted') });
    expect(accepted.result).toBe('match');
    expect(accepted.noise[0]).toMatchObject({ path: '$status', noise: 'accepted' });
  });

  it('noisy unmodelled wire fields are not mapping gaps', () => {
    const noise: NoiseView = { noiseOf: (_s, p) => (p === 'ticket.generated_at' ? 'learned' : null) };
    const c = run(wire(200, legacyTicket(5, { generated_at: 1 })), wire(200, legacyTicket(5, { generated_at: 2 })), {
      noise,
    });
    expect(c.result).toBe('match');
    expect(c.gaps).toEqual([]);
    expect(c.noise).toEqual([
      { path: 'ticket.generated_at', kind: 'changed', comparator: 'strict', legacy: 1, candidate: 2, noise: 'learned' },
    ]);
  });
});

describe('compareAnswers: write slices (effects)', () => {
  const customerWrite: SliceComparison = {
    contract: 'CustomerV1',
    toContract: () => {
      throw new Error('bodies of write slices are not compared');
    },
    fields: rulesFor(CustomerV1Schema),
    legacyEffects: () => [],
    effectFields: { phone: { comparator: 'phone' }, 'lines[]': { comparator: 'enum' } },
  };
  const eff = (operation: string, target: string | null, payload: unknown, system = 'crm'): Effect => ({
    system,
    operation,
    target,
    payload,
  });

  function write(legacyEffects: Effect[], effects: Effect[], candidateBody: unknown = { id: 0 }) {
    return compareAnswers({
      slice: 'customers.address',
      comparison: customerWrite,
      legacy: wire(200, { id: 10001, ok: true }),
      candidate: ok(wire(200, candidateBody), effects),
      legacyEffects,
    });
  }

  it('matches equal effects and ignores the synthesized body', () => {
    const l = [eff('crm.address', '10001', { city: 'Stuttgart', phone: '0711/555123' })];
    const c = [eff('crm.address', '10001', { city: 'Stuttgart', phone: '+49711555123' })];
    expect(write(l, c, { totally: 'different' })).toMatchObject({ result: 'match', fields: [], schemaIssues: [] });
  });

  it('pairs by operation and target; payload differences are value mismatches under $effects[i].payload', () => {
    const l = [eff('ticket.update', '5', { status: 'open' }), eff('ticket.update', '6', { status: 'solved' })];
    const c = [eff('ticket.update', '6', { status: 'solved' }), eff('ticket.update', '5', { status: 'pending' })];
    const r = write(l, c);
    expect(r.result).toBe('value_mismatch');
    expect(r.fields).toEqual([
      {
        path: '$effects[0].payload.status',
        kind: 'changed',
        comparator: 'strict',
        legacy: 'open',
        candidate: 'pending',
      },
    ]);
  });

  it('a create (no target on one side) pairs by operation; unpaired effects are missing / extra', () => {
    const l = [
      eff('ticket.create', '121', { subject: 'Hi' }, 'ticketing'),
      eff('crm.address', '10001', { city: 'Ulm' }),
    ];
    const c = [
      eff('ticket.create', null, { subject: 'Hi' }, 'ticketing'),
      eff('crm.address', '10002', { city: 'Ulm' }),
      eff('mail.send', null, {}),
    ];
    const r = write(l, c);
    expect(r.result).toBe('value_mismatch');
    expect(r.fields).toEqual([
      { path: '$effects[1]', kind: 'missing', comparator: 'strict', legacy: l[1] },
      { path: '$effects[1]', kind: 'extra', comparator: 'strict', candidate: c[1] },
      { path: '$effects[2]', kind: 'extra', comparator: 'strict', candidate: c[2] },
    ]);
  });

  it('a write the candidate would not make at all is a mismatch; effect noise can be accepted', () => {
    const l = [eff('crm.address', '10001', { city: 'Ulm', requestId: 'a' })];
    expect(write(l, []).fields).toEqual([{ path: '$effects[0]', kind: 'missing', comparator: 'strict', legacy: l[0] }]);
    const noise: NoiseView = { noiseOf: (_s, p) => (p === '$effects[].payload.requestId' ? 'accepted' : null) };
    const r = compareAnswers({
      slice: 'customers.address',
      comparison: customerWrite,
      legacy: wire(200, {}),
      candidate: ok(wire(200, {}), [eff('crm.address', '10001', { city: 'Ulm', requestId: 'b' })]),
      legacyEffects: l,
      noise,
    });
    expect(r.result).toBe('match');
    expect(r.noise.map((d) => d.path)).toEqual(['$effects[0].payload.requestId']);
  });
});

describe('decodeWire', () => {
  const body = { ticket: { id: 1, subject: 'Grüße' } };
  const text = JSON.stringify(body);

  it.each([
    ['gzip', zlib.gzipSync(text)],
    ['br', zlib.brotliCompressSync(text)],
    ['deflate', zlib.deflateSync(text)],
    ['identity', Buffer.from(text)],
  ])('decodes %s and parses JSON', (encoding, buf) => {
    const w = decodeWire(200, { 'Content-Encoding': encoding, 'content-type': 'application/json' }, buf);
    expect(w.json).toEqual(body);
    expect(w.body.toString('utf8')).toBe(text);
  });

  it('parses JSON bodies whatever the content type, keeps others raw', () => {
    expect(decodeWire(200, { 'content-type': 'text/plain' }, Buffer.from('[1,2]')).json).toEqual([1, 2]);
    const html = decodeWire(502, { 'content-type': 'text/html' }, Buffer.from('<p>down</p>'));
    expect(html.json).toBeUndefined();
    expect(html.body.toString()).toBe('<p>down</p>');
    expect(decodeWire(204, {}, Buffer.alloc(0)).json).toBeUndefined();
  });

  it('a body that fails to decompress stays raw, without JSON', () => {
    const bogus = Buffer.from(text);
    const w = decodeWire(200, { 'content-encoding': 'gzip' }, bogus);
    expect(w.body).toBe(bogus);
    expect(w.json).toBeUndefined();
  });
});
