import path from 'node:path';
import { createMigrationFile } from '../../engine/new-migration.js';
import { ExitCode } from '../../errors.js';
import type { Register } from '../options.js';

export const registerNew: Register = (program, io, run) => {
  program
    .command('new')
    .description('create the next numbered migration file (no database needed)')
    .argument('<name>', 'what it does, e.g. add_extension_pickup_group (lowercase, digits, _)')
    .option('--migrations-dir <dir>', 'folder of migration files', 'migrations')
    .option('--no-transaction', 'start it with the -- voipdb:no-transaction marker (for CREATE INDEX CONCURRENTLY)')
    .option('--down', 'also create the .down.sql file')
    .action((name, opts) =>
      run(async () => {
        const created = await createMigrationFile(path.resolve(io.cwd, opts.migrationsDir), name, {
          transactional: opts.transaction,
          withDown: Boolean(opts.down),
        });
        for (const file of created) io.out(`created ${path.relative(io.cwd, file)}`);
        return ExitCode.ok;
      }),
    );
};
