// Loaded with NODE_OPTIONS=--import=<this file>: any import of libpg-query fails, so a test can
// prove that a command never loads the SQL parser.
import { register } from 'node:module';

const hooks = `export async function resolve(specifier, context, next) {
  if (specifier === 'libpg-query') throw new Error('libpg-query was loaded');
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
