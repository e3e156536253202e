// The `pgpass` package ships no types; these are the pieces voipdb calls.
declare module 'pgpass/lib/helper.js' {
  import type { Stats } from 'node:fs';
  import type { Readable } from 'node:stream';
  interface ConnInfo {
    host: string;
    port: number;
    database: string;
    user: string;
  }
  /** False when the file is not a plain file or is readable by group or others (libpq ignores it then). */
  export function usePgPass(stats: Stats, file: string): boolean;
  /** The password of the first line matching connInfo (`*` matches anything), or undefined. */
  export function getPassword(connInfo: ConnInfo, stream: Readable, callback: (password: string | undefined) => void): void;
  const helper: { usePgPass: typeof usePgPass; getPassword: typeof getPassword };
  export default helper;
}
