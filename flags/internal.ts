import type { EventEmitter } from 'node:events';
import type { FlagLogger } from './logger.js';

/** Small pieces shared by the providers. Not part of the port. */

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return typeof err === 'string' ? err : String(err);
}

/** The onChange listeners of a provider. A throwing listener is logged and never breaks the provider. */
export function createChangeListeners(logger: FlagLogger): {
  add(listener: () => void): () => void;
  emit(): void;
  clear(): void;
} {
  const listeners = new Set<() => void>();
  return {
    add(listener) {
      // A wrapper per subscription, so the same function subscribed twice is also unsubscribed separately.
      const entry = (): void => listener();
      listeners.add(entry);
      return () => {
        listeners.delete(entry);
      };
    },
    emit() {
      for (const listener of [...listeners]) {
        try {
          listener();
        } catch (err) {
          logger.error({ err }, 'flag onChange listener threw');
        }
      }
    },
    clear() {
      listeners.clear();
    },
  };
}

/** Opens once; `wait(timeoutMs)` resolves when open or after the timeout, never rejects, and leaves no timer. */
export function createReadyGate(): {
  readonly isOpen: boolean;
  open(): void;
  /** Resolves the current waiters without opening (on close). */
  release(): void;
  wait(timeoutMs: number): Promise<void>;
} {
  let isOpen = false;
  const waiters = new Set<() => void>();
  return {
    get isOpen() {
      return isOpen;
    },
    open() {
      isOpen = true;
      for (const w of [...waiters]) w();
    },
    release() {
      for (const w of [...waiters]) w();
    },
    wait(timeoutMs) {
      if (isOpen) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, Math.max(0, timeoutMs));
        waiters.add(done);
      });
    },
  };
}

/** Resolves on the first `event`, rejects after `timeoutMs`; removes its listener and timer either way. */
export function waitForEvent(emitter: EventEmitter, event: string, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onEvent = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      emitter.off(event, onEvent);
      reject(new Error(`no '${event}' within ${timeoutMs} ms`));
    }, timeoutMs);
    emitter.once(event, onEvent);
  });
}
