import { lineAndColumn } from '../../sql/position.js';
import { parseStatementsSync, type SqlStatement } from '../../sql/statements.js';

/** A statement of a migration file (from the shared statements module) with the allow comments before it. */
export interface ParsedStatement extends SqlStatement {
  allows: AllowComment[];
}

export interface AllowComment {
  rule: string;
  reason: string;
  line: number;
}

const ALLOW = /--\s*voipdb:allow(?:\s+(\S+))?(?:\s+(.*?))?\s*$/;

/**
 * The file's statements, each with the `-- voipdb:allow <rule> <reason>` comments that stand
 * between the previous statement and it. The parser must be loaded (`loadParser()`); a syntax
 * error is thrown as the shared SqlSyntaxError.
 */
export function lintStatements(sql: string): ParsedStatement[] {
  let previousEnd = 0;
  return parseStatementsSync(sql).map((statement) => {
    const gap = sql.slice(previousEnd, statement.start);
    const gapFirstLine = lineAndColumn(sql, previousEnd).line;
    const allows: AllowComment[] = [];
    gap.split('\n').forEach((lineText, i) => {
      const m = ALLOW.exec(lineText);
      if (m && lineText.trimStart().startsWith('--')) allows.push({ rule: m[1] ?? '', reason: m[2] ?? '', line: gapFirstLine + i });
    });
    previousEnd = statement.end;
    return { ...statement, allows };
  });
}
