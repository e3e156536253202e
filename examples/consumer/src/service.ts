// An example service: answers FreeSWITCH's mod_xml_curl directory requests and stores the CDRs
// mod_xml_cdr posts, using only what voipdb exports.
import {
  type CdrRow,
  type Kysely,
  type Selectable,
  type DirectoryCache,
  type DirectoryUser,
  CdrPartitionMissingError,
  ConnectionFailedError,
  StandbyWriteError,
  connectionConfigFromEnv,
  createDb,
  createDirectoryCache,
  ingestCdrs,
  isRetryableError,
  nodeRole,
  withRetry,
} from 'voipdb';
import type { DB } from 'voipdb/types';

type Domain = Selectable<DB['voip.domains']>;

export function openDatabase(env: NodeJS.ProcessEnv): Kysely<DB> {
  return createDb(connectionConfigFromEnv(env, 'example-consumer'), {
    statementTimeoutMs: 2_000,
    onIdleConnectionError: (error) => console.warn('database connection dropped:', error),
  });
}

/**
 * The directory cache behind the mod_xml_curl endpoint: one per process, on this node's database
 * (primary or standby alike). A password change or a disabled user stops being answered within
 * a second (on the standby: a second after replication brings it); a scanner's unknown users
 * cost no query. 20,000 users of about 1.5 kB each fit the 64 MiB given here.
 */
export function openDirectory(db: Kysely<DB>): DirectoryCache {
  return createDirectoryCache(db, { maxStalenessMs: 1_000, maxEntries: 20_000, maxBytes: 64 * 1024 * 1024 });
}

export interface HttpAnswer {
  status: number;
  body: string;
}

const NOT_FOUND = '<document type="freeswitch/xml"><section name="result"><result status="not found"/></section></document>';

/**
 * The answer to one directory request: the user's document, FreeSWITCH's "not found", or 503
 * when the database cannot confirm the answer is current (DirectoryCacheStaleError, a lost
 * connection): FreeSWITCH then refuses the challenge instead of trusting an old password.
 */
export async function directoryResponse(directory: DirectoryCache, domain: string, user: string): Promise<HttpAnswer> {
  let found: DirectoryUser | undefined;
  try {
    // On the standby a replay conflict cancels a query now and then: retry those.
    found = await withRetry(() => directory.lookup({ domain, user }), { attempts: 2, backoffMs: 50 });
  } catch (error) {
    if (isRetryableError(error) || error instanceof ConnectionFailedError) return { status: 503, body: '' };
    throw error;
  }
  return { status: 200, body: found ? directoryXml(found) : NOT_FOUND };
}

/** The mod_xml_curl document of one user. */
export function directoryXml(found: DirectoryUser): string {
  const params: Record<string, string> = { 'a1-hash': found.a1Hash };
  if (found.voicemail.a1Hash) params['vm-a1-hash'] = found.voicemail.a1Hash;
  if (found.maxRegistrations !== null) params['max-registrations-per-extension'] = String(found.maxRegistrations);
  const variables: Record<string, string> = { user_context: found.userContext, toll_allow: found.tollAllow };
  if (found.effectiveCallerIdNumber) variables.effective_caller_id_number = found.effectiveCallerIdNumber;
  const tags = (kind: string, map: Record<string, unknown>): string =>
    Object.entries(map)
      .map(([name, value]) => `<${kind} name="${xml(name)}" value="${xml(String(value))}"/>`)
      .join('');
  return (
    `<document type="freeswitch/xml"><section name="directory"><domain name="${xml(found.domain)}">` +
    `<params>${tags('param', found.domainParams)}</params>` +
    `<user id="${xml(found.extension)}"><params>${tags('param', params)}</params>` +
    `<variables>${tags('variable', variables)}</variables></user></domain></section></document>`
  );
}

/** HTTP status for a CDR post: 2xx also for a retried post; non-2xx makes FreeSWITCH keep the file. */
export async function storeCdr(db: Kysely<DB>, cdr: CdrRow): Promise<number> {
  try {
    const { inserted, duplicates } = await ingestCdrs(db, [cdr]);
    return inserted + duplicates === 1 ? 200 : 500;
  } catch (error) {
    if (error instanceof StandbyWriteError) return 503; // this node is the standby: FreeSWITCH retries elsewhere
    if (error instanceof CdrPartitionMissingError) return 500;
    throw error;
  }
}

/** The generated types reach the service's own queries too. */
export async function enabledDomains(db: Kysely<DB>): Promise<Pick<Domain, 'id' | 'name'>[]> {
  // @ts-expect-error: no such table; proves the DB type is real, not `any`.
  db.selectFrom('voip.no_such_table');
  return db.selectFrom('voip.domains').select(['id', 'name']).where('enabled', '=', true).orderBy('name').execute();
}

export async function describeNode(db: Kysely<DB>): Promise<string> {
  return `this node's database is the ${await nodeRole(db)}`;
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
