/**
 * SASLprep (RFC 4013) the way PostgreSQL applies it to a password before SCRAM hashing
 * (src/common/saslprep.c): ASCII passwords pass unchanged; otherwise non-ASCII spaces become
 * U+0020, "mapped to nothing" characters go, the result is NFKC-normalised and then checked for
 * prohibited characters and bidi rules. When the check fails PostgreSQL (server and libpq)
 * silently uses the raw password instead, so this returns the input unchanged in that case.
 *
 * Known approximation: the RFC's "unassigned code point" table is Unicode 3.2; this uses the
 * Unicode version of the running Node. Only passwords with characters assigned after 3.2 (e.g.
 * emoji) could hash differently from libpq; tests cover ASCII, Latin and CJK passwords.
 */
export function saslprep(password: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range test starts at NUL on purpose
  if (/^[\x00-\x7f]*$/.test(password)) return password;

  let mapped = '';
  for (const ch of password) {
    const cp = ch.codePointAt(0)!;
    if (isNonAsciiSpace(cp)) mapped += ' ';
    else if (!isMappedToNothing(cp)) mapped += ch;
  }
  const normalized = mapped.normalize('NFKC');
  if (normalized.length === 0) return password;

  const chars = [...normalized].map((c) => c.codePointAt(0)!);
  if (chars.some(isProhibited)) return password;

  const randAL = chars.map(isRandAL);
  if (randAL.some(Boolean)) {
    if (chars.some(isLCat)) return password;
    if (!randAL[0] || !randAL[randAL.length - 1]) return password;
  }
  return normalized;
}

function inRanges(cp: number, ranges: ReadonlyArray<readonly [number, number]>): boolean {
  return ranges.some(([lo, hi]) => cp >= lo && cp <= hi);
}

// RFC 3454 table C.1.2
const NON_ASCII_SPACE: ReadonlyArray<readonly [number, number]> = [
  [0x00a0, 0x00a0],
  [0x1680, 0x1680],
  [0x2000, 0x200b],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
];
function isNonAsciiSpace(cp: number): boolean {
  return inRanges(cp, NON_ASCII_SPACE);
}

// RFC 3454 table B.1
const MAPPED_TO_NOTHING: ReadonlyArray<readonly [number, number]> = [
  [0x00ad, 0x00ad],
  [0x034f, 0x034f],
  [0x1806, 0x1806],
  [0x180b, 0x180d],
  [0x200b, 0x200d],
  [0x2060, 0x2060],
  [0xfe00, 0xfe0f],
  [0xfeff, 0xfeff],
];
function isMappedToNothing(cp: number): boolean {
  return inRanges(cp, MAPPED_TO_NOTHING);
}

// RFC 3454 tables C.1.2, C.2.1, C.2.2, C.3, C.4, C.5, C.6, C.7, C.8, C.9
const PROHIBITED: ReadonlyArray<readonly [number, number]> = [
  ...NON_ASCII_SPACE,
  [0x0000, 0x001f],
  [0x007f, 0x009f],
  [0x06dd, 0x06dd],
  [0x070f, 0x070f],
  [0x180e, 0x180e],
  [0x200c, 0x200f],
  [0x2028, 0x202e],
  [0x2060, 0x2063],
  [0x206a, 0x206f],
  [0xfeff, 0xfeff],
  [0xfff9, 0xfffd],
  [0x1d173, 0x1d17a],
  [0xe000, 0xf8ff],
  [0xf0000, 0xffffd],
  [0x100000, 0x10fffd],
  [0xfdd0, 0xfdef],
  [0xd800, 0xdfff],
  [0x2ff0, 0x2ffb],
  [0x0340, 0x0341],
  [0xe0001, 0xe0001],
  [0xe0020, 0xe007f],
];
function isProhibited(cp: number): boolean {
  if ((cp & 0xfffe) === 0xfffe) return true; // non-characters U+xxFFFE / U+xxFFFF
  if (inRanges(cp, PROHIBITED)) return true;
  return /\p{Cn}/u.test(String.fromCodePoint(cp)); // unassigned (see the note above)
}

// Right-to-left letters (RFC 3454 D.1), approximated by the Hebrew/Arabic/Syriac/Thaana/NKo blocks.
const RAND_AL: ReadonlyArray<readonly [number, number]> = [
  [0x05be, 0x05be],
  [0x05c0, 0x05c0],
  [0x05c3, 0x05c3],
  [0x05d0, 0x05f4],
  [0x0608, 0x0608],
  [0x060b, 0x060b],
  [0x060d, 0x060d],
  [0x061b, 0x064a],
  [0x066d, 0x066f],
  [0x0671, 0x06d5],
  [0x06e5, 0x06e6],
  [0x06ee, 0x06ef],
  [0x06fa, 0x0710],
  [0x0712, 0x072f],
  [0x074d, 0x07a5],
  [0x07b1, 0x07ea],
  [0xfb1d, 0xfb1d],
  [0xfb1f, 0xfb28],
  [0xfb2a, 0xfdfc],
  [0xfe70, 0xfefc],
];
function isRandAL(cp: number): boolean {
  return inRanges(cp, RAND_AL);
}
// Left-to-right characters (D.2): letters that are not right-to-left.
function isLCat(cp: number): boolean {
  return !isRandAL(cp) && /\p{L}/u.test(String.fromCodePoint(cp)) && !/\p{Script=Arabic}|\p{Script=Hebrew}/u.test(String.fromCodePoint(cp));
}
