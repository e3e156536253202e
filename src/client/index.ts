export { createDb, POOL_DEFAULTS, type CreateDbOptions } from './create-db.js';
export { connectionConfigFromEnv, connectionConfigFromUrl, DEFAULT_CLIENT_APPLICATION_NAME } from './connection-config.js';
export { nodeRole, type NodeRole } from './node-role.js';
export { toClientError, isStandbyWriteError, isRecoveryConflictError } from './error-mapping.js';
export { withRetry, isRetryableError, type RetryOptions } from './retry.js';
export { lookupDirectoryUser, type DirectoryLookup, type DirectoryUser } from './directory.js';
export { setExtensionPassword, type ExtensionPassword } from './extensions.js';
export { ingestCdr, ingestCdrs, type CdrIngestResult, type CdrIngestOptions, type CdrRow } from './cdr.js';
