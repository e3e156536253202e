// pgpass's line matcher (libpq's passfile rules), used to check a passfile without connecting.
declare module 'pgpass/lib/helper.js' {
  interface ConnInfo {
    host: string;
    port: number;
    database: string;
    user: string;
  }
  export function getPassword(connInfo: ConnInfo, stream: NodeJS.ReadableStream, callback: (password: string | undefined) => void): void;
}
