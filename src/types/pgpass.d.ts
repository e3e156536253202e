// The `pgpass` package ships no types; this is the one function we call.
declare module 'pgpass' {
  interface ConnInfo {
    host: string;
    port: number;
    database: string;
    user: string;
  }
  function pgpass(connInfo: ConnInfo, callback: (password: string | undefined) => void): void;
  export default pgpass;
}
