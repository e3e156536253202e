import { describeConnection } from '../../config/connection.js';
import { withConnection } from '../../database/connect.js';
import { ExitCode } from '../../errors.js';
import { describeRoles, type RoleDescription } from '../../roles/index.js';
import { paint, type CliIO } from '../io.js';
import { addConnectionOptions, type Register, settingsAction, jsonOption } from '../options.js';

/**
 * `db roles [--json]`: each platform role (kamailio, voipadmin, replicator): can it log in and
 * why not, has it a password, its search_path in this database, its attributes and a summary of
 * its privileges. Read-only; works on a standby. Exit 1 when a role is missing or cannot log in.
 */
export const registerRoles: Register = (program, io, run) => {
  const cmd = program
    .command('roles')
    .description('the platform roles: login, password, search_path, privileges (read-only)')
    .addOption(jsonOption('print one JSON array'));
  addConnectionOptions(cmd).action(
    settingsAction(io, run, async (opts, { connection }) => {
      const roles = await withConnection(connection, describeRoles);
      if (opts.json) io.out(JSON.stringify(roles));
      else printRoles(io, describeConnection(connection), roles);
      return roles.every((r) => r.exists && r.canLogin !== 'no') ? ExitCode.ok : ExitCode.notOk;
    }),
  );
};

export function printRoles(io: CliIO, where: string, roles: RoleDescription[]): void {
  io.out(`${where}: platform roles`);
  for (const r of roles) {
    if (!r.exists) {
      io.out(`${paint(io, 'red', r.role)}: does not exist (run \`db migrate\`)`);
      continue;
    }
    const login =
      r.canLogin === 'yes'
        ? paint(io, 'green', 'can log in')
        : r.canLogin === 'no'
          ? paint(io, 'red', 'cannot log in')
          : paint(io, 'yellow', 'login unknown');
    io.out(`${paint(io, 'bold', r.role)}: ${login}${r.loginProblems.length > 0 ? ` (${r.loginProblems.join('; ')})` : ''}`);
    const attributes = [
      r.loginAttribute ? 'LOGIN' : 'NOLOGIN',
      r.replication ? 'REPLICATION' : '',
      r.superuser ? 'SUPERUSER' : '',
      r.createdb ? 'CREATEDB' : '',
      r.createrole ? 'CREATEROLE' : '',
    ]
      .filter(Boolean)
      .join(' ');
    io.out(`  attributes:  ${attributes}`);
    io.out(`  password:    ${r.password}${r.passwordValidUntil ? ` (valid until ${r.passwordValidUntil})` : ''}`);
    io.out(`  search_path: ${r.searchPath ?? paint(io, 'dim', '(server default)')}`);
    if (r.privileges.length === 0) io.out(`  privileges:  ${paint(io, 'dim', 'none')}`);
    else {
      for (const [i, p] of r.privileges.entries()) io.out(`  ${i === 0 ? 'privileges: ' : '            '} ${p}`);
    }
  }
}
