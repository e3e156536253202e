import { refuseUnadoptedKamailio } from '../../adopt/detect.js';
import { type ConnectionConfig, requireConnection } from '../../config/connection.js';
import { withConnection } from '../../database/connect.js';
import { ExitCode } from '../../errors.js';
import { assertInstalled } from '../../optional-package.js';
import type { CheckReport } from '../../schema/check.js';
import { paint, type CliIO } from '../io.js';
import { scratchServer } from '../scratch-server.js';
import { type Register, jsonOption } from '../options.js';

export const registerCheck: Register = (program, io, run) => {
  program
    .command('check')
    .description(
      'the CI schema checks: migrations apply, schema.sql and types are fresh, down/up round trip, lint, privileges; exit 1 if any fails',
    )
    .option('--url <url>', 'also compare this live database with the migrations (checksums, drift); scratch databases go on its server')
    .option('--scratch-url <url>', "server for the scratch databases (default: --url's server, else the local embedded PostgreSQL 18)")
    .addOption(jsonOption('print the report as one JSON object'))
    .action((opts) =>
      run(async () => {
        // Before any scratch database: the checks need the codegen and the SQL parser.
        assertInstalled('kysely-codegen', '`db check` (the generated-types check)');
        assertInstalled('libpg-query', '`db check` (the migration lint)');
        let live: ConnectionConfig | undefined;
        if (opts.url !== undefined) {
          live = requireConnection({ url: opts.url, env: io.env });
          // A kamdbctl database not yet adopted: every check would only say "drift"; name the way forward instead.
          await withConnection(live, (c) => refuseUnadoptedKamailio(c, 'check it against the migrations'));
        }
        const { server } = opts.scratchUrl === undefined && live ? { server: live } : await scratchServer(io, opts.scratchUrl);
        // Loaded here, not at startup: the checks pull in kysely-codegen and TypeScript.
        const { runSchemaChecks } = await import('../../schema/check.js');
        const report = await runSchemaChecks({ server, projectDir: io.cwd, env: io.env, ...(live ? { live } : {}) });
        if (opts.json) io.out(JSON.stringify(report));
        else printReport(io, report);
        return report.ok ? ExitCode.ok : ExitCode.notOk;
      }),
    );
};

function printReport(io: CliIO, report: CheckReport): void {
  for (const check of report.checks) {
    io.out(`${check.ok ? paint(io, 'green', 'ok  ') : paint(io, 'red', 'FAIL')} ${check.name}: ${check.summary}`);
    if (!check.ok) {
      for (const line of check.details) io.out(`     ${line}`);
      if (check.diff) for (const line of check.diff.split('\n')) io.out(`     ${line}`);
    }
  }
  const failed = report.checks.filter((c) => !c.ok).length;
  io.out(failed === 0 ? `all ${report.checks.length} checks passed` : `${failed} of ${report.checks.length} checks failed`);
}
