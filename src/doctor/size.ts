/**
 * Byte sizes as PostgreSQL writes them in its settings ("10MB", "512kB", "1GB"; units are
 * powers of 1024, as for wal_keep_size), plus "B", a bare number of bytes, and the IEC spellings
 * ("10MiB") people also type. Case-insensitive for the unit, because a monitoring config that
 * says "10mb" means the same thing and refusing it helps nobody.
 */
const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1024 ** 4,
  tib: 1024 ** 4,
};

export function parseSize(raw: string, flag = 'size'): { bytes: number } | { problem: string } {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(raw.trim());
  const factor = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || factor === undefined) {
    return { problem: `${flag} must be a size such as 10MB, 512kB, 1GB or a number of bytes, got "${raw}"` };
  }
  return { bytes: Math.round(Number(m[1]) * factor) };
}

/** The largest unit that keeps at least 1 (e.g. 10485760 → "10 MB", 1536 → "1.5 kB"). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let i = 0;
  while (Math.abs(value) >= 1024 && i < units.length - 1) {
    value /= 1024;
    i += 1;
  }
  const text = i === 0 ? String(value) : value.toFixed(value < 10 ? 1 : 0).replace(/\.0$/, '');
  return `${text} ${units[i]}`;
}
