import path from 'node:path';
import { defaultMigrationsDir } from '../../config/settings.js';
import { ExitCode } from '../../errors.js';
import { assertInstalled } from '../../optional-package.js';
import type { Register } from '../options.js';
import { scratchServer } from '../scratch-server.js';

/** `db dump` and `db codegen`: the two generated files, each from a scratch database built from the migrations. */
export const registerDump: Register = (program, io, run) => {
  for (const [name, what, fallback] of [
    ['dump', 'write schema.sql: the whole schema after the last migration, from a scratch database', 'schema.sql'],
    ['codegen', 'write src/generated/db.ts: the Kysely types of all three schemas, from a scratch database', 'src/generated/db.ts'],
  ] as const) {
    program
      .command(name)
      .description(what)
      .option('--scratch-url <url>', 'server for the scratch database (default: the local embedded PostgreSQL 18)')
      .option('--migrations-dir <dir>', 'folder of migration files (default ./migrations, else the ones the package ships)')
      .option('--out <file>', `file to write (default ${fallback})`)
      .action((opts) =>
        run(async () => {
          if (name === 'codegen') assertInstalled('kysely-codegen', '`db codegen`');
          const { server, label } = await scratchServer(io, opts.scratchUrl);
          // Loaded here, not at startup: codegen pulls in kysely-codegen and TypeScript.
          const { codegenMigrations, dumpMigrations } = await import('../../schema/regenerate.js');
          const write = name === 'dump' ? dumpMigrations : codegenMigrations;
          const file = await write(server, {
            projectDir: io.cwd,
            migrationsDir: opts.migrationsDir !== undefined ? path.resolve(io.cwd, opts.migrationsDir) : defaultMigrationsDir(io.cwd),
            ...(opts.out ? { file: path.resolve(io.cwd, opts.out) } : {}),
          });
          io.out(`wrote ${path.relative(io.cwd, file)} (built on ${label})`);
          return ExitCode.ok;
        }),
      );
  }
};
