import { CompiledQuery, type Kysely, type Selectable } from 'kysely';
import type { DB } from '../generated/db.js';
import { ClientInputInvalidError, type InputProblem } from './errors.js';
import { checkFields, nonEmptyString, oneOf, optional } from './input-checks.js';
import { queryDirect } from './direct-pool.js';
import { prepareText } from './prepared.js';

export interface DirectoryLookup {
  /** The SIP domain (FreeSWITCH's `domain` field); compared in lower case, as stored. */
  domain: string;
  /** FreeSWITCH's `user` field. */
  user: string;
  /** Which name `user` is: the extension (`key=id`, the default) or its number-alias. */
  key?: 'id' | 'number-alias';
}

/** Everything a mod_xml_curl directory answer needs for auth and routing of one user. */
export interface DirectoryUser {
  extensionId: number;
  domainId: number;
  /** `<domain name>` */
  domain: string;
  /** `<user id>` */
  extension: string;
  /** `<user number-alias>` */
  numberAlias: string | null;
  /** `a1-hash` param = md5(extension:domain:password); never null here (users without one are not found). */
  a1Hash: string;
  displayName: string | null;
  /** `user_context` variable: dialplan context of calls this user places. */
  userContext: string;
  effectiveCallerIdName: string | null;
  effectiveCallerIdNumber: string | null;
  outboundCallerIdName: string | null;
  outboundCallerIdNumber: string | null;
  /** `toll_allow` variable, comma-separated as FreeSWITCH dialplans expect ('' = none). */
  tollAllow: string;
  accountcode: string | null;
  callGroup: string | null;
  /** `max-registrations-per-extension` param; null = unlimited. */
  maxRegistrations: number | null;
  limitMax: number | null;
  limitDestination: string | null;
  /** `auth-acl` param. */
  authAcl: string | null;
  voicemail: {
    enabled: boolean;
    /** `vm-a1-hash` param = md5(extension:domain:PIN). */
    a1Hash: string | null;
    mailto: string | null;
    attachFile: boolean;
    keepLocalAfterEmail: boolean;
  };
  /** Domain-level `<params>` / `<variables>` (dial-string lives here), then the user's own. */
  domainParams: Readonly<Record<string, unknown>>;
  domainVariables: Readonly<Record<string, unknown>>;
  params: Readonly<Record<string, unknown>>;
  variables: Readonly<Record<string, unknown>>;
}

const compiledLookups = new Map<DirectoryKeyColumn, string>();

const LOOKUP_CHECKS = { domain: nonEmptyString, user: nonEmptyString, key: optional(oneOf(['id', 'number-alias'])) };

/** The view column a lookup's `user` is compared with. */
export type DirectoryKeyColumn = 'extension' | 'number_alias';

/** Refuses a lookup the types rule out (from JavaScript, or parsed off the wire); returns the key column. */
export function checkDirectoryLookup(operation: string, lookup: DirectoryLookup): DirectoryKeyColumn {
  const problems: InputProblem[] = [];
  checkFields(lookup, LOOKUP_CHECKS, problems);
  if (problems.length > 0) throw new ClientInputInvalidError(operation, problems);
  return lookup.key === 'number-alias' ? 'number_alias' : 'extension';
}

/**
 * The lookup's SQL text ($1 = domain in lower case, $2 = user), built once per key column and
 * registered as a prepared statement. Exported for the benchmark, which runs the same text
 * through raw pg as the floor of the client's overhead.
 */
export function directoryLookupSql(db: Kysely<DB>, keyColumn: DirectoryKeyColumn): string {
  let sqlText = compiledLookups.get(keyColumn);
  if (sqlText === undefined) {
    sqlText = db
      .selectFrom('voip.directory_users')
      .selectAll()
      .where('domain_name', '=', '$domain')
      .where(keyColumn, '=', '$user')
      .compile().sql;
    compiledLookups.set(keyColumn, sqlText);
    prepareText(sqlText, `directory_by_${keyColumn}`);
  }
  return sqlText;
}

/**
 * The directory lookup behind every REGISTER/INVITE challenge: one query on the
 * voip.directory_users view, which holds the "disabled or without credentials = not found" rule
 * and is answered through the unique indexes domains (name) and extensions (domain_id,
 * extension) (or (domain_id, number_alias)). Undefined = answer FreeSWITCH "not found".
 */
export async function lookupDirectoryUser(db: Kysely<DB>, lookup: DirectoryLookup): Promise<DirectoryUser | undefined> {
  const keyColumn = checkDirectoryLookup('lookupDirectoryUser', lookup);
  // The hot path of every REGISTER/INVITE: the SQL text is built once per key column and sent
  // as a prepared statement, so neither Kysely nor the server re-plans it on every call.
  const sqlText = directoryLookupSql(db, keyColumn);
  const parameters = [lookup.domain.toLowerCase(), lookup.user];
  type Row = Selectable<DB['voip.directory_users']>;
  const rows =
    (await queryDirect<Row>(db, sqlText, parameters)) ?? (await db.executeQuery<Row>(CompiledQuery.raw(sqlText, parameters))).rows;
  const row = rows[0];
  if (!row) return undefined;
  // The view's columns are all nullable to the type generator; its WHERE and the tables'
  // NOT NULL constraints guarantee the ones asserted here.
  return {
    extensionId: Number(row.extension_id),
    domainId: Number(row.domain_id),
    domain: row.domain_name!,
    extension: row.extension!,
    numberAlias: row.number_alias,
    a1Hash: row.a1_hash!,
    displayName: row.display_name,
    userContext: row.user_context!,
    effectiveCallerIdName: row.effective_caller_id_name,
    effectiveCallerIdNumber: row.effective_caller_id_number,
    outboundCallerIdName: row.outbound_caller_id_name,
    outboundCallerIdNumber: row.outbound_caller_id_number,
    tollAllow: row.toll_allow ?? '',
    accountcode: row.accountcode,
    callGroup: row.call_group,
    maxRegistrations: row.max_registrations,
    limitMax: row.limit_max,
    limitDestination: row.limit_destination,
    authAcl: row.auth_acl,
    voicemail: {
      enabled: row.vm_enabled!,
      a1Hash: row.vm_a1_hash,
      mailto: row.vm_mailto,
      attachFile: row.vm_attach_file!,
      keepLocalAfterEmail: row.vm_keep_local_after_email!,
    },
    domainParams: asObject(row.domain_params),
    domainVariables: asObject(row.domain_variables),
    params: asObject(row.params),
    variables: asObject(row.variables),
  };
}

function asObject(value: unknown): Readonly<Record<string, unknown>> {
  // CHECK (jsonb_typeof(...) = 'object') holds on every source column.
  return (value ?? {}) as Readonly<Record<string, unknown>>;
}
