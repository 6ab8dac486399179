export { bucketOf, weightToBasisPoints } from './buckets.js';
export { cookieValue, cookieValueStart, lastCookieValueEnd } from './cookie.js';
export { compileRollout } from './rollout.js';
export { compileTable, EMPTY_TABLE } from './table.js';
export { firstHeaderValue, type HeaderRecord } from './header-snapshot.js';
export type {
  Side,
  DecisionReason,
  ListedUser,
  RequestFacts,
  FoundFacts,
  CompiledPool,
  PoolHealth,
  Decision,
  SessionSettings,
  CompiledRollout,
  RoutingTable,
} from './types.js';
export { METADATA_TARGETS, metadataTargetOf } from './metadata-ranges.js';
