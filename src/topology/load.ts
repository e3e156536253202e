import { promises as fs } from 'node:fs';
import { TopologyInvalidError } from './errors.js';
import { parseTopology } from './parse.js';
import type { Topology } from './types.js';

/** Reads and validates a topology file; an unreadable file is a TopologyInvalidError too. */
export async function loadTopology(file: string): Promise<Topology> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new TopologyInvalidError(file, [
      code === 'ENOENT' ? 'file not found (pass --topology <file> or set VOIPDB_TOPOLOGY)' : `cannot read it (${code ?? String(error)})`,
    ]);
  }
  return parseTopology(text, file);
}
