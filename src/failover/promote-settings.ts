import { resolveLagThresholds } from '../doctor/doctor-options.js';
import type { LagThresholds } from '../doctor/thresholds.js';
import { parseDuration } from '../config/durations.js';

/** `db promote`'s settings as typed on the command line (strings; undefined when not given). */
export interface RawPromoteSettings {
  maxLagBytes?: string | undefined;
  maxLagSeconds?: string | undefined;
  oldPrimary?: string | undefined;
  wait?: string | undefined;
}

export interface PromoteSettings {
  thresholds: LagThresholds;
  /** Where the old primary listens, when given; else promote reads it from primary_conninfo. */
  oldPrimary?: { host: string; port: number };
  /** How long pg_promote may take: 60 s unless given, at least 1 s (pg_promote takes whole seconds). */
  waitSeconds: number;
}

/** The lag limits, the old primary's address and the promote wait, validated; every problem is returned together. */
export function resolvePromoteSettings(raw: RawPromoteSettings): { settings: PromoteSettings; problems: string[] } {
  const { thresholds, problems } = resolveLagThresholds(raw);
  const settings: PromoteSettings = { thresholds, waitSeconds: 60 };
  if (raw.oldPrimary !== undefined) {
    const r = parseHostPort(raw.oldPrimary, '--old-primary');
    if ('problem' in r) problems.push(r.problem);
    else settings.oldPrimary = r;
  }
  if (raw.wait !== undefined) {
    const r = parseDuration(raw.wait, '--wait');
    if ('problem' in r) problems.push(r.problem);
    else settings.waitSeconds = Math.max(1, Math.ceil(r.ms / 1000));
  }
  return { settings, problems };
}

/** `host:port` or `[v6]:port` into its parts, or the problem with it. */
export function parseHostPort(text: string, label: string): { host: string; port: number } | { problem: string } {
  const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(text);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) {
    return { problem: `${label} must be host:port (e.g. 172.16.91.101:5432), got ${JSON.stringify(text)}` };
  }
  return { host: m[1]!, port: Number(m[2]) };
}
