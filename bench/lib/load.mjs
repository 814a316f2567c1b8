/**
 * The load generator: wrk (Debian package; one thread costs far less CPU than autocannon, which matters on 2 cores)
 * or autocannon as the fallback, each in its own process pinned to the load-generator CPU. Both report through the
 * same BENCH_JSON line, normalised here to req/s and milliseconds.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { hasCommand, pinned, runCaptured } from './children.mjs';

const LUA = fileURLToPath(new URL('./wrk-report.lua', import.meta.url));
const AUTOCANNON_CHILD = fileURLToPath(new URL('./autocannon-child.mjs', import.meta.url));
const RATE_CHILD = fileURLToPath(new URL('./rate-child.mjs', import.meta.url));
const INSTALL_WRK = 'command -v wrk || (apt-get update && apt-get install -y wrk)';

/** Picks the tool: BENCH_TOOL if set, else wrk (installed here if missing and possible), else autocannon. */
export function chooseTool(requested) {
  if (requested === 'autocannon') return 'autocannon';
  if (hasCommand('wrk')) return 'wrk';
  process.stdout.write(`wrk not found; installing it: ${INSTALL_WRK}\n`);
  spawnSync('sh', ['-c', INSTALL_WRK], { stdio: 'inherit' });
  if (hasCommand('wrk')) return 'wrk';
  if (requested === 'wrk') throw new Error('BENCH_TOOL=wrk but wrk could not be installed');
  process.stdout.write('wrk could not be installed: falling back to autocannon (costs more CPU per request)\n');
  return 'autocannon';
}

export function toolVersion(tool) {
  if (tool === 'wrk') {
    const first = (spawnSync('wrk', ['--version'], { encoding: 'utf8' }).stdout ?? '').split('\n')[0];
    return first.replace(/\s*Copyright.*$/, '').trim();
  }
  return `autocannon ${spawnSync(process.execPath, ['-p', "require('autocannon/package.json').version"], { encoding: 'utf8' }).stdout.trim()}`;
}

/**
 * One load run against url. Returns { requests, seconds, rps, p50, p90, p99, p999, max (ms), non2xx, socketErrors }.
 * wrk counts any status ≥ 400 as a status error; autocannon counts non-2xx.
 * request (optional): { lua: script with the request part and the report (wrk); method, body, paths, pathTemplate
 * (autocannon: `{n}` in pathTemplate becomes a counter) }.
 */
export async function runLoad({ tool, url, seconds, connections, cpu, headers, request = {} }) {
  let cmd;
  let args;
  if (tool === 'wrk') {
    const h = Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
    [cmd, args] = pinned(cpu, 'wrk', [
      '-t1',
      `-c${connections}`,
      `-d${seconds}s`,
      '--timeout',
      '10s',
      '-s',
      request.lua ?? LUA,
      ...h,
      url,
    ]);
  } else {
    const { method, body, paths, pathTemplate } = request;
    const opts = JSON.stringify({ url, connections, seconds, headers, method, body, paths, pathTemplate });
    [cmd, args] = pinned(cpu, process.execPath, [AUTOCANNON_CHILD, opts]);
  }
  return normalise(tool, await runCaptured(cmd, args, (seconds + 60) * 1000));
}

/**
 * A fixed-rate run (GET): bench/lib/rate-child.mjs (open loop, latency from each request's due time), or with
 * rateTool 'autocannon' autocannon's overallRate (bursty: see rate-child.mjs). Same shape as runLoad, plus
 * targetRate, rate (achieved) and sendLagP99 (ms the generator itself was late; large = the generator is starved).
 */
export async function runRate({ rateTool = 'paced', url, rate, seconds, connections, cpu, headers, paths, dump }) {
  const opts = JSON.stringify({ url, rate, seconds, connections, headers, paths, dump });
  const script = rateTool === 'autocannon' ? AUTOCANNON_CHILD : RATE_CHILD;
  const [cmd, args] = pinned(cpu, process.execPath, [script, opts]);
  const r = normalise(rateTool, await runCaptured(cmd, args, (seconds + 60) * 1000));
  r.targetRate = rate;
  return r;
}

function normalise(tool, res) {
  const line = res.stdout.split('\n').find((l) => l.startsWith('BENCH_JSON '));
  if (res.code !== 0 || !line) {
    throw new Error(`${tool} failed (code ${res.code}, signal ${res.signal}):\n${res.stdout}${res.stderr}`);
  }
  const r = JSON.parse(line.slice('BENCH_JSON '.length));
  const secs = r.durationUs / 1e6;
  return {
    requests: r.requests,
    seconds: secs,
    rps: r.requests / secs,
    p50: r.p50Us / 1000,
    p90: r.p90Us / 1000,
    p99: r.p99Us / 1000,
    p999: r.p999Us / 1000,
    max: r.maxUs / 1000,
    non2xx: r.status,
    socketErrors: r.connect + r.read + r.write + r.timeout,
    // Latency quantile function in ms (wrk-report.lua, rate-child.mjs), for pooling rounds; absent from autocannon.
    ...(Array.isArray(r.q) ? { q: r.q.map(([p, v]) => [p, v / 1000]) } : {}),
    ...(r.sendLagP99Us === undefined ? {} : { sendLagP99: r.sendLagP99Us / 1000 }),
    ...(r.sendLagMaxUs === undefined ? {} : { sendLagMax: r.sendLagMaxUs / 1000 }),
  };
}
