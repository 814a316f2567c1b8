/** The few pino methods the flag providers use; a pino logger fits structurally. */
export interface FlagLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

const noop = (): void => {};

/** Default when the caller passes no logger: the providers stay quiet rather than write to the console. */
export const silentFlagLogger: FlagLogger = { warn: noop, info: noop, error: noop };

/**
 * Remembers the last message so that a repeating problem is logged once: a dead flag source repeats the same error
 * at every poll, and one line per distinct problem is enough (status and metrics carry the rest).
 */
export interface Dedupe {
  /** True when `key` differs from the previous key (so the caller should log it). */
  isNew(key: string): boolean;
  /** Forget the previous key, e.g. after a recovery, so the same problem is logged again next time. */
  reset(): void;
}

export function createDedupe(): Dedupe {
  let last: string | null = null;
  return {
    isNew(key) {
      if (key === last) return false;
      last = key;
      return true;
    },
    reset() {
      last = null;
    },
  };
}
