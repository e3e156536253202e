import type { AdoptPlan, AdoptResult } from '../../adopt/adopt.js';
import { describeConnection } from '../../config/connection.js';
import { ExitCode } from '../../errors.js';
import { paint, type CliIO } from '../io.js';
import { addConnectionOptions, addMigrationLimitOptions, type Register, settingsAction, jsonOption } from '../options.js';
import { formatMs } from '../printers.js';

export const registerAdopt: Register = (program, io, run) => {
  const cmd = program
    .command('adopt')
    .description(
      "take over a database made by kamdbctl (Kamailio 5.6-6.1 tables in public): move the tables into schema kamailio, voipdb's grants, subscribers as extensions; one transaction",
    )
    .option('--from-schema <schema>', 'the schema holding the Kamailio tables', 'public')
    .option('--dry-run', 'print the whole plan with its SQL; write nothing')
    .addOption(jsonOption('print the result as one JSON object'));
  addMigrationLimitOptions(addConnectionOptions(cmd)).action(
    settingsAction(io, run, async (opts, { connection, engine }) => {
      // Loaded on use: the other commands never need the adoption code or the SQL parser.
      const { adoptKamailioDatabase } = await import('../../adopt/adopt.js');
      const result = await adoptKamailioDatabase(connection, {
        migrationsDir: engine.migrationsDir,
        fromSchema: opts.fromSchema,
        dryRun: opts.dryRun === true,
        lockWaitMs: engine.lockWaitMs,
        lockTimeoutMs: engine.lockTimeoutMs,
        statementTimeoutMs: engine.statementTimeoutMs,
        lockRetries: engine.lockRetries,
      });
      if (opts.json) io.out(JSON.stringify(result));
      else printResult(io, describeConnection(connection), result);
      return ExitCode.ok;
    }),
  );
};

function printResult(io: CliIO, where: string, result: AdoptResult): void {
  if (!('plan' in result)) {
    io.out(
      result.status === 'already-adopted'
        ? `nothing to do: ${where} was already adopted (${result.adoptedRows} migrations recorded as adopted, ${result.historyRows} in its history); nothing was written`
        : `nothing to do: voipdb already manages ${where} (${result.historyRows} migrations in its history); nothing was written`,
    );
    return;
  }
  const { plan } = result;
  if (result.status === 'dry-run') {
    io.out(`dry run: db adopt would change ${where} as follows, in one transaction; nothing was written`);
    printPlan(io, plan);
    for (const step of plan.steps) {
      io.out('');
      io.out(`-- ${paint(io, 'bold', step.title)}`);
      for (const sql of step.sql) io.out(sql.trimEnd());
    }
    return;
  }
  io.out(`adopted ${where} in ${formatMs(result.totalMs)} (one transaction)`);
  printPlan(io, plan);
  if (plan.subscribers.converted > 0) {
    io.out(
      `  subscriber ownership markers: ${result.subscriberOwnersMarked ? 'written to voip.subscriber_owners' : 'not needed (no voip.subscriber_owners table yet)'}`,
    );
  }
  io.out(
    `next: run \`db migrate\` (role passwords from the environment, CDR partitions${plan.migrations.leftForMigrate.length > 0 ? `, ${plan.migrations.leftForMigrate.join(', ')}` : ''})`,
  );
}

function printPlan(io: CliIO, plan: AdoptPlan): void {
  io.out(`  Kamailio scripts: ${plan.kamailioRelease}`);
  io.out(
    `  ${paint(io, 'green', 'move')} ${plan.moved.length} tables from schema ${plan.fromSchema} into kamailio: ${plan.moved.join(', ')}`,
  );
  if (plan.created.length > 0) io.out(`  ${paint(io, 'green', 'create')} ${plan.created.join(', ')} (migration 0003)`);
  for (const d of plan.differences) io.out(`  ${paint(io, 'green', 'change')} ${d}`);
  const s = plan.subscribers;
  io.out(
    `  ${paint(io, 'green', 'subscribers')} ${s.converted} of ${s.total} become extensions (${s.fromHashes} from ha1/ha1b, ${s.fromPassword} from the plaintext password) in ${s.domains.length} domains; ${s.plaintextEmptied} plaintext passwords emptied`,
  );
  for (const k of s.kept.slice(0, 20)) io.out(`  ${paint(io, 'yellow', 'kept')} subscriber ${k.id} ${k.account}: ${k.reason}`);
  if (s.kept.length > 20) io.out(`  ${paint(io, 'yellow', 'kept')} … and ${s.kept.length - 20} more (--json lists them all)`);
  io.out(
    `  ${paint(io, 'green', 'history')} adopted ${plan.migrations.adopted.join(', ')}; applied ${plan.migrations.applied.join(', ') || 'nothing else'}`,
  );
  for (const n of plan.notes) io.out(`  ${paint(io, 'yellow', 'note')} ${n}`);
}
