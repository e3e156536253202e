import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { NoConnectionConfiguredError } from '../../src/config/errors.js';
import { ConnectionFailedError, TlsFailedError } from '../../src/database/errors.js';
import { hasCode, UsageError, VoipdbError } from '../../src/errors.js';

const SRC = path.resolve(import.meta.dirname, '../../src');

/** MigrationLockTimeoutError -> MIGRATION_LOCK_TIMEOUT */
const codeFor = (className: string): string =>
  className
    .replace(/Error$/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toUpperCase();

interface ErrorClass {
  name: string;
  parent: string;
  file: string;
  code: string | undefined;
  /** The ExitCode member it names, own or inherited. */
  exit: string | undefined;
}

/** The exit code of every class, by name: a script that maps them must not see one change. */
const EXIT_CODES: Record<string, string> = {
  AdoptRefusedError: 'database',
  AuthFailedError: 'database',
  CdrPartitionArgumentError: 'usage',
  CdrPartitionMissingError: 'database',
  ClientInputInvalidError: 'usage',
  CloneFailedError: 'database',
  CommandLineError: 'usage',
  ConfigInvalidError: 'usage',
  ConnectionFailedError: 'database',
  ConnectionRefusedError: 'database',
  ConnectionTimeoutError: 'database',
  DataDirInvalidError: 'usage',
  DataDirNotEmptyError: 'usage',
  DatabaseError: 'database',
  DatabaseNotFoundError: 'database',
  DirectoryCacheStaleError: 'database',
  FailoverSettingMissingError: 'usage',
  FailoverTopologyError: 'usage',
  GuardRefusedError: 'refused',
  SwitchoverRefusedError: 'refused',
  SwitchoverUndoneError: 'refused',
  KeepAsideFailedError: 'database',
  PgbackrestFailedError: 'notOk',
  PgbackrestMissingError: 'notOk',
  RestoreCheckFailedError: 'notOk',
  RestoreTargetInvalidError: 'usage',
  SalvageFailedError: 'database',
  SalvageUndeterminedError: 'refused',
  HostNotFoundError: 'database',
  KamailioNotAdoptedError: 'refused',
  LocalServerBusyError: 'usage',
  LocalServerError: 'database',
  LocalServerIncompleteError: 'usage',
  LocalServerInterruptedError: 'notOk',
  MigrationChecksumMismatchError: 'database',
  MigrationDownMissingError: 'database',
  MigrationFailedError: 'database',
  MigrationFileMissingError: 'database',
  MigrationFileNameInvalidError: 'usage',
  MigrationFileNotUtf8Error: 'usage',
  MigrationFileUnsupportedError: 'usage',
  MigrationInvalidIndexError: 'database',
  MigrationLockBusyError: 'database',
  MigrationLockTimeoutError: 'database',
  MigrationNameInvalidError: 'usage',
  MigrationOutOfOrderError: 'database',
  MigrationTargetUnknownError: 'usage',
  MigrationVersionDuplicateError: 'database',
  NoConnectionConfiguredError: 'usage',
  NoSuitableHostError: 'database',
  NodeIsStandbyError: 'standby',
  OldPrimaryAnswersError: 'refused',
  OptionalPackageMissingError: 'usage',
  PartitionLockBusyError: 'database',
  PassfileInvalidError: 'usage',
  PrimaryNotReadyError: 'database',
  PromoteFailedError: 'database',
  PromoteLagTooHighError: 'refused',
  RecoveryConflictError: 'database',
  RewindFailedError: 'database',
  RoleMissingError: 'database',
  SecretFileUnreadableError: 'usage',
  ServerRunningError: 'standby',
  StandbyWriteError: 'standby',
  SubscriberNotOwnedError: 'usage',
  TlsFailedError: 'database',
  TopologyInvalidError: 'usage',
  TopologyNodeUnknownError: 'usage',
  UsageError: 'usage',
  VoipDomainNotFoundError: 'usage',
  WrongNodeRoleError: 'standby',
};

/** An exported class, its header (what it extends) and its body: one line `{}`, or up to a `}` in column 0. */
const CLASS = /^export (?:abstract )?class (\w+) extends (.+?) \{(?:\}$|([\s\S]*?)^\})/gm;

/**
 * A header whose base is made by a call: `failure('CODE', ExitCode.x)` (a VoipdbError with that
 * code and exit code) or `Parent.way('CODE')` (a subclass of Parent with its own code).
 */
const MADE_BY = /^(\w+)(?:\.\w+)?\('([A-Z0-9_]+)'(?:, ExitCode\.(\w+))?\)$/;

/**
 * Every error class of src/, wherever its area keeps it: the classes that descend from
 * VoipdbError through any chain of `extends`, read from the source of every module.
 */
async function errorClasses(): Promise<ErrorClass[]> {
  const declared: ErrorClass[] = [];
  for (const entry of await fs.readdir(SRC, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const file = path.join(entry.parentPath, entry.name);
    const source = await fs.readFile(file, 'utf8');
    for (const [, name, header, body] of source.matchAll(CLASS)) {
      const made = MADE_BY.exec(header!);
      const parent = made ? (made[1] === 'failure' ? 'VoipdbError' : made[1]!) : header!;
      declared.push({
        name: name!,
        parent,
        file: path.relative(SRC, file),
        code: made?.[2] ?? /readonly code(?:: string)? = '([A-Z0-9_]+)'/.exec(body ?? '')?.[1],
        exit: made?.[3] ?? /readonly exitCode = ExitCode\.(\w+)/.exec(body ?? '')?.[1],
      });
    }
  }
  const errors = new Set(['VoipdbError']);
  for (let grew = true; grew; ) {
    grew = false;
    for (const c of declared) {
      if (errors.has(c.parent) && !errors.has(c.name)) {
        errors.add(c.name);
        grew = true;
      }
    }
  }
  const byName = new Map(declared.map((c) => [c.name, c]));
  for (const c of declared) for (let up = c; !c.exit && up; up = byName.get(up.parent)!) c.exit = up.exit;
  return declared.filter((c) => errors.has(c.name) && c.name !== 'VoipdbError');
}

describe('error codes', () => {
  it('every error class has the code of its name: UPPER_SNAKE without the Error suffix', async () => {
    const found = await errorClasses();
    expect(found.length).toBeGreaterThan(55);
    expect(found.filter((c) => c.code !== codeFor(c.name))).toEqual([]);
  });

  it('every error class lives in an errors.ts beside its area, or in the module that alone raises it', async () => {
    const misplaced = (await errorClasses()).filter(
      (c) => path.basename(c.file) !== 'errors.ts' && !(c.file === 'optional-package.ts' && c.name === 'OptionalPackageMissingError'),
    );
    expect(misplaced).toEqual([]);
  });

  it('every error class keeps its exit code, and a new class is added here with its own', async () => {
    const found = await errorClasses();
    expect(Object.fromEntries(found.map((c) => [c.name, c.exit]))).toEqual(EXIT_CODES);
  });

  it('no two error classes share a code', async () => {
    const codes = (await errorClasses()).map((c) => c.code);
    expect(codes.filter((code, i) => codes.indexOf(code) !== i)).toEqual([]);
  });

  it('the scan finds a class declared below another error class, and one in a nested area', async () => {
    const found = await errorClasses();
    expect(found).toContainEqual(expect.objectContaining({ name: 'TlsFailedError', parent: 'ConnectionFailedError', code: 'TLS_FAILED' }));
    expect(found).toContainEqual(expect.objectContaining({ name: 'WrongNodeRoleError', file: path.join('failover', 'errors.ts') }));
  });

  it('a class made by failure() or way() carries its code, exit code, name and ancestry at run time', () => {
    const tls = new TlsFailedError('no TLS', 'set sslmode');
    expect([tls.code, tls.exitCode, tls.name, tls.message, tls.hint]).toEqual(['TLS_FAILED', 3, 'TlsFailedError', 'no TLS', 'set sslmode']);
    expect(tls).toBeInstanceOf(ConnectionFailedError);
    expect(tls).toBeInstanceOf(VoipdbError);
    expect(hasCode(tls, 'CONNECTION_FAILED')).toBe(false);
    const family = new ConnectionFailedError('refused', 'start it');
    expect([family.code, family.exitCode, family.name]).toEqual(['CONNECTION_FAILED', 3, 'ConnectionFailedError']);
    expect(family).not.toBeInstanceOf(TlsFailedError);
    const usage = new UsageError('bad', 'fix it');
    expect([usage.code, usage.exitCode, usage.name]).toEqual(['USAGE', 2, 'UsageError']);
    expect(usage).not.toBeInstanceOf(ConnectionFailedError);
  });

  it('a former code still matches', () => {
    const error = new NoConnectionConfiguredError();
    expect(error.code).toBe('NO_CONNECTION_CONFIGURED');
    expect(hasCode(error, 'NO_CONNECTION')).toBe(true);
    expect(hasCode(error, 'NO_CONNECTION_CONFIGURED')).toBe(true);
    expect(hasCode(error, 'USAGE')).toBe(false);
  });
});
