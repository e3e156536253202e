export { createDb, POOL_DEFAULTS, type CreateDbOptions } from './create-db.js';
export { connectionConfigFromEnv, connectionConfigFromUrl, DEFAULT_CLIENT_APPLICATION_NAME } from './connection-config.js';
export { nodeRole, type NodeRole } from './node-role.js';
export { toClientError, isStandbyWriteError, isRecoveryConflictError } from './error-mapping.js';
export { withRetry, isRetryableError, type RetryOptions } from './retry.js';
export { lookupDirectoryUser, type DirectoryLookup, type DirectoryUser } from './directory.js';
export {
  createExtension,
  setExtensionPassword,
  setVoicemailPin,
  type ExtensionPassword,
  type NewExtension,
  type VoicemailPin,
} from './extensions.js';
export { kyselyOnConnection, type QueryableConnection } from './on-connection.js';
export { ingestCdr, ingestCdrs, type CdrIngestResult, type CdrIngestOptions, type CdrRow } from './cdr.js';
export {
  ClientInputInvalidError,
  DirectoryCacheStaleError,
  type InputProblem,
  StandbyWriteError,
  RecoveryConflictError,
  CdrPartitionMissingError,
  VoipDomainNotFoundError,
  SubscriberNotOwnedError,
} from './errors.js';
export { CALLER_ID_NUMBER_MAX_LENGTH, DESTINATION_NUMBER_MAX_LENGTH, SIP_CALL_ID_MAX_LENGTH } from './cdr-limits.js';
export {
  createDirectoryCache,
  DIRECTORY_CACHE_DEFAULTS,
  type DirectoryCache,
  type DirectoryCacheOptions,
  type DirectoryCacheStats,
} from './directory-cache.js';
