import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A throwaway migrations folder holding exactly the given files. */
export async function migrationsFixture(files: Record<string, string>): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'voipdb-migrations-'));
  for (const [name, text] of Object.entries(files)) await fs.writeFile(path.join(dir, name), text);
  return dir;
}
