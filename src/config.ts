import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/**
 * The one configuration schema. Parsed once at start (file + environment overrides); an invalid config lists every
 * problem with its path and never opens a socket. This is the only module that reads process.env.
 */
const Port = z.number().int().min(0).max(65535);
const Duration = z.number().int().positive();

const RoleSchema = z.enum(['viewer', 'qa', 'migration-lead', 'sre', 'admin']);
export type Role = z.infer<typeof RoleSchema>;

const SliceOverrideSchema = z
  .object({
    /** Per-request deadline of the new path, ms. */
    deadlineMs: Duration.optional(),
    /** Request bodies larger than this are served by legacy (the new path needs the buffered body for fallback). */
    maxBufferedBodyBytes: z.number().int().min(0).optional(),
  })
  .strict();

const BreakerSchema = z
  .object({
    /** Rolling window length, ms. */
    windowMs: Duration.default(10_000),
    /** Buckets in the rolling window. */
    buckets: z.number().int().min(1).max(100).default(10),
    /** Opens when failures / calls * 100 is strictly greater than this. */
    errorThresholdPercent: z.number().min(0).max(100).default(50),
    /** No opening below this many calls in the window. */
    minimumRequests: z.number().int().min(1).default(20),
    /** Time open before one half-open probe is let through, ms. */
    openMs: Duration.default(30_000),
  })
  .strict();

/** The automatic pin-back rule (DESIGN §5): degrade over a window with enough traffic → pinned to legacy. */
/** The automatic pin-back thresholds, without defaults: a per-slice entry leaves out what it inherits. */
const RollbackRuleFields = {
  windowMinutes: z.number().int().min(1).max(60),
  /** Below this many requests in the window a rate is inconclusive, never healthy. */
  minRequests: z.number().int().min(1),
  /** Fallbacks for degradation (timeout, error, 5xx, contract, breaker) per new-path attempt. */
  maxFallbackRate: z.number().min(0).max(1),
  /** Shadow comparisons that did not match (candidate errors and timeouts included) per comparison. */
  maxMismatchRate: z.number().min(0).max(1),
};
const RollbackRuleShape = {
  windowMinutes: RollbackRuleFields.windowMinutes.default(5),
  minRequests: RollbackRuleFields.minRequests.default(200),
  maxFallbackRate: RollbackRuleFields.maxFallbackRate.default(0.05),
  maxMismatchRate: RollbackRuleFields.maxMismatchRate.default(0.02),
};

export const ConfigSchema = z
  .object({
    host: z.string().min(1).default('127.0.0.1'),
    port: Port.default(8080),
    adminHost: z.string().min(1).optional(),
    adminPort: Port.default(8081),
    /** Public origin of the gateway, used to rewrite legacy's absolute URLs. Default: derived (see README). */
    publicUrl: z.url().optional(),
    /** Host header values accepted as the public origin when publicUrl is not set. */
    allowedHosts: z.array(z.string().min(1)).default([]),
    /** Peer addresses whose X-Forwarded-* headers are kept (extended) rather than replaced. */
    trustedProxies: z.array(z.string().min(1)).default([]),
    legacy: z
      .object({
        url: z.url().default('http://127.0.0.1:8090'),
        connectTimeoutMs: Duration.default(5_000),
        headersTimeoutMs: Duration.default(30_000),
        /** Max idle time between body chunks from legacy, ms (slow streams are fine, stalled ones are not). */
        bodyTimeoutMs: Duration.default(60_000),
        connections: z.number().int().positive().default(128),
        /** Rewrite legacy's absolute URLs in Location/Link headers and JSON bodies to the public origin. */
        rewriteUrls: z.boolean().default(true),
        /** Max JSON body size rewritten in memory; larger JSON bodies are rewritten while streaming. */
        maxRewriteBufferBytes: z.number().int().positive().default(1_048_576),
        /** Per legacy system base URLs for the adapters (new paths); each defaults to `legacy.url`. */
        systems: z
          .object({
            ticketing: z.url().optional(),
            crm: z.url().optional(),
            orders: z.url().optional(),
            conversations: z.url().optional(),
          })
          .strict()
          .default({}),
        /** IANA zone of legacy `YYYYMMDD HHmmss` timestamps (CRM, order service). The simulator writes UTC. */
        timeZone: z
          .string()
          .refine((tz) => {
            try {
              new Intl.DateTimeFormat('en', { timeZone: tz });
              return true;
            } catch {
              return false;
            }
          }, 'an IANA time zone, e.g. Europe/Berlin')
          .default('UTC'),
      })
      .strict()
      .prefault({}),
    flags: z
      .object({
        file: z.string().min(1).optional(),
        unleashUrl: z.url().optional(),
        unleashApiToken: z.string().min(1).optional(),
        appName: z.string().min(1).default('strangler-gateway'),
        refreshIntervalMs: Duration.default(1_000),
        /** After this long without a confirmed flag state, every slice is served by legacy. */
        maxStalenessSeconds: z.number().positive().default(300),
        /** Headers read into the flag context. */
        contextHeaders: z
          .object({
            tenant: z.string().default('x-tenant-id'),
            channel: z.string().default('x-channel'),
            region: z.string().default('x-region'),
            customerId: z.string().default('x-customer-id'),
            conversationId: z.string().default('x-conversation-id'),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    pipeline: z
      .object({
        defaultDeadlineMs: Duration.default(2_000),
        maxBufferedBodyBytes: z.number().int().min(0).default(1_048_576),
        breaker: BreakerSchema.prefault({}),
        /** Expose x-gateway-served-by / x-gateway-fallback-reason response headers (off: fully transparent). */
        exposeDecisionHeaders: z.boolean().default(false),
        slices: z.record(z.string(), SliceOverrideSchema).default({}),
      })
      .strict()
      .prefault({}),
    shadow: z
      .object({
        maxConcurrent: z.number().int().min(0).default(16),
        maxBodyBytes: z.number().int().min(0).default(262_144),
        deadlineMs: Duration.default(5_000),
        /** Share of flag-selected requests actually shadowed (a cost cap on top of the flag's rollout). */
        sampleRate: z.number().min(0).max(1).default(1),
        /**
         * CPU budget of shadow runs: the share of the event loop's time (0..1) that comparing, noise learning, masking
         * and storing may take on average. Beyond it new shadow runs are skipped (`overload`) until the budget has
         * recovered, so shadow work yields to client traffic. 1: no budget.
         */
        cpuBudget: z.number().min(0).max(1).default(0.02),
        /**
         * Shadow work yields to a busy process: while the event loop was busy more than this share of the last
         * quarter second (event-loop utilisation, which counts every kind of work: client requests, candidates,
         * second legacy reads), new shadow runs are skipped (`overload`). 1: never.
         */
        maxLoopUtilization: z.number().min(0).max(1).default(0.8),
        /**
         * Shadow runs a slice may start per second in this process (0: no limit). Admissions are paced, one per
         * 1/rate s at most, so that runs never start, and so never finish, in bunches; the rest are skipped (`rate`).
         * Requests from `gateway replay` are not paced (the replay has its own rate limit).
         */
        maxRunsPerSecond: z.number().min(0).default(20),
        /**
         * Judge shadow runs (decode, compare, mask) in a worker thread at the lowest scheduling priority instead of
         * on the thread that serves clients. Off: on the main thread, within `cpuBudget` and in turns.
         */
        worker: z.boolean().default(true),
        /**
         * Finished runs wait up to this long (or until 16 wait) and go to the comparison worker together, which then
         * judges them back to back: 30–40 % less worker CPU per run at 20 runs/s (one wake-up, warm caches). 0: each
         * at once. Diff records appear this much later.
         */
        workerBatchMs: z.number().int().min(0).max(5_000).default(250),
        /**
         * The comparison worker also runs the candidates of shadowed route slices (their new handler with dry-run
         * adapters and legacy pools of its own), so a candidate's legacy read, mapping and rendering cost the thread
         * serving clients nothing. Intent slices (the AI engine) and route tables the worker cannot load run on the
         * main thread. Needs `worker`.
         */
        workerCandidates: z.boolean().default(true),
        /**
         * A candidate's legacy read of exactly the client's request (a GET of the same URL, the same values of the
         * headers legacy's answer varies on, an answer not content-encoded) gets legacy's answer to the client instead
         * of a second call: both sides are compared on the same snapshot of legacy, and shadowing a read adds no load
         * on legacy. Its other reads go to legacy. Off: every candidate read is a call of its own.
         */
        primedReads: z.boolean().default(true),
        /** Free-text answers (AI replies vs the legacy bot) count as equal from this similarity (0..1). */
        textSimilarity: z.number().min(0).max(1).default(0.5),
        /**
         * Key of the PII hashes in stored diffs (equal values stay equal). Set the same value on every replica
         * (GATEWAY_MASK_KEY); without it a random key per process is used, so hashes only compare within a process.
         */
        maskKey: z.string().min(16, 'at least 16 characters').optional(),
        /**
         * Free text in stored diffs: `hash` (default: keyed hash + length; nothing a PII detector could miss is kept)
         * or `redact` (readable, with detected PII replaced; a name only in free text is not detected).
         */
        maskFreeText: z.enum(['hash', 'redact']).default('hash'),
        noise: z
          .object({
            /** Ask legacy a second time for idempotent reads and learn which fields differ by themselves. */
            secondary: z.boolean().default(true),
            /** Shadowed reads per slice that always get a second legacy call, before `sampleRate` applies. */
            warmup: z.number().int().min(0).default(20),
            sampleRate: z.number().min(0).max(1).default(0.05),
            minSamples: z.number().int().min(1).default(5),
            minRate: z.number().min(0).max(1).default(0.2),
            acceptDays: z.number().int().min(1).default(30),
            /** File the learned noise is kept in without Redis (none: memory only). */
            file: z.string().min(1).optional(),
          })
          .strict()
          .prefault({}),
        store: z
          .object({
            /** Records kept: the newest `cap` (memory ring / Redis stream MAXLEN ~). Summaries count everything. */
            cap: z.number().int().min(1).default(5_000),
            /**
             * Memory store only: the kept records' JSON may take this many bytes (UTF-8, held outside the V8 heap) at
             * most; older records go first beyond it, so large mismatch records cannot grow the process without bound.
             * Redis bounds its own memory (`maxmemory`).
             */
            maxBytes: z.number().int().min(65_536).default(33_554_432),
            /** Keep both bodies of matching records too (off: matches are stored without bodies). */
            keepMatchBodies: z.boolean().default(false),
          })
          .strict()
          .prefault({}),
        record: z
          .object({
            /** JSONL file that sampled public traffic is recorded to (masked); unset: no recording. */
            file: z.string().min(1).optional(),
            sampleRate: z.number().min(0).max(1).default(0.1),
            maxBytes: z.number().int().min(1_024).default(52_428_800),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    contracts: z
      .object({
        /** Serve resources as v1/v2 contracts for new clients. Off: the public port stays fully transparent. */
        enabled: z.boolean().default(false),
        /** Reserved path prefix on the public port when enabled. */
        prefix: z
          .string()
          .regex(/^\/[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*$/, 'a path like /contracts')
          .default('/contracts'),
        deadlineMs: Duration.default(3_000),
        maxBodyBytes: z.number().int().positive().default(65_536),
      })
      .strict()
      .prefault({}),
    admin: z
      .object({
        /** Tokens with roles. GATEWAY_ADMIN_TOKEN adds an `admin` token. */
        tokens: z
          .array(z.object({ token: z.string().min(16), role: RoleSchema, name: z.string().min(1) }).strict())
          .default([]),
        auditLogSize: z.number().int().positive().default(10_000),
      })
      .strict()
      .prefault({}),
    server: z
      .object({
        requestTimeoutMs: Duration.default(120_000),
        headersTimeoutMs: Duration.default(30_000),
        keepAliveTimeoutMs: Duration.default(72_000),
        maxHeaderBytes: z.number().int().positive().default(16_384),
        shutdownGraceMs: Duration.default(10_000),
      })
      .strict()
      .prefault({}),
    log: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
        /** One access line per request. */
        access: z.boolean().default(true),
        /** Extra log paths to redact (pino paths, e.g. PII fields bound by handlers). */
        redact: z.array(z.string()).default([]),
        /** Query parameters whose values are replaced in the access log (added to token, password, email, phone, …). */
        redactQueryParams: z.array(z.string().min(1)).default([]),
      })
      .strict()
      .prefault({}),
    ai: z
      .object({
        /** Rasa-like defaults: below this confidence, or a smaller top-2 margin, the local tier is "unsure". */
        confidenceThreshold: z.number().min(0).max(1).default(0.7),
        marginThreshold: z.number().min(0).max(1).default(0.1),
        llm: z
          .object({
            /** OpenAI-compatible endpoint; without it the deterministic local model answers. */
            baseUrl: z.url().optional(),
            apiKey: z.string().min(1).optional(),
            model: z.string().min(1).default('gpt-4o-mini'),
            timeoutMs: Duration.default(8_000),
            maxRetries: z.number().int().min(0).max(5).default(1),
            /** USD per 1M tokens, for cost accounting. */
            inputUsdPerMTok: z.number().min(0).default(0.15),
            outputUsdPerMTok: z.number().min(0).default(0.6),
          })
          .strict()
          .prefault({}),
        /** Daily budgets per intent slice; over budget → legacy with reason budget_exceeded. */
        budgets: z
          .record(
            z.string(),
            z
              .object({
                tokensPerDay: z.number().int().positive().optional(),
                usdPerDay: z.number().positive().optional(),
              })
              .strict(),
          )
          .default({}),
      })
      .strict()
      .prefault({}),
    rollback: z
      .object({
        enabled: z.boolean().default(true),
        /** How often the rule is evaluated (each replica; the pin is made once across replicas). */
        evaluateEveryMs: Duration.default(5_000),
        ...RollbackRuleShape,
        /** Per-slice thresholds (any subset; a key left out takes the global value above). */
        slices: z
          .record(
            z.string(),
            z.object(RollbackRuleFields).partial().extend({ enabled: z.boolean().optional() }).strict(),
          )
          .default({}),
      })
      .strict()
      .prefault({}),
    redisUrl: z.string().min(1).optional(),
    /** Prefix of every Redis key the gateway writes (several gateways may share one Redis). */
    redisPrefix: z.string().min(1).default('gw:'),
  })
  .strict();

export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(message: string, problems: string[]) {
    super(message);
    this.problems = problems;
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** Environment overrides: env name → config path. Numbers are parsed; an invalid number is reported by the schema. */
const ENV_MAP: ReadonlyArray<readonly [string, readonly string[], 'string' | 'number' | 'boolean']> = [
  ['GATEWAY_HOST', ['host'], 'string'],
  ['GATEWAY_PORT', ['port'], 'number'],
  ['GATEWAY_ADMIN_HOST', ['adminHost'], 'string'],
  ['GATEWAY_ADMIN_PORT', ['adminPort'], 'number'],
  ['GATEWAY_PUBLIC_URL', ['publicUrl'], 'string'],
  ['GATEWAY_LEGACY_URL', ['legacy', 'url'], 'string'],
  ['GATEWAY_FLAGS_FILE', ['flags', 'file'], 'string'],
  ['UNLEASH_URL', ['flags', 'unleashUrl'], 'string'],
  ['UNLEASH_API_TOKEN', ['flags', 'unleashApiToken'], 'string'],
  ['REDIS_URL', ['redisUrl'], 'string'],
  ['GATEWAY_REDIS_PREFIX', ['redisPrefix'], 'string'],
  ['GATEWAY_MASK_KEY', ['shadow', 'maskKey'], 'string'],
  ['GATEWAY_RECORD_FILE', ['shadow', 'record', 'file'], 'string'],
  ['OPENAI_BASE_URL', ['ai', 'llm', 'baseUrl'], 'string'],
  ['OPENAI_API_KEY', ['ai', 'llm', 'apiKey'], 'string'],
  ['OPENAI_MODEL', ['ai', 'llm', 'model'], 'string'],
  ['GATEWAY_LOG_LEVEL', ['log', 'level'], 'string'],
  ['GATEWAY_EXPOSE_DECISION_HEADERS', ['pipeline', 'exposeDecisionHeaders'], 'boolean'],
  ['GATEWAY_CONTRACTS_ENABLED', ['contracts', 'enabled'], 'boolean'],
  ['GATEWAY_CONTRACTS_PREFIX', ['contracts', 'prefix'], 'string'],
];

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1] as string] = value;
}

function coerce(raw: string, kind: 'string' | 'number' | 'boolean'): unknown {
  if (kind === 'number') return raw.trim() === '' ? raw : Number(raw);
  if (kind === 'boolean') return raw === 'true' || raw === '1' ? true : raw === 'false' || raw === '0' ? false : raw;
  return raw;
}

/** Reads a YAML or JSON config file. Problems are reported as ConfigError, never thrown raw. */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}`, [`${path}: ${(err as Error).message}`]);
  }
  try {
    const doc: unknown = extname(path) === '.json' ? JSON.parse(text) : parseYaml(text);
    if (doc === null || doc === undefined) return {};
    if (typeof doc !== 'object' || Array.isArray(doc)) {
      throw new Error('the top level must be a mapping');
    }
    return doc as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(`cannot parse config file ${path}`, [`${path}: ${(err as Error).message}`]);
  }
}

/** Builds the config: file values, then environment overrides, then the schema. */
export function loadConfig(opts: { file?: string; env?: Env; overrides?: ConfigInput } = {}): Config {
  const env = opts.env ?? process.env;
  const raw: Record<string, unknown> = opts.file ? readConfigFile(opts.file) : {};
  for (const [name, path, kind] of ENV_MAP) {
    const value = env[name];
    if (value !== undefined && value !== '') setPath(raw, path, coerce(value, kind));
  }
  const adminToken = env.GATEWAY_ADMIN_TOKEN;
  if (adminToken) {
    const admin = (raw.admin ?? {}) as Record<string, unknown>;
    const tokens = Array.isArray(admin.tokens) ? [...admin.tokens] : [];
    tokens.push({ token: adminToken, role: 'admin', name: 'GATEWAY_ADMIN_TOKEN' });
    raw.admin = { ...admin, tokens };
  }
  const merged = opts.overrides ? deepMerge(raw, opts.overrides as Record<string, unknown>) : raw;
  const result = ConfigSchema.safeParse(merged);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
    throw new ConfigError(
      `invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'})`,
      problems,
    );
  }
  return result.data;
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && prev && typeof prev === 'object' && !Array.isArray(prev)
        ? deepMerge(prev as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

/** Config with secrets replaced, for logs and `gateway check`. */
export function redactConfig(cfg: Config): unknown {
  return {
    ...cfg,
    flags: { ...cfg.flags, unleashApiToken: cfg.flags.unleashApiToken ? '[redacted]' : undefined },
    ai: { ...cfg.ai, llm: { ...cfg.ai.llm, apiKey: cfg.ai.llm.apiKey ? '[redacted]' : undefined } },
    admin: { ...cfg.admin, tokens: cfg.admin.tokens.map((t) => ({ name: t.name, role: t.role, token: '[redacted]' })) },
    redisUrl: cfg.redisUrl?.replace(/\/\/[^@/]*@/, '//[redacted]@'),
    shadow: { ...cfg.shadow, maskKey: cfg.shadow.maskKey ? '[redacted]' : undefined },
  };
}
