// Moved to src/doctor/thresholds.ts. This re-export keeps src/failover/notify.ts building until its
// import names the new path; delete this file (and the folder) in the same change.
export { DEFAULT_THRESHOLDS } from '../doctor/thresholds.js';
