/**
 * COPY ... FROM STDIN through node-postgres. pg has no COPY API of its own (pg-copy-streams adds
 * one, as a stream); it does accept a "submittable" that drives the protocol itself, which is
 * all a one-shot COPY of a prepared text needs: no dependency for some fifty lines.
 */
class CopyIn {
  private rowCount = 0;
  private settled = false;
  constructor(
    private readonly statement: string,
    private readonly data: Buffer,
    private readonly done: (error: unknown, rows: number) => void,
  ) {}

  submit(connection: { query(text: string): void }): void {
    connection.query(this.statement);
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

/** What copyFrom needs of a connection: pg.Client's and pg.PoolClient's query, given a submittable. */
export interface SubmittableQueryable {
  query(submittable: never): unknown;
}

/**
 * Runs `statement` (a `COPY ... FROM STDIN` in text format) with `data` on `client`; resolves to
 * the rows copied, rejects with the server's error as pg reports it. The connection is usable
 * afterwards either way.
 */
export function copyFrom(client: SubmittableQueryable, statement: string, data: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const submittable = new CopyIn(statement, Buffer.from(data, 'utf8'), (error, rows) => (error ? reject(error) : resolve(rows)));
    client.query(submittable as never);
  });
}

const COPY_TEXT_SPECIAL = /[\\\n\r\t]/;

/**
 * A text value as one field of COPY's text format: backslash, newline, carriage return and tab
 * escaped (the only characters that format gives a meaning; NUL cannot be in PostgreSQL text).
 */
export function copyTextField(value: string): string {
  return COPY_TEXT_SPECIAL.test(value) ? value.replace(/[\\\n\r\t]/g, (c) => COPY_ESCAPES[c]!) : value;
}

const COPY_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
