import { parseSync } from 'libpg-query';

/** A statement of a migration file with where it starts and the allow comments before it. */
export interface ParsedStatement {
  /** The parse tree: `{ IndexStmt: {...} }` and so on (libpg-query's JSON form). */
  // biome-ignore lint/suspicious/noExplicitAny: parse trees and the unknown schema of a scratch database have no static type
  node: Record<string, any>;
  /** 1-based line of the statement's first token. */
  line: number;
  /** The statement's text (without the trailing semicolon). */
  text: string;
  allows: AllowComment[];
}

export interface AllowComment {
  rule: string;
  reason: string;
  line: number;
}

export class LintSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

const ALLOW = /--\s*voipdb:allow(?:\s+(\S+))?(?:\s+(.*?))?\s*$/;

/**
 * Splits a file into statements with libpg-query (the PostgreSQL 18 grammar). Its offsets are
 * UTF-8 byte offsets, so the text is sliced as a Buffer. The comments between the previous
 * statement and this one are where `-- voipdb:allow <rule> <reason>` may stand.
 * `loadModule()` of libpg-query must have run before.
 */
export function splitStatements(sql: string): ParsedStatement[] {
  const bytes = Buffer.from(sql, 'utf8');
  let tree: ReturnType<typeof parseSync>;
  try {
    tree = parseSync(sql);
  } catch (error) {
    const e = error as { message?: string; sqlDetails?: { cursorPosition?: number } };
    const at = e.sqlDetails?.cursorPosition ?? 0;
    throw new LintSyntaxError(String(e.message ?? error), lineAt(bytes, Buffer.byteLength(sql.slice(0, at), 'utf8')));
  }
  const out: ParsedStatement[] = [];
  let previousEnd = 0;
  for (const raw of tree.stmts ?? []) {
    const start = raw.stmt_location ?? 0;
    const end = raw.stmt_len ? start + raw.stmt_len : bytes.length;
    const gap = bytes.subarray(previousEnd, start).toString('utf8');
    const gapFirstLine = lineAt(bytes, previousEnd);
    const allows: AllowComment[] = [];
    gap.split('\n').forEach((lineText, i) => {
      const m = ALLOW.exec(lineText);
      if (m && lineText.trimStart().startsWith('--')) allows.push({ rule: m[1] ?? '', reason: m[2] ?? '', line: gapFirstLine + i });
    });
    out.push({
      node: raw.stmt as Record<string, unknown>,
      line: lineAt(bytes, start),
      text: bytes.subarray(start, end).toString('utf8').trim(),
      allows,
    });
    previousEnd = end;
  }
  return out;
}

function lineAt(bytes: Buffer, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < bytes.length; i += 1) if (bytes[i] === 0x0a) line += 1;
  return line;
}
