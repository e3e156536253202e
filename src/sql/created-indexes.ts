import type { SqlStatement } from './statements.js';

/** An index a statement creates by name: `CREATE [UNIQUE] INDEX [CONCURRENTLY] [IF NOT EXISTS] name ON table`. */
export interface CreatedIndex {
  /** The index name as PostgreSQL stores it (the parser has already folded case and removed quotes). */
  name: string;
  /** The table, quoted and qualified as written, for to_regclass(): the index lives in the table's schema. */
  table: string;
  statement: SqlStatement;
}

/** The named indexes the statements create, in order. Unnamed ones get a name from the server and are not listed. */
export function createdIndexes(statements: SqlStatement[]): CreatedIndex[] {
  const out: CreatedIndex[] = [];
  for (const statement of statements) {
    const index = statement.node.IndexStmt as { idxname?: string; relation?: { schemaname?: string; relname?: string } } | undefined;
    if (!index?.idxname || !index.relation?.relname) continue;
    const { schemaname, relname } = index.relation;
    out.push({
      name: index.idxname,
      table: [schemaname, relname]
        .filter((p): p is string => !!p)
        .map(quoteIdentifier)
        .join('.'),
      statement,
    });
  }
  return out;
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
