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
