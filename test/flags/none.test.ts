import { describe, expect, it } from 'vitest';
import { createFlagProvider } from '../../flags/index.js';
import { KILL_SWITCH, serveFlag } from '../../flags/names.js';
import { createNoFlagProvider } from '../../flags/none.js';

describe('no flag provider', () => {
  it('sends everything to legacy and is always up and ready', async () => {
    const provider = createNoFlagProvider();
    await provider.ready(0);
    expect(provider.source).toBe('none');
    expect(provider.isEnabled(serveFlag('tickets.get'), { customerId: 'C-1' })).toBe(false);
    expect(provider.isEnabled(KILL_SWITCH, {})).toBe(false);
    expect(provider.definition(serveFlag('tickets.get'))).toBeUndefined();
    const status = provider.status();
    expect(status).toMatchObject({ source: 'none', up: true, ready: true, error: null, origin: 'none' });
    expect(Math.abs((status.lastSyncAt ?? 0) - Date.now())).toBeLessThan(1_000);
    let calls = 0;
    const off = provider.onChange(() => calls++);
    off();
    await provider.close();
    expect(calls).toBe(0);
  });

  it('is what createFlagProvider picks with neither a server nor a file', async () => {
    const provider = createFlagProvider({ appName: 'gateway' });
    expect(provider.source).toBe('none');
    await provider.close();
  });

  it('createFlagProvider picks the file when only a file is given', async () => {
    const provider = createFlagProvider({ appName: 'gateway', flagsFile: 'deploy/flags/flags.example.json' });
    try {
      expect(provider.source).toBe('file');
      await provider.ready(2_000);
      expect(provider.status()).toMatchObject({ up: true, ready: true });
    } finally {
      await provider.close();
    }
  });
});
