import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DatasetError, readLabelledFile } from '../ai/classifier/dataset.js';
import {
  DEFAULT_TARGETS,
  type EvalReport,
  type EvalTargets,
  evaluate,
  missedTargets,
} from '../ai/classifier/evaluate.js';
import { loadDefaultClassifier, type TrainedLocalClassifier } from '../ai/classifier/local.js';
import { createTieredClassifier } from '../ai/tiered.js';
import { INTENTS } from '../ai/types.js';
import { loadConfig } from '../config.js';

export const EVAL_USAGE = `Usage: npm run eval -- <file.jsonl> [options]

Evaluates the local tier (escalation rules + local classifier, no LLM) on lines {"text", "intent"}.
Exit 0: every target met; 1: a target missed; 2: bad arguments or a bad file (every bad line is listed).

Options:
  --min-accuracy <0-1>      in-scope accuracy target (default ${DEFAULT_TARGETS.minAccuracy})
  --min-oos-recall <0-1>    out-of-scope recall target (default ${DEFAULT_TARGETS.minOosRecall})
  --min-handoff-rate <0-1>  talk_to_human → handoff target (default ${DEFAULT_TARGETS.minHandoffRate})
  -c, --config <file>       gateway config (for ai.confidenceThreshold / ai.marginThreshold)
      --errors              list every misclassified utterance
  -h, --help                this text
`;

type Write = (s: string) => void;

export interface EvalDeps {
  /** A classifier to evaluate instead of the one trained on data/intents/train.jsonl. */
  classifier?: TrainedLocalClassifier;
  thresholds?: { confidenceThreshold: number; marginThreshold: number };
}

const f3 = (x: number) => x.toFixed(3);
const SHORT: Record<string, string> = {
  order_status: 'order',
  password_reset: 'passw',
  refund_eligibility: 'refund',
  address_change: 'addr',
  faq: 'faq',
  talk_to_human: 'human',
  out_of_scope: 'oos',
};

function table(rows: string[][], rightFrom = 1): string {
  const widths = (rows[0] ?? []).map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => (c < rightFrom ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function formatReport(report: EvalReport, targets: EvalTargets, showErrors = false): string {
  const lines: string[] = [];
  lines.push(
    table([
      ['intent', 'support', 'predicted', 'precision', 'recall', 'f1'],
      ...report.perIntent.map((s) => [
        s.intent,
        String(s.support),
        String(s.predicted),
        f3(s.precision),
        f3(s.recall),
        f3(s.f1),
      ]),
    ]),
  );
  lines.push('');
  const verdict = (v: number, t: number) => `${f3(v)}  (target >= ${f3(t)})  ${v >= t ? 'ok' : 'MISSED'}`;
  lines.push(
    table(
      [
        [`in-scope accuracy (${report.inScopeTotal})`, verdict(report.inScopeAccuracy, targets.minAccuracy)],
        [`out-of-scope recall (${report.oosTotal})`, verdict(report.oosRecall, targets.minOosRecall)],
        ['talk_to_human -> handoff', verdict(report.talkToHumanHandoffRate, targets.minHandoffRate)],
        ['answered by AI (in scope, no handoff)', f3(report.automatedShare)],
        ['wrong intent without handoff', String(report.confidentWrong)],
        ['decided by tier', `rules ${report.tiers.rules}, local ${report.tiers.local}, llm ${report.tiers.llm}`],
      ],
      9,
    ),
  );
  lines.push('', 'confusion (rows: gold intent, columns: predicted)');
  lines.push(
    table([
      ['', ...INTENTS.map((i) => SHORT[i] ?? i)],
      ...INTENTS.map((g) => [g, ...INTENTS.map((p) => String(report.confusion[g][p]))]),
    ]),
  );
  if (showErrors && report.misses.length > 0) {
    lines.push('', 'misclassified (gold -> predicted confidence tier [handoff]):');
    for (const m of report.misses)
      lines.push(
        `  ${m.gold} -> ${m.predicted} ${m.confidence.toFixed(2)} ${m.tier}${m.handoff ? ' handoff' : ''}  ${JSON.stringify(m.text)}`,
      );
  }
  return lines.join('\n');
}

function parseTarget(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new Error(`--${name} must be 0-1, got ${raw}`);
  return n;
}

/** `npm run eval -- <file.jsonl>`: prints the report; 0 all targets met, 1 a target missed, 2 bad input. */
export async function runEval(argv: string[], out: Write, err: Write, deps: EvalDeps = {}): Promise<number> {
  let file: string | undefined;
  let targets: EvalTargets;
  let values: { config?: string | undefined; errors?: boolean | undefined; help?: boolean | undefined };
  try {
    const args = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        'min-accuracy': { type: 'string' },
        'min-oos-recall': { type: 'string' },
        'min-handoff-rate': { type: 'string' },
        config: { type: 'string', short: 'c' },
        errors: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    values = args.values;
    if (values.help) {
      out(EVAL_USAGE);
      return 0;
    }
    if (args.positionals.length !== 1) throw new Error('expected exactly one <file.jsonl>');
    file = args.positionals[0] as string;
    targets = {
      minAccuracy: parseTarget('min-accuracy', args.values['min-accuracy'], DEFAULT_TARGETS.minAccuracy),
      minOosRecall: parseTarget('min-oos-recall', args.values['min-oos-recall'], DEFAULT_TARGETS.minOosRecall),
      minHandoffRate: parseTarget('min-handoff-rate', args.values['min-handoff-rate'], DEFAULT_TARGETS.minHandoffRate),
    };
  } catch (e) {
    err(`${(e as Error).message}\n\n${EVAL_USAGE}`);
    return 2;
  }
  if (!existsSync(file)) {
    err(`${file}: no such file`);
    return 2;
  }
  let examples: ReturnType<typeof readLabelledFile>;
  try {
    examples = readLabelledFile(file);
  } catch (e) {
    if (!(e instanceof DatasetError)) throw e;
    err(`${e.message}:`);
    for (const p of e.problems) err(`  line ${p.line}: ${p.message}`);
    return 2;
  }
  const thresholds = deps.thresholds ?? loadConfig(values.config ? { file: values.config } : {}).ai;
  const local = deps.classifier ?? loadDefaultClassifier();
  const { confidenceThreshold, marginThreshold } = thresholds; // the local tier alone: never the config's llm
  const tiered = createTieredClassifier({ local, confidenceThreshold, marginThreshold });
  const report = await evaluate(examples, tiered);
  const info = local.info;
  out(`${file}: ${report.total} utterances; local tier + rules, no LLM`);
  out(
    `thresholds: confidence ${thresholds.confidenceThreshold}, margin ${thresholds.marginThreshold}; classifier: ` +
      `${info.examples} training utterances, ${info.features} features, temperature ${info.temperature.toFixed(2)}, ` +
      `trained in ${Math.round(info.trainingMs)} ms\n`,
  );
  out(formatReport(report, targets, values.errors === true));
  const missed = missedTargets(report, targets);
  for (const m of missed) err(`target missed: ${m}`);
  return missed.length > 0 ? 1 : 0;
}
