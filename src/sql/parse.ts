// libpg-query (a WASM build of PostgreSQL's parser) is loaded on first use only: most runs of
// `db` (status, an up-to-date migrate) never parse SQL, and loading it costs startup time.
type Parser = typeof import('libpg-query');

/** One top-level statement of a SQL file, located in the file's text (character offsets). */
export interface SqlStatement {
  text: string;
  /** Character offset of the statement's first character in the file. */
  start: number;
  /** The parse tree node, e.g. { IndexStmt: {...} }. */
  node: Record<string, unknown>;
}

let loaded: Promise<Parser> | undefined;

/** The WASM parser, initialised once (parseSync needs loadModule first). */
export function ensureParser(): Promise<Parser> {
  loaded ??= import('libpg-query').then(async (parser) => {
    await parser.loadModule();
    return parser;
  });
  return loaded;
}

/**
 * Splits SQL into statements with PostgreSQL's own grammar (libpg-query), so that semicolons
 * inside strings, dollar-quoted bodies and comments are never mistaken for statement ends.
 * The parser reports UTF-8 byte offsets: slice the bytes, then map back to characters.
 */
export async function splitStatements(sql: string): Promise<SqlStatement[]> {
  const parser = await ensureParser();
  const bytes = Buffer.from(sql, 'utf8');
  const result = parser.parseSync(sql) as { stmts?: Array<{ stmt: Record<string, unknown>; stmt_location?: number; stmt_len?: number }> };
  return (result.stmts ?? []).map((s) => {
    const from = s.stmt_location ?? 0;
    const to = s.stmt_len ? from + s.stmt_len : bytes.length;
    const raw = bytes.subarray(from, to).toString('utf8');
    const leading = raw.length - raw.trimStart().length;
    return {
      text: raw.trim(),
      start: bytes.subarray(0, from).toString('utf8').length + leading,
      node: s.stmt,
    };
  });
}

/** Line and column (1-based) of a character offset. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, offset));
  const lines = before.split('\n');
  return { line: lines.length, column: (lines.at(-1)?.length ?? 0) + 1 };
}

/** The source line holding `offset`, with a caret under the offending column. */
export function caretExcerpt(text: string, offset: number): string[] {
  const { line, column } = lineAndColumn(text, offset);
  const source = text.split('\n')[line - 1] ?? '';
  const gutter = `${line} | `;
  return [`${gutter}${source}`, `${' '.repeat(gutter.length + column - 1)}^`];
}
