/**
 * Every connection keyword libpq 18 knows, with the environment variable that supplies its
 * default, and — for those the toolkit cannot honour with node-postgres — why. A keyword
 * outside this list is an error, as it is in libpq; a keyword listed as unsupported is an
 * error naming it, never dropped in silence.
 */
export interface KeywordInfo {
  env?: string;
  /** Set when the keyword cannot be honoured: the reason shown to the user. */
  unsupported?: string;
}

const GSS = 'GSSAPI/Kerberos is not available in node-postgres';
const OAUTH = 'OAuth authentication is not available in node-postgres';

export const LIBPQ_KEYWORDS: Readonly<Record<string, KeywordInfo>> = {
  host: { env: 'PGHOST' },
  hostaddr: { env: 'PGHOSTADDR' },
  port: { env: 'PGPORT' },
  dbname: { env: 'PGDATABASE' },
  user: { env: 'PGUSER' },
  password: { env: 'PGPASSWORD' },
  passfile: { env: 'PGPASSFILE' },
  require_auth: { env: 'PGREQUIREAUTH', unsupported: 'node-postgres cannot restrict the authentication methods it accepts' },
  channel_binding: { env: 'PGCHANNELBINDING' },
  connect_timeout: { env: 'PGCONNECT_TIMEOUT' },
  client_encoding: { env: 'PGCLIENTENCODING' },
  options: { env: 'PGOPTIONS' },
  application_name: { env: 'PGAPPNAME' },
  fallback_application_name: {},
  keepalives: {},
  keepalives_idle: {},
  keepalives_interval: { unsupported: 'Node.js cannot set the TCP keepalive interval' },
  keepalives_count: { unsupported: 'Node.js cannot set the TCP keepalive probe count' },
  tcp_user_timeout: { unsupported: 'Node.js cannot set TCP_USER_TIMEOUT' },
  replication: { unsupported: 'voipdb opens ordinary sessions, never replication connections' },
  gssencmode: { env: 'PGGSSENCMODE' },
  sslmode: { env: 'PGSSLMODE' },
  sslnegotiation: { env: 'PGSSLNEGOTIATION' },
  sslcompression: { env: 'PGSSLCOMPRESSION' },
  sslcert: { env: 'PGSSLCERT' },
  sslkey: { env: 'PGSSLKEY' },
  sslkeylogfile: { unsupported: 'TLS key logging is not offered' },
  sslpassword: {},
  sslcertmode: { env: 'PGSSLCERTMODE' },
  sslrootcert: { env: 'PGSSLROOTCERT' },
  sslcrl: { env: 'PGSSLCRL' },
  sslcrldir: { env: 'PGSSLCRLDIR', unsupported: 'Node.js TLS takes CRL files, not a CRL directory (use sslcrl)' },
  sslsni: { env: 'PGSSLSNI' },
  requirepeer: { env: 'PGREQUIREPEER', unsupported: 'node-postgres cannot check the peer of a Unix socket' },
  ssl_min_protocol_version: { env: 'PGSSLMINPROTOCOLVERSION' },
  ssl_max_protocol_version: { env: 'PGSSLMAXPROTOCOLVERSION' },
  min_protocol_version: { env: 'PGMINPROTOCOLVERSION' },
  max_protocol_version: { env: 'PGMAXPROTOCOLVERSION' },
  krbsrvname: { env: 'PGKRBSRVNAME', unsupported: GSS },
  gsslib: { env: 'PGGSSLIB', unsupported: GSS },
  gssdelegation: { env: 'PGGSSDELEGATION', unsupported: GSS },
  service: { env: 'PGSERVICE', unsupported: 'connection service files (pg_service.conf) are not read: put the settings in the URL' },
  target_session_attrs: { env: 'PGTARGETSESSIONATTRS' },
  load_balance_hosts: { env: 'PGLOADBALANCEHOSTS' },
  scram_client_key: { unsupported: 'node-postgres cannot authenticate with SCRAM keys' },
  scram_server_key: { unsupported: 'node-postgres cannot authenticate with SCRAM keys' },
  oauth_issuer: { unsupported: OAUTH },
  oauth_client_id: { unsupported: OAUTH },
  oauth_client_secret: { unsupported: OAUTH },
  oauth_scope: { unsupported: OAUTH },
};

/**
 * Variables libpq turns into session settings of the startup packet (fe-connect.c's
 * EnvironmentOptions); voipdb sends them the same way, through `options`.
 */
export const STARTUP_SETTING_VARIABLES: Readonly<Record<string, string>> = {
  PGDATESTYLE: 'datestyle',
  PGTZ: 'timezone',
  PGGEQO: 'geqo',
};
