import { inject } from 'vitest';
import type { UnleashTestServer } from '../setup/unleash.global.js';

/** The Unleash server from the globalSetup, or a failure that says why (a missing server must fail, not skip). */
export function requireUnleash(): UnleashTestServer {
  const server = inject('unleash');
  if (server === undefined) {
    throw new Error(
      'No Unleash server was provided: this vitest config has no test/setup/unleash.global.ts in globalSetup ' +
        '(use the default vitest.config.ts).',
    );
  }
  if (server === null) {
    throw new Error(
      'No Unleash server: GATEWAY_TEST_UNLEASH=off was set. This test needs the real server from ' +
        'test/setup/unleash.global.ts (run scripts/test-setup.sh, then run without GATEWAY_TEST_UNLEASH=off).',
    );
  }
  return server;
}

export interface UnleashAdmin {
  createFlag(name: string): Promise<void>;
  /** Adds a flexibleRollout strategy (groupId = flag name) in `development`; returns the strategy id. */
  addFlexibleRollout(name: string, rollout: number, stickiness?: string): Promise<string>;
  updateRollout(name: string, strategyId: string, rollout: number, stickiness?: string): Promise<void>;
  enable(name: string): Promise<void>;
  disable(name: string): Promise<void>;
  /** Archives then deletes the flag; a flag that does not exist is fine. */
  archiveAndDelete(name: string): Promise<void>;
}

const PROJECT = 'default';
const ENVIRONMENT = 'development';

/** A small client for Unleash's admin API (project `default`, environment `development`; notes §3). */
export function createUnleashAdmin(server: UnleashTestServer): UnleashAdmin {
  const base = server.url.replace(/\/api\/?$/, '');
  const feature = (name: string): string =>
    `${base}/api/admin/projects/${PROJECT}/features/${encodeURIComponent(name)}`;
  const env = (name: string): string => `${feature(name)}/environments/${ENVIRONMENT}`;

  async function call(
    method: string,
    url: string,
    body?: unknown,
    okStatuses: readonly number[] = [],
  ): Promise<unknown> {
    const res = await fetch(url, {
      method,
      headers: {
        Authorization: server.adminToken,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    if (!res.ok && !okStatuses.includes(res.status)) {
      throw new Error(`Unleash admin ${method} ${url} → ${res.status}: ${text.slice(0, 500)}`);
    }
    return text === '' ? undefined : (JSON.parse(text) as unknown);
  }

  const rolloutBody = (name: string, rollout: number, stickiness: string) => ({
    name: 'flexibleRollout',
    constraints: [],
    parameters: { rollout: String(rollout), stickiness, groupId: name },
  });

  return {
    async createFlag(name) {
      await call('POST', `${base}/api/admin/projects/${PROJECT}/features`, { name, type: 'release' });
    },
    async addFlexibleRollout(name, rollout, stickiness = 'default') {
      const created = await call('POST', `${env(name)}/strategies`, rolloutBody(name, rollout, stickiness));
      const id = (created as { id?: unknown } | undefined)?.id;
      if (typeof id !== 'string') throw new Error(`Unleash admin: no strategy id in ${JSON.stringify(created)}`);
      return id;
    },
    async updateRollout(name, strategyId, rollout, stickiness = 'default') {
      await call('PUT', `${env(name)}/strategies/${strategyId}`, rolloutBody(name, rollout, stickiness));
    },
    async enable(name) {
      await call('POST', `${env(name)}/on`);
    },
    async disable(name) {
      await call('POST', `${env(name)}/off`);
    },
    async archiveAndDelete(name) {
      await call('DELETE', feature(name), undefined, [404]);
      // unleash-server records the "archived" lifecycle stage from an event listener after answering; deleting the
      // feature before that insert lands fails it on a foreign key, and the failed listener takes the whole server
      // down (seen in CI, 2026-11-29). So wait for the stage first: a feature that never existed has no stages at all;
      // one that did has "initial" until "archived" lands (~0.1–0.8 s here). Bounded: a server without it goes on.
      const until = Date.now() + 3000;
      while (Date.now() < until) {
        const stages = await call('GET', `${feature(name)}/lifecycle`, undefined, [404]);
        if (!Array.isArray(stages) || stages.length === 0) break;
        if (stages.some((s) => (s as { stage?: unknown }).stage === 'archived')) break;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      await call('DELETE', `${base}/api/admin/archive/${encodeURIComponent(name)}`, undefined, [404]);
    },
  };
}
