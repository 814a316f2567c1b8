import { type FSWatcher, watch } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { type ClientFeaturesResponse, InMemStorageProvider, Unleash } from 'unleash-client';
import { parseClientFeatures } from './client-features.js';
import { toUnleashContext } from './context.js';
import { createChangeListeners, createReadyGate, errorMessage, waitForEvent } from './internal.js';
import { createDedupe, type FlagLogger, silentFlagLogger } from './logger.js';
import type { FlagProvider, FlagProviderStatus } from './provider.js';
import { summarizeFeature } from './summary.js';

type Feature = ClientFeaturesResponse['features'][number];

export interface FileFlagProviderOptions {
  /** The flags file: the body of Unleash's `GET /api/client/features`. */
  path: string;
  appName?: string;
  logger?: FlagLogger;
  /** Backstop stat poll (mtime, size, inode); the directory watch usually sees a change first. Default 1000. */
  pollIntervalMs?: number;
  /** Watch the directory (default true). Off for file systems without change events (NFS); the stat poll remains. */
  watch?: boolean;
  /** Coalesces a burst of watch events (an editor's save, a write then a rename). Default 50. */
  debounceMs?: number;
}

/** A loaded, valid file. `client` is null for a file without flags (unleash-client never gets ready on nothing). */
interface Snapshot {
  text: string;
  features: ReadonlyMap<string, Feature>;
  client: Unleash | null;
}

/** How long a bootstrap-only client may take to become ready; it takes a few ms, so this only catches a bug. */
const CLIENT_READY_TIMEOUT_MS = 5_000;

function statSignature(st: { mtimeMs: number; size: number; ino: number }): string {
  return `${st.mtimeMs}:${st.size}:${st.ino}`;
}

function fsCode(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : 'EUNKNOWN';
}

/** Bootstrap-only unleash-client: no fetch, no metrics, no backup file; evaluation is all it does. */
async function buildClient(data: ClientFeaturesResponse, appName: string, logger: FlagLogger): Promise<Unleash> {
  const client = new Unleash({
    url: 'http://127.0.0.1:9/api/',
    appName,
    refreshInterval: 0,
    disableMetrics: true,
    storageProvider: new InMemStorageProvider(),
    skipInstanceCountWarning: true,
    bootstrap: { data: data.features, segments: data.segments ?? [] },
  });
  // Our listeners also stop the SDK from console.error-ing on its own.
  client.on('error', (err: unknown) => logger.warn({ err: errorMessage(err) }, 'unleash-client error (flags file)'));
  client.on('warn', (msg: unknown) =>
    logger.warn({ detail: errorMessage(msg) }, 'unleash-client warning (flags file)'),
  );
  try {
    await waitForEvent(client, 'ready', CLIENT_READY_TIMEOUT_MS);
  } catch (err) {
    client.destroy();
    throw err;
  }
  return client;
}

/**
 * Flags from a file in Unleash's client-features format, evaluated locally by unleash-client. A change to the file is
 * seen within about 100 ms (directory watch; a 1 s stat poll is the backstop). unleash-client reads a bootstrap once,
 * so each valid version gets a new client, swapped in once ready. An invalid or missing file keeps the last good
 * state and reports `up: false` with the reason.
 */
export function createFileFlagProvider(options: FileFlagProviderOptions): FlagProvider {
  const path = resolve(options.path);
  const dir = dirname(path);
  const base = basename(path);
  const appName = options.appName ?? 'gateway';
  const logger = options.logger ?? silentFlagLogger;
  const pollIntervalMs = options.pollIntervalMs ?? 1_000;
  const debounceMs = options.debounceMs ?? 50;
  const watchEnabled = options.watch ?? true;

  const listeners = createChangeListeners(logger);
  const gate = createReadyGate();
  const problems = createDedupe();
  const watchProblems = createDedupe();
  const evalProblems = createDedupe();

  let snapshot: Snapshot | null = null;
  let up = false;
  let error: string | null = null;
  let lastSyncAt: number | null = null;
  /** Stat signature seen at the last read (valid or not), and that of the file currently loaded. */
  let seenSignature: string | null = null;
  let goodSignature: string | null = null;
  let closed = false;
  let watcher: FSWatcher | null = null;
  let debounceTimer: NodeJS.Timeout | null = null;
  let reloading: Promise<void> | null = null;
  let reloadAgain = false;
  let polling = false;

  function fail(reason: string): void {
    const message = `flags file ${path}: ${reason}`;
    const changed = up || error !== message;
    up = false;
    error = message;
    if (problems.isNew(message)) {
      logger.warn({ path, error: message, ready: gate.isOpen }, 'flags file rejected; keeping the last good state');
    }
    if (changed) listeners.emit();
  }

  function confirm(contentChanged: boolean): void {
    const wasUp = up;
    up = true;
    error = null;
    lastSyncAt = Date.now();
    problems.reset();
    if (!gate.isOpen) gate.open();
    if (contentChanged || !wasUp) listeners.emit();
  }

  async function readFile(): Promise<{ text: string; signature: string } | { error: string; signature: string }> {
    let handle: Awaited<ReturnType<typeof open>> | undefined;
    try {
      handle = await open(path, 'r');
      // One handle for stat and read, so the signature describes exactly the bytes we read.
      const st = await handle.stat();
      const text = await handle.readFile('utf8');
      return { text, signature: statSignature(st) };
    } catch (err) {
      const code = fsCode(err);
      return code === 'ENOENT'
        ? { error: 'file not found', signature: 'missing' }
        : { error: errorMessage(err), signature: `error:${code}` };
    } finally {
      await handle?.close().catch(() => {});
    }
  }

  async function loadOnce(): Promise<void> {
    const read = await readFile();
    if (closed) return;
    seenSignature = read.signature;
    if ('error' in read) return fail(read.error);
    if (snapshot !== null && read.text === snapshot.text) {
      // Touched or rewritten with the same content: nothing to rebuild, but the file is confirmed current.
      goodSignature = read.signature;
      return confirm(false);
    }
    const parsed = parseClientFeatures(read.text);
    if (!parsed.ok) return fail(parsed.error);
    let client: Unleash | null = null;
    if (parsed.data.features.length > 0) {
      try {
        client = await buildClient(parsed.data, appName, logger);
      } catch (err) {
        return fail(`unleash-client could not load it: ${errorMessage(err)}`);
      }
    }
    if (closed) {
      client?.destroy();
      return;
    }
    const previous = snapshot;
    snapshot = { text: read.text, features: new Map(parsed.data.features.map((f) => [f.name, f])), client };
    goodSignature = read.signature;
    previous?.client?.destroy();
    logger.info({ path, flags: parsed.data.features.length, version: parsed.data.version }, 'flags file loaded');
    confirm(true);
  }

  /** Serialised: a change seen during a reload triggers one more read afterwards. */
  function reload(): Promise<void> {
    if (reloading !== null) {
      reloadAgain = true;
      return reloading;
    }
    const run = async (): Promise<void> => {
      do {
        reloadAgain = false;
        try {
          await loadOnce();
        } catch (err) {
          // loadOnce reports its own problems; this only guards against a bug turning into an unhandled rejection.
          logger.error({ err: errorMessage(err), path }, 'flags file reload failed unexpectedly');
        }
      } while (reloadAgain && !closed);
    };
    reloading = run().finally(() => {
      reloading = null;
    });
    return reloading;
  }

  function schedule(): void {
    if (closed || debounceTimer !== null) return;
    debounceTimer = setTimeout(() => {
      debounceTimer = null;
      void reload();
    }, debounceMs);
  }

  function startWatcher(): void {
    try {
      // The directory, not the file: an atomic rename replaces the inode a file watch is attached to.
      const w = watch(dir, (_event, filename) => {
        if (filename === null || filename === base) schedule();
      });
      w.on('error', (err) => {
        if (watchProblems.isNew(errorMessage(err))) {
          logger.warn({ dir, err: errorMessage(err) }, 'flags directory watch failed; stat polling continues');
        }
        w.close();
        if (watcher === w) watcher = null;
      });
      watcher = w;
      watchProblems.reset();
    } catch (err) {
      if (watchProblems.isNew(errorMessage(err))) {
        logger.warn({ dir, err: errorMessage(err) }, 'cannot watch the flags directory; stat polling only');
      }
    }
  }

  async function poll(): Promise<void> {
    if (polling || closed) return;
    polling = true;
    try {
      if (watcher === null && watchEnabled) startWatcher();
      let signature: string;
      try {
        signature = statSignature(await stat(path));
      } catch (err) {
        const code = fsCode(err);
        signature = code === 'ENOENT' ? 'missing' : `error:${code}`;
      }
      if (closed) return;
      if (signature !== seenSignature) schedule();
      else if (signature === goodSignature && reloading === null && debounceTimer === null) confirm(false);
    } finally {
      polling = false;
    }
  }

  if (watchEnabled) startWatcher();
  const pollTimer = setInterval(() => void poll(), pollIntervalMs);
  void reload();

  return {
    source: 'file',
    ready: (timeoutMs) => gate.wait(timeoutMs),
    isEnabled(name, ctx) {
      const snap = snapshot;
      if (snap?.client == null || !snap.features.has(name)) return false;
      try {
        return snap.client.isEnabled(name, toUnleashContext(ctx));
      } catch (err) {
        if (evalProblems.isNew(name)) logger.error({ flag: name, err: errorMessage(err) }, 'flag evaluation threw');
        return false;
      }
    },
    definition(name) {
      const feature = snapshot?.features.get(name);
      return feature === undefined ? undefined : summarizeFeature(feature);
    },
    status(): FlagProviderStatus {
      return { source: 'file', up, ready: gate.isOpen, lastSyncAt, error, origin: path };
    },
    onChange: (listener) => listeners.add(listener),
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(pollTimer);
      if (debounceTimer !== null) clearTimeout(debounceTimer);
      debounceTimer = null;
      watcher?.close();
      watcher = null;
      await reloading;
      snapshot?.client?.destroy();
      gate.release();
      listeners.clear();
    },
  };
}
