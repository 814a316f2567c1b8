/** Types of bench/lib/quantiles.mjs, for the tests. */
export declare const GRID: number[];
export type Grid = [percentile: number, value: number][];
export declare function nearestRank(sorted: ArrayLike<number>, n: number, p: number): number;
export declare function gridOf(sorted: ArrayLike<number>, n?: number): Grid;
export declare function pooledPercentile(runs: { n: number; q: Grid | undefined }[], p: number): number | null;
