/** One line of the table: a measured median next to the floor measured in the same run. */
export interface Figure {
  /** The section of the benchmark table (1..6) and a short key, e.g. "1 migrate-empty". */
  id: string;
  what: string;
  /** ms, MB and count: lower is better; the others are throughputs, higher is better. */
  unit: 'ms' | 'MB' | 'tps' | 'rows/s' | 'ops/s' | 'count';
  value: number;
  samples: number[];
  floorWhat: string;
  floor: number | null;
  floorSamples: number[];
  /** value / floor (for ms: how many times slower; for throughputs: the share of the floor reached). */
  ratio: number | null;
  target: { op: '<=' | '>='; ratio: number } | null;
  met: boolean | null;
  note?: string;
}

export function figure(input: Omit<Figure, 'ratio' | 'met' | 'value' | 'floor'> & { value: number; floor: number | null }): Figure {
  const ratio = input.floor === null || input.floor === 0 ? null : input.value / input.floor;
  const met =
    ratio === null || input.target === null ? null : input.target.op === '<=' ? ratio <= input.target.ratio : ratio >= input.target.ratio;
  return { ...input, ratio, met };
}

/** Throughput from a duration: `count` things in `ms` milliseconds. */
export function perSecond(count: number, ms: number): number {
  return (count * 1000) / ms;
}
