import { parseDuration } from '../config/durations.js';
import { parseSize } from './size.js';
import { DEFAULT_THRESHOLDS, type LagThresholds } from './thresholds.js';

/**
 * `--max-lag-bytes 10MB` and `--max-lag-seconds 5` (also "500ms", "2min") into thresholds.
 * Every problem is collected so the caller can report them together.
 */
export function resolveLagThresholds(raw: { maxLagBytes?: string | undefined; maxLagSeconds?: string | undefined }): {
  thresholds: LagThresholds;
  problems: string[];
} {
  const problems: string[] = [];
  let maxLagBytes = DEFAULT_THRESHOLDS.maxLagBytes;
  let maxLagSeconds = DEFAULT_THRESHOLDS.maxLagSeconds;
  if (raw.maxLagBytes !== undefined) {
    const r = parseSize(raw.maxLagBytes, '--max-lag-bytes');
    if ('problem' in r) problems.push(r.problem);
    else maxLagBytes = r.bytes;
  }
  if (raw.maxLagSeconds !== undefined) {
    const r = parseDuration(raw.maxLagSeconds, '--max-lag-seconds');
    if ('problem' in r) problems.push(r.problem);
    else maxLagSeconds = r.ms / 1000;
  }
  return { thresholds: { maxLagBytes, maxLagSeconds }, problems };
}
