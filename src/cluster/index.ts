export { runDoctor, type DoctorOptions, type DoctorReport } from './doctor.js';
export { type Check, type Severity, NAGIOS_CODE, worstSeverity } from './severity.js';
export { parseSize, formatBytes } from './size.js';
export { DEFAULT_THRESHOLDS, PLATFORM_SLOT, type LagThresholds } from './thresholds.js';
