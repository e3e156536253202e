import { type SqlParser, loadParser, loadedParser } from './parser.js';
import { byteOffsets, indexAfterCodePoints, lineAndColumn } from './position.js';
import { sqlText } from './source.js';

/**
 * One top-level statement of a SQL file, as PostgreSQL's own grammar splits it: semicolons in
 * strings, dollar-quoted bodies and comments are never mistaken for statement ends.
 */
export interface SqlStatement {
  /** The parse tree node, e.g. `{ IndexStmt: {...} }` (libpg-query's JSON form). */
  // biome-ignore lint/suspicious/noExplicitAny: parse trees have no static type
  node: Record<string, any>;
  /** The statement's text, trimmed, without the trailing semicolon. */
  text: string;
  /** UTF-16 index of the statement's first character in the text that was parsed. */
  start: number;
  /** UTF-16 index just after the statement (before its semicolon). */
  end: number;
  /** 1-based line and column (in characters) of the first character. */
  line: number;
  column: number;
}

/** The text does not parse; `index` is a UTF-16 index into it, `line`/`column` are in characters. */
export class SqlSyntaxError extends Error {
  constructor(
    message: string,
    readonly index: number,
    readonly line: number,
    readonly column: number,
  ) {
    super(message);
    this.name = 'SqlSyntaxError';
  }
}

/** Splits SQL into statements, loading the parser if needed. */
export async function parseStatements(text: string): Promise<SqlStatement[]> {
  return splitWith(await loadParser(), text);
}

/** The same, synchronously, for callers that awaited `loadParser()` before (the lint). */
export function parseStatementsSync(text: string): SqlStatement[] {
  return splitWith(loadedParser(), text);
}

function splitWith(parser: SqlParser, input: string): SqlStatement[] {
  // A leading BOM becomes a blank of the same UTF-16 length: the parser accepts it and every
  // offset still refers to the caller's text.
  const text = sqlText(input) === input ? input : ` ${sqlText(input)}`;
  let tree: { stmts?: Array<{ stmt: Record<string, unknown>; stmt_location?: number; stmt_len?: number }> };
  try {
    tree = parser.parseSync(text) as typeof tree;
  } catch (error) {
    // The parser's cursor is a 0-based offset in characters (code points).
    const cursor = (error as { sqlDetails?: { cursorPosition?: number } }).sqlDetails?.cursorPosition ?? 0;
    const index = indexAfterCodePoints(text, 0, Math.max(0, cursor));
    const { line, column } = lineAndColumn(text, index);
    throw new SqlSyntaxError((error as Error).message, index, line, column);
  }
  // Statement locations are UTF-8 byte offsets.
  const toIndex = byteOffsets(text);
  return (tree.stmts ?? []).map((s) => {
    const from = toIndex(s.stmt_location ?? 0);
    const to = s.stmt_len ? toIndex((s.stmt_location ?? 0) + s.stmt_len) : text.length;
    const raw = text.slice(from, to);
    const start = from + (raw.length - raw.trimStart().length);
    const end = to - (raw.length - raw.trimEnd().length);
    return { node: s.stmt, text: text.slice(start, end), start, end, ...lineAndColumn(text, start) };
  });
}
