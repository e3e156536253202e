import type pg from 'pg';
import type { Env } from '../config/connection.js';
import { RoleMissingError } from './errors.js';
import { runRoleStatement } from './concurrent-role-update.js';
import { PLATFORM_ROLES, type PlatformRole } from './platform-roles.js';
import { buildScramVerifier, SCRAM_DEFAULT_ITERATIONS, verifierMatchesPassword } from './scram.js';
import { readRolePassword } from './secrets.js';

export type PasswordAction = 'set' | 'unchanged' | 'not-configured';
export interface PasswordSyncResult {
  role: PlatformRole;
  action: PasswordAction;
}

/**
 * Applies the passwords configured in `env` (see secrets.ts) to the platform roles; `db migrate`
 * runs it after the migrations. Each password goes to the server only as a SCRAM verifier built
 * here. A role whose stored verifier already matches is left alone (when pg_authid is readable,
 * i.e. the migrating user is a superuser; otherwise a new verifier is set every run, which is
 * harmless). A role without a configured password keeps whatever it has.
 *
 * Every password is read before anything is changed, so a bad secret file changes nothing.
 */
export async function syncRolePasswords(client: pg.ClientBase, env: Env): Promise<PasswordSyncResult[]> {
  const wanted = PLATFORM_ROLES.map((role) => ({ role, password: readRolePassword(role, env) }));
  if (wanted.every((w) => w.password === undefined)) {
    return wanted.map((w) => ({ role: w.role, action: 'not-configured' as const }));
  }

  const canReadAuthid = await canReadPgAuthid(client);
  const iterations = await scramIterations(client);
  const results: PasswordSyncResult[] = [];
  for (const { role, password } of wanted) {
    if (password === undefined) {
      results.push({ role, action: 'not-configured' });
      continue;
    }
    const { rows } = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
    if (rows.length === 0) throw new RoleMissingError(role);

    if (canReadAuthid) {
      const stored = await client.query<{ rolpassword: string | null }>('SELECT rolpassword FROM pg_authid WHERE rolname = $1', [role]);
      if (await verifierMatchesPassword(stored.rows[0]?.rolpassword, password)) {
        results.push({ role, action: 'unchanged' });
        continue;
      }
    }
    // ALTER ROLE takes no bind parameters: let the server quote the name and the verifier.
    const verifier = await buildScramVerifier(password, { iterations });
    const statement = await client.query<{ sql: string }>("SELECT format('ALTER ROLE %I PASSWORD %L', $1::text, $2::text) AS sql", [
      role,
      verifier,
    ]);
    // Another database's migration may be setting the same role right now: retried (see there).
    await runRoleStatement(client, statement.rows[0]!.sql);
    results.push({ role, action: 'set' });
  }
  return results;
}

export async function canReadPgAuthid(client: pg.ClientBase): Promise<boolean> {
  const { rows } = await client.query<{ ok: boolean }>("SELECT has_table_privilege('pg_catalog.pg_authid', 'SELECT') AS ok");
  return rows[0]!.ok;
}

/** PostgreSQL 16+ lets the server choose the iteration count (scram_iterations); 15 has 4096. */
async function scramIterations(client: pg.ClientBase): Promise<number> {
  const { rows } = await client.query<{ value: string | null }>("SELECT current_setting('scram_iterations', true) AS value");
  const value = Number(rows[0]?.value);
  return Number.isInteger(value) && value > 0 ? value : SCRAM_DEFAULT_ITERATIONS;
}
