import type { TestServer } from './servers.js';

/**
 * Testcontainers, where a Docker engine answers. Returns undefined (and the harness falls
 * back to local servers) when none does, which is the case on this project's machines.
 */
export async function startContainers(): Promise<{ pg18: TestServer; pg15: TestServer; stop: () => Promise<void> } | undefined> {
  if (process.env.VOIPDB_TEST_NO_DOCKER === '1') return undefined;
  const tc = await import('testcontainers');
  try {
    await tc.getContainerRuntimeClient();
  } catch {
    return undefined;
  }
  const password = 'voipdb-test';
  const start = async (image: string, name: 'pg18' | 'pg15'): Promise<{ server: TestServer; stop: () => Promise<void> }> => {
    const container = await new tc.GenericContainer(image)
      .withEnvironment({ POSTGRES_PASSWORD: password })
      .withExposedPorts(5432)
      .withWaitStrategy(tc.Wait.forLogMessage(/database system is ready to accept connections/, 2))
      .start();
    return {
      server: { name, via: 'testcontainers', host: container.getHost(), port: container.getMappedPort(5432), user: 'postgres', password },
      stop: async () => {
        await container.stop();
      },
    };
  };
  const [a, b] = await Promise.all([start('postgres:18', 'pg18'), start('postgres:15', 'pg15')]);
  return {
    pg18: a.server,
    pg15: b.server,
    stop: async () => {
      await Promise.all([a.stop(), b.stop()]);
    },
  };
}
