/**
 * libpq's two connection string formats, taken apart the way libpq's fe-connect.c does:
 *
 * - URIs: `postgres[ql]://[user[:password]@][host[:port][,host[:port]...]][/dbname][?key=value&...]`,
 *   every part percent-decoded, a bare `ssl=true` meaning `sslmode=require`;
 * - keyword/value strings: `host=h1,h2 port=5432 dbname='voip db'` (single quotes, backslash escapes).
 *
 * The result is libpq's raw keyword → value map; what the keywords mean is decided in
 * connection.ts. pg-connection-string is not used for this: it knows one host only, keeps
 * `%2F` encoded in the database name, passes unknown keywords through without a word and reads
 * certificate files while parsing. Problems never quote a value that may be a password.
 */

export const URI_PREFIXES = ['postgresql://', 'postgres://'] as const;

export function isUri(text: string): boolean {
  return URI_PREFIXES.some((p) => text.startsWith(p));
}

/** A conninfo string libpq accepts as keyword/value pairs (it contains `=` and is not a URI). */
export function isKeywordValue(text: string): boolean {
  return !isUri(text) && text.includes('=');
}

export interface ParsedConninfo {
  /** keyword → value, last one wins (as in libpq). */
  values: Map<string, string>;
}

/** What a parse gives: the keyword values, or (parsed undefined) every problem found, each naming `source`. */
export interface ConninfoParse {
  parsed: ParsedConninfo | undefined;
  problems: string[];
}

/**
 * Parses a URI. `source` names where it came from in problems (`--url`, `DATABASE_URL`). One pass
 * reports every problem it meets; a part that cannot be taken apart at all ends the pass.
 */
export function parseUri(text: string, source: string): ConninfoParse {
  const prefix = URI_PREFIXES.find((p) => text.startsWith(p));
  if (prefix === undefined) return refused([`${source} must start with postgres:// or postgresql://${schemeOf(text)}`]);
  const problems: string[] = [];
  const values = new Map<string, string>();
  const decode = (raw: string, what: string, secret: boolean): string | undefined => {
    const decoded = percentDecode(raw, what, secret);
    if ('problem' in decoded) problems.push(decoded.problem);
    return 'text' in decoded ? decoded.text : undefined;
  };
  const store = (keyword: string, raw: string, what: string): void => {
    const decoded = decode(raw, `${source}: ${what}`, keyword === 'password');
    if (decoded !== undefined) values.set(keyword, decoded);
  };
  let rest = text.slice(prefix.length);

  // Credentials: everything up to '@', if an '@' comes before the first '/'.
  const credentialsEnd = firstOf(rest, '@/');
  if (credentialsEnd !== -1 && rest[credentialsEnd] === '@') {
    const credentials = rest.slice(0, credentialsEnd);
    const colon = credentials.indexOf(':');
    const user = colon === -1 ? credentials : credentials.slice(0, colon);
    if (user !== '') store('user', user, 'the user name');
    if (colon !== -1) store('password', credentials.slice(colon + 1), 'the password');
    rest = rest.slice(credentialsEnd + 1);
  }

  // Hosts: host[:port] separated by commas; IPv6 addresses in brackets.
  const hosts: string[] = [];
  const ports: string[] = [];
  let i = 0;
  for (;;) {
    let host: string;
    if (rest[i] === '[') {
      const close = rest.indexOf(']', i);
      if (close === -1) return refused([...problems, `${source}: an IPv6 address opened with "[" is not closed with "]"`]);
      host = rest.slice(i + 1, close);
      if (host === '') return refused([...problems, `${source}: an IPv6 host address may not be empty`]);
      i = close + 1;
      if (i < rest.length && !':/?,'.includes(rest[i]!)) {
        return refused([...problems, `${source}: unexpected character "${rest[i]}" after an IPv6 address (expected ":", "/", "?" or ",")`]);
      }
    } else {
      const end = firstOf(rest, ':/?,', i);
      host = rest.slice(i, end === -1 ? rest.length : end);
      i = end === -1 ? rest.length : end;
    }
    hosts.push(host);
    let port = '';
    if (rest[i] === ':') {
      const end = firstOf(rest, '/?,', i + 1);
      port = rest.slice(i + 1, end === -1 ? rest.length : end);
      i = end === -1 ? rest.length : end;
    }
    ports.push(port);
    if (rest[i] !== ',') break;
    i += 1;
  }
  if (hosts.some((h) => h !== '')) store('host', hosts.join(','), 'the host list');
  if (ports.some((p) => p !== '')) store('port', ports.join(','), 'the port list');

  // Database: after '/', up to '?'.
  if (rest[i] === '/') {
    const end = rest.indexOf('?', i + 1);
    const dbname = rest.slice(i + 1, end === -1 ? rest.length : end);
    if (dbname !== '') store('dbname', dbname, 'the database name');
    i = end === -1 ? rest.length : end;
  }

  // Parameters: key=value&key=value, each side percent-decoded.
  if (rest[i] === '?') {
    for (const pair of rest.slice(i + 1).split('&')) {
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      if (eq === -1) {
        problems.push(`${source}: query parameter "${safeKey(pair)}" has no "=" (expected key=value)`);
        continue;
      }
      if (pair.indexOf('=', eq + 1) !== -1) {
        problems.push(`${source}: query parameter "${safeKey(pair.slice(0, eq))}" has a second "=" (encode it as %3D)`);
        continue;
      }
      const key = decode(pair.slice(0, eq), `${source}: a query parameter name`, false);
      if (key === undefined) continue;
      const value = decode(pair.slice(eq + 1), `${source}: the value of ${key}`, key === 'password');
      if (value === undefined) continue;
      // libpq's JDBC compatibility: ssl=true means sslmode=require.
      if (key === 'ssl' && value === 'true') values.set('sslmode', 'require');
      else values.set(key, value);
    }
  }
  return problems.length > 0 ? refused(problems) : { parsed: { values }, problems: [] };
}

/** Parses `keyword=value keyword='quoted value'` as libpq does; the first problem ends it. */
export function parseKeywordValue(text: string, source: string): ConninfoParse {
  const values = new Map<string, string>();
  let i = 0;
  const isSpace = (c: string | undefined): boolean => c !== undefined && /\s/.test(c);
  while (i < text.length) {
    while (isSpace(text[i])) i += 1;
    if (i >= text.length) break;
    const keyStart = i;
    while (i < text.length && !isSpace(text[i]) && text[i] !== '=') i += 1;
    const keyword = text.slice(keyStart, i);
    while (isSpace(text[i])) i += 1;
    if (text[i] !== '=') return refused([`${source}: missing "=" after "${safeKey(keyword)}" in the connection string`]);
    i += 1;
    while (isSpace(text[i])) i += 1;
    let value = '';
    if (text[i] === "'") {
      i += 1;
      let closed = false;
      while (i < text.length) {
        const c = text[i]!;
        if (c === '\\' && i + 1 < text.length) {
          value += text[i + 1];
          i += 2;
        } else if (c === "'") {
          i += 1;
          closed = true;
          break;
        } else {
          value += c;
          i += 1;
        }
      }
      if (!closed) return refused([`${source}: the quoted value of ${safeKey(keyword)} is not closed with '`]);
    } else {
      while (i < text.length && !isSpace(text[i])) {
        if (text[i] === '\\' && i + 1 < text.length) i += 1;
        value += text[i];
        i += 1;
      }
    }
    values.set(keyword, value);
  }
  return { parsed: { values }, problems: [] };
}

function refused(problems: string[]): ConninfoParse {
  return { parsed: undefined, problems };
}

/**
 * libpq's percent-decoding: `%` must be followed by two hex digits and `%00` is refused. The
 * bytes are read as UTF-8. A password is never quoted back, whatever is wrong with it.
 */
function percentDecode(raw: string, what: string, secret: boolean): { text: string } | { problem: string } {
  if (!raw.includes('%')) return { text: raw };
  const parts: Buffer[] = [];
  let last = 0;
  for (let i = raw.indexOf('%'); i !== -1; i = raw.indexOf('%', last)) {
    parts.push(Buffer.from(raw.slice(last, i), 'utf8'));
    const hex = raw.slice(i + 1, i + 3);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) {
      return {
        problem: `${what} has a malformed %-escape${secret ? '' : ` ("${raw.slice(i, i + 3)}")`}: % must be followed by two hex digits (write a literal % as %25)`,
      };
    }
    if (hex === '00') return { problem: `${what} contains %00, which libpq forbids` };
    parts.push(Buffer.from([Number.parseInt(hex, 16)]));
    last = i + 3;
  }
  parts.push(Buffer.from(raw.slice(last), 'utf8'));
  return { text: Buffer.concat(parts).toString('utf8') };
}

function firstOf(text: string, chars: string, from = 0): number {
  for (let i = from; i < text.length; i += 1) if (chars.includes(text[i]!)) return i;
  return -1;
}

/** A keyword as quoted in a problem: only when it looks like one (a stray fragment may be a secret). */
function safeKey(key: string): string {
  return /^[A-Za-z_]{1,40}$/.test(key) ? key : '(not shown)';
}

function schemeOf(text: string): string {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(text);
  return m ? `, not ${m[1]}://` : '';
}
