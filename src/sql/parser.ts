// libpg-query (a WASM build of PostgreSQL 18's parser) is loaded on first use only: most runs of
// `db` (status, an up-to-date migrate) never parse SQL, and loading it costs startup time.
// This is the one loader: the engine and the lint both go through it.
export type SqlParser = typeof import('libpg-query');

let loading: Promise<SqlParser> | undefined;
let ready: SqlParser | undefined;

/** The WASM parser, initialised once (parseSync needs loadModule first). */
export function loadParser(): Promise<SqlParser> {
  loading ??= import('libpg-query').then(async (parser) => {
    await parser.loadModule();
    ready = parser;
    return parser;
  });
  return loading;
}

/** The parser if `loadParser()` has finished; for synchronous callers that loaded it beforehand. */
export function loadedParser(): SqlParser {
  if (!ready) throw new Error('the SQL parser is not loaded: await loadParser() first');
  return ready;
}
