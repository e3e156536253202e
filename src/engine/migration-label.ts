/** How a migration is named in messages and listings: its version as four digits (0003), with its name (0003_kamailio). */
export function versionLabel(version: number): string {
  return String(version).padStart(4, '0');
}

export function migrationLabel(migration: { version: number; name: string }): string {
  return `${versionLabel(migration.version)}_${migration.name}`;
}
