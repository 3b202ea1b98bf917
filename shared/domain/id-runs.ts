/** Ids as runs of consecutive integers: `from[i]..to[i]`, ascending and disjoint. */
export interface IdRuns {
  from: number[];
  to: number[];
}

/**
 * The runs of a set of distinct ids (any order). An appending load's batch is one run, so recording which
 * rows a write really inserted costs one small row, not one per hire.
 */
export function idRuns(ids: readonly number[]): IdRuns {
  const runs: IdRuns = { from: [], to: [] };
  if (ids.length === 0) return runs;
  let sorted = ids;
  for (let i = 1; i < ids.length; i++) {
    if (ids[i] <= ids[i - 1]) {
      sorted = [...ids].sort((a, b) => a - b);
      break;
    }
  }
  let from = sorted[0];
  let to = from;
  for (let i = 1; i < sorted.length; i++) {
    const id = sorted[i];
    if (id === to) continue;
    if (id === to + 1) {
      to = id;
      continue;
    }
    runs.from.push(from);
    runs.to.push(to);
    from = to = id;
  }
  runs.from.push(from);
  runs.to.push(to);
  return runs;
}

/** The runs as JSON `[[from, to], ...]`, the form SQLite keeps them in. */
export function idRunsJson(runs: IdRuns): string {
  return JSON.stringify(runs.from.map((f, i) => [f, runs.to[i]]));
}
