import path from 'node:path';
import { type CommandUnknownOpts, Option } from '@commander-js/extra-typings';
import { ExitCode } from '../../errors.js';
import { SERVICES } from '../../topology/types.js';
import type { Register } from '../options.js';

/**
 * `db config render --node <name> [--service …] [--topology <file>]`: prints one node's
 * settings for its services from the topology file. Reads no database and no secret.
 */
export const registerConfigRender: Register = (program, io, run) => {
  const config: CommandUnknownOpts =
    program.commands.find((c) => c.name() === 'config') ??
    program.command('config').description('per-node settings from the topology file (no database needed)');
  config
    .command('render')
    .description("print a node's settings for each service (see --service) from the topology file")
    .requiredOption('--node <name>', 'the node to render for (as named in the topology, e.g. node2)')
    .addOption(new Option('--service <service>', 'only this service').choices([...SERVICES]))
    .option('--topology <file>', 'topology YAML (else VOIPDB_TOPOLOGY, else ./topology.yaml)')
    .action((opts) =>
      run(async () => {
        const file = path.resolve(io.cwd, opts.topology ?? io.env.VOIPDB_TOPOLOGY ?? 'topology.yaml');
        const { loadTopology, renderNodeConfig } = await import('../../topology/index.js');
        const topology = await loadTopology(file);
        io.out(renderNodeConfig(topology, opts.node, opts.service).trimEnd());
        return ExitCode.ok;
      }),
    );
};
