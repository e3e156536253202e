/** Operations per second of `op` run by `concurrency` loops for `ms` milliseconds. */
export async function opsPerSecond(concurrency: number, ms: number, op: (i: number) => Promise<unknown>): Promise<number> {
  const deadline = performance.now() + ms;
  const start = performance.now();
  let done = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        await op(done);
        done++;
      }
    }),
  );
  return (done * 1000) / (performance.now() - start);
}
