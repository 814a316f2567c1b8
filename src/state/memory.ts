import type { AuditEntry, Pin, SharedBreaker, StateStore } from './types.js';

/** In-process state: the embedded default, and the local cache behind shared backends. */
export function createMemoryState(opts: { auditLogSize: number }): StateStore {
  const pins = new Map<string, Pin>();
  const audit: AuditEntry[] = [];
  const breakers = new Map<string, SharedBreaker>();
  const listeners = new Set<() => void>();
  const changed = () => {
    for (const l of listeners) l();
  };
  return {
    backend: 'memory',
    getPin: (slice) => pins.get(slice),
    pins: () => [...pins.values()],
    async pin(pin) {
      pins.set(pin.slice, pin);
      changed();
    },
    async pinIfAbsent(pin) {
      if (pins.has(pin.slice)) return false;
      pins.set(pin.slice, pin);
      changed();
      return true;
    },
    healthy: () => true,
    breakerOpenUntil: (slice) => breakers.get(slice)?.openUntil ?? 0,
    breakers: () => [...breakers.values()],
    async publishBreaker(entry) {
      breakers.set(entry.slice, entry);
    },
    async unpin(slice) {
      const prev = pins.get(slice);
      if (prev) {
        pins.delete(slice);
        changed();
      }
      return prev;
    },
    async appendAudit(entry) {
      audit.push(entry);
      if (audit.length > opts.auditLogSize) audit.splice(0, audit.length - opts.auditLogSize);
    },
    async audit(limit) {
      return audit.slice(-limit).reverse();
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      listeners.clear();
    },
  };
}
