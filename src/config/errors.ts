import { ExitCode, failure } from '../errors.js';

/** Connection settings that are wrong or missing (exit 2): nothing was tried. */

export class ConfigInvalidError extends failure('CONFIG_INVALID', ExitCode.usage) {
  constructor(readonly problems: string[]) {
    super(
      problems.length === 1 ? `invalid configuration: ${problems[0]}` : `invalid configuration (${problems.length} problems)`,
      'fix the settings named above (flags, DATABASE_URL or the PG* variables) and run again',
    );
  }
  override details(): string[] {
    return this.problems.length > 1 ? this.problems.map((p) => `- ${p}`) : [];
  }
}

export class NoConnectionConfiguredError extends failure('NO_CONNECTION_CONFIGURED', ExitCode.usage) {
  override readonly formerCodes = ['NO_CONNECTION'];
  constructor() {
    super(
      'no database connection is configured',
      'pass --url postgres://user@host:port/voipdb, set DATABASE_URL, or set PGHOST/PGDATABASE (libpq variables); `npm start` runs a local server',
    );
  }
}
