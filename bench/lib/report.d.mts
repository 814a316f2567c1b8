/** Types of the parts of bench/lib/report.mjs the tests use (test/bench/summary.test.ts). */
import type { Grid } from './quantiles.mjs';

export interface Round {
  requests: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  p999: number;
  q?: Grid;
  non2xx: number;
  socketErrors: number;
  serverUsPerReq?: number;
}
export interface Half {
  rps: number;
  p99: number;
}
export interface Row {
  target: string;
  rps: number;
  p99: number;
  rpsRatio: number | null;
  p99Ratio: number | null;
  halfRatios: Half[] | null;
  leftOut: { round: number; p99: number } | null;
  verdict: string;
}
export interface Target {
  name: string;
  baseline?: string;
  issue?: { rps: number; p99: number };
}
export declare function summarise(targets: Target[], rounds: Map<string, Round[]>): Row[];
