import type { PendingAction } from '../../routes/intents/types.js';

/** What the gateway remembers about a conversation between turns (in memory; bounded; expires). */
export interface ConversationMemory {
  pending: PendingAction | null;
  /** Customer texts seen by the automation, oldest first (for repeated-failure detection). */
  customerTexts: string[];
  /** Automation turns in a row that ended in a handoff or failure. */
  failedTurns: number;
  /** Turns the automation answered itself: legacy never stored them, so message ids continue after them. */
  answeredTurns: number;
  touchedAt: number;
}

export interface ConversationStore {
  get(conversationId: string): ConversationMemory;
  /** Drops entries older than the TTL; runs on access, bounded by maxEntries (oldest evicted). */
  size(): number;
}

export function createConversationStore(
  opts: { ttlMs?: number; maxEntries?: number; now?: () => number } = {},
): ConversationStore {
  const ttl = opts.ttlMs ?? 30 * 60_000;
  const max = opts.maxEntries ?? 50_000;
  const now = opts.now ?? Date.now;
  const map = new Map<string, ConversationMemory>();
  return {
    get(id) {
      const t = now();
      let m = map.get(id);
      if (m && t - m.touchedAt > ttl) {
        map.delete(id);
        m = undefined;
      }
      if (!m) {
        m = { pending: null, customerTexts: [], failedTurns: 0, answeredTurns: 0, touchedAt: t };
        if (map.size >= max) {
          const oldest = map.keys().next().value;
          if (oldest !== undefined) map.delete(oldest);
        }
      } else map.delete(id); // re-insert: Map order is the eviction order
      m.touchedAt = t;
      if (m.pending && t - m.pending.createdAt > ttl) m.pending = null;
      map.set(id, m);
      return m;
    },
    size: () => map.size,
  };
}
