/**
 * libpq keyword/value connection strings (`host=10.0.0.1 port=5432 user=replicator`), as
 * PostgreSQL stores them in primary_conninfo. Values are single-quoted when they need it,
 * with \ and ' escaped by a backslash (libpq's conninfo_parse rules).
 */

export function quoteConninfoValue(value: string): string {
  if (value !== '' && /^[^\s'\\]+$/.test(value)) return value;
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export function formatConninfo(params: Record<string, string | number | undefined>): string {
  return Object.entries(params)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([k, v]) => `${k}=${quoteConninfoValue(String(v))}`)
    .join(' ');
}

/** Parses a keyword/value string; returns undefined when it is malformed (libpq would refuse it too). */
export function parseConninfo(text: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  let i = 0;
  const skipSpace = (): void => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  for (;;) {
    skipSpace();
    if (i >= text.length) return out;
    const keyStart = i;
    while (i < text.length && /[A-Za-z0-9_]/.test(text[i]!)) i++;
    const key = text.slice(keyStart, i);
    skipSpace();
    if (key === '' || text[i] !== '=') return undefined;
    i++;
    skipSpace();
    let value = '';
    if (text[i] === "'") {
      i++;
      for (;;) {
        if (i >= text.length) return undefined;
        const c = text[i]!;
        if (c === '\\' && i + 1 < text.length) {
          value += text[i + 1];
          i += 2;
        } else if (c === "'") {
          i++;
          break;
        } else {
          value += c;
          i++;
        }
      }
    } else {
      while (i < text.length && !/\s/.test(text[i]!)) {
        if (text[i] === '\\' && i + 1 < text.length) i++;
        value += text[i];
        i++;
      }
    }
    out[key] = value;
  }
}

/** The conninfo without any password=… it may carry, for messages. */
export function redactConninfo(text: string): string {
  const parsed = parseConninfo(text);
  if (!parsed) return '(unparsable conninfo)';
  const { password: _password, ...rest } = parsed;
  return formatConninfo(rest);
}
