// libpg-query (a WASM build of PostgreSQL 18's parser) is loaded on first use only: most runs of
// `db` (status, an up-to-date migrate) never parse SQL, and loading it costs startup time.
// This is the one loader: the engine and the lint both go through it. libpg-query is an optional
// peer dependency: a node installed with --omit=dev has it only if asked for.
import { loadOptional } from '../optional-package.js';

export type SqlParser = typeof import('libpg-query');

let loading: Promise<SqlParser> | undefined;
let ready: SqlParser | undefined;

/** The WASM parser, initialised once (parseSync needs loadModule first). */
export function loadParser(): Promise<SqlParser> {
  loading ??= loadOptional<SqlParser>(
    'libpg-query',
    "PostgreSQL's SQL parser (lint, no-transaction migrations, locating a failed statement)",
  ).then(async (parser) => {
    await parser.loadModule();
    ready = parser;
    return parser;
  });
  // A failed load (the package is missing) is not remembered: the next call reports it again.
  loading.catch(() => {
    loading = undefined;
  });
  return loading;
}

/** The parser if `loadParser()` has finished; for synchronous callers that loaded it beforehand. */
export function loadedParser(): SqlParser {
  if (!ready) throw new Error('the SQL parser is not loaded: await loadParser() first');
  return ready;
}
