import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { regenerateSchemaArtifacts } from '../../src/schema/regenerate.js';
import { adminQuery, server, serverConfig } from '../support/database.js';

const PROJECT = path.resolve(import.meta.dirname, '../..');

describe('regenerateSchemaArtifacts (db dump + db codegen)', () => {
  it('writes the committed schema.sql and types again from a scratch database, on PG15 as on PG18, and drops the scratch', async () => {
    for (const name of ['pg18', 'pg15'] as const) {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'voipdb-regen-'));
      try {
        await fs.cp(path.join(PROJECT, 'migrations'), path.join(dir, 'migrations'), { recursive: true });
        const { schemaFile, typesFile } = await regenerateSchemaArtifacts(serverConfig(server(name)), { projectDir: dir });
        expect(await fs.readFile(schemaFile, 'utf8'), `schema.sql from ${name}`).toBe(
          await fs.readFile(path.join(PROJECT, 'schema.sql'), 'utf8'),
        );
        expect(await fs.readFile(typesFile, 'utf8'), `types from ${name}`).toBe(
          await fs.readFile(path.join(PROJECT, 'src/generated/db.ts'), 'utf8'),
        );
      } finally {
        await fs.rm(dir, { recursive: true, force: true });
      }
      const left = await adminQuery(server(name), "SELECT datname FROM pg_database WHERE datname LIKE 'voipdb\\_scratch\\_%'");
      expect(left).toEqual([]);
    }
  });
});
