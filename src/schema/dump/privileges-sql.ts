import type { ColumnPrivilegeRow, DatabasePrivilegeRow, DefaultPrivilegeRow, PrivilegeRow } from './catalog-rows.js';
import { sortPrivileges } from '../../sql/privilege-order.js';

/** Code-point order: the same on every machine, unlike localeCompare. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Groups rows that differ only in their privilege, keeping the first-seen order of groups. */
function groupBy<T extends { privilege: string }>(rows: T[], key: (row: T) => string): Array<{ first: T; privileges: string[] }> {
  const groups = new Map<string, { first: T; privileges: string[] }>();
  for (const row of rows) {
    const k = key(row);
    const group = groups.get(k);
    if (group) group.privileges.push(row.privilege);
    else groups.set(k, { first: row, privileges: [row.privilege] });
  }
  return [...groups.values()].map((g) => ({ first: g.first, privileges: sortPrivileges(g.privileges) }));
}

function statement(action: 'grant' | 'revoke', privileges: string[], on: string, grantee: string, grantable: boolean): string {
  return action === 'grant'
    ? `GRANT ${privileges.join(', ')} ON ${on} TO ${grantee}${grantable ? ' WITH GRANT OPTION' : ''};`
    : `REVOKE ${privileges.join(', ')} ON ${on} FROM ${grantee};`;
}

/** REVOKEs before GRANTs for each object, one statement per grantee. */
export function renderObjectPrivileges(rows: PrivilegeRow[]): string[] {
  return groupBy(rows, (r) => JSON.stringify([r.ord, r.kind, r.target, r.action, r.grantee, r.grantable])).map(({ first, privileges }) =>
    statement(first.action, privileges, `${first.kind} ${first.target}`, first.grantee, first.grantable),
  );
}

/** `GRANT SELECT (a, b), UPDATE (c) ON TABLE t TO r;` */
export function renderColumnPrivileges(rows: ColumnPrivilegeRow[]): string[] {
  const byGrant = new Map<string, { target: string; grantee: string; grantable: boolean; columns: Map<string, string[]> }>();
  for (const r of rows) {
    const key = JSON.stringify([r.target, r.grantee, r.grantable]);
    let entry = byGrant.get(key);
    if (!entry) {
      entry = { target: r.target, grantee: r.grantee, grantable: r.grantable, columns: new Map() };
      byGrant.set(key, entry);
    }
    const cols = entry.columns.get(r.privilege) ?? [];
    cols.push(r.column_name);
    entry.columns.set(r.privilege, cols);
  }
  return [...byGrant.values()].map((e) => {
    const list = sortPrivileges(e.columns.keys()).map((p) => `${p} (${[...e.columns.get(p)!].sort(compareText).join(', ')})`);
    return `GRANT ${list.join(', ')} ON TABLE ${e.target} TO ${e.grantee}${e.grantable ? ' WITH GRANT OPTION' : ''};`;
  });
}

/**
 * Database privileges name the database, whose name differs between a scratch copy and the
 * real one: each statement runs through format('%I', current_database()) in a DO block.
 */
export function renderDatabasePrivileges(rows: DatabasePrivilegeRow[]): string[] {
  const statements = groupBy(rows, (r) => JSON.stringify([r.action, r.grantee, r.grantable])).map(({ first, privileges }) =>
    statement(first.action, privileges, 'DATABASE %I', first.grantee, first.grantable),
  );
  if (statements.length === 0) return [];
  const body = statements.map((s) => `  EXECUTE format(${sqlLiteral(s.replace(/;$/, ''))}, current_database());`);
  return [['DO $$', 'BEGIN', ...body, 'END', '$$;'].join('\n')];
}

export function renderDefaultPrivileges(rows: DefaultPrivilegeRow[]): string[] {
  return groupBy(rows, (r) => JSON.stringify([r.for_role, r.schema, r.objects, r.action, r.grantee, r.grantable])).map(
    ({ first, privileges }) => {
      const scope = `${first.for_role ? ` FOR ROLE ${first.for_role}` : ''}${first.schema ? ` IN SCHEMA ${first.schema}` : ''}`;
      return `ALTER DEFAULT PRIVILEGES${scope} ${statement(first.action, privileges, first.objects, first.grantee, first.grantable)}`;
    },
  );
}

export function sqlLiteral(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}
