/**
 * lru-cache, as the directory cache uses it. In the repository this re-exports the installed
 * package (a devDependency); the build (scripts/build/vendor.ts) replaces the compiled file with a
 * readable bundle (with its source map), so that a service installs only the code that runs instead of the package's
 * CommonJS, ESM and browser builds with their source maps.
 */
export { LRUCache } from 'lru-cache';
