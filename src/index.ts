/**
 * The package entry services import (`import { createDb } from 'voipdb'`): the typed client,
 * its errors and the connection helpers. The generated table types import on their own:
 * `import type { DB } from 'voipdb/types'`. No CLI code is reachable from here.
 */
export * from './client/index.js';
export { computeDigestHashes, type DigestHashes, type DigestIdentity } from './voip/credentials.js';
export { describeConnection, type ConnectionConfig } from './config/connection.js';
// The errors a service can meet through this entry: the kernel, connection settings and
// connecting, and the client's own (ClientInputInvalidError comes with the client above).
export { VoipdbError, isVoipdbError, ExitCode, hasCode, DatabaseError, UsageError } from './errors.js';
export { ConfigInvalidError, NoConnectionConfiguredError } from './config/errors.js';
export * from './database/connecting-errors.js';
export type { DB } from './generated/db.js';
// Kysely's types for the service's own signatures, so a service needs no direct kysely dependency.
export type { Kysely, Transaction, Selectable, Insertable, Updateable } from 'kysely';
