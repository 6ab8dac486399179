export { BUCKETS, MAX_KEY_UNITS, bucketOf, weightToBasisPoints, inCanary } from './buckets.js';
export { cookieValue } from './cookie.js';
export { DEFAULT_STICKY_KEY } from './sticky-key.js';
export { compileRollout } from './rollout.js';
export { compileTable, EMPTY_TABLE } from './table.js';
export type {
  Side,
  DecisionReason,
  RequestFacts,
  Decision,
  CompiledRollout,
  RoutingTable,
} from './types.js';
