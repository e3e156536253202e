export { loadTopology } from './load.js';
export { parseTopology } from './parse.js';
export { renderNodeConfig } from './render.js';
export {
  caFileOf,
  SERVICES,
  slotNameFor,
  type DatabaseTls,
  type NodeRole,
  type Service,
  type Topology,
  type TopologyNode,
} from './types.js';
