import type pg from 'pg';
import { refuseUnadoptedKamailio } from '../adopt/detect.js';
import type { Env } from '../config/connection.js';
import type { MigrationHook } from '../engine/hooks.js';
import type { HookReport } from '../engine/result.js';
// The modules themselves, not roles/index.js: its role descriptions and privilege reader are not
// needed by a migrate run, which loads this file every time.
import { PLATFORM_ROLES } from '../roles/platform-roles.js';
import { readRolePassword } from '../roles/secrets.js';
import { syncRolePasswords } from '../roles/sync-passwords.js';
import { DEFAULT_PARTITIONS_AHEAD, ensureCdrPartitionsIfInstalled } from '../voip/partitions.js';

/**
 * The platform's roles get their passwords from the environment (VOIPDB_*_PASSWORD[_FILE]) on
 * every `db migrate`: a changed variable takes effect on the next run; nothing is written when
 * every stored verifier already matches.
 */
export function rolePasswordsHook(env: Env): MigrationHook {
  return {
    name: 'password',
    // Every secret is read before the first migration runs: an unreadable file stops the run early.
    validate: () => {
      for (const role of PLATFORM_ROLES) readRolePassword(role, env);
    },
    afterMigrate: async (client: pg.ClientBase): Promise<HookReport> => ({
      hook: 'password',
      changes: (await syncRolePasswords(client, env))
        .filter((p) => p.action === 'set')
        .map((p) => `role ${p.role}: applied (SCRAM-SHA-256 verifier computed here)`),
    }),
  };
}

/**
 * The CDR partitions of this month and the next `ahead` months. Date-dependent, so they cannot
 * live in a migration (schema.sql stays the same whatever day it is built); nothing happens
 * before migration 0006 has created the function (e.g. `db migrate --to 3`).
 */
export function cdrPartitionsHook(ahead = DEFAULT_PARTITIONS_AHEAD): MigrationHook {
  return {
    name: 'partitions',
    // The partition DDL waits no longer than the migrations' own (--lock-timeout, retries, --lock-wait).
    afterMigrate: async (client: pg.ClientBase, _run, limits): Promise<HookReport> => {
      const { lockWaitMs, ...retry } = limits;
      const created = (await ensureCdrPartitionsIfInstalled(client, ahead, { limits: retry, lockWaitMs })) ?? [];
      return { hook: 'partitions', changes: created.length > 0 ? [`created ${created.join(', ')}`] : [] };
    },
  };
}

/**
 * A kamdbctl-made database (Kamailio's tables outside schema kamailio, no voipdb history) must be
 * adopted (`db adopt`), never built a second time beside: refused before anything is written.
 */
export function adoptionGuardHook(): MigrationHook {
  return {
    name: 'adoption-guard',
    beforeMigrate: (client) => refuseUnadoptedKamailio(client),
    afterMigrate: async (): Promise<HookReport> => ({ hook: 'adoption-guard', changes: [] }),
  };
}

/** What `db migrate`, `db up`, `db check`, `db dump` and `db codegen` run around the migrations. */
export function platformHooks(env: Env): MigrationHook[] {
  return [adoptionGuardHook(), rolePasswordsHook(env), cdrPartitionsHook()];
}
