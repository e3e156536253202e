/**
 * umzug, as the engine uses it. In the repository this re-exports the installed package (a
 * devDependency); the build (scripts/build/vendor.ts) replaces the compiled file with a bundle of
 * umzug's core, leaving out its command-line front end, which voipdb never runs and which would
 * otherwise make a service's install three times the size of kysely and pg, which is all a
 * service needs at run time.
 */
export { MigrationError, Umzug } from 'umzug';
export type { UmzugStorage } from 'umzug';
