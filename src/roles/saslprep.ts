/**
 * SASLprep (RFC 4013) the way PostgreSQL applies it to a password before SCRAM hashing
 * (src/common/saslprep.c), on @mongodb-js/saslprep's tables: an ASCII password passes unchanged
 * (PostgreSQL's shortcut, control characters included); otherwise the library maps, NFKC-normalises
 * and checks it. Where the check fails (a prohibited or unassigned code point, a broken bidi rule)
 * or nothing is left, PostgreSQL (server and libpq alike) silently hashes the raw password instead,
 * so this returns the input unchanged: the verifier must equal the one the server would compute.
 * Unassigned code points are refused as PostgreSQL refuses them (RFC 3454's Unicode 3.2 table).
 * The library's tables take a few milliseconds to load: they are loaded on the first non-ASCII
 * password, so a `db migrate` without one never pays for them.
 */
export async function saslprep(password: string): Promise<string> {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range test starts at NUL on purpose
  if (/^[\x00-\x7f]*$/.test(password)) return password;
  const { default: prep } = await import('../vendor/saslprep.js');
  try {
    const prepared = prep(password, { allowUnassigned: false });
    return prepared.length > 0 ? prepared : password;
  } catch {
    return password;
  }
}
