import net from 'node:net';

/**
 * Does a PostgreSQL server answer at host:port? Sends the protocol's SSLRequest and waits for its
 * one-byte answer ('S' or 'N'): only a postmaster replies that way, so a port that merely accepts
 * TCP (a proxy, another service) does not count, and no login or password is needed. pg_auto_failover
 * judges a node's health the same way: can a connection be started, not can a query run.
 */
export function postgresAnswers(host: string, port: number, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let done = false;
    const finish = (answer: boolean): void => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.on('error', () => finish(false));
    socket.on('connect', () => {
      const request = Buffer.alloc(8);
      request.writeInt32BE(8, 0);
      request.writeInt32BE(80877103, 4);
      socket.write(request);
    });
    socket.on('data', (data: Buffer) => finish(data.length >= 1 && (data[0] === 0x53 || data[0] === 0x4e)));
    socket.on('close', () => finish(false));
  });
}
