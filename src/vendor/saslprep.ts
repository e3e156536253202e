/**
 * @mongodb-js/saslprep, as src/roles/saslprep.ts uses it. In the repository this re-exports the
 * installed package (a devDependency); the build (scripts/build/vendor.ts) replaces the compiled
 * file with a bundle of its Node entry only: the package also ships a 560 kB table for browsers.
 */
export { default } from '@mongodb-js/saslprep';
