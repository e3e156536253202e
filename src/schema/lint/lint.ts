import { loadParser } from '../../sql/parser.js';
import { isNoTransaction, NO_TRANSACTION_MARKER, sqlText } from '../../sql/source.js';
import { SqlSyntaxError } from '../../sql/statements.js';
import { KAMAILIO_TABLE_NAMES } from '../../kamailio/table-names.js';
import { DOWN_FILE_EXEMPT, isRuleName, RULES, type RuleName } from './rules.js';
import { lintStatements, type ParsedStatement } from './statements.js';

export { RULES, type RuleName } from './rules.js';

/** The engine's marker for a migration that runs outside a transaction (first line of the file). */
export { NO_TRANSACTION_MARKER };

export interface MigrationText {
  /** File name, e.g. 0008_extension_index.sql or 0008_extension_index.down.sql. */
  file: string;
  text: string;
}

export interface LintFinding {
  rule: RuleName;
  why: string;
  file: string;
  line: number;
  /** What was found, naming the object. */
  message: string;
}

/** Loads the parser (WASM) once; the lint itself is synchronous and pure. */
export async function prepareLint(): Promise<void> {
  await loadParser();
}

/** Lints every file; `prepareLint()` must have run. Findings in file, then line order. */
export function lintMigrationTexts(files: MigrationText[]): LintFinding[] {
  return [...files].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0)).flatMap(lintMigrationText);
}

/** Convenience: loads the parser and lints. */
export async function lintMigrations(files: MigrationText[]): Promise<LintFinding[]> {
  await prepareLint();
  return lintMigrationTexts(files);
}

// biome-ignore lint/suspicious/noExplicitAny: parse trees and the unknown schema of a scratch database have no static type
type Node = Record<string, any>;

interface Relation {
  schema: string | undefined;
  name: string;
}

/** Lints one file. A table counts as existing unless this same file created it earlier. */
export function lintMigrationText(file: MigrationText): LintFinding[] {
  const isDown = /\.down\.sql$/.test(file.file);
  // The engine's own reading of the file: a BOM is not SQL and does not hide the marker.
  const transactional = !isNoTransaction(file.text);
  let statements: ParsedStatement[];
  try {
    statements = lintStatements(sqlText(file.text));
  } catch (error) {
    if (!(error instanceof SqlSyntaxError)) throw error;
    return [{ rule: 'syntax-error', why: RULES['syntax-error'], file: file.file, line: error.line, message: error.message }];
  }
  const created = new Set<string>();
  const findings: LintFinding[] = [];
  for (const stmt of statements) {
    const raw: Array<{ rule: RuleName; message: string }> = [];
    const report = (rule: RuleName, message: string): void => {
      if (!(isDown && DOWN_FILE_EXEMPT.has(rule))) raw.push({ rule, message });
    };
    const existing = (rel: Relation): boolean => !wasCreated(created, rel);
    checkStatement(stmt.node, { transactional, existing, report });
    for (const rel of createdRelations(stmt.node)) {
      created.add(relationKey(rel));
      created.add(rel.name);
    }

    // Silencing: an allow comment with a known rule and a reason, directly before the statement.
    const used = new Set<number>();
    for (const [i, allow] of stmt.allows.entries()) {
      if (!isRuleName(allow.rule)) {
        findings.push(
          finding(
            'allow-unknown-rule',
            file.file,
            allow.line,
            `\`voipdb:allow ${allow.rule}\`: no rule has that name (rules: ${Object.keys(RULES).join(', ')})`,
          ),
        );
        used.add(i);
      } else if (allow.reason.trim() === '') {
        findings.push(
          finding('allow-missing-reason', file.file, allow.line, `\`voipdb:allow ${allow.rule}\` gives no reason; it silences nothing`),
        );
        used.add(i);
      }
    }
    for (const r of raw) {
      const index = stmt.allows.findIndex((a) => a.rule === r.rule && a.reason.trim() !== '');
      if (index >= 0) used.add(index);
      else findings.push(finding(r.rule, file.file, stmt.line, r.message));
    }
    stmt.allows.forEach((allow, i) => {
      if (!used.has(i))
        findings.push(
          finding('allow-unused', file.file, allow.line, `\`voipdb:allow ${allow.rule}\`: the next statement does not break that rule`),
        );
    });
  }
  return findings.sort((a, b) => a.line - b.line);
}

function finding(rule: RuleName, file: string, line: number, message: string): LintFinding {
  return { rule, why: RULES[rule], file, line, message };
}

interface CheckContext {
  transactional: boolean;
  existing: (rel: Relation) => boolean;
  report: (rule: RuleName, message: string) => void;
}

function checkStatement(node: Node, ctx: CheckContext): void {
  const [kind, body] = Object.entries(node)[0] ?? [];
  if (!kind || !body) return;
  switch (kind) {
    case 'IndexStmt': {
      const rel = relationOf(body.relation);
      if (body.concurrent) requireNoTransaction(ctx, 'CREATE INDEX CONCURRENTLY');
      else if (ctx.existing(rel))
        ctx.report(
          'index-without-concurrently',
          `CREATE INDEX ${body.idxname ?? ''} on existing table ${show(rel)} without CONCURRENTLY`.replace('  ', ' '),
        );
      break;
    }
    case 'DropStmt':
      if (body.concurrent) requireNoTransaction(ctx, 'DROP INDEX CONCURRENTLY');
      if (body.removeType === 'OBJECT_TABLE') {
        for (const names of body.objects ?? []) ctx.report('drop-table', `DROP TABLE ${nameList(names)}`);
      }
      break;
    case 'ReindexStmt':
      if ((body.params ?? []).some((p: Node) => p.DefElem?.defname === 'concurrently')) requireNoTransaction(ctx, 'REINDEX CONCURRENTLY');
      break;
    case 'AlterTableStmt':
      checkAlterTable(body, ctx);
      break;
    case 'VariableSetStmt':
      checkSetting(body, ctx);
      break;
    case 'GrantStmt':
      checkGrant(body, ctx);
      break;
    case 'AlterDefaultPrivilegesStmt':
      if (body.action) checkGrant(body.action, ctx, 'ALTER DEFAULT PRIVILEGES … ');
      break;
    default:
      break;
  }
  for (const rel of createdRelations(node)) {
    if (KAMAILIO_TABLE_NAMES.has(rel.name) && rel.schema !== 'kamailio') {
      ctx.report(
        'kamailio-table-outside-schema',
        `${show(rel)} is named like Kamailio's table ${rel.name} but is ${rel.schema ? `in schema ${rel.schema}` : 'not qualified with schema kamailio'}`,
      );
    }
  }
}

function requireNoTransaction(ctx: CheckContext, what: string): void {
  if (ctx.transactional) ctx.report('concurrently-in-transaction', `${what} in a file without the first line \`${NO_TRANSACTION_MARKER}\``);
}

function checkAlterTable(body: Node, ctx: CheckContext): void {
  const rel = relationOf(body.relation);
  const existing = ctx.existing(rel);
  for (const item of body.cmds ?? []) {
    const cmd: Node = item.AlterTableCmd ?? {};
    switch (cmd.subtype) {
      case 'AT_AddColumn': {
        if (!existing) break;
        const col: Node = cmd.def?.ColumnDef ?? {};
        const constraints: Node[] = (col.constraints ?? []).map((c: Node) => c.Constraint ?? {});
        const has = (type: string): Node | undefined => constraints.find((c) => c.contype === type);
        const typeName = lastName(col.typeName?.names);
        const serial = /^(small|big)?serial[248]?$/.test(typeName);
        const defaultExpr = has('CONSTR_DEFAULT')?.raw_expr;
        const generated = has('CONSTR_GENERATED');
        if ((has('CONSTR_NOTNULL') || has('CONSTR_PRIMARY')) && !defaultExpr && !serial && !has('CONSTR_IDENTITY') && !generated) {
          ctx.report(
            'add-column-not-null-without-default',
            `ADD COLUMN ${col.colname} NOT NULL without a default on existing table ${show(rel)}`,
          );
        }
        const volatile = defaultExpr ? volatileCall(defaultExpr) : undefined;
        if (serial || has('CONSTR_IDENTITY') || volatile || (generated && isStored(generated))) {
          const what = serial
            ? `type ${typeName}`
            : has('CONSTR_IDENTITY')
              ? 'an identity'
              : volatile
                ? `default ${volatile}()`
                : 'a stored generated expression';
          ctx.report('volatile-default-on-existing-table', `ADD COLUMN ${col.colname} with ${what} rewrites existing table ${show(rel)}`);
        }
        break;
      }
      case 'AT_DropColumn':
        ctx.report('drop-column', `DROP COLUMN ${cmd.name} from ${show(rel)}`);
        break;
      case 'AT_AlterColumnType':
        if (existing) ctx.report('alter-column-type', `ALTER COLUMN ${cmd.name} TYPE on existing table ${show(rel)}`);
        break;
      case 'AT_SetNotNull':
        if (existing) ctx.report('set-not-null-on-existing-table', `ALTER COLUMN ${cmd.name} SET NOT NULL on existing table ${show(rel)}`);
        break;
      case 'AT_AddConstraint': {
        const c: Node = cmd.def?.Constraint ?? {};
        if (existing && (c.contype === 'CONSTR_CHECK' || c.contype === 'CONSTR_FOREIGN') && !c.skip_validation) {
          ctx.report(
            'constraint-without-not-valid',
            `ADD ${c.contype === 'CONSTR_CHECK' ? 'CHECK' : 'FOREIGN KEY'} ${c.conname ?? ''} on existing table ${show(rel)} without NOT VALID`.replace(
              '  ',
              ' ',
            ),
          );
        }
        break;
      }
      case 'AT_DetachPartition':
        if (cmd.def?.PartitionCmd?.concurrent) requireNoTransaction(ctx, 'DETACH PARTITION CONCURRENTLY');
        break;
      default:
        break;
    }
  }
}

function isStored(generated: Node): boolean {
  // PG18: GENERATED ALWAYS AS (…) without a keyword is VIRTUAL, which does not rewrite.
  return generated.generated_kind === 's';
}

const TIMEOUT_SETTINGS = new Set(['lock_timeout', 'statement_timeout']);

function checkSetting(body: Node, ctx: CheckContext): void {
  if (body.kind === 'VAR_RESET_ALL') {
    ctx.report('lock-timeout-disabled', 'RESET ALL drops the lock_timeout the engine set for this migration');
    return;
  }
  const name = String(body.name ?? '').toLowerCase();
  if (!TIMEOUT_SETTINGS.has(name)) return;
  if (body.kind === 'VAR_RESET' || body.kind === 'VAR_SET_DEFAULT') {
    ctx.report(
      'lock-timeout-disabled',
      `${body.kind === 'VAR_RESET' ? 'RESET' : 'SET … TO DEFAULT'} ${name} replaces the engine's ${name} with the server default (usually none)`,
    );
    return;
  }
  const value = constValue(body.args?.[0]);
  if (value !== undefined && /^0+(\.0+)?\s*(us|ms|s|min|h|d)?$/i.test(value.trim())) {
    ctx.report('lock-timeout-disabled', `SET ${name} = ${value} turns the timeout off`);
  }
}

function checkGrant(body: Node, ctx: CheckContext, prefix = ''): void {
  const tables = body.objtype === 'OBJECT_TABLE';
  if (body.is_grant && tables && (!body.privileges || body.privileges.length === 0)) {
    ctx.report('grant-all', `${prefix}GRANT ALL on tables`);
  }
}

/** A FuncCall in the expression whose function is volatile by definition (a fixed list). */
const VOLATILE_FUNCTIONS = new Set([
  'random',
  'gen_random_uuid',
  'uuidv4',
  'uuidv7',
  'clock_timestamp',
  'timeofday',
  'nextval',
  'txid_current',
  'setseed',
  'random_normal',
]);

function volatileCall(expr: unknown): string | undefined {
  let found: string | undefined;
  walk(expr, (node) => {
    const call = (node as Node).FuncCall;
    if (!found && call) {
      const name = lastName(call.funcname);
      if (VOLATILE_FUNCTIONS.has(name)) found = name;
    }
  });
  return found;
}

function walk(value: unknown, visit: (node: unknown) => void): void {
  if (Array.isArray(value)) {
    for (const v of value) walk(v, visit);
  } else if (value && typeof value === 'object') {
    visit(value);
    for (const v of Object.values(value)) walk(v, visit);
  }
}

/** Relations a statement creates: tables (incl. partitions), CREATE TABLE AS, views, sequences. */
function createdRelations(node: Node): Relation[] {
  const [kind, body] = Object.entries(node)[0] ?? [];
  if (!body) return [];
  switch (kind) {
    case 'CreateStmt':
      return [relationOf(body.relation)];
    case 'CreateTableAsStmt':
      return [relationOf(body.into?.rel)];
    case 'ViewStmt':
      return [relationOf(body.view)];
    case 'CreateSeqStmt':
      return [relationOf(body.sequence)];
    default:
      return [];
  }
}

function relationOf(rangeVar: Node | undefined): Relation {
  return { schema: rangeVar?.schemaname, name: String(rangeVar?.relname ?? '?') };
}

function relationKey(rel: Relation): string {
  return rel.schema ? `${rel.schema}.${rel.name}` : rel.name;
}

function wasCreated(created: Set<string>, rel: Relation): boolean {
  return created.has(relationKey(rel)) || (!rel.schema && created.has(rel.name));
}

function show(rel: Relation): string {
  return relationKey(rel);
}

function lastName(names: unknown): string {
  const list = Array.isArray(names) ? names : [];
  const last = list[list.length - 1] as Node | undefined;
  return String(last?.String?.sval ?? '').toLowerCase();
}

function nameList(names: Node): string {
  return (names.List?.items ?? []).map((i: Node) => i.String?.sval).join('.');
}

/** The value of a SET argument: a number (0 comes as an empty ival) or a string. */
function constValue(arg: Node | undefined): string | undefined {
  const c = arg?.A_Const;
  if (!c) return undefined;
  if (c.ival !== undefined) return String(c.ival.ival ?? 0);
  if (c.fval !== undefined) return String(c.fval.fval);
  if (c.sval !== undefined) return String(c.sval.sval ?? '');
  return undefined;
}
