#!/usr/bin/env node
/**
 * The configuration reference, generated from the one schema (src/config.ts): every key, the environment variable
 * that overrides it, its default, its type and what it means, as a Markdown table.
 *
 *   node scripts/config-reference.mjs           print the table (reads dist/: run `npm run build` first)
 *   node scripts/config-reference.mjs --write   put it into README.md between the config markers
 *   node scripts/config-reference.mjs --check   exit 1 when README.md's table is out of date
 *
 * Keys, defaults and types come from the zod schema; environment variables are found by asking `loadConfig` (every
 * upper-case name src/config.ts mentions is set to a probe value, and the key that changes is the one it overrides).
 * Only the meanings are written by hand, below; a key without one (or a meaning for a key that no longer exists) is
 * an error, so a new setting cannot reach the README undocumented. test/docs/config-reference.test.ts runs the same
 * code against the TypeScript sources.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const START_MARKER = '<!-- config:start -->';
export const END_MARKER = '<!-- config:end -->';
/** Records in the schema are keyed by slice id. */
const RECORD_KEY = '<slice>';

/** What each key means. Keep it to one line; the table carries key, variable, default and type already. */
export const MEANINGS = {
  host: 'public listen address (the container image sets `0.0.0.0`)',
  port: 'public port; reserves no path',
  adminHost: 'admin listen address; unset: same as `host`',
  adminPort: 'admin port: `/healthz`, `/readyz`, `/metrics`, `/console`, `/admin/*`',
  publicUrl: 'origin legacy URLs are rewritten to; unset: an `allowedHosts` Host, else the listen address',
  allowedHosts: 'Host values accepted as the public origin when `publicUrl` is not set',
  trustedProxies: 'peers whose `X-Forwarded-*` are extended rather than replaced',
  'legacy.url': 'the legacy platform (passthrough target)',
  'legacy.connectTimeoutMs': 'connect timeout to legacy (→ 504 `GW_UPSTREAM_TIMEOUT`)',
  'legacy.headersTimeoutMs': "wait for legacy's response headers",
  'legacy.bodyTimeoutMs': 'max idle time between body chunks from legacy (slow streams are fine, stalled ones not)',
  'legacy.connections': 'connection pool size to legacy',
  'legacy.rewriteUrls': "rewrite legacy's absolute URLs in `Location`, `Link`, cookies and JSON bodies",
  'legacy.maxRewriteBufferBytes': 'JSON bodies up to this size are rewritten in memory, larger ones while streaming',
  'legacy.systems.ticketing': 'origin of the ticketing system for new paths; unset: `legacy.url`',
  'legacy.systems.crm': 'origin of the CRM; unset: `legacy.url`',
  'legacy.systems.orders': 'origin of the SOAP order service; unset: `legacy.url`',
  'legacy.systems.conversations': 'origin of the conversations/bot system; unset: `legacy.url`',
  'legacy.timeZone': 'IANA zone of legacy `YYYYMMDD HHmmss` times (CRM, orders)',
  'flags.file': "flags file in Unleash's client-features format, hot-reloaded (the demo writes one)",
  'flags.unleashUrl': 'Unleash API URL; wins over `flags.file`',
  'flags.unleashApiToken': 'Unleash backend token (redacted in logs)',
  'flags.appName': 'application name reported to Unleash',
  'flags.refreshIntervalMs': 'flag poll interval',
  'flags.maxStalenessSeconds': 'after this long without a confirmed flag state every slice goes to legacy',
  'flags.contextHeaders.tenant': 'header read into the flag context as tenant',
  'flags.contextHeaders.channel': 'header read as channel',
  'flags.contextHeaders.region': 'header read as region',
  'flags.contextHeaders.customerId': 'header read as customer id (sticky rollout `userId`)',
  'flags.contextHeaders.conversationId': 'header read as conversation id (sticky rollout `sessionId`)',
  'pipeline.defaultDeadlineMs': 'new-path deadline when a route sets none',
  'pipeline.maxBufferedBodyBytes': 'larger request bodies are served by legacy (`body_too_large`)',
  'pipeline.breaker.windowMs': 'circuit breaker: rolling window',
  'pipeline.breaker.buckets': 'circuit breaker: buckets in the window',
  'pipeline.breaker.errorThresholdPercent': 'circuit breaker: opens above this failure share',
  'pipeline.breaker.minimumRequests': 'circuit breaker: never opens below this many calls in the window',
  'pipeline.breaker.openMs': 'circuit breaker: time open before one half-open probe',
  'pipeline.exposeDecisionHeaders': 'add `x-gateway-served-by`, `x-gateway-mode`, `x-gateway-fallback-reason`',
  'pipeline.slices': 'per-slice overrides, by slice id',
  'pipeline.slices.<slice>.deadlineMs': "the slice's new-path deadline",
  'pipeline.slices.<slice>.maxBufferedBodyBytes': "the slice's request body cap",
  'shadow.maxConcurrent': 'shadow runs in flight per replica; more are skipped (`concurrency`); 0 turns shadowing off',
  'shadow.maxBodyBytes':
    'request or legacy answer larger than this is not shadowed (`body_too_large`, `response_too_large`)',
  'shadow.deadlineMs': 'deadline of a shadow run (candidate, and the second legacy call)',
  'shadow.sampleRate': "share of flag-selected requests actually shadowed (cost cap on top of the flag's rollout)",
  'shadow.cpuBudget':
    "share of the event loop the runner's own work (compare, noise, mask, store) may take on average; beyond it new runs are skipped as `overload`; 1: no budget",
  'shadow.maxLoopUtilization':
    'while the event loop was busier than this over the last 250 ms (all work counted), new shadow runs are skipped as `overload`; 1: never',
  'shadow.maxRunsPerSecond':
    'new shadow runs a slice may start per second in one replica, paced one per 1/rate s (the rest skipped as `rate`), so runs never start or finish in bunches; `gateway replay` traffic is not paced; 0: no limit',
  'shadow.worker':
    'judge shadow runs (decode, compare on the contract, mask) in a worker thread started with the gateway (about 25 MB) at SCHED_IDLE / nice 19, off the thread that serves clients (a 143 KB ticket: 0.5 ms of main-thread time instead of 13 ms, `npm run bench:judge`); false: on the main thread, within `shadow.cpuBudget` and in turns',
  'shadow.workerBatchMs':
    'finished shadow runs wait up to this long (or until 16 wait) and go to the comparison worker together; it judges them back to back (at 20 runs/s 30–40 % less worker CPU per run: one wake-up, warm caches). 0: each at once. Diff records appear this much later',
  'shadow.workerCandidates':
    "the comparison worker also runs the candidates of shadowed route slices (the new handler with dry-run adapters and legacy pools of its own; posted at once, not batched), so a candidate's legacy read, mapping and rendering cost the thread serving clients nothing; a candidate whose deadline fired over 100 ms late (the idle-priority worker got no CPU) is skipped as `overload`, not recorded as a timeout; intent slices (the AI engine) run on the main thread; needs `shadow.worker`",
  'shadow.primedReads':
    "a candidate's legacy read of exactly the client's request (GET, same URL, same values of the headers legacy's answer varies on, answer not content-encoded) gets legacy's answer to the client instead of a second call: both sides are compared on the same legacy data, shadowing a read adds no legacy load, and the diff record's `candidate.primedReads` counts it; its other reads go to legacy",
  'shadow.textSimilarity': 'AI reply vs legacy bot reply count as equal from this similarity',
  'shadow.maskKey':
    'HMAC key of PII hashes in diff records and recordings; same on every replica; unset: random per process',
  'shadow.maskFreeText':
    'free text in stored diffs: `hash` (keyed hash + length) or `redact` (readable, detected PII replaced)',
  'shadow.noise.secondary': 'ask legacy a second time for idempotent reads to learn noise',
  'shadow.noise.warmup': 'shadowed reads per slice that always get a second legacy call',
  'shadow.noise.sampleRate': 'after the warm-up, share of shadowed reads with a second legacy call',
  'shadow.noise.minSamples': 'legacy/legacy samples a slice needs before a path can be learned noise',
  'shadow.noise.minRate': 'share of samples a path must differ in to be learned noise',
  'shadow.noise.acceptDays': 'default expiry of a QA acceptance',
  'shadow.noise.file': 'file learned noise and QA decisions are kept in without Redis (unset: memory only)',
  'shadow.store.cap': 'diff records kept (memory ring / Redis stream `MAXLEN ~`); summaries count everything',
  'shadow.store.keepMatchBodies': 'also store both bodies of matching records',
  'shadow.store.maxBytes':
    'memory store only: record JSON kept at most (UTF-8 bytes, outside the V8 heap); the oldest go first beyond it',
  'shadow.record.file': 'record sampled public requests (masked JSONL) for `gateway replay`; unset: off',
  'shadow.record.sampleRate': 'share of requests recorded (deterministic per request id)',
  'shadow.record.maxBytes': 'recording stops when the file reaches this size',
  'contracts.enabled': 'serve resources as v1/v2 contracts to new clients under `contracts.prefix`',
  'contracts.prefix': 'path prefix the contract API reserves on the public port',
  'contracts.deadlineMs': 'deadline of a contract API request',
  'contracts.maxBodyBytes': 'largest request body the contract API accepts (413 above)',
  'admin.tokens': 'admin API and console tokens; `GATEWAY_ADMIN_TOKEN` adds one with role `admin`',
  'admin.tokens[].token': 'bearer token, at least 16 characters',
  'admin.tokens[].role': 'what the token may do (see Operating guide)',
  'admin.tokens[].name': 'who it is: shown in the audit log and the console',
  'admin.auditLogSize': 'audit entries kept (pins, un-pins, noise decisions)',
  'server.requestTimeoutMs': 'a client request must be complete within this',
  'server.headersTimeoutMs': "a client's request headers must arrive within this",
  'server.keepAliveTimeoutMs': 'idle keep-alive connections are closed after this',
  'server.maxHeaderBytes': 'larger request headers get 431',
  'server.shutdownGraceMs': 'SIGTERM: in-flight requests get this long to finish',
  'log.level': 'pino log level',
  'log.access': 'one access line per request',
  'log.redact': 'extra pino paths to redact',
  'log.redactQueryParams': 'query parameters redacted in logs and recordings, on top of the built-in list',
  'ai.confidenceThreshold': 'local classifier is sure from this confidence',
  'ai.marginThreshold': '… and this top-2 margin; otherwise the LLM is asked',
  'ai.llm.baseUrl': 'OpenAI-compatible endpoint; unset: the deterministic local model',
  'ai.llm.apiKey': 'its API key (redacted in logs)',
  'ai.llm.model': 'model name',
  'ai.llm.timeoutMs': 'LLM call timeout',
  'ai.llm.maxRetries': 'LLM retries',
  'ai.llm.inputUsdPerMTok': 'USD per million input tokens (cost accounting)',
  'ai.llm.outputUsdPerMTok': 'USD per million output tokens',
  'ai.budgets': 'daily budgets per intent slice; over budget → legacy (`budget_exceeded`)',
  'ai.budgets.<slice>.tokensPerDay': 'tokens per day',
  'ai.budgets.<slice>.usdPerDay': 'USD per day',
  'rollback.enabled': 'automatic pin-back to legacy on degradation',
  'rollback.evaluateEveryMs': 'how often each replica evaluates the rule',
  'rollback.windowMinutes': 'window the rates are taken over (summed over replicas with Redis)',
  'rollback.minRequests': 'fewer new-path requests (or comparisons) in the window: `inconclusive`, never pinned',
  'rollback.maxFallbackRate': 'pin when degraded fallbacks per new-path request exceed this',
  'rollback.maxMismatchRate': 'pin when non-matching shadow comparisons per comparison exceed this',
  'rollback.slices': 'per-slice rule overrides, by slice id (any subset of the keys below)',
  'rollback.slices.<slice>.windowMinutes': 'override of `rollback.windowMinutes`',
  'rollback.slices.<slice>.minRequests': 'override of `rollback.minRequests`',
  'rollback.slices.<slice>.maxFallbackRate': 'override of `rollback.maxFallbackRate`',
  'rollback.slices.<slice>.maxMismatchRate': 'override of `rollback.maxMismatchRate`',
  'rollback.slices.<slice>.enabled': 'turn the rule off (or on) for one slice',
  redisUrl:
    'shared state, diffs and learned noise in Redis; `rediss://` for TLS, `redis+cluster://h1:p,h2:p` for Cluster',
  redisPrefix: 'prefix of every Redis key (several gateways may share one Redis)',
};

const WRAPPERS = new Set(['default', 'prefault', 'optional', 'nullable', 'readonly', 'catch', 'nonoptional']);
/** Probe values for environment variables, tried in order until one passes the schema. */
const PROBES = ['http://probe.invalid:4242', '4242', 'true', '/probe', 'debug'];

const def = (schema) => schema._zod.def;
const join2 = (path, key) => (path === '' ? key : `${path}.${key}`);

/** Strips optional/default wrappers; says whether the value may be left out and what it defaults to. */
function unwrap(schema) {
  let s = schema;
  let optional = false;
  let dflt;
  let hasDefault = false;
  while (WRAPPERS.has(def(s).type)) {
    const d = def(s);
    if (d.type === 'optional') optional = true;
    if ((d.type === 'default' || d.type === 'prefault') && !hasDefault) {
      hasDefault = true;
      dflt = d.defaultValue;
    }
    s = d.innerType;
  }
  return { schema: s, optional, hasDefault, dflt };
}

/** A short type: `int 0–65535`, `number 0–1`, `url`, `hash \| redact`, `string[]`, … */
function typeOf(schema) {
  const d = def(schema);
  switch (d.type) {
    case 'number': {
      const checks = (d.checks ?? []).map((c) => c._zod.def);
      const int = checks.some((c) => c.check === 'number_format' && /int/.test(c.format));
      const lo = checks.find((c) => c.check === 'greater_than');
      const hi = checks.find((c) => c.check === 'less_than');
      const base = int ? 'int' : 'number';
      if (lo && hi) return `${base} ${lo.value}–${hi.value}`;
      if (lo) return `${base} ${lo.inclusive ? '≥' : '>'} ${lo.value}`;
      if (hi) return `${base} ${hi.inclusive ? '≤' : '<'} ${hi.value}`;
      return base;
    }
    case 'string':
      return d.format === 'url' ? 'url' : 'string';
    case 'boolean':
      return 'boolean';
    case 'enum':
      return Object.values(d.entries)
        .map((v) => `\`${v}\``)
        .join(' \\| ');
    case 'array':
      return `${typeOf(unwrap(d.element).schema)}[]`;
    default:
      return d.type;
  }
}

function formatValue(value, key) {
  if (value === undefined) return '—';
  if (typeof value === 'string') return `\`${value}\``;
  if (typeof value === 'number' && /Bytes$/.test(key) && value >= 1024 && value % 1024 === 0) {
    const kib = value / 1024;
    return kib % 1024 === 0 ? `${value} (${kib / 1024} MiB)` : `${value} (${kib} KiB)`;
  }
  if (typeof value === 'object' && value !== null) return `\`${JSON.stringify(value)}\``;
  return String(value);
}

function valueAt(obj, path) {
  let node = obj;
  for (const k of path.split('.')) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, k)) return undefined;
    node = node[k];
  }
  return node;
}

/** Every key of the schema, in schema order: leaves, and the records and object lists with their members. */
function keysOf(schema) {
  const out = [];
  const walk = (node, path, inside) => {
    const u = unwrap(node);
    const d = def(u.schema);
    const row = { key: path, schema: u.schema, inside, optional: u.optional, hasDefault: u.hasDefault, dflt: u.dflt };
    if (d.type === 'object') {
      for (const [k, v] of Object.entries(d.shape)) walk(v, join2(path, k), inside);
    } else if (d.type === 'record') {
      out.push({ ...row, type: `map by slice id` });
      walk(d.valueType, `${path}.${RECORD_KEY}`, true);
    } else if (d.type === 'array' && def(unwrap(d.element).schema).type === 'object') {
      out.push({ ...row, type: 'list' });
      walk(d.element, `${path}[]`, true);
    } else {
      out.push({ ...row, type: typeOf(u.schema) });
    }
  };
  walk(schema, '', false);
  return out;
}

/** Dotted paths where two parsed configs differ (arrays compared whole). */
function differences(a, b, path = '', out = []) {
  const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObj(a) && isObj(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) differences(a[k], b[k], join2(path, k), out);
  } else if (JSON.stringify(a) !== JSON.stringify(b)) {
    out.push(path);
  }
  return out;
}

/** Upper-case names the config module mentions: `'GATEWAY_PORT'` literals and `env.GATEWAY_ADMIN_TOKEN` reads. */
export function envCandidates(source) {
  const names = new Set();
  for (const m of source.matchAll(/['"]([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)['"]/g)) names.add(m[1]);
  for (const m of source.matchAll(/\benv\.([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)\b/g)) names.add(m[1]);
  return [...names].sort();
}

/** Environment variable → the config keys it sets, found by setting each candidate and parsing. */
export function envOverrides(loadConfig, candidates) {
  const base = loadConfig({ env: {} });
  const found = new Map();
  for (const name of candidates) {
    for (const probe of PROBES) {
      let cfg;
      try {
        cfg = loadConfig({ env: { [name]: probe } });
      } catch {
        continue; // the schema refused this probe value; try the next
      }
      const changed = differences(base, cfg);
      if (changed.length > 0) {
        found.set(name, changed);
        break;
      }
    }
  }
  return found;
}

/**
 * The reference rows. `schema` is ConfigSchema, `loadConfig` the module's loader, `source` the text of the config
 * module (for the environment variable names). Problems: keys without a meaning, meanings without a key, variables
 * that set a key the table does not list.
 */
export function configReference({ schema, loadConfig, source }) {
  const defaults = schema.parse({});
  const env = envOverrides(loadConfig, envCandidates(source));
  const envByKey = new Map();
  for (const [name, keys] of env) {
    for (const k of keys) envByKey.set(k, [...(envByKey.get(k) ?? []), name]);
  }
  const keys = keysOf(schema);
  const problems = [];
  const rows = keys.map((k) => {
    const dflt = k.inside
      ? k.hasDefault
        ? formatValue(k.dflt, k.key)
        : k.optional
          ? '—'
          : 'required'
      : formatValue(valueAt(defaults, k.key), k.key);
    const meaning = MEANINGS[k.key];
    if (meaning === undefined) problems.push(`${k.key}: no meaning in scripts/config-reference.mjs MEANINGS`);
    return {
      key: k.key,
      env: envByKey.get(k.key) ?? [],
      default: dflt,
      type: k.type,
      meaning: meaning ?? '',
    };
  });
  const listed = new Set(keys.map((k) => k.key));
  for (const key of Object.keys(MEANINGS)) {
    if (!listed.has(key)) problems.push(`${key}: has a meaning but is not in the schema`);
  }
  for (const [key, names] of envByKey) {
    if (!listed.has(key)) problems.push(`${names.join(', ')} sets ${key}, which the table does not list`);
  }
  return { rows, env, problems };
}

/** The Markdown table (no markers). */
export function renderTable(rows) {
  const lines = ['| key | env | default | type | meaning |', '|---|---|---|---|---|'];
  for (const r of rows) {
    const env = r.env.map((e) => `\`${e}\``).join(', ');
    lines.push(`| \`${r.key}\` | ${env} | ${r.default} | ${r.type} | ${r.meaning} |`);
  }
  return `${lines.join('\n')}\n`;
}

/** The table between the markers in `readme`, or null when the markers are missing. */
export function readmeTable(readme) {
  const start = readme.indexOf(START_MARKER);
  const end = readme.indexOf(END_MARKER);
  if (start === -1 || end === -1 || end < start) return null;
  return readme.slice(start + START_MARKER.length, end).replace(/^\n+/, '');
}

/** `readme` with the table between the markers replaced. */
export function withTable(readme, table) {
  const start = readme.indexOf(START_MARKER);
  const end = readme.indexOf(END_MARKER);
  if (start === -1 || end === -1 || end < start) {
    throw new Error(`README.md has no ${START_MARKER} … ${END_MARKER} block`);
  }
  return `${readme.slice(0, start + START_MARKER.length)}\n${table}${readme.slice(end)}`;
}

async function main(argv) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const compiled = join(root, 'dist/src/config.js');
  const sourceFile = join(root, 'src/config.ts');
  let mod;
  try {
    mod = await import(pathToFileURL(compiled).href);
  } catch (err) {
    process.stderr.write(`cannot load ${compiled} (${err.message}); run npm run build first\n`);
    return 2;
  }
  if (statSync(sourceFile).mtimeMs > statSync(compiled).mtimeMs) {
    process.stderr.write('warning: dist/src/config.js is older than src/config.ts; run npm run build\n');
  }
  const { rows, problems } = configReference({
    schema: mod.ConfigSchema,
    loadConfig: mod.loadConfig,
    source: readFileSync(sourceFile, 'utf8'),
  });
  for (const p of problems) process.stderr.write(`config-reference: ${p}\n`);
  const table = renderTable(rows);
  const readmeFile = join(root, 'README.md');
  if (argv.includes('--write')) {
    if (problems.length > 0) return 1;
    const readme = readFileSync(readmeFile, 'utf8');
    const next = withTable(readme, table);
    if (next !== readme) writeFileSync(readmeFile, next);
    process.stderr.write(`README.md: ${rows.length} configuration keys${next === readme ? ' (unchanged)' : ''}\n`);
    return 0;
  }
  if (argv.includes('--check')) {
    const current = readmeTable(readFileSync(readmeFile, 'utf8'));
    if (current !== table || problems.length > 0) {
      process.stderr.write('README.md configuration table is out of date: node scripts/config-reference.mjs --write\n');
      return 1;
    }
    return 0;
  }
  process.stdout.write(table);
  return problems.length > 0 ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
