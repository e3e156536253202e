/** The median of the samples (the mean of the two middle ones for an even count). */
export function median(samples: readonly number[]): number {
  if (samples.length === 0) throw new Error('median of no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Milliseconds `fn` takes, on the monotonic clock. */
export async function timeMs(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/**
 * Runs `measured` and `floor` alternately `runs` times after one unmeasured warm-up of each,
 * so that drift of the machine (caches, other load) hits both sides alike.
 */
export async function interleave(
  runs: number,
  measured: () => Promise<number>,
  floor: () => Promise<number>,
): Promise<{ measured: number[]; floor: number[] }> {
  await measured();
  await floor();
  const out = { measured: [] as number[], floor: [] as number[] };
  for (let i = 0; i < runs; i++) {
    out.measured.push(await measured());
    out.floor.push(await floor());
  }
  return out;
}

/** The p-th percentile (0..100) of the samples, nearest-rank: the smallest sample with at least p% of them at or below it. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) throw new Error('percentile of no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}
