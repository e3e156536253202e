/** The lint rules: a stable name to silence it by, and one line on why it matters. */
export const RULES = {
  'index-without-concurrently':
    'a plain CREATE INDEX blocks every write to an existing table until the index is built; use CREATE INDEX CONCURRENTLY in a `-- voipdb:no-transaction` file',
  'concurrently-in-transaction':
    'PostgreSQL refuses CONCURRENTLY inside a transaction block; put the statement in its own file starting with `-- voipdb:no-transaction`',
  'add-column-not-null-without-default':
    'adding a NOT NULL column without a default fails as soon as the table has a row; add a default, or add it nullable, backfill, then SET NOT NULL',
  'volatile-default-on-existing-table':
    'a volatile default (random(), clock_timestamp(), a serial or identity) rewrites the whole table under an ACCESS EXCLUSIVE lock; add the column without it and backfill in batches',
  'drop-column': 'the running release may still read the column, and its data is gone; stop using it first, drop it in a later release',
  'drop-table': 'the running release may still use the table, and its data is gone; stop using it first, drop it in a later release',
  'alter-column-type': 'changing a column type usually rewrites the table and its indexes under an ACCESS EXCLUSIVE lock',
  'set-not-null-on-existing-table':
    'SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock; add a CHECK (col IS NOT NULL) NOT VALID, VALIDATE it, then SET NOT NULL',
  'constraint-without-not-valid':
    'adding a CHECK or FOREIGN KEY to an existing table checks every row while holding its lock; add it NOT VALID, then VALIDATE CONSTRAINT in a later statement',
  'lock-timeout-disabled':
    'the engine sets lock_timeout so that a blocked ALTER gives up instead of queueing every other query behind it; turning it (or statement_timeout) off lets one long transaction stall the platform',
  'grant-all':
    'GRANT ALL on tables means a different set on PostgreSQL 17+ (it adds MAINTAIN), so 15 and 18 would end with different privileges; list the privileges',
  'kamailio-table-outside-schema':
    'Kamailio resolves its unqualified table names through search_path; a relation named like a Kamailio table belongs in schema kamailio and nowhere else',
  'allow-missing-reason': 'a `-- voipdb:allow <rule> <reason>` comment needs a reason, so that reviewers know why the rule does not apply',
  'allow-unknown-rule': 'the allow comment names no lint rule, so it silences nothing (a typo?)',
  'allow-unused':
    'the allow comment silences nothing on the statement after it; remove it, or move it directly before the statement it is for',
  'syntax-error': 'the file does not parse as PostgreSQL 18 SQL',
} as const;

export type RuleName = keyof typeof RULES;

export function isRuleName(name: string): name is RuleName {
  return Object.hasOwn(RULES, name);
}

/** Rules that do not apply to down files: reverting a migration is meant to drop what it made. */
export const DOWN_FILE_EXEMPT: ReadonlySet<RuleName> = new Set(['drop-column', 'drop-table']);
