/**
 * The failures of reaching a server, as both entry points (`voipdb` and `voipdb/migrate`) export
 * them: whoever connects through voipdb can meet each of these.
 */
export {
  ConnectionFailedError,
  HostNotFoundError,
  ConnectionRefusedError,
  ConnectionTimeoutError,
  AuthFailedError,
  DatabaseNotFoundError,
  TlsFailedError,
  NoSuitableHostError,
} from './errors.js';
