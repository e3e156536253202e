/**
 * The checks `db check` runs on the repository, in the order it reports them; with a live database
 * it adds LIVE_CHECKS. The CLI test and the library test expect the same list.
 */
export const REPOSITORY_CHECKS = ['migrations-apply', 'schema-sql', 'generated-types', 'down-up', 'lint', 'privileges'];
export const LIVE_CHECKS = ['live-checksums', 'live-drift', 'live-indexes'];
