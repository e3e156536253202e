/**
 * Strict UTF-8 decoding with the place of the first bad byte. Node's own decoder replaces bad
 * bytes with U+FFFD in silence, so a file in Latin-1 would reach the server changed.
 */
export type Utf8Result = { ok: true; text: string } | { ok: false; byteOffset: number; line: number };

const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function decodeUtf8(bytes: Uint8Array): Utf8Result {
  try {
    return { ok: true, text: strict.decode(bytes) };
  } catch {
    const byteOffset = firstInvalidByte(bytes);
    let line = 1;
    for (let i = 0; i < byteOffset; i += 1) if (bytes[i] === 0x0a) line += 1;
    return { ok: false, byteOffset, line };
  }
}

/**
 * Offset of the first byte that does not start or continue a well-formed sequence (RFC 3629:
 * no overlong forms, no surrogates, nothing above U+10FFFF), or of a sequence cut short.
 */
export function firstInvalidByte(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i += 1;
      continue;
    }
    // Length and the allowed range of the second byte, from the Unicode standard's table 3-7.
    let length: number;
    let low = 0x80;
    let high = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) length = 2;
    else if (b >= 0xe0 && b <= 0xef) {
      length = 3;
      if (b === 0xe0) low = 0xa0;
      if (b === 0xed) high = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      length = 4;
      if (b === 0xf0) low = 0x90;
      if (b === 0xf4) high = 0x8f;
    } else return i;
    for (let k = 1; k < length; k += 1) {
      const c = bytes[i + k];
      if (c === undefined) return i;
      if (k === 1 ? c < low || c > high : c < 0x80 || c > 0xbf) return i;
    }
    i += length;
  }
  return bytes.length;
}
