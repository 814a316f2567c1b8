import type { FlagContext } from '../../flags/context.js';
import { KILL_SWITCH, serveFlag, shadowFlag } from '../../flags/names.js';
import type { FlagDefinitionSummary, FlagProvider } from '../../flags/provider.js';

export type Stage = 'legacy' | 'shadow' | 'canary' | 'live';

export interface SliceFlags {
  serveName: string;
  shadowName: string;
  serve: FlagDefinitionSummary | undefined;
  shadow: FlagDefinitionSummary | undefined;
  /** Stage as the flags define it (pins and kill switch are applied on top by the plan). */
  stage: Stage;
  serveIsFull: boolean;
  /**
   * The shadow flag selects every request (on, 100 %, no constraints): its answer does not depend on the context, so
   * the per-request evaluation (context object, stickiness hash inside the provider) is skipped.
   */
  shadowIsFull: boolean;
  /** False when the flag cannot select any request (off, or 0 % without conditions): evaluation is skipped. */
  mayServe: boolean;
  mayShadow: boolean;
}

/**
 * The pipeline's view of flags: the provider plus staleness (last known state, then legacy after
 * maxStalenessSeconds) and per-slice definition summaries cached until the provider reports a change.
 */
/** Inputs the routing plan needs for one request (see plan.ts `decide`). */
export interface PlanInputs {
  killSwitch: boolean;
  pinned: boolean;
  flagsUsable: boolean;
  serve: boolean;
  shadow: boolean;
  serveIsFull: boolean;
}

export interface FlagGate {
  readonly provider: FlagProvider;
  usable(): boolean;
  stalenessSeconds(): number;
  killSwitch(): boolean;
  isEnabled(name: string, ctx: FlagContext): boolean;
  slice(slice: string): SliceFlags;
  /**
   * Everything the plan needs for one request to `slice`: kill switch, pin, staleness, then the serve and shadow
   * flags. The flag context is built (by `context`) only when a flag can actually select the request.
   */
  planInputs(slice: string, pinned: boolean, context: () => FlagContext): PlanInputs;
  close(): void;
}

const EMPTY_CTX: FlagContext = {};

function mayEnable(d: FlagDefinitionSummary | undefined): boolean {
  if (!d?.enabled) return false;
  return d.constrained || d.rolloutPercent !== 0;
}

export function createFlagGate(
  provider: FlagProvider,
  opts: { maxStalenessSeconds: number; now?: () => number },
): FlagGate {
  const now = opts.now ?? Date.now;
  const maxStaleMs = opts.maxStalenessSeconds * 1000;
  const cache = new Map<string, SliceFlags>();
  const unsubscribe = provider.onChange(() => cache.clear());

  function summarise(slice: string): SliceFlags {
    const serveName = serveFlag(slice);
    const shadowName = shadowFlag(slice);
    const serve = provider.definition(serveName);
    const shadow = provider.definition(shadowName);
    const serveOn = serve?.enabled === true && serve.rolloutPercent !== 0;
    const serveIsFull = serveOn && serve?.rolloutPercent === 100 && !serve.constrained;
    const shadowOn = shadow?.enabled === true && shadow.rolloutPercent !== 0;
    const shadowIsFull = shadow?.everyone === true;
    const stage: Stage = serveIsFull ? 'live' : serveOn ? 'canary' : shadowOn ? 'shadow' : 'legacy';
    return {
      serveName,
      shadowName,
      serve,
      shadow,
      stage,
      serveIsFull,
      shadowIsFull,
      mayServe: mayEnable(serve),
      mayShadow: mayEnable(shadow),
    };
  }

  // The kill switch is global (evaluated without context): computed once per flag change, not per request.
  let killSwitchCache: boolean | null = null;
  let usableCache = false;
  let usableAt = Number.NEGATIVE_INFINITY;
  const unsubscribeKill = provider.onChange(() => {
    killSwitchCache = null;
    usableAt = Number.NEGATIVE_INFINITY;
  });

  return {
    provider,
    usable() {
      // Staleness is counted in seconds: re-reading the provider's status every 100 ms is plenty (and cheap).
      const t = now();
      if (t - usableAt < 100) return usableCache;
      const s = provider.status();
      usableCache = s.ready && s.lastSyncAt !== null && t - s.lastSyncAt <= maxStaleMs;
      usableAt = t;
      return usableCache;
    },
    stalenessSeconds() {
      const s = provider.status();
      return s.lastSyncAt === null ? Number.POSITIVE_INFINITY : Math.max(0, (now() - s.lastSyncAt) / 1000);
    },
    killSwitch() {
      killSwitchCache ??= provider.isEnabled(KILL_SWITCH, EMPTY_CTX);
      return killSwitchCache;
    },
    isEnabled: (name, ctx) => provider.isEnabled(name, ctx),
    slice(slice) {
      let s = cache.get(slice);
      if (!s) {
        s = summarise(slice);
        cache.set(slice, s);
      }
      return s;
    },
    planInputs(slice, pinned, context) {
      const f = this.slice(slice);
      const flagsUsable = this.usable();
      const killSwitch = flagsUsable && this.killSwitch();
      const open = flagsUsable && !killSwitch && !pinned;
      // The context is built only when some flag has to be evaluated against it.
      const ctx = open && (f.mayServe || (f.mayShadow && !f.shadowIsFull)) ? context() : null;
      const serve = ctx !== null && f.mayServe && provider.isEnabled(f.serveName, ctx);
      const shadow =
        open && !serve && f.mayShadow && (f.shadowIsFull || (ctx !== null && provider.isEnabled(f.shadowName, ctx)));
      return { killSwitch, pinned, flagsUsable, serve, shadow, serveIsFull: f.serveIsFull };
    },
    close() {
      unsubscribe();
      unsubscribeKill();
    },
  };
}
