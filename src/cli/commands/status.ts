import { describeConnection } from '../../config/connection.js';
import { withConnection } from '../../database/connect.js';
import { migrationStatus, type StatusRun } from '../../engine/operations.js';
import { ExitCode } from '../../errors.js';
import { describeRoles, type RoleDescription } from '../../roles/index.js';
import { paint, type CliIO } from '../io.js';
import { printStatus } from '../printers.js';
import { addConnectionOptions, type Register, settingsAction, jsonOption } from '../options.js';

/** The documented `db status --json` shape. */
export function statusJson(s: StatusRun): object {
  return {
    node: { role: s.node.role, serverVersion: s.node.serverVersion },
    applied: s.applied.map((a) => ({
      version: a.version,
      name: a.name,
      checksum: a.checksum,
      appliedAt: a.appliedAt,
      ...(a.adopted ? { adopted: true } : {}),
    })),
    pending: s.pending.map((p) => ({ version: p.version, name: p.name })),
  };
}

export const registerStatus: Register = (program, io, run) => {
  const cmd = program
    .command('status')
    .description('applied and pending migrations, the server version, primary or standby (read-only; works on a standby)')
    .addOption(jsonOption())
    .option('--exit-code', 'exit 1 when anything is pending');
  addConnectionOptions(cmd).action(
    settingsAction(io, run, async (opts, { connection, engine }) => {
      if (opts.json) {
        const status = await migrationStatus(connection, engine.migrationsDir);
        io.out(JSON.stringify(statusJson(status)));
        return opts.exitCode && status.pending.length > 0 ? ExitCode.notOk : ExitCode.ok;
      }
      const [status, roles] = await withConnection(
        connection,
        async (client) => [await migrationStatus(client, engine.migrationsDir), await describeRoles(client)] as const,
      );
      printStatus(io, describeConnection(connection), status);
      printRoleLogins(io, roles);
      return opts.exitCode && status.pending.length > 0 ? ExitCode.notOk : ExitCode.ok;
    }),
  );
};

/** Which platform roles can log in; a role without a configured password cannot, and we say so. */
function printRoleLogins(io: CliIO, roles: RoleDescription[]): void {
  for (const r of roles.filter((role) => role.exists)) {
    if (r.canLogin === 'yes') io.out(`  ${paint(io, 'green', 'role')} ${r.role}: can log in`);
    else
      io.out(
        `  ${paint(io, 'yellow', 'role')} ${r.role}: ${r.canLogin === 'no' ? 'cannot log in' : 'login unknown'}: ${r.loginProblems.join('; ')}`,
      );
  }
}
