/**
 * A minimal Kamailio 5.6 configuration for the end-to-end test: every module of the target
 * deployment that reads or writes the database is loaded against voipdb, so that startup
 * checks their `version` rows and the role's privileges. REGISTER is digest-authenticated
 * against kamailio.subscriber and saved to kamailio.location (usrloc db_mode 2: write-back).
 */
export function kamailioConfig(options: { modulesDir: string; sipPort: number; dbUrl: string; routingProbe?: boolean }): string {
  const db = JSON.stringify(options.dbUrl);
  return `#!KAMAILIO
debug=2
log_stderror=yes
children=2
listen=udp:127.0.0.1:${options.sipPort}
alias="example.test"
auto_aliases=no
mpath="${options.modulesDir}/"

${loadModules(['db_postgres', 'tm', 'sl', 'rr', 'pv', 'xlog', 'maxfwd', 'siputils', 'textops', 'auth', 'auth_db', 'usrloc', 'registrar'])}
${loadModules(['domain', 'permissions', 'dispatcher', 'dialog', 'acc', 'htable'])}

${authDbParams(db)}
modparam("usrloc", "db_url", ${db})
modparam("usrloc", "db_mode", 2)
modparam("usrloc", "timer_interval", 2)
modparam("domain", "db_url", ${db})
modparam("permissions", "db_url", ${db})
modparam("permissions", "load_backends", 1)
modparam("dispatcher", "db_url", ${db})
modparam("dialog", "db_url", ${db})
modparam("dialog", "db_mode", 1)
modparam("acc", "db_url", ${db})
modparam("htable", "db_url", ${db})
modparam("htable", "htable", "kv=>size=4;dbtable=htable;")

request_route {
${registerRoute({ localDomainsOnly: true })}
${
  options.routingProbe
    ? `  # OPTIONS answers 200 only if permissions loaded 127.0.0.1 into address group 1 and dispatcher
  # loaded a destination for set 1, both from the database.
  if (is_method("OPTIONS")) {
    if (allow_source_address("1") && ds_select_dst("1", "0")) {
      sl_send_reply("200", "Routable");
    } else {
      sl_send_reply("403", "Not Routable");
    }
    exit;
  }
`
    : ''
}  sl_send_reply("404", "Not Here");
}
`;
}

/** One `loadmodule` line a module, in the order given (Kamailio loads them in file order). */
export function loadModules(names: string[]): string {
  return names.map((name) => `loadmodule "${name}.so"`).join('\n');
}

/**
 * auth_db as the platform runs it against voipdb: the digest's HA1 is read from subscriber.ha1
 * (voipdb keeps hashes, never a plaintext password to compute it from). `db` is the quoted URL.
 */
export function authDbParams(db: string): string {
  return [
    `modparam("auth_db", "db_url", ${db})`,
    'modparam("auth_db", "calculate_ha1", 0)',
    'modparam("auth_db", "password_column", "ha1")',
    'modparam("auth_db", "load_credentials", "")',
  ].join('\n');
}

/**
 * The start of request_route that registers phones: the Max-Forwards check, then REGISTER
 * digest-authenticated against subscriber and saved to location (save flags `saveFlags`, if
 * any); with `localDomainsOnly`, a REGISTER for a domain not in the domain table is refused first.
 */
export function registerRoute(options: { localDomainsOnly?: boolean; saveFlags?: string } = {}): string {
  const domainCheck = options.localDomainsOnly
    ? `    if (!is_domain_local("$fd")) {
      sl_send_reply("403", "Not Our Domain");
      exit;
    }
`
    : '';
  const save = options.saveFlags ? `save("location", "${options.saveFlags}")` : 'save("location")';
  return `  if (!mf_process_maxfwd_header("10")) {
    sl_send_reply("483", "Too Many Hops");
    exit;
  }
  if (is_method("REGISTER")) {
${domainCheck}    if (!auth_check("$fd", "subscriber", "1")) {
      auth_challenge("$fd", "0");
      exit;
    }
    consume_credentials();
    if (!${save}) {
      sl_reply_error();
    }
    exit;
  }`;
}
