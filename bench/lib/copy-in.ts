import type pg from 'pg';

/**
 * COPY ... FROM STDIN through node-postgres, for the floors of the ingest figures. pg has no
 * COPY API of its own (pg-copy-streams adds one); it does accept a "submittable" that drives the
 * protocol itself, which is all a one-shot COPY of a prepared buffer needs.
 */
class CopyIn {
  private rowCount = 0;
  private settled = false;
  constructor(
    private readonly text: string,
    private readonly data: Buffer,
    private readonly done: (error: unknown, rows: number) => void,
  ) {}

  submit(connection: { query(text: string): void }): void {
    connection.query(this.text);
  }

  handleCopyInResponse(connection: { sendCopyFromChunk(chunk: Buffer): void; endCopyFrom(): void }): void {
    connection.sendCopyFromChunk(this.data);
    connection.endCopyFrom();
  }

  handleCommandComplete(msg: { text: string }): void {
    this.rowCount = Number(/COPY (\d+)/.exec(msg.text)?.[1] ?? 0);
  }

  // pg drops the active query when an error arrives, so ReadyForQuery never reaches us then.
  handleError(error: unknown): void {
    this.settle(error);
  }

  handleReadyForQuery(): void {
    this.settle(undefined);
  }

  private settle(error: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.done(error, this.rowCount);
  }
}

/** Runs `COPY <target> FROM STDIN` with `data` (text format); resolves to the rows copied. */
export function copyFrom(client: pg.Client, target: string, data: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const submittable = new CopyIn(`COPY ${target} FROM STDIN`, Buffer.from(data, 'utf8'), (error, rows) =>
      error ? reject(error) : resolve(rows),
    );
    void client.query(submittable as unknown as pg.QueryConfig);
  });
}

/** One line of COPY's text format; null becomes \N. Our values hold no tab, newline or backslash. */
export function copyLine(values: readonly unknown[]): string {
  return `${values.map((v) => (v === null || v === undefined ? '\\N' : v instanceof Date ? v.toISOString() : String(v))).join('\t')}\n`;
}
