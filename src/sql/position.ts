/**
 * Positions in SQL text. Three units meet here: the parser (libpg-query) reports UTF-8 byte
 * offsets for statements and code-point offsets for syntax errors, the server reports 1-based
 * character (code point) positions, and JavaScript strings index UTF-16 units. Everything is
 * turned into a UTF-16 index to slice with, and shown to people as a line and a column counted
 * in characters, as editors count them.
 */

/** 1-based line and column (in characters) of a UTF-16 index into `text`. */
export function lineAndColumn(text: string, index: number): { line: number; column: number } {
  const at = Math.max(0, Math.min(index, text.length));
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < at; i = text.indexOf('\n', i + 1)) {
    line += 1;
    lineStart = i + 1;
  }
  return { line, column: codePointCount(text.slice(lineStart, at)) + 1 };
}

/** The UTF-16 index reached by moving `codePoints` characters forward from `from`. */
export function indexAfterCodePoints(text: string, from: number, codePoints: number): number {
  let index = from;
  for (let n = 0; n < codePoints && index < text.length; n += 1) index += (text.codePointAt(index) ?? 0) > 0xffff ? 2 : 1;
  return index;
}

/** A converter from UTF-8 byte offsets of `text` to UTF-16 indexes, built in one pass. */
export function byteOffsets(text: string): (byteOffset: number) => number {
  const starts: number[] = []; // starts[k] = byte offset of the k-th UTF-16 index that starts a character
  const indexes: number[] = [];
  let bytes = 0;
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i)!;
    starts.push(bytes);
    indexes.push(i);
    bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    i += cp > 0xffff ? 2 : 1;
  }
  return (byteOffset) => {
    if (byteOffset >= bytes) return text.length;
    // The character holding this byte (binary search; offsets inside a character round down).
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= byteOffset) lo = mid;
      else hi = mid - 1;
    }
    return indexes[lo] ?? 0;
  };
}

/** The source line holding `index`, numbered, with a caret under the character there. */
export function caretExcerpt(text: string, index: number): string[] {
  const { line } = lineAndColumn(text, index);
  const lineStart = index <= 0 ? 0 : text.lastIndexOf('\n', Math.min(index, text.length) - 1) + 1;
  const lineEnd = text.indexOf('\n', lineStart);
  const source = text.slice(lineStart, lineEnd === -1 ? text.length : lineEnd).replace(/\r$/, '');
  const gutter = `${line} | `;
  return [`${gutter}${source}`, `${' '.repeat(gutter.length)}${padding(text.slice(lineStart, index))}^`];
}

function codePointCount(s: string): number {
  let n = 0;
  for (const _ of s) n += 1;
  return n;
}

// Terminal width of characters: East Asian wide and emoji take two cells, combining marks none.
const WIDE =
  /[\u1100-\u115F\u2E80-\u303E\u3041-\u33FF\u3400-\u4DBF\u4E00-\u9FFF\uA000-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6\u{20000}-\u{3FFFD}]|\p{Emoji_Presentation}/u;
const ZERO_WIDTH = /\p{Mn}|\p{Me}|\p{Cf}/u;

/** Blanks as wide as `prefix` on a terminal; tabs are kept so that they line up the same. */
function padding(prefix: string): string {
  let out = '';
  for (const ch of prefix) out += ch === '\t' ? '\t' : ZERO_WIDTH.test(ch) ? '' : WIDE.test(ch) ? '  ' : ' ';
  return out;
}
