import { describe, expect, it } from 'vitest';
import { lintMigrationText, prepareLint } from '../../src/schema/lint/lint.js';
import { createdIndexes } from '../../src/sql/created-indexes.js';
import { byteOffsets, caretExcerpt, indexAfterCodePoints, lineAndColumn } from '../../src/sql/position.js';
import { isNoTransaction, sqlText } from '../../src/sql/source.js';
import { parseStatements, SqlSyntaxError } from '../../src/sql/statements.js';
import { decodeUtf8, firstInvalidByte } from '../../src/sql/utf8.js';

// 2-, 3- and 4-byte UTF-8 characters (and 1, 1, 2 UTF-16 units).
const ACCENTS = 'éàü';
const CJK = '日本語';
const EMOJI = '😀😀😀';

describe('positions in characters', () => {
  it('counts columns in characters, whatever their UTF-8 or UTF-16 length', () => {
    for (const text of [ACCENTS, CJK, EMOJI]) {
      const sql = `SELECT '${text}';\nSELECT '${text}', x;`;
      expect(lineAndColumn(sql, sql.lastIndexOf('x'))).toEqual({ line: 2, column: 15 });
    }
  });

  it('moves by code points (server positions) and maps UTF-8 byte offsets (parser locations) to string indexes', () => {
    const sql = `${EMOJI}a`;
    expect(indexAfterCodePoints(sql, 0, 3)).toBe(6);
    expect(sql[indexAfterCodePoints(sql, 0, 3)]).toBe('a');
    const toIndex = byteOffsets(`é${CJK}${EMOJI}a`);
    expect(toIndex(2)).toBe(1); // after é (2 bytes)
    expect(toIndex(2 + 9)).toBe(4); // after 3 CJK (3 bytes each)
    expect(toIndex(2 + 9 + 12)).toBe(10); // after 3 emoji (4 bytes, 2 units each)
  });

  it('puts the caret under the character, two cells for wide ones', () => {
    expect(caretExcerpt(`SELECT '${ACCENTS}' x`, 13)).toEqual([`1 | SELECT '${ACCENTS}' x`, `${' '.repeat(4 + 13)}^`]);
    const wide = `SELECT '${CJK}' x`;
    expect(caretExcerpt(wide, wide.indexOf('x'))[1]).toBe(`${' '.repeat(4 + 8 + 6 + 2)}^`);
    const emoji = `\tSELECT '${EMOJI}' x`;
    expect(caretExcerpt(emoji, emoji.indexOf('x'))[1]).toBe(`${' '.repeat(4)}\t${' '.repeat(7 + 1 + 6 + 2)}^`);
  });
});

describe('the statements module', () => {
  it('splits with the PostgreSQL grammar, locating each statement in characters after multibyte text', async () => {
    const sql = `-- ${EMOJI} ; not an end\nSELECT '${CJK};${ACCENTS}';\n  /* ${EMOJI} */ SELECT $$;$$ AS t;\nSELECT 3`;
    const statements = await parseStatements(sql);
    expect(statements.map((s) => [s.text, s.line, s.column])).toEqual([
      [`SELECT '${CJK};${ACCENTS}'`, 2, 1],
      ['SELECT $$;$$ AS t', 3, 13],
      ['SELECT 3', 4, 1],
    ]);
    for (const s of statements) expect(sql.slice(s.start, s.end)).toBe(s.text);
  });

  it('reports a syntax error at its line and column in characters, for 2-, 3- and 4-byte characters', async () => {
    for (const text of [ACCENTS, CJK, EMOJI.repeat(10)]) {
      const sql = `SELECT '${text}';\n\nSELECT '${text}';  SELEC x;`;
      const error = await parseStatements(sql).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SqlSyntaxError);
      expect(error).toMatchObject({ line: 3, column: [...`SELECT '${text}';  `].length + 1, index: sql.lastIndexOf('SELEC ') });
    }
  });

  it('treats a byte order mark the same in the engine and the lint: not SQL, and not hiding the no-transaction marker', async () => {
    const file = '\uFEFF-- voipdb:no-transaction\r\nCREATE INDEX CONCURRENTLY i ON t (a);\n';
    expect(isNoTransaction(file)).toBe(true);
    expect(sqlText(file).startsWith('-- voipdb')).toBe(true);
    const statements = await parseStatements(file);
    expect(statements.map((s) => [s.text, s.line])).toEqual([['CREATE INDEX CONCURRENTLY i ON t (a)', 2]]);
    await prepareLint();
    // The lint sees the marker (no concurrently-in-transaction finding) and no syntax error.
    expect(lintMigrationText({ file: '0009_x.sql', text: file })).toEqual([]);
    expect(lintMigrationText({ file: '0009_x.sql', text: '\uFEFFCREATE INDEX CONCURRENTLY i ON t (a);' }).map((f) => f.rule)).toEqual([
      'concurrently-in-transaction',
    ]);
  });

  it('lists the named indexes statements create, with their tables quoted for to_regclass', async () => {
    const statements = await parseStatements(
      'CREATE INDEX CONCURRENTLY IF NOT EXISTS "Mixed Idx" ON app."T" (a);\nCREATE UNIQUE INDEX CONCURRENTLY u ON t (b);\nCREATE INDEX ON t (c);\nSELECT 1;',
    );
    expect(createdIndexes(statements).map((i) => [i.name, i.table, i.statement.line])).toEqual([
      ['Mixed Idx', '"app"."T"', 1],
      ['u', '"t"', 2],
    ]);
  });
});

describe('strict UTF-8', () => {
  it('finds the first bad byte and its line; accepts every well-formed character', () => {
    expect(decodeUtf8(Buffer.from(`${ACCENTS}${CJK}${EMOJI}`))).toEqual({ ok: true, text: `${ACCENTS}${CJK}${EMOJI}` });
    const latin1 = Buffer.concat([Buffer.from('SELECT 1;\n-- caf'), Buffer.from([0xe9]), Buffer.from('\nSELECT 2;')]);
    expect(decodeUtf8(latin1)).toEqual({ ok: false, byteOffset: 16, line: 2 });
    expect(firstInvalidByte(Buffer.from([0xc0, 0x80]))).toBe(0); // overlong NUL
    expect(firstInvalidByte(Buffer.from([0x61, 0xed, 0xa0, 0x80]))).toBe(1); // a surrogate
    expect(firstInvalidByte(Buffer.from([0x61, 0x62, 0xf0, 0x9f, 0x98]))).toBe(2); // cut short
    expect(firstInvalidByte(Buffer.from([0xf4, 0x90, 0x80, 0x80]))).toBe(0); // above U+10FFFF
  });
});
