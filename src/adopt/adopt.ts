import type pg from 'pg';
import { describeConnection, type ConnectionConfig } from '../config/connection.js';
import { connect } from '../database/connect.js';
import { describeBlockers, retryOnLockTimeout } from '../database/lock-timeout-retry.js';
import { requirePrimary } from '../database/node-role.js';
import { AdoptRefusedError } from './errors.js';
import { MigrationFailedError, MigrationLockTimeoutError } from '../engine/errors.js';
import { UsageError } from '../errors.js';
import { readMigrationFiles, type MigrationFile } from '../engine/files.js';
import { migrationLabel, versionLabel } from '../engine/migration-label.js';
import { ensureHistoryTable, recordAdopted, recordApplied } from '../engine/history.js';
import { acquireMigrationLock, releaseMigrationLock } from '../engine/lock.js';
import { watchForDeadClient } from '../engine/session.js';
import { compareWithReference } from './compare.js';
import { readKamailioLayout } from './detect.js';
import { creationStatementsByTable, readReferenceShape } from './reference.js';
import { quoteIdent, readSchemaShape, type TableShape } from './shape.js';
import {
  applySubscriberConversion,
  INSERT_DOMAINS_SQL,
  INSERT_EXTENSIONS_SQL,
  MARK_OWNED_SQL,
  planSubscriberConversion,
  readSubscribers,
  type SubscriberConversion,
} from './subscribers.js';

export interface AdoptOptions {
  migrationsDir: string;
  /** The schema kamdbctl put the tables in (default public). */
  fromSchema?: string;
  dryRun?: boolean;
  lockWaitMs?: number;
  lockTimeoutMs?: number;
  statementTimeoutMs?: number;
  lockRetries?: number;
  retryBackoffMs?: number;
}

export interface AdoptStep {
  title: string;
  sql: string[];
}

/** Everything db adopt will do (or did), for the dry run, the summary and --json. */
export interface AdoptPlan {
  fromSchema: string;
  /** The Kamailio release whose scripts made the tables, as the catalog tells. */
  kamailioRelease: string;
  moved: string[];
  created: string[];
  differences: string[];
  notes: string[];
  subscribers: {
    total: number;
    converted: number;
    fromHashes: number;
    fromPassword: number;
    plaintextEmptied: number;
    hashesDisagreeingWithPassword: number;
    domains: string[];
    kept: Array<{ id: number; account: string; reason: string }>;
  };
  migrations: { adopted: string[]; applied: string[]; leftForMigrate: string[] };
  steps: AdoptStep[];
}

export type AdoptResult =
  | { status: 'adopted' | 'dry-run'; node: NodeSummary; plan: AdoptPlan; subscriberOwnersMarked: boolean; totalMs: number }
  | { status: 'already-adopted' | 'already-managed'; node: NodeSummary; historyRows: number; adoptedRows: number; totalMs: number };

interface NodeSummary {
  role: 'primary' | 'standby';
  serverVersion: string;
}

// The migrations whose objects a kamdbctl database already has (or that db adopt completes
// from their own SQL): they are recorded as adopted. Their names are checked against the files.
const ADOPTED: ReadonlyArray<{ version: number; name: string }> = [
  { version: 1, name: 'schemas' },
  { version: 2, name: 'roles' },
  { version: 3, name: 'kamailio_schema' },
  { version: 4, name: 'kamailio_privileges' },
];

const DEFAULTS = { lockWaitMs: 60_000, lockTimeoutMs: 5_000, statementTimeoutMs: 0, lockRetries: 3, retryBackoffMs: 1_000 };

/**
 * `db adopt`: turns a database made by `kamdbctl create` (Kamailio 5.6 to 6.1 scripts, tables in
 * `fromSchema`) into voipdb's layout in one transaction, under the migration lock, on a primary
 * only. Tables move with ALTER TABLE … SET SCHEMA (rows, sequences, indexes and constraint names
 * stay), are brought to migration 0003's shape, get voipdb's grants; migrations 0001-0004 are
 * recorded as adopted, the later ones applied in the same transaction, and the subscribers
 * become extensions. Any failure rolls everything back; a dry run rolls back its inspection.
 */
export async function adoptKamailioDatabase(config: ConnectionConfig, options: AdoptOptions): Promise<AdoptResult> {
  const started = performance.now();
  const fromSchema = options.fromSchema ?? 'public';
  if (fromSchema === 'kamailio')
    throw new UsageError(
      'the schema to adopt from cannot be kamailio: that is where the tables go',
      'name the schema kamdbctl used (usually public)',
    );
  const limits = { ...DEFAULTS, ...definedOnly(options) };
  const files = await readMigrationFiles(options.migrationsDir);
  const adoptedFiles = ADOPTED.map(({ version, name }) => {
    const file = files.find((f) => f.version === version);
    if (!file || file.name !== name) {
      throw new UsageError(
        `db adopt expects migration ${migrationLabel({ version, name })}.sql in ${options.migrationsDir}`,
        'run it from the voipdb repository (or its package) whose migrations it knows',
      );
    }
    return file;
  });
  const client = await connect(config);
  try {
    const info = await requirePrimary(client, 'adopt a Kamailio database', describeConnection(config));
    const node = { role: info.role, serverVersion: info.serverVersion };
    // As the migration engine does: if this process dies, the server notices within a second,
    // rolls the transaction back and releases the lock.
    await watchForDeadClient(client);
    await acquireMigrationLock(client, limits.lockWaitMs);
    try {
      return await retryOnLockTimeout(
        limits,
        () => adoptInTransaction(client, node, files, adoptedFiles, fromSchema, options.dryRun === true, limits, started),
        {
          giveUp: async (attempts) =>
            new MigrationLockTimeoutError('db adopt', attempts, limits.lockTimeoutMs, await describeBlockers(client), {
              outcome: 'it was rolled back: the database is as it was',
            }),
        },
      );
    } finally {
      await releaseMigrationLock(client).catch(() => undefined);
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function adoptInTransaction(
  client: pg.Client,
  node: NodeSummary,
  files: MigrationFile[],
  adoptedFiles: MigrationFile[],
  fromSchema: string,
  dryRun: boolean,
  limits: typeof DEFAULTS,
  started: number,
): Promise<AdoptResult> {
  await client.query('BEGIN');
  try {
    await client.query(
      `SET LOCAL lock_timeout = ${Math.trunc(limits.lockTimeoutMs)}; SET LOCAL statement_timeout = ${Math.trunc(limits.statementTimeoutMs)}`,
    );
    const layout = await readKamailioLayout(client);
    if (layout.historyRows > 0 && layout.foreign.length === 0) {
      await client.query('ROLLBACK');
      return {
        status: layout.adoptedRows > 0 ? 'already-adopted' : 'already-managed',
        node,
        historyRows: layout.historyRows,
        adoptedRows: layout.adoptedRows,
        totalMs: performance.now() - started,
      };
    }
    const plan = await inspect(client, layout, files, adoptedFiles, fromSchema);
    if (dryRun) {
      await client.query('ROLLBACK');
      return { status: 'dry-run', node, plan: plan.plan, subscriberOwnersMarked: false, totalMs: performance.now() - started };
    }
    for (const step of plan.plan.steps.slice(0, plan.ddlSteps)) {
      for (const sql of step.sql) await client.query(sql);
    }
    await ensureHistoryTable(client);
    for (const file of adoptedFiles) await recordAdopted(client, file);
    for (const file of plan.pending) {
      const t0 = performance.now();
      try {
        await client.query(file.sql!);
      } catch (error) {
        const e = error as { code?: string; message?: string; detail?: string; hint?: string };
        if (typeof e.code !== 'string' || e.code === '55P03') throw error;
        throw new MigrationFailedError(file.file, e.message ?? String(error), e.code, undefined, e.detail, e.hint, error);
      }
      await recordApplied(client, file, performance.now() - t0);
    }
    const { rows } = await client.query<{ ok: boolean }>("SELECT to_regclass('voip.extensions') IS NOT NULL AS ok");
    if (!rows[0]!.ok) throw new Error('voip.extensions does not exist after the migrations db adopt applied; rolled back');
    const { ownersMarked } = await applySubscriberConversion(client, plan.conversion);
    await client.query('COMMIT');
    return { status: 'adopted', node, plan: plan.plan, subscriberOwnersMarked: ownersMarked, totalMs: performance.now() - started };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** Reads everything and builds the plan; refuses (AdoptRefusedError) before any change. */
async function inspect(
  client: pg.Client,
  layout: Awaited<ReturnType<typeof readKamailioLayout>>,
  files: MigrationFile[],
  adoptedFiles: MigrationFile[],
  fromSchema: string,
): Promise<{ plan: AdoptPlan; ddlSteps: number; pending: MigrationFile[]; conversion: SubscriberConversion }> {
  const hint = 'nothing was changed; see `db adopt --dry-run` and the README section "Moving an existing Kamailio database to voipdb"';
  if (layout.historyRows > 0) {
    throw new AdoptRefusedError(
      `voipdb already manages this database (${layout.historyRows} migrations in its history), yet ${layout.foreign.map((f) => `schema ${f.schema}`).join(', ')} also holds Kamailio tables`,
      layout.foreign.map((f) => `${f.schema}: ${f.tables.join(', ')}`),
      'db adopt only takes over a database voipdb does not manage yet; move or drop those tables by hand (after a pg_dump)',
    );
  }
  const source = layout.foreign.find((f) => f.schema === fromSchema);
  if (!source) {
    throw new AdoptRefusedError(
      layout.foreign.length === 0
        ? 'no Kamailio tables found outside schema kamailio: nothing to adopt'
        : `no Kamailio tables in schema ${fromSchema}; they are in ${layout.foreign.map((f) => f.schema).join(', ')}`,
      layout.foreign.map((f) => `${f.schema}: ${f.tables.join(', ')}`),
      layout.foreign.length === 0
        ? 'a database without Kamailio tables needs no adoption: run `db migrate`'
        : `run \`db adopt --from-schema ${layout.foreign[0]!.schema}\``,
    );
  }
  const { rows: taken } = await client.query<{ name: string; objects: string }>(
    `SELECT n.nspname AS name, (SELECT count(*) FROM pg_class c WHERE c.relnamespace = n.oid) AS objects
       FROM pg_namespace n WHERE n.nspname IN ('kamailio', 'voip') ORDER BY 1`,
  );
  if (taken.length > 0) {
    throw new AdoptRefusedError(
      `schema ${taken.map((t) => t.name).join(' and ')} already exists, so the tables cannot move there`,
      taken.map((t) => `schema ${t.name}: ${t.objects} relations`),
      `drop the empty schema or rename it (after a pg_dump), then run db adopt again; ${hint}`,
    );
  }

  const migration0003 = adoptedFiles[2]!.sql!;
  const reference = await readReferenceShape(client, migration0003);
  const found = await readSchemaShape(client, fromSchema);
  const comparison = compareWithReference(found, reference);
  if (comparison.problems.length > 0) {
    throw new AdoptRefusedError(
      `schema ${fromSchema} holds Kamailio tables of a shape db adopt does not know (${comparison.problems.length} problem${comparison.problems.length === 1 ? '' : 's'}); nothing was changed`,
      comparison.problems,
      "bring the tables to Kamailio 5.6-6.1 shape with Kamailio's own scripts (or fix the columns named), then run db adopt again",
    );
  }
  const creation = await creationStatementsByTable(migration0003);
  const { rows: me } = await client.query<{ user: string }>('SELECT current_user AS user');
  const from = quoteIdent(fromSchema);
  const moved = comparison.moved;
  const movedShapes = moved.map((t) => found.tables.get(t)!);

  const steps: AdoptStep[] = [];
  steps.push({
    title: `migration ${adoptedFiles[0]!.file}: schemas kamailio and voip; PUBLIC loses CONNECT on the database and CREATE on public`,
    sql: [adoptedFiles[0]!.sql!],
  });
  steps.push({
    title: `move ${moved.length} tables from schema ${fromSchema} into kamailio (rows, sequences, indexes and constraint names move with them; no copy)`,
    sql: moved.map((t) => `ALTER TABLE ${from}.${quoteIdent(t)} SET SCHEMA kamailio;`),
  });
  const foreignOwned = movedShapes.filter((t) => t.owner !== me[0]!.user);
  if (foreignOwned.length > 0) {
    steps.push({
      title: `owner: the migrating user (${me[0]!.user}) owns voipdb's objects; ${foreignOwned.length} tables were owned by ${[...new Set(foreignOwned.map((t) => t.owner))].join(', ')}`,
      sql: foreignOwned.map((t) => `ALTER TABLE kamailio.${quoteIdent(t.name)} OWNER TO CURRENT_USER;`),
    });
  }
  if (comparison.fixes.length > 0) steps.push({ title: "bring the tables to migration 0003's shape", sql: comparison.fixes });
  if (comparison.missing.length > 0) {
    steps.push({
      title: `create the ${comparison.missing.length} missing tables of voipdb's module set (${comparison.missing.join(', ')}) from migration 0003`,
      sql: comparison.missing.flatMap((t) => creation.get(t) ?? []),
    });
  }
  if (comparison.versionFixes.length > 0) steps.push({ title: 'version rows as Kamailio 6.1.4 ships them', sql: comparison.versionFixes });
  const kamdbctlFunctions = await readKamdbctlFunctions(client, fromSchema);
  if (kamdbctlFunctions.length > 0) {
    steps.push({
      title: `drop kamdbctl's MySQL emulation functions (${kamdbctlFunctions.join(', ')}): role kamailio's search_path no longer reaches schema ${fromSchema}`,
      sql: kamdbctlFunctions.map((f) => `DROP FUNCTION ${f};`),
    });
  }
  const revokes = revokeStatements(movedShapes);
  if (revokes.length > 0) {
    const roles = [...new Set(movedShapes.flatMap((t) => t.grantees))].sort();
    steps.push({
      title: `revoke kamdbctl's grants (held by ${roles.join(', ')}): voipdb's least-privilege grants replace them`,
      sql: revokes,
    });
  }
  steps.push({
    title: `migration ${adoptedFiles[1]!.file}: platform roles (existing ones keep their passwords), kamailio's search_path, CONNECT`,
    sql: [adoptedFiles[1]!.sql!],
  });
  steps.push({ title: `migration ${adoptedFiles[3]!.file}: voipdb's grants on the kamailio schema`, sql: [adoptedFiles[3]!.sql!] });
  const ddlSteps = steps.length;

  steps.push({
    title: `history: record ${adoptedFiles.map((f) => versionLabel(f.version)).join(', ')} as adopted (adopted = true, applied_at, applied_by)`,
    sql: adoptedFiles.map(
      (f) =>
        `INSERT INTO voipdb_meta.migrations (version, name, checksum, duration_ms, adopted) VALUES (${f.version}, '${f.name}', '${f.checksum}', 0, true);`,
    ),
  });
  const later = files.filter((f) => f.version > ADOPTED.at(-1)!.version);
  const firstNotInline = later.findIndex((f) => !f.transactional);
  const pending = firstNotInline < 0 ? later : later.slice(0, firstNotInline);
  for (const file of pending) steps.push({ title: `migration ${file.file} (applied in the same transaction)`, sql: [file.sql!] });

  // (A failed query would abort the transaction: look before reading.)
  const conversion = planSubscriberConversion(found.tables.has('subscriber') ? await readSubscribers(client, `${from}.subscriber`) : []);
  if (conversion.converted.length > 0) {
    steps.push({
      title: `subscribers: ${conversion.converted.length} of ${conversion.total} become extensions in ${conversion.domains.length} domains; the extension triggers take their kamailio.subscriber rows over (same id, password emptied)`,
      sql: [
        `${INSERT_DOMAINS_SQL};  -- $1 = ${conversion.domains.length} domains: ${conversion.domains.slice(0, 5).join(', ')}${conversion.domains.length > 5 ? ', …' : ''}`,
        `${MARK_OWNED_SQL};  -- only when voip.subscriber_owners exists; $1 = the ${conversion.converted.length} subscriber ids`,
        `${INSERT_EXTENSIONS_SQL};  -- ${conversion.converted.length} rows: hashes from ha1/ha1b or computed from the password`,
      ],
    });
  }
  const notes = [...comparison.notes];
  if (conversion.kept.length > 0)
    notes.push(
      `${conversion.kept.length} subscriber rows stay in kamailio.subscriber as they are, not managed through voip.extensions (listed under subscribers.kept)`,
    );
  if (conversion.plaintextEmptied > 0) {
    notes.push(
      `${conversion.plaintextEmptied} plaintext passwords are emptied: Kamailio must authenticate with the hashes (auth_db calculate_ha1 0, password_column "ha1")`,
    );
  }
  const rest = later.slice(pending.length);
  return {
    ddlSteps,
    pending,
    conversion,
    plan: {
      fromSchema,
      kamailioRelease: comparison.release,
      moved,
      created: comparison.missing,
      differences: comparison.differences,
      notes,
      subscribers: {
        total: conversion.total,
        converted: conversion.converted.length,
        fromHashes: conversion.converted.filter((c) => c.source === 'ha1/ha1b').length,
        fromPassword: conversion.converted.filter((c) => c.source === 'password').length,
        plaintextEmptied: conversion.plaintextEmptied,
        hashesDisagreeingWithPassword: conversion.hashesDisagreeingWithPassword,
        domains: conversion.domains,
        kept: conversion.kept,
      },
      migrations: {
        adopted: adoptedFiles.map((f) => f.file),
        applied: pending.map((f) => f.file),
        leftForMigrate: rest.map((f) => f.file),
      },
      steps,
    },
  };
}

/** `concat(text, text)` and `rand()` exactly as kamdbctl creates them (for lcr on MySQL-minded SQL). */
async function readKamdbctlFunctions(client: pg.Client, schema: string): Promise<string[]> {
  const { rows } = await client.query<{ signature: string }>(
    `SELECT format('%I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)) AS signature
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang
      WHERE n.nspname = $1 AND l.lanname = 'sql'
        AND ((p.proname = 'concat' AND pg_get_function_identity_arguments(p.oid) = 'text, text' AND btrim(p.prosrc) = 'SELECT $1 || $2;')
          OR (p.proname = 'rand' AND pg_get_function_identity_arguments(p.oid) = '' AND btrim(p.prosrc) = 'SELECT random();'))
      ORDER BY 1`,
    [schema],
  );
  return rows.map((r) => r.signature);
}

/** REVOKE ALL from every role (and PUBLIC) that holds anything on a moved table or its sequences. */
function revokeStatements(tables: TableShape[]): string[] {
  const out: string[] = [];
  for (const t of tables) {
    if (t.grantees.length === 0) continue;
    const from = t.grantees.map((g) => (g === 'PUBLIC' ? 'PUBLIC' : quoteIdent(g))).join(', ');
    out.push(`REVOKE ALL ON TABLE kamailio.${quoteIdent(t.name)} FROM ${from};`);
    for (const s of t.ownedSequences) out.push(`REVOKE ALL ON SEQUENCE kamailio.${quoteIdent(s)} FROM ${from};`);
  }
  return out;
}

function definedOnly(o: AdoptOptions): Partial<typeof DEFAULTS> {
  const out: Partial<typeof DEFAULTS> = {};
  for (const key of Object.keys(DEFAULTS) as Array<keyof typeof DEFAULTS>) {
    if (o[key] !== undefined) out[key] = o[key];
  }
  return out;
}
