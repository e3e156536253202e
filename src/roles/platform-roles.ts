/** The login roles of the platform, created by migration 0002; their passwords come from the environment. */
export const PLATFORM_ROLES = ['kamailio', 'voipadmin', 'replicator'] as const;
export type PlatformRole = (typeof PLATFORM_ROLES)[number];

/** `VOIPDB_KAMAILIO_PASSWORD` and `VOIPDB_KAMAILIO_PASSWORD_FILE`, and so on for each role. */
export function passwordVariables(role: PlatformRole): { value: string; file: string } {
  const value = `VOIPDB_${role.toUpperCase()}_PASSWORD`;
  return { value, file: `${value}_FILE` };
}
