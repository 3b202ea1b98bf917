/** The shape every measured path reports (one entry of the `--json` output's `results`). */
import { median } from './measure.ts';

export interface PathResult {
  /** Rows of the input this path was given (or rows it inserted, for the batch endpoint). */
  rows: number;
  /** Median wall time over the runs, in seconds. */
  seconds: number;
  rows_per_s: number;
  /** rows_per_s divided by the reference's rows_per_s (null for a reference itself or where there is none). */
  ratio: number | null;
  /** Highest peak RSS seen over the runs, in MB. */
  peak_rss_mb: number | null;
  /** What ratio compares against. */
  reference?: string;
  /** Each run's seconds, in order. */
  runs_s?: number[];
  [extra: string]: unknown;
}

export interface Sample {
  seconds: number;
  peakRssMb: number | null;
  /** Cores busy outside the measured command while it ran (see measure.ts). */
  otherCpuCores?: number | null;
  /** How many times the run was measured (a run disturbed by other processes is measured again). */
  attempts?: number;
}

export function summarize(rows: number, samples: Sample[], extra: Partial<PathResult> = {}): PathResult {
  const seconds = median(samples.map((s) => s.seconds));
  const rss = samples.map((s) => s.peakRssMb).filter((x): x is number => x !== null);
  return {
    rows,
    seconds: round(seconds, 3),
    rows_per_s: Math.round(rows / seconds),
    ratio: null,
    peak_rss_mb: rss.length ? round(Math.max(...rss), 1) : null,
    runs_s: samples.map((s) => round(s.seconds, 3)),
    runs_other_cpu_cores: samples.map((s) => (typeof s.otherCpuCores === 'number' ? round(s.otherCpuCores, 2) : null)),
    runs_attempts: samples.map((s) => s.attempts ?? 1),
    ...extra,
  };
}

export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Sets `a.ratio` to a's rows/s over b's. */
export function compare(a: PathResult, b: PathResult, reference: string): void {
  a.ratio = b.rows_per_s > 0 ? round(a.rows_per_s / b.rows_per_s, 3) : null;
  a.reference = reference;
}

export type Log = (message: string) => void;

/** ", others busy 0.05 cores" for a run's log line. */
export function othersNote(s: Sample): string {
  return typeof s.otherCpuCores === 'number' ? `, others busy ${s.otherCpuCores.toFixed(2)} cores` : '';
}
