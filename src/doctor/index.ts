export { runDoctor, type DoctorOptions, type DoctorReport } from './doctor.js';
export { type Check, type Severity, NAGIOS_CODE, worstSeverity } from './severity.js';
export { parseSize, formatBytes } from './size.js';
export { DEFAULT_THRESHOLDS, PLATFORM_SLOT, type LagThresholds } from './thresholds.js';
export { type Fence, fenceOf, type NodeState, readNodeState } from './node-state.js';
export { checkPeers, type PeerCheckOptions, type PeerTarget } from './peer-health.js';
export { evaluatePair, type PeerView } from './split-brain.js';
