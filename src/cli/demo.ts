import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { applyFlagChange, emptyDoc } from '../../flags/edit.js';
import { KILL_SWITCH, serveFlag, shadowFlag } from '../../flags/names.js';
import { startSimulator } from '../../legacy-adapters/simulator/server.js';
import { INTENT_SPECS } from '../../routes/intents/index.js';
import { ROUTE_TABLE } from '../../routes/table.js';
import { type Config, loadConfig } from '../config.js';
import { type RunningGateway, startGateway } from '../gateway.js';

export const DEMO_FLAGS_FILE = '.gateway-demo/flags.json';

/** Writes a starter flags file (every slice on legacy) unless one exists. */
export function ensureDemoFlags(file: string): void {
  if (existsSync(file)) return;
  mkdirSync(dirname(file), { recursive: true });
  let doc = emptyDoc();
  for (const slice of [...ROUTE_TABLE.map((r) => r.slice), ...Object.values(INTENT_SPECS).map((i) => i.slice)]) {
    doc = applyFlagChange(doc, serveFlag(slice), { rollout: 0 });
    doc = applyFlagChange(doc, shadowFlag(slice), { enabled: false });
  }
  doc = applyFlagChange(doc, KILL_SWITCH, { enabled: false });
  writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);
}

/**
 * `gateway demo`: the legacy simulator and the gateway on embedded defaults (file flags, in-memory state),
 * then a short guide printed to stderr (stdout carries the JSON logs).
 */
export async function runDemo(configFile: string | undefined): Promise<{ stop(): Promise<void> }> {
  const base = loadConfig(configFile ? { file: configFile } : {});
  const flagsFile = resolve(base.flags.file ?? DEMO_FLAGS_FILE);
  ensureDemoFlags(flagsFile);
  const generated = base.admin.tokens.length === 0 ? `demo-${randomBytes(12).toString('hex')}` : null;
  const demoDir = dirname(flagsFile);
  const config: Config = {
    ...base,
    // The demo records every request (masked) for `gateway replay`, and keeps learned noise across restarts.
    shadow: {
      ...base.shadow,
      record: base.shadow.record.file
        ? base.shadow.record
        : { ...base.shadow.record, file: join(demoDir, 'traffic.jsonl'), sampleRate: 1 },
      noise: base.shadow.noise.file ? base.shadow.noise : { ...base.shadow.noise, file: join(demoDir, 'noise.json') },
    },
    flags: base.flags.unleashUrl ? base.flags : { ...base.flags, file: flagsFile },
    admin: generated ? { ...base.admin, tokens: [{ token: generated, role: 'admin', name: 'demo' }] } : base.admin,
  };
  const legacy = new URL(config.legacy.url);
  const simPort = Number(legacy.port || 80);
  const sim = await startSimulator({
    host: legacy.hostname,
    port: simPort,
    ...(simPort ? { publicOrigin: legacy.origin } : {}),
  });
  // Port 0 (tests): the simulator picked a port; the gateway must point at it.
  if (simPort === 0) config.legacy = { ...config.legacy, url: sim.url };
  let gw: RunningGateway;
  try {
    gw = await startGateway(config);
  } catch (err) {
    await sim.close();
    throw err;
  }
  const token = generated ?? '<your admin token>';
  const rel = flagsFile.startsWith(`${process.cwd()}/`) ? flagsFile.slice(process.cwd().length + 1) : flagsFile;
  process.stderr.write(`
  Legacy simulator  ${sim.url}
  Gateway (public)  ${gw.publicUrl}      every path reaches legacy unless a slice claims it
  Gateway (admin)   ${gw.adminUrl}      /healthz /readyz /metrics /admin/*
  Flags file        ${rel}   (edited live; changes apply within 2 s)
  Admin token       ${token}

  Try:
    # passthrough: legacy answers, absolute links rewritten to the gateway
    curl -s '${gw.publicUrl}/api/v2/tickets.json?per_page=2'
    # the tickets.get slice (served by legacy until its flag says otherwise)
    curl -si ${gw.publicUrl}/api/v2/tickets/1.json -H 'x-customer-id: 42'
    # move 50 % of customers to the new handler (sticky per customer), then all of them
    npx gateway flags set tickets.get serve 50 --file ${rel}
    npx gateway flags set tickets.get serve 100 --file ${rel}
    # a customer message: the legacy bot answers; then let the AI handler answer order-status questions
    curl -s -X POST ${gw.publicUrl}/api/v2/conversations/demo-1/messages -H 'content-type: application/json' \\
      -d '{"message":{"author":{"type":"user","id":"10001"},"content":{"type":"text","text":"where is my order A-1001?"}}}'
    npx gateway flags set intent.order_status serve 100 --file ${rel}
    # everything back to legacy at once
    npx gateway flags kill-switch on --file ${rel}
    # what each slice is doing, and the metrics
    curl -s ${gw.adminUrl}/admin/slices -H 'authorization: Bearer ${token}'
    curl -s ${gw.adminUrl}/metrics | grep -E '^gateway_(requests|fallbacks)_total'
    # pin the slice to legacy (audited)
    curl -s -X POST ${gw.adminUrl}/admin/slices/tickets.get/pin -H 'authorization: Bearer ${token}' -H 'content-type: application/json' -d '{"note":"demo"}'

  QA (shadow, diffs, replay):
    npx gateway flags set tickets.get shadow 100 --file ${rel}
    for i in 1 2 3 4 5; do curl -s -o /dev/null ${gw.publicUrl}/api/v2/tickets/$i.json; done
    GATEWAY_ADMIN_URL=${gw.adminUrl} GATEWAY_ADMIN_TOKEN=${token} npx gateway diffs
    # every request of this session is recorded (masked) to ${config.shadow.record.file ? relative(process.cwd(), config.shadow.record.file) : '(off)'}: send it again and report
    GATEWAY_ADMIN_URL=${gw.adminUrl} GATEWAY_ADMIN_TOKEN=${token} npx gateway replay ${config.shadow.record.file ? relative(process.cwd(), config.shadow.record.file) : '<file.jsonl>'} --target ${gw.publicUrl} --html report.html

  Admin console: ${gw.adminUrl}/console  (sign in with the admin token)

  Ctrl-C stops both.
`);
  return {
    async stop() {
      await gw.close();
      await sim.close();
    },
  };
}
